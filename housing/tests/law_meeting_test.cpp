// The tally of an owners' general meeting (ЖК РФ ст. 44–48): votes by owned area, quorum above
// half of all votes, each question's majority, exact to the last fraction.
#include "housing/law/meeting.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace domovoy::housing::law {
namespace {

using std::chrono::year;
using std::chrono::year_month_day;

year_month_day date(int y, unsigned m, unsigned d) {
  return year_month_day{year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

Apartment apartment(std::string number, std::int64_t area_hundredths, std::vector<Rational> shares) {
  Apartment result;
  result.number = std::move(number);
  result.entrance = 1;
  result.area_hundredths = area_hundredths;
  for (std::size_t i = 0; i < shares.size(); ++i) result.owners.push_back({"owner " + std::to_string(i), shares[i]});
  return result;
}

// 200,00 m² in four apartments:
//   "1": 54,31 m², three owners of 1/3 each (A, B, C): 5431/3 = 1810,333... each
//   "2": 45,69 m², D alone: 4569
//   "3": 60,00 m², E and F of 1/2 each: 3000 each
//   "4": 40,00 m², G alone: 4000
Building four_flats() {
  Building building;
  building.apartments = {apartment("1", 5431, {Rational(1, 3), Rational(1, 3), Rational(1, 3)}),
                         apartment("2", 4569, {Rational(1)}), apartment("3", 6000, {Rational(1, 2), Rational(1, 2)}),
                         apartment("4", 4000, {Rational(1)})};
  return building;
}

Ballot ballot(const Building& building, std::string_view number, std::size_t owner,
              std::vector<std::optional<Choice>> answers) {
  return {owner_voter_id(number, owner), owner_votes(*building.find_apartment(number), owner), std::move(answers)};
}

constexpr auto yes = Choice::yes;
constexpr auto no = Choice::no;
constexpr auto abstain = Choice::abstain;

TEST(LawMeeting, WeightsAreAreaTimesShareExactly) {
  auto building = four_flats();
  EXPECT_EQ(building_votes(building), Exact(20000));
  const auto& first = building.apartments[0];
  EXPECT_EQ(owner_votes(first, 0), Exact(5431, 3));
  // 1/3 + 1/3 + 1/3 of 54,31 m² is exactly 54,31 m², with nothing lost to rounding.
  EXPECT_EQ(owner_votes(first, 0) + owner_votes(first, 1) + owner_votes(first, 2), Exact(5431));
  EXPECT_THROW(owner_votes(first, 3), std::out_of_range);
  EXPECT_EQ(owner_voter_id("12А", 1), "12А#1");
}

TEST(LawMeeting, TwoThirdsFailsWhereTheMajoritiesPass) {
  auto building = four_flats();
  MeetingTally meeting;
  meeting.total_votes = building_votes(building);
  meeting.questions = {{"Выбрать председателя собрания", Threshold::participants_majority},
                       {"Капитальный ремонт крыши", Threshold::all_votes_two_thirds},
                       {"Выбрать управляющую компанию", Threshold::all_votes_majority}};
  // F does not take part. A, B, D and E vote for everything, C abstains, G votes against.
  meeting.ballots = {ballot(building, "1", 0, {yes, yes, yes}), ballot(building, "1", 1, {yes, yes, yes}),
                     ballot(building, "1", 2, {abstain, abstain, abstain}), ballot(building, "2", 0, {yes, yes, yes}),
                     ballot(building, "3", 0, {yes, yes, yes}), ballot(building, "4", 0, {no, no, no})};
  auto result = tally(meeting);

  // Participants: 5431 + 4569 + 3000 + 4000 = 17000 of 20000 = 85 % > 50 %.
  EXPECT_EQ(result.participants, Exact(17000));
  EXPECT_TRUE(result.quorum);
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "85,00\u00A0%");

  // For: A + B + D + E = 2 × 5431/3 + 4569 + 3000 = 33569/3 = 11189,666...
  const auto& chair = result.questions[0];
  EXPECT_EQ(chair.yes, Exact(33569, 3));
  EXPECT_EQ(chair.no, Exact(4000));
  EXPECT_EQ(chair.abstain, Exact(5431, 3));
  EXPECT_EQ(chair.unanswered, Exact(0));
  EXPECT_EQ(chair.base, Exact(17000));
  // 33569/3 / 17000 = 65,8215...% of the participants > 50 %: taken.
  EXPECT_TRUE(chair.taken);
  EXPECT_EQ(format_percent(chair.yes, chair.base), "65,82\u00A0%");
  EXPECT_EQ(format_percent(chair.no, chair.base), "23,52\u00A0%");       // 23,529...: truncated
  EXPECT_EQ(format_percent(chair.abstain, chair.base), "10,64\u00A0%");  // 10,649...: truncated

  // The same votes are 33569/3 / 20000 = 55,948...% of all votes: short of two thirds...
  const auto& roof = result.questions[1];
  EXPECT_EQ(roof.base, Exact(20000));
  EXPECT_FALSE(roof.taken);
  EXPECT_EQ(format_percent(roof.yes, roof.base), "55,94\u00A0%");
  // ...but more than half of all votes.
  EXPECT_TRUE(result.questions[2].taken);
}

TEST(LawMeeting, AnUnansweredQuestionCountsInTheBaseButNotFor) {
  auto building = four_flats();
  MeetingTally meeting;
  meeting.total_votes = building_votes(building);
  meeting.questions = {{"Первый вопрос", Threshold::participants_majority},
                       {"Второй вопрос", Threshold::participants_majority}};
  // G answers only the first question; A's ballot lists nothing at all but is a ballot.
  meeting.ballots = {ballot(building, "1", 0, {}), ballot(building, "1", 1, {no, no}),
                     ballot(building, "1", 2, {abstain, abstain}), ballot(building, "2", 0, {yes, yes}),
                     ballot(building, "3", 0, {yes, yes}), ballot(building, "4", 0, {yes, std::nullopt})};
  auto result = tally(meeting);
  EXPECT_EQ(result.participants, Exact(17000));
  // First: for D + E + G = 11569 of 17000 = 68,05 %: taken.
  EXPECT_EQ(result.questions[0].yes, Exact(11569));
  EXPECT_EQ(result.questions[0].unanswered, Exact(5431, 3));
  EXPECT_TRUE(result.questions[0].taken);
  // Second: for D + E = 7569 of 17000 = 44,52 %: not taken, although 7569 is more than half of
  // the 7569 + 5431/3 + 5431/3 = 11189,67 that did answer.
  EXPECT_EQ(result.questions[1].yes, Exact(7569));
  EXPECT_EQ(result.questions[1].unanswered, Exact(5431, 3) + 4000);
  EXPECT_FALSE(result.questions[1].taken);
  EXPECT_EQ(format_percent(result.questions[1].yes, result.questions[1].base), "44,52\u00A0%");
}

TEST(LawMeeting, ExactlyHalfOfAllVotesIsNoQuorum) {
  // Two flats of 50,00 m²; only the first owner takes part and votes for: 5000 of 10000.
  MeetingTally meeting{Exact(10000), {{"Вопрос", Threshold::participants_majority}}, {{"1#0", Exact(5000), {yes}}}};
  auto result = tally(meeting);
  EXPECT_FALSE(result.quorum);
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "50,00\u00A0%");
  // 100 % of the participants voted for, but a meeting without a quorum decides nothing.
  EXPECT_EQ(result.questions[0].yes, result.questions[0].base);
  EXPECT_FALSE(result.questions[0].taken);
}

TEST(LawMeeting, JustAboveHalfIsAQuorum) {
  // 50,00 m² and 50,01 m²: the larger flat alone holds 5001 of 10001 = 50,004999...%.
  MeetingTally meeting{Exact(10001), {{"Вопрос", Threshold::participants_majority}}, {{"2#0", Exact(5001), {yes}}}};
  auto result = tally(meeting);
  EXPECT_TRUE(result.quorum);
  EXPECT_TRUE(result.questions[0].taken);
  // Shown truncated as 50,00 %: the decision comes from the exact value, not from the text.
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "50,00\u00A0%");
  // The smaller flat alone: 5000 of 10001 = 49,995...%, no quorum (rounded it would read 50,00 %).
  meeting.ballots = {{"1#0", Exact(5000), {yes}}};
  result = tally(meeting);
  EXPECT_FALSE(result.quorum);
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "49,99\u00A0%");
}

