// Repair requests' categories (housing/bots/repairs/repairs_bot.hpp): emergencies by their words
// (leaks, heating, gas, a stuck lift, wiring, fire), everything else routine.
#include <gtest/gtest.h>

#include "housing/bots/repairs/repairs_bot.hpp"

namespace domovoy::housing {
namespace {

TEST(RepairCategory, EmergenciesByTheirWords) {
  for (const char* text : {"Прорвало трубу в подвале", "течёт с потолка в ванной", "Запах газа на 3 этаже", "застрял в лифте",
                           "нет отопления вторые сутки", "искрит розетка в подъезде", "Затопили соседи сверху",
                           "burst pipe in the basement", "gas smell", "lift stuck between floors"})
    EXPECT_EQ(repair_category(text), "emergency") << text;
}

TEST(RepairCategory, RoutineOtherwise) {
  for (const char* text : {"не горит лампа на 3 этаже", "сломан доводчик двери", "грязно на лестнице",
                           "the lamp on floor 3 is out", "течёт кран на кухне"})
    EXPECT_EQ(repair_category(text), "routine") << text;
}

TEST(RepairStatus, NamesInBothLanguages) {
  EXPECT_EQ(ticket_status_name("in_progress").ru, "в работе");
  EXPECT_EQ(ticket_status_name("in_progress").en, "in progress");
  EXPECT_EQ(ticket_status_name("rejected").ru, "отклонена");
}

}  // namespace
}  // namespace domovoy::housing
