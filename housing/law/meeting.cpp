#include "housing/law/meeting.hpp"

#include <set>
#include <stdexcept>

#include "housing/law/dates.hpp"

namespace domovoy::housing::law {

namespace {
using boost::multiprecision::cpp_int;

bool more_than(const Exact& value, const Rational& fraction, const Exact& of) { return value > to_exact(fraction) * of; }
bool at_least(const Exact& value, const Rational& fraction, const Exact& of) { return value >= to_exact(fraction) * of; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Lower case for ASCII and the Russian alphabet in UTF-8 (А..Я, Ё), enough to compare the names
// of the forms; any other byte is kept as it is.
std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0u;
    if (byte >= 'A' && byte <= 'Z') {
      out += static_cast<char>(byte - 'A' + 'a');
    } else if (byte == 0xD0 && next >= 0x90 && next <= 0x9F) {  // А..П -> а..п
      out += static_cast<char>(0xD0);
      out += static_cast<char>(next + 0x20);
      ++i;
    } else if (byte == 0xD0 && next >= 0xA0 && next <= 0xAF) {  // Р..Я -> р..я
      out += static_cast<char>(0xD1);
      out += static_cast<char>(next - 0x20);
      ++i;
    } else if (byte == 0xD0 && next == 0x81) {  // Ё -> ё
      out += static_cast<char>(0xD1);
      out += static_cast<char>(0x91);
      ++i;
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}
}  // namespace

std::string_view to_string(Threshold threshold) {
  switch (threshold) {
    case Threshold::participants_majority: return "participants_majority";
    case Threshold::all_votes_majority: return "all_votes_majority";
    case Threshold::all_votes_two_thirds: return "all_votes_two_thirds";
  }
  return "unknown";
}

std::optional<Threshold> threshold_from_string(std::string_view name) {
  for (auto threshold : {Threshold::participants_majority, Threshold::all_votes_majority, Threshold::all_votes_two_thirds})
    if (to_string(threshold) == name) return threshold;
  return std::nullopt;
}

TallyResult tally(const MeetingTally& meeting, const MeetingRules& rules) {
  if (meeting.total_votes <= 0) throw std::invalid_argument("a meeting's total votes must be positive");
  TallyResult result;
  result.total_votes = meeting.total_votes;
  result.questions.resize(meeting.questions.size());
  std::set<std::string_view> voters;
  for (const auto& ballot : meeting.ballots) {
    if (ballot.weight <= 0) throw std::invalid_argument("a ballot's weight must be positive: " + ballot.voter);
    if (!voters.insert(ballot.voter).second) throw std::invalid_argument("two ballots of the same voter: " + ballot.voter);
    if (ballot.answers.size() > meeting.questions.size())
      throw std::invalid_argument("a ballot answers more questions than there are: " + ballot.voter);
    result.participants += ballot.weight;
    for (std::size_t i = 0; i < meeting.questions.size(); ++i) {
      auto& question = result.questions[i];
      auto answer = i < ballot.answers.size() ? ballot.answers[i] : std::nullopt;
      if (!answer)
        question.unanswered += ballot.weight;
      else if (*answer == Choice::yes)
        question.yes += ballot.weight;
      else if (*answer == Choice::no)
        question.no += ballot.weight;
      else
        question.abstain += ballot.weight;
    }
  }
  if (result.participants > meeting.total_votes)
    throw std::invalid_argument("the ballots weigh more than all votes of the building");

  result.quorum = more_than(result.participants, rules.quorum, meeting.total_votes);
  for (std::size_t i = 0; i < meeting.questions.size(); ++i) {
    auto& question = result.questions[i];
    switch (meeting.questions[i].threshold) {
      case Threshold::participants_majority:
        question.base = result.participants;
        question.taken = more_than(question.yes, rules.majority, question.base);
        break;
      case Threshold::all_votes_majority:
        question.base = meeting.total_votes;
        question.taken = more_than(question.yes, rules.majority, question.base);
        break;
      case Threshold::all_votes_two_thirds:
        question.base = meeting.total_votes;
        question.taken = at_least(question.yes, rules.two_thirds, question.base);
        break;
    }
    // Without a quorum the meeting decides nothing (ст. 45 ч. 3, ст. 181.5 ГК РФ).
    question.taken = question.taken && result.quorum;
  }
  return result;
}

std::string format_percent(const Exact& part, const Exact& whole) {
  if (whole <= 0) throw std::invalid_argument("a percentage of a non-positive whole");
  Exact hundredths = part * 10000 / whole;
  cpp_int value = boost::multiprecision::numerator(hundredths) / boost::multiprecision::denominator(hundredths);
  bool negative = value < 0;
  if (negative) value = -value;
  std::string digits = value.str();
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  digits.insert(digits.size() - 2, 1, ',');
  // -0,004 % truncates to zero and is shown without a sign.
  return (negative ? "-" : "") + digits + "\u00A0%";
}

Exact building_votes(const Building& building) {
  Exact total;
  for (const auto& apartment : building.apartments) total += Exact(apartment.area_hundredths);
  return total;
}

Exact owner_votes(const Apartment& apartment, std::size_t owner_index) {
  return to_exact(weight(apartment.area_hundredths, apartment.owners.at(owner_index).share));
}

std::string owner_voter_id(std::string_view apartment_number, std::size_t owner_index) {
  return std::string(apartment_number) + "#" + std::to_string(owner_index);
}

bool may_initiate(const Exact& initiators_votes, const Exact& total_votes, const MeetingRules& rules) {
  return at_least(initiators_votes, rules.initiative, total_votes);
}

bool notice_is_long_enough(std::chrono::year_month_day notice, std::chrono::year_month_day start,
                           const MeetingRules& rules) {
  return days_between(notice, start) >= rules.min_notice_days;
}

bool electronic_voting_duration_is_allowed(std::chrono::year_month_day start, std::chrono::year_month_day end,
                                           const MeetingRules& rules) {
  int days = days_between(start, end);
  return days >= rules.electronic_min_days && days <= rules.electronic_max_days;
}

std::string_view to_string(MeetingForm form) {
  switch (form) {
    case MeetingForm::in_person: return "in_person";
    case MeetingForm::absentee: return "absentee";
    case MeetingForm::mixed: return "mixed";
  }
  return "unknown";
}

std::string_view russian_name(MeetingForm form) {
  switch (form) {
    case MeetingForm::in_person: return "очная";
    case MeetingForm::absentee: return "заочная";
    case MeetingForm::mixed: return "очно-заочная";
  }
  return "unknown";
}

std::optional<MeetingForm> meeting_form_from_string(std::string_view name) {
  std::string key = lower(trim(name));
  struct Spelling {
    std::string_view text;
    MeetingForm form;
  };
  // "форма проведения — очная" (the form) and "очное собрание" (the meeting) are both said.
  static constexpr Spelling kSpellings[] = {
      {"in_person", MeetingForm::in_person}, {"absentee", MeetingForm::absentee}, {"mixed", MeetingForm::mixed},
      {"очная", MeetingForm::in_person},     {"очное", MeetingForm::in_person},   {"заочная", MeetingForm::absentee},
      {"заочное", MeetingForm::absentee},    {"очно-заочная", MeetingForm::mixed}, {"очно-заочное", MeetingForm::mixed},
  };
  for (const auto& spelling : kSpellings)
    if (spelling.text == key) return spelling.form;
  return std::nullopt;
}

}  // namespace domovoy::housing::law
