#pragma once
// The tally of an owners' general meeting (общее собрание собственников), ЖК РФ ст. 44–48:
// votes weighted by the area each owner owns (ст. 48 ч. 3, ст. 37), quorum (ст. 45 ч. 3), the
// majority each question needs (ст. 46 ч. 1), and the deadlines around a meeting. Every weight is
// an exact rational: a building's 1,000 apartments with shares of 1/3, 1/7, 2/9... have a common
// denominator far beyond 64 bits.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "housing/law/exact.hpp"
#include "housing/registry/model.hpp"
#include "housing/registry/rational.hpp"

namespace domovoy::housing::law {

// Every number the Housing Code sets for meetings.
struct MeetingRules {
  Rational quorum{1, 2};       // participants hold MORE than this of all votes (ст. 45 ч. 3)
  Rational majority{1, 2};     // "for" MORE than this (ст. 46 ч. 1, of participants or of all votes)
  Rational two_thirds{2, 3};   // "for" AT LEAST this of all votes (ст. 46 ч. 1)
  Rational initiative{1, 10};  // owners holding AT LEAST this may call a meeting (ст. 45 ч. 2)
  int min_notice_days = 10;    // notice at least this many days before the meeting (ст. 45 ч. 4)
  // Electronic voting lasts from 7 to 60 days (ст. 47.1); HOUSING.md asks for both as configuration.
  int electronic_min_days = 7;
  int electronic_max_days = 60;
};

// The majority a question needs (ст. 46 ч. 1 lists which questions need which).
enum class Threshold {
  participants_majority,  // for > 1/2 of the votes of the owners taking part
  all_votes_majority,     // for > 1/2 of all votes of the building
  all_votes_two_thirds,   // for >= 2/3 of all votes of the building
};
std::string_view to_string(Threshold threshold);  // "participants_majority", ...
std::optional<Threshold> threshold_from_string(std::string_view name);

enum class Choice { yes, no, abstain };  // за / против / воздержался

struct Question {
  std::string title;
  Threshold threshold = Threshold::participants_majority;
};

// One owner's decision (решение собственника). The voter is whatever identifies the owner once in
// the meeting (owner_voter_id for an owner of the registry); one ballot per voter.
struct Ballot {
  std::string voter;
  Exact weight;                               // owner_votes(...), > 0
  std::vector<std::optional<Choice>> answers;  // answers[i] for questions[i]; missing or nullopt: unanswered
};

struct MeetingTally {
  Exact total_votes;  // all votes of the building: building_votes(...), > 0
  std::vector<Question> questions;
  std::vector<Ballot> ballots;
};

struct QuestionResult {
  Exact yes;
  Exact no;
  Exact abstain;
  Exact unanswered;  // participants who left this question blank: they count in the base, not for
  Exact base;        // what the threshold is a share of: participants' or all votes
  bool taken = false;  // quorum, and "for" passes the threshold
};

struct TallyResult {
  Exact total_votes;
  Exact participants;  // the weight of every owner who cast a ballot at all
  bool quorum = false;  // participants > quorum × total_votes
  std::vector<QuestionResult> questions;  // in the order of the questions
};

// Throws std::invalid_argument for a non-positive total or weight, the same voter twice, a
// ballot with more answers than there are questions, or participants above the total.
TallyResult tally(const MeetingTally& meeting, const MeetingRules& rules = {});

// "52,34 %": part / whole in percent with a decimal comma and two decimals, TRUNCATED (never
// rounded up, so that 66,66 % of a two-thirds question that failed is not shown as 66,67 %), and
// a no-break space (U+00A0) before the sign, as Russian typography and CLDR's ru locale write it.
// The decisions come from the exact values, never from this text. Throws std::invalid_argument
// for a whole that is not positive.
std::string format_percent(const Exact& part, const Exact& whole);

// ---- Votes from the registry -----------------------------------------------------------------

// All votes of the building: the sum of its apartments' areas in 1/100 m² (ст. 48 ч. 3).
Exact building_votes(const Building& building);
// The votes of one owner of an apartment: area × share (registry weight()). Throws
// std::out_of_range for an owner index the apartment does not have.
Exact owner_votes(const Apartment& apartment, std::size_t owner_index);
// "12#0": an apartment number and an owner's index, as a Ballot::voter.
std::string owner_voter_id(std::string_view apartment_number, std::size_t owner_index);

// ---- Around the meeting ----------------------------------------------------------------------

// Owners holding at least 10% of all votes may call a meeting (ст. 45 ч. 2).
bool may_initiate(const Exact& initiators_votes, const Exact& total_votes, const MeetingRules& rules = {});

// Notice "не позднее чем за десять дней до даты его проведения" (ст. 45 ч. 4): at least
// min_notice_days between the notice's date and the meeting's: notice on the 1st, meeting on the
// 11th is enough; on the 10th it is not.
bool notice_is_long_enough(std::chrono::year_month_day notice, std::chrono::year_month_day start,
                           const MeetingRules& rules = {});

// An electronic vote (ст. 47.1) from `start` to `end`: its length end - start in days within
// electronic_min_days..electronic_max_days (from the 1st to the 8th is 7 days).
bool electronic_voting_duration_is_allowed(std::chrono::year_month_day start, std::chrono::year_month_day end,
                                           const MeetingRules& rules = {});

// The forms of a meeting (ст. 44.1).
enum class MeetingForm {
  in_person,  // очное
  absentee,   // заочное (including electronic voting, ст. 47.1)
  mixed,      // очно-заочное
};
std::string_view to_string(MeetingForm form);     // "in_person", "absentee", "mixed"
std::string_view russian_name(MeetingForm form);  // "очная", "заочная", "очно-заочная"
// The English names, or the Russian ones in either gender ("очная", "очное"), any letter case,
// surrounding spaces ignored.
std::optional<MeetingForm> meeting_form_from_string(std::string_view name);

}  // namespace domovoy::housing::law
