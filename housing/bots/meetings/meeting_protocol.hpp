#pragma once
// The protocol of an owners' general meeting in the form of Minstroy order No. 266/пр of
// 30.04.2025: the building, the form and dates, the initiator, all votes of the building and the
// votes taking part (quorum, ЖК РФ ст. 45 ч. 3), each question with its threshold, the votes
// for / against / abstained with their weights and shares, the decision, and the list of
// participants (by apartment and share, not by name: the protocol is posted in the owners' room),
// with places for the signatures of the chair, the secretary and the vote counters. Plain text
// and Matrix HTML.
#include <string>
#include <vector>

#include "housing/bots/meetings/meeting_store.hpp"
#include "housing/law/meeting.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

struct ProtocolParticipant {
  std::string apartment;
  std::size_t owner_index = 0;
  law::Exact weight;  // in 1/100 m²
  std::string source;  // bot | poll | paper
};

struct RenderedProtocol {
  std::string plain;
  std::string html;
};

// `counted_by`: who counted (the state system's name, or this server as the designated system).
RenderedProtocol render_protocol(const Meeting& meeting, const Building& building, const law::TallyResult& result,
                                 const std::vector<ProtocolParticipant>& participants, const std::string& counted_by,
                                 bool final_result);

// Square metres from 1/100 m², two decimals, comma: «1 234,56 м²» (exact values rounded half up).
std::string format_square_metres(const law::Exact& hundredths);
std::string threshold_name_ru(const std::string& threshold);

}  // namespace domovoy::housing