TEST(LawMeeting, JustAboveHalfWithFractionalShares) {
  // 100,00 m²: flat "1" of 1,00 m² owned in thirds (100/3 each), "2" of 49,67 m², "3" of 49,33 m².
  Building building;
  building.apartments = {apartment("1", 100, {Rational(1, 3), Rational(1, 3), Rational(1, 3)}),
                         apartment("2", 4967, {Rational(1)}), apartment("3", 4933, {Rational(1)})};
  MeetingTally meeting;
  meeting.total_votes = building_votes(building);
  meeting.questions = {{"Вопрос", Threshold::all_votes_majority}};
  // "2" and one third of "1": 4967 + 100/3 = 15001/3 = 5000,333... > 5000: a quorum by a third
  // of a hundredth of a square metre.
  meeting.ballots = {ballot(building, "2", 0, {yes}), ballot(building, "1", 0, {no})};
  auto result = tally(meeting);
  EXPECT_EQ(result.participants, Exact(15001, 3));
  EXPECT_TRUE(result.quorum);
  // For 4967 of 10000 is not more than half of all votes: not taken.
  EXPECT_FALSE(result.questions[0].taken);
  // "3" and two thirds of "1": 4933 + 200/3 = 14999/3 = 4999,666... < 5000: no quorum.
  meeting.ballots = {ballot(building, "3", 0, {yes}), ballot(building, "1", 1, {yes}), ballot(building, "1", 2, {yes})};
  result = tally(meeting);
  EXPECT_EQ(result.participants, Exact(14999, 3));
  EXPECT_FALSE(result.quorum);
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "49,99\u00A0%");
}

