// Dates as the registry writes them.
#include <gtest/gtest.h>

#include "housing/registry/iso_date.hpp"

namespace domovoy::housing {
namespace {

using namespace std::chrono;

TEST(IsoDate, ReadsRealDates) {
  EXPECT_EQ(parse_iso_date("2029-05-01"), year(2029) / 5 / 1);
  EXPECT_EQ(parse_iso_date("2028-02-29"), year(2028) / 2 / 29);
  EXPECT_EQ(parse_iso_date("1900-01-01"), year(1900) / 1 / 1);
  EXPECT_EQ(parse_iso_date("2199-12-31"), year(2199) / 12 / 31);
}

TEST(IsoDate, RejectsEverythingElse) {
  for (const char* bad : {"", "2029-02-29", "2029-04-31", "2029-13-01", "2029-00-10", "2029-05-00", "01.05.2029",
                          "2029-5-1", "2029/05/01", "2029-05-01T00:00", " 2029-05-01", "1899-12-31", "2200-01-01",
                          "２０２９-05-01", "+029-05-01"})
    EXPECT_FALSE(parse_iso_date(bad)) << bad;
}

TEST(IsoDate, WritesYearMonthDay) {
  EXPECT_EQ(format_iso_date(year(2029) / 5 / 1), "2029-05-01");
  EXPECT_EQ(format_iso_date(year(1900) / 12 / 31), "1900-12-31");
}

}  // namespace
}  // namespace domovoy::housing
