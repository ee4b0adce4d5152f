#pragma once
// Owners' general meetings and their ballots (tables meeting_meeting and meetingballot_ballot).
// A ballot is one owner's decision: an apartment and the index of the owner in the registry,
// whose weight (area × share) is taken from the registry when the votes are counted.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"

namespace domovoy::housing {

struct MeetingQuestion {
  std::string title;
  std::string threshold;  // participants_majority | all_votes_majority | all_votes_two_thirds
};

struct Meeting {
  std::uint64_t number = 0;
  std::string building_id;
  std::string form;   // in_person | absentee | mixed
  std::string start;  // YYYY-MM-DD, the first day of voting
  std::string end;    // YYYY-MM-DD, the last day
  std::vector<MeetingQuestion> questions;
  std::string initiator;     // user id: the meeting's administrator
  std::string initiated_by;  // owners | company
  std::vector<std::string> supporters;  // owners who joined the initiative
  std::string status;        // initiative | announced | closed
  std::int64_t created_at = 0;
  std::int64_t notice_at = 0;   // when the notice was posted
  std::int64_t closed_at = 0;
  std::string state_system_id;  // the state system's id of the meeting (connector), when published there
  std::string protocol_plain, protocol_html;
  bool quorum = false;
};

struct StoredBallot {
  std::string apartment;
  std::size_t owner_index = 0;
  std::string user_id;  // who cast it (the owner, or the administrator for a paper one)
  std::string source;   // bot | poll | paper
  std::vector<std::string> answers;  // per question: yes | no | abstain | "" (unanswered)
  std::int64_t at = 0;
};

class MeetingStore {
 public:
  explicit MeetingStore(storage::Database& database) : database_(database) {}

  std::optional<Meeting> find(std::uint64_t number) const;
  std::vector<Meeting> of_building(const std::string& building_id) const;
  std::vector<Meeting> open_meetings() const;  // not closed
  static void stage(storage::WriteBatch& batch, const Meeting& meeting);

  std::vector<StoredBallot> ballots(std::uint64_t number) const;
  std::optional<StoredBallot> ballot(std::uint64_t number, const std::string& voter) const;
  static void stage_ballot(storage::WriteBatch& batch, std::uint64_t number, const StoredBallot& ballot);

  // The meeting's Matrix polls: the poll's event id -> (meeting, question index).
  std::optional<std::pair<std::uint64_t, std::size_t>> poll(const std::string& event_id) const;
  static void stage_poll(storage::WriteBatch& batch, const std::string& event_id, std::uint64_t number, std::size_t question);

 private:
  storage::Database& database_;
};

}  // namespace domovoy::housing