TEST(LawMeeting, ThresholdsAtTheirExactBoundaries) {
  // 3 000 votes; 2 000 for is exactly two thirds (enough: "не менее"), 1 500 exactly half (not
  // enough: "более").
  MeetingTally meeting{Exact(3000),
                       {{"2/3", Threshold::all_votes_two_thirds}, {"1/2", Threshold::all_votes_majority}},
                       {{"a", Exact(2000), {yes, std::nullopt}}, {"b", Exact(1000), {no, no}}}};
  auto result = tally(meeting);
  EXPECT_TRUE(result.questions[0].taken);
  meeting.ballots = {{"a", Exact(1500), {yes, yes}}, {"b", Exact(1500), {no, no}}};
  result = tally(meeting);
  EXPECT_FALSE(result.questions[0].taken);
  EXPECT_FALSE(result.questions[1].taken);
  // A tenth of a hundredth of a square metre short of two thirds fails: 1999,9 of 3000.
  meeting.ballots = {{"a", Exact(19999, 10), {yes, yes}}, {"b", Exact(10001, 10), {no, no}}};
  result = tally(meeting);
  EXPECT_FALSE(result.questions[0].taken);
  EXPECT_TRUE(result.questions[1].taken);
  EXPECT_EQ(format_percent(Exact(19999, 10), Exact(3000)), "66,66\u00A0%");
}

TEST(LawMeeting, AThousandFlatsWithManyShareDenominators) {
  // 1 000 flats of 40,00..49,99 m², each owned by two: 1/p and (p-1)/p for the primes p up to 113
  // in turn. Every first owner abstains, the second owners of the even flats vote for. The
  // common denominator of the sums has more than 40 digits: Rational overflows on the 15th flat.
  const int primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47,
                        53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113};
  Building building;
  for (int i = 0; i < 1000; ++i) {
    int p = primes[i % 30];
    building.apartments.push_back(apartment(std::to_string(i + 1), 4000 + i, {Rational(1, p), Rational(p - 1, p)}));
  }
  MeetingTally meeting;
  meeting.total_votes = building_votes(building);
  meeting.questions = {{"Вопрос участников", Threshold::participants_majority},
                       {"Вопрос всех", Threshold::all_votes_majority}};
  Rational narrow;
  bool narrow_overflowed = false;
  for (int i = 0; i < 1000; ++i) {
    auto number = std::to_string(i + 1);
    meeting.ballots.push_back(ballot(building, number, 0, {abstain, abstain}));
    try {
      narrow += weight(4000 + i, Rational(1, primes[i % 30]));
    } catch (const std::overflow_error&) {
      narrow_overflowed = true;
    }
    if (i % 2 == 0) meeting.ballots.push_back(ballot(building, number, 1, {yes, yes}));
  }
  EXPECT_TRUE(narrow_overflowed);

  auto result = tally(meeting);
  // Σ (4000 + i) for i < 1000 = 4 499 500. The percentages were computed independently with
  // Python's fractions.Fraction and truncated.
  EXPECT_EQ(result.total_votes, Exact(4499500));
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "52,67\u00A0%");
  EXPECT_TRUE(result.quorum);
  EXPECT_EQ(format_percent(result.questions[0].yes, result.total_votes), "46,41\u00A0%");
  EXPECT_EQ(format_percent(result.questions[0].abstain, result.total_votes), "6,25\u00A0%");
  EXPECT_EQ(format_percent(result.questions[0].yes, result.participants), "88,12\u00A0%");
  EXPECT_EQ(result.questions[0].yes + result.questions[0].abstain, result.participants);
  EXPECT_TRUE(result.questions[0].taken);
  EXPECT_FALSE(result.questions[1].taken);  // 46,41 % of all votes
}

TEST(LawMeeting, RefusesInconsistentBallots) {
  MeetingTally meeting{Exact(10000), {{"Вопрос", Threshold::participants_majority}}, {}};
  meeting.ballots = {{"a", Exact(100), {yes}}, {"a", Exact(200), {no}}};
  EXPECT_THROW(tally(meeting), std::invalid_argument);  // the same voter twice
  meeting.ballots = {{"a", Exact(100), {yes, no}}};
  EXPECT_THROW(tally(meeting), std::invalid_argument);  // more answers than questions
  meeting.ballots = {{"a", Exact(0), {yes}}};
  EXPECT_THROW(tally(meeting), std::invalid_argument);  // no weight
  meeting.ballots = {{"a", Exact(10001), {yes}}};
  EXPECT_THROW(tally(meeting), std::invalid_argument);  // more than the whole building
  meeting.ballots = {};
  meeting.total_votes = 0;
  EXPECT_THROW(tally(meeting), std::invalid_argument);
  EXPECT_THROW(format_percent(Exact(1), Exact(0)), std::invalid_argument);
}

