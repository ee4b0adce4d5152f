// A month's bill: the volume of each service by reading, else by the average for three months,
// else by the norm (Decree 354 п. 42, 59, 60), amounts rounded half up to a kopeck, and the due
// date of ЖК РФ ст. 155 ч. 1.
#include "housing/law/billing.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace domovoy::housing::law {
namespace {

using std::chrono::year;
using std::chrono::year_month;
using std::chrono::year_month_day;

year_month month(int y, unsigned m) { return year_month{year{y}, std::chrono::month{m}}; }
year_month_day date(int y, unsigned m, unsigned d) {
  return year_month_day{year{y}, std::chrono::month{m}, std::chrono::day{d}};
}
PeriodReading reading(int y, unsigned m, std::int64_t thousandths) { return {month(y, m), Decimal{thousandths, 3}, {}}; }

// Two registered persons in 54,30 m².
const Occupancy kFlat{5430, 2};
// Cold water norm: 4,745 m³ per person per month.
const Norm kColdNorm{Decimal{4745, 3}, NormBasis::per_person};

// January's reading is the start; February to April have recorded consumption 10, 11 and 12 m³.
std::vector<PeriodReading> cold_history() {
  return {reading(2025, 1, 100000), reading(2025, 2, 110000), reading(2025, 3, 121000), reading(2025, 4, 133000)};
}

TEST(LawMeteredVolume, ReadingForThePeriod) {
  auto volume = metered_volume(cold_history(), month(2025, 4), kColdNorm, kFlat);
  EXPECT_EQ(volume.method, VolumeMethod::reading);
  EXPECT_EQ(volume.volume, (Decimal{12000, 3}));  // 133,000 - 121,000
  EXPECT_EQ(volume.recalculated_periods, 0);
}

TEST(LawMeteredVolume, ReadingThenAverageForThreeMonthsThenNorm) {
  auto history = cold_history();
  // May, June, July: 1, 2, 3 periods after April's reading -> the average of the recorded months
  // February..April: (10 + 11 + 12) / 3 = 11 m³.
  for (unsigned m : {5u, 6u, 7u}) {
    auto volume = metered_volume(history, month(2025, m), kColdNorm, kFlat);
    EXPECT_EQ(volume.method, VolumeMethod::average) << m;
    EXPECT_EQ(volume.volume, (Decimal{11000, 3})) << m;
    EXPECT_EQ(volume.periods_without_reading, static_cast<int>(m) - 4);
    EXPECT_EQ(volume.history_months, 3);
  }
  // August: the fourth period without a reading -> the norm, 4,745 × 2 persons = 9,490 m³.
  auto august = metered_volume(history, month(2025, 8), kColdNorm, kFlat);
  EXPECT_EQ(august.method, VolumeMethod::norm);
  EXPECT_EQ(august.volume, (Decimal{9490, 3}));
  EXPECT_EQ(august.periods_without_reading, 4);
}

TEST(LawMeteredVolume, AReadingAfterAGapDeductsWhatTheGapWasBilled) {
  auto history = cold_history();
  history.push_back(reading(2025, 9, 190000));
  // 190,000 - 133,000 = 57 m³ since April; May..July were billed 11 each by the average and
  // August 9,490 by the norm: 57 - 33 - 9,490 = 14,510 m³ for September.
  auto september = metered_volume(history, month(2025, 9), kColdNorm, kFlat);
  EXPECT_EQ(september.method, VolumeMethod::reading);
  EXPECT_EQ(*september.consumption_since_previous, (Decimal{57000, 3}));
  EXPECT_EQ(september.recalculated_periods, 4);
  EXPECT_EQ(september.volume, (Decimal{14510, 3}));
  // The months in the gap are billed the same whether or not September's reading exists yet.
  EXPECT_EQ(metered_volume(history, month(2025, 6), kColdNorm, kFlat).volume, (Decimal{11000, 3}));
}

TEST(LawMeteredVolume, AverageIsRoundedHalfUpToTheConfiguredDecimals) {
  // Recorded 10, 10 and 11 m³: 31 / 3 = 10,3333... -> 10,333.
  std::vector<PeriodReading> history{reading(2025, 1, 0), reading(2025, 2, 10000), reading(2025, 3, 20000),
                                     reading(2025, 4, 31000)};
  auto may = metered_volume(history, month(2025, 5), kColdNorm, kFlat);
  EXPECT_EQ(may.volume, (Decimal{10333, 3}));
  FallbackRules one_decimal;
  one_decimal.average_decimals = 1;
  EXPECT_EQ(metered_volume(history, month(2025, 5), kColdNorm, kFlat, one_decimal).volume, (Decimal{103, 1}));
}

TEST(LawMeteredVolume, AverageOfTheLastSixRecordedMonthsOnly) {
  // Jan..Sep: February and March recorded 100 m³ each (a leak, long fixed), April..September 6 each.
  std::vector<PeriodReading> history{reading(2025, 1, 0), reading(2025, 2, 100000), reading(2025, 3, 200000)};
  for (unsigned m = 4; m <= 9; ++m) history.push_back(reading(2025, m, 200000 + (m - 3) * 6000));
  auto october = metered_volume(history, month(2025, 10), kColdNorm, kFlat);
  EXPECT_EQ(october.method, VolumeMethod::average);
  EXPECT_EQ(october.history_months, 6);
  EXPECT_EQ(october.volume, (Decimal{6000, 3}));  // 36 / 6
}

TEST(LawMeteredVolume, GapsAreNotRecordedMonths) {
  // January, then March: March's 20 m³ cover two months and are no month's record. April has one.
  std::vector<PeriodReading> history{reading(2025, 1, 0), reading(2025, 3, 20000), reading(2025, 4, 27000)};
  auto may = metered_volume(history, month(2025, 5), kColdNorm, kFlat);
  EXPECT_EQ(may.method, VolumeMethod::average);
  EXPECT_EQ(may.history_months, 1);
  EXPECT_EQ(may.volume, (Decimal{7000, 3}));
}

TEST(LawMeteredVolume, NoHistoryMeansTheNorm) {
  // A meter read once, in January: January has nothing to subtract from and February no
  // recorded month to average.
  std::vector<PeriodReading> history{reading(2025, 1, 100000)};
  auto january = metered_volume(history, month(2025, 1), kColdNorm, kFlat);
  EXPECT_EQ(january.method, VolumeMethod::norm);
  EXPECT_EQ(january.periods_without_reading, 0);
  auto february = metered_volume(history, month(2025, 2), kColdNorm, kFlat);
  EXPECT_EQ(february.method, VolumeMethod::norm);
  EXPECT_EQ(february.periods_without_reading, 1);
  EXPECT_EQ(february.volume, (Decimal{9490, 3}));
  // And no meter readings at all.
  EXPECT_EQ(metered_volume({}, month(2025, 2), kColdNorm, kFlat).method, VolumeMethod::norm);
}

TEST(LawMeteredVolume, TheRulesAreData) {
  auto history = cold_history();
  FallbackRules strict;
  strict.average_months = 1;      // average for one period only
  strict.min_history_months = 4;  // and only with four recorded months, which this meter lacks
  EXPECT_EQ(metered_volume(history, month(2025, 5), kColdNorm, kFlat, strict).method, VolumeMethod::norm);
  strict.min_history_months = 3;
  EXPECT_EQ(metered_volume(history, month(2025, 5), kColdNorm, kFlat, strict).method, VolumeMethod::average);
  EXPECT_EQ(metered_volume(history, month(2025, 6), kColdNorm, kFlat, strict).method, VolumeMethod::norm);
}

TEST(LawMeteredVolume, ConsumptionAcrossAMeterReplacement) {
  // The old meter went from 100,000 to 104,500 and was replaced; the new one went from 0,000 to
  // 2,000: 4,5 + 2 = 6,5 m³.
  std::vector<PeriodReading> history{reading(2025, 1, 100000),
                                     {month(2025, 2), Decimal{2000, 3}, MeterReplacement{Decimal{1045, 1}, Decimal{0, 3}}}};
  auto february = metered_volume(history, month(2025, 2), kColdNorm, kFlat);
  EXPECT_EQ(february.method, VolumeMethod::reading);
  EXPECT_EQ(february.volume, (Decimal{6500, 3}));
}

TEST(LawMeteredVolume, NormPerSquareMetre) {
  // Heating norm 0,0203 Gcal per m²: 0,0203 × 54,30 = 1,102290 Gcal.
  Norm heat{Decimal{203, 4}, NormBasis::per_area};
  EXPECT_EQ(norm_volume(heat, kFlat), (Decimal{1102290, 6}));
}

TEST(LawMeteredVolume, RefusesReadingsOutOfOrder) {
  std::vector<PeriodReading> history{reading(2025, 2, 1000), reading(2025, 1, 0)};
  EXPECT_THROW(metered_volume(history, month(2025, 3), kColdNorm, kFlat), std::invalid_argument);
  std::vector<PeriodReading> twice{reading(2025, 1, 0), reading(2025, 1, 1000)};
  EXPECT_THROW(metered_volume(twice, month(2025, 3), kColdNorm, kFlat), std::invalid_argument);
}

TEST(LawBilling, AmountIsVolumeTimesTariffRoundedHalfUp) {
  EXPECT_EQ(amount_of(Decimal{25, 1}, 1001), 2503);          // 2,5 × 10,01 ₽ = 25,025 ₽ -> 25,03
  EXPECT_EQ(amount_of(Decimal{24999, 4}, 1001), 2502);       // 2,4999 × 1001 = 2502,3999
  EXPECT_EQ(amount_of(Decimal{1102290, 6}, 250000), 275573); // 1,10229 × 2500 ₽ = 2755,725 ₽
  EXPECT_EQ(amount_of(Decimal{-1451, 2}, 4567), -66267);     // a credit: -14,51 × 45,67 = -662,6717 ₽
}

TEST(LawBilling, DueOnTheTenthOfTheNextMonth) {
  EXPECT_EQ(due_date_of(month(2025, 4)), date(2025, 5, 10));
  EXPECT_EQ(due_date_of(month(2025, 12)), date(2026, 1, 10));
  EXPECT_EQ(due_date_of(month(2025, 1), BillingRules{25}), date(2025, 2, 25));
  EXPECT_EQ(due_date_of(month(2025, 1), BillingRules{31}), date(2025, 2, 28));  // past February's end
}

TEST(LawBilling, AMonthsBill) {
  BillInput input;
  input.period = month(2025, 5);
  input.occupancy = kFlat;
  input.services = {
      {"Содержание жилого помещения", "м²", 3250, ServiceBasis::per_area, MeterType::cold, {}},
      {"Холодное водоснабжение", "м³", 4567, ServiceBasis::metered, MeterType::cold, kColdNorm},
      {"Горячее водоснабжение", "м³", 24389, ServiceBasis::metered, MeterType::hot, Norm{Decimal{3, 0}}},
      {"Отопление", "Гкал", 250000, ServiceBasis::metered, MeterType::heat, Norm{Decimal{203, 4}, NormBasis::per_area}},
  };
  // Two cold meters (kitchen and bathroom), both read in May; one hot meter, last read in April.
  input.meters = {
      {MeterType::cold, "K-1", {reading(2025, 4, 50000), reading(2025, 5, 55250)}},
      {MeterType::cold, "B-2", {reading(2025, 4, 10000), reading(2025, 5, 12000)}},
      {MeterType::hot, "H-1", {reading(2025, 2, 0), reading(2025, 3, 3000), reading(2025, 4, 7000)}},
  };
  auto bill = make_bill(input);
  EXPECT_EQ(bill.period, month(2025, 5));
  EXPECT_EQ(bill.due_date, date(2025, 6, 10));
  ASSERT_EQ(bill.lines.size(), 4u);

  // 54,30 m² × 32,50 ₽ = 1 764,75 ₽
  EXPECT_EQ(bill.lines[0].method, VolumeMethod::area);
  EXPECT_EQ(bill.lines[0].volume, (Decimal{5430, 2}));
  EXPECT_EQ(bill.lines[0].amount_kopecks, 176475);

  // (55,250 - 50,000) + (12,000 - 10,000) = 7,250 m³ × 45,67 ₽ = 331,1075 ₽ -> 331,11
  EXPECT_EQ(bill.lines[1].method, VolumeMethod::reading);
  EXPECT_EQ(bill.lines[1].volume, (Decimal{7250, 3}));
  EXPECT_EQ(bill.lines[1].meters.size(), 2u);
  EXPECT_EQ(bill.lines[1].amount_kopecks, 33111);

  // No May reading: the average of March (3) and April (4) = 3,500 m³ × 243,89 ₽ = 853,615 ₽ -> 853,62
  EXPECT_EQ(bill.lines[2].method, VolumeMethod::average);
  EXPECT_EQ(bill.lines[2].volume, (Decimal{3500, 3}));
  EXPECT_EQ(bill.lines[2].amount_kopecks, 85362);

  // No heat meter: the norm per m², 1,102290 Gcal × 2 500 ₽ = 2 755,725 ₽ -> 2 755,73
  EXPECT_EQ(bill.lines[3].method, VolumeMethod::norm);
  EXPECT_TRUE(bill.lines[3].meters.empty());
  EXPECT_EQ(bill.lines[3].amount_kopecks, 275573);

  EXPECT_EQ(bill.total_kopecks, 176475 + 33111 + 85362 + 275573);
}

TEST(LawBilling, OneMeterOnTheNormPutsTheWholeServiceOnTheNorm) {
  BillInput input;
  input.period = month(2025, 9);
  input.occupancy = kFlat;
  input.services = {{"Холодное водоснабжение", "м³", 4567, ServiceBasis::metered, MeterType::cold, kColdNorm}};
  // The kitchen meter is read; the bathroom meter's last reading was in April (5 periods back).
  input.meters = {
      {MeterType::cold, "K-1", {reading(2025, 8, 50000), reading(2025, 9, 55000)}},
      {MeterType::cold, "B-2", {reading(2025, 3, 9000), reading(2025, 4, 10000)}},
  };
  auto bill = make_bill(input);
  ASSERT_EQ(bill.lines.size(), 1u);
  EXPECT_EQ(bill.lines[0].method, VolumeMethod::norm);
  EXPECT_EQ(bill.lines[0].volume, (Decimal{9490, 3}));    // once, not once per meter
  EXPECT_EQ(bill.lines[0].amount_kopecks, 43341);         // 9,490 × 45,67 ₽ = 433,4083 ₽
  EXPECT_EQ(bill.lines[0].meters[0].method, VolumeMethod::reading);
  EXPECT_EQ(bill.lines[0].meters[1].method, VolumeMethod::norm);
  EXPECT_EQ(to_string(bill.lines[0].method), "norm");
}

}  // namespace
}  // namespace domovoy::housing::law
