// The meeting protocol (housing/bots/meetings/meeting_protocol.hpp) renders what the tally says:
// quorum, each question's weights and shares, the decision, the participants.
#include <gtest/gtest.h>

#include "housing/bots/meetings/meeting_protocol.hpp"

namespace domovoy::housing {
namespace {

Building building_of_three() {
  Building building;
  building.id = "b";
  building.address = "г. Санкт-Петербург, ул. Ленина, д. 5";
  for (auto [number, area] : {std::pair{"1", 5000}, std::pair{"2", 3000}, std::pair{"3", 2000}}) {
    Apartment apartment;
    apartment.number = number;
    apartment.area_hundredths = area;
    apartment.owners.push_back({"owner", Rational(1)});
    building.apartments.push_back(apartment);
  }
  return building;
}

TEST(MeetingProtocol, QuorumAndAQuestionThatFailsTwoThirds) {
  auto building = building_of_three();
  Meeting meeting;
  meeting.number = 7;
  meeting.form = "mixed";
  meeting.start = "2027-01-10";
  meeting.end = "2027-01-20";
  meeting.initiated_by = "company";
  meeting.initiator = "@uk:x";
  meeting.questions = {{"Совет дома", "participants_majority"}, {"Крыша", "all_votes_two_thirds"}};
  // Apartments 1 and 2 vote (80 of 100 m²): both "for" the first question; on the second only
  // apartment 1 (50 m², less than two thirds of all votes).
  law::MeetingTally tally;
  tally.total_votes = law::building_votes(building);
  tally.questions = {{"Совет дома", law::Threshold::participants_majority}, {"Крыша", law::Threshold::all_votes_two_thirds}};
  tally.ballots = {{"1#0", law::owner_votes(building.apartments[0], 0), {law::Choice::yes, law::Choice::yes}},
                   {"2#0", law::owner_votes(building.apartments[1], 0), {law::Choice::yes, law::Choice::no}}};
  auto result = law::tally(tally);
  std::vector<ProtocolParticipant> participants{{"1", 0, law::owner_votes(building.apartments[0], 0), "paper"},
                                                {"2", 0, law::owner_votes(building.apartments[1], 0), "bot"}};
  auto protocol = render_protocol(meeting, building, result, participants, "ГИС ЖКХ (песочница)", true);
  EXPECT_NE(protocol.plain.find("ПРОТОКОЛ № 7\n"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("Общее число голосов собственников: 100,00\u00a0м²"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("Приняли участие: 80,00\u00a0м² (80,00\u00a0%)"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("Кворум имеется"), std::string::npos);
  auto first = protocol.plain.find("1. Совет дома");
  auto second = protocol.plain.find("2. Крыша");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_NE(protocol.plain.substr(first, second - first).find("Решение: ПРИНЯТО"), std::string::npos);
  // The two-thirds question's shares are of all votes: 50 % for, 30 % against.
  auto tail = protocol.plain.substr(second);
  EXPECT_NE(tail.find("За: 50,00\u00a0м² (50,00\u00a0%)"), std::string::npos) << tail;
  EXPECT_NE(tail.find("против: 30,00\u00a0м² (30,00\u00a0%)"), std::string::npos) << tail;
  EXPECT_NE(tail.find("Решение: НЕ ПРИНЯТО"), std::string::npos);
  EXPECT_NE(protocol.plain.find("кв. 1 (собственник 1): 50,00\u00a0м², бюллетень"), std::string::npos);
  EXPECT_NE(protocol.html.find("<table>"), std::string::npos);
  EXPECT_EQ(protocol.plain.find("owner"), std::string::npos) << "no owner's name in the protocol";
}

TEST(MeetingProtocol, WithoutQuorumNothingIsDecided) {
  auto building = building_of_three();
  Meeting meeting;
  meeting.number = 8;
  meeting.form = "absentee";
  meeting.questions = {{"Шлагбаум", "participants_majority"}};
  law::MeetingTally tally;
  tally.total_votes = law::building_votes(building);
  tally.questions = {{"Шлагбаум", law::Threshold::participants_majority}};
  tally.ballots = {{"1#0", law::owner_votes(building.apartments[0], 0), {law::Choice::yes}}};  // exactly 50 %
  auto protocol = render_protocol(meeting, building, law::tally(tally), {}, "x", true);
  EXPECT_NE(protocol.plain.find("Кворум отсутствует"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("Решение: НЕ ПРИНЯТО"), std::string::npos);
  EXPECT_NE(protocol.plain.find("заочная"), std::string::npos);
}

TEST(MeetingProtocol, AMeetingNobodyVotedInStillHasAProtocol) {
  auto building = building_of_three();
  Meeting meeting;
  meeting.number = 9;
  meeting.form = "mixed";
  meeting.questions = {{"Совет", "participants_majority"}, {"Крыша", "all_votes_two_thirds"}};
  law::MeetingTally tally;
  tally.total_votes = law::building_votes(building);
  tally.questions = {{"Совет", law::Threshold::participants_majority}, {"Крыша", law::Threshold::all_votes_two_thirds}};
  auto protocol = render_protocol(meeting, building, law::tally(tally), {}, "x", true);
  EXPECT_NE(protocol.plain.find("Приняли участие: 0,00\u00a0м² (0,00\u00a0%)"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("За: 0,00\u00a0м² (—)"), std::string::npos) << protocol.plain;
  EXPECT_NE(protocol.plain.find("Кворум отсутствует"), std::string::npos);
}

TEST(MeetingProtocol, SquareMetresAsRussiansWriteThem) {
  EXPECT_EQ(format_square_metres(law::Exact(123456)), "1\u00a0234,56\u00a0м²");
  EXPECT_EQ(format_square_metres(law::Exact(1) / 3), "0,00\u00a0м²");
}

}  // namespace
}  // namespace domovoy::housing