TEST(LawMeeting, NoBallotsNoQuorum) {
  MeetingTally meeting{Exact(10000), {{"Вопрос", Threshold::participants_majority}}, {}};
  auto result = tally(meeting);
  EXPECT_FALSE(result.quorum);
  EXPECT_FALSE(result.questions[0].taken);
  EXPECT_EQ(format_percent(result.participants, result.total_votes), "0,00\u00A0%");
}

TEST(LawMeeting, ThresholdNames) {
  for (auto threshold : {Threshold::participants_majority, Threshold::all_votes_majority, Threshold::all_votes_two_thirds})
    EXPECT_EQ(threshold_from_string(to_string(threshold)), threshold);
  EXPECT_EQ(to_string(Threshold::all_votes_two_thirds), "all_votes_two_thirds");
  EXPECT_FALSE(threshold_from_string("two_thirds"));
  EXPECT_FALSE(threshold_from_string(""));
}

TEST(LawMeeting, InitiativeNeedsATenthOfAllVotes) {
  EXPECT_TRUE(may_initiate(Exact(1000), Exact(10000)));  // exactly 10 %: "не менее"
  EXPECT_FALSE(may_initiate(Exact(99999, 100), Exact(10000)));
  EXPECT_TRUE(may_initiate(Exact(5431, 3) + 4569, Exact(20000)));
}

TEST(LawMeeting, NoticeAtLeastTenDaysBefore) {
  EXPECT_TRUE(notice_is_long_enough(date(2025, 3, 1), date(2025, 3, 11)));
  EXPECT_FALSE(notice_is_long_enough(date(2025, 3, 1), date(2025, 3, 10)));
  EXPECT_TRUE(notice_is_long_enough(date(2025, 2, 25), date(2025, 3, 7)));  // across February's end
  MeetingRules charter;
  charter.min_notice_days = 14;
  EXPECT_FALSE(notice_is_long_enough(date(2025, 3, 1), date(2025, 3, 11), charter));
}

TEST(LawMeeting, ElectronicVotingLastsSevenToSixtyDays) {
  EXPECT_TRUE(electronic_voting_duration_is_allowed(date(2025, 3, 1), date(2025, 3, 8)));    // 7
  EXPECT_FALSE(electronic_voting_duration_is_allowed(date(2025, 3, 1), date(2025, 3, 7)));   // 6
  EXPECT_TRUE(electronic_voting_duration_is_allowed(date(2025, 3, 1), date(2025, 4, 30)));   // 60
  EXPECT_FALSE(electronic_voting_duration_is_allowed(date(2025, 3, 1), date(2025, 5, 1)));   // 61
  EXPECT_FALSE(electronic_voting_duration_is_allowed(date(2025, 3, 8), date(2025, 3, 1)));   // backwards
  MeetingRules rules;
  rules.electronic_max_days = 30;
  EXPECT_FALSE(electronic_voting_duration_is_allowed(date(2025, 3, 1), date(2025, 4, 30), rules));
}

TEST(LawMeeting, MeetingForms) {
  EXPECT_EQ(meeting_form_from_string("очная"), MeetingForm::in_person);
  EXPECT_EQ(meeting_form_from_string("Очное"), MeetingForm::in_person);
  EXPECT_EQ(meeting_form_from_string("заочная"), MeetingForm::absentee);
  EXPECT_EQ(meeting_form_from_string("ОЧНО-ЗАОЧНАЯ"), MeetingForm::mixed);
  EXPECT_EQ(meeting_form_from_string(" in_person "), MeetingForm::in_person);
  EXPECT_EQ(meeting_form_from_string("Absentee"), MeetingForm::absentee);
  EXPECT_EQ(meeting_form_from_string("mixed"), MeetingForm::mixed);
  EXPECT_FALSE(meeting_form_from_string("электронная"));
  EXPECT_FALSE(meeting_form_from_string("очно"));
  EXPECT_FALSE(meeting_form_from_string(""));
  for (auto form : {MeetingForm::in_person, MeetingForm::absentee, MeetingForm::mixed}) {
    EXPECT_EQ(meeting_form_from_string(to_string(form)), form);
    EXPECT_EQ(meeting_form_from_string(russian_name(form)), form);
  }
  EXPECT_EQ(russian_name(MeetingForm::mixed), "очно-заочная");
}

}  // namespace
}  // namespace domovoy::housing::law
