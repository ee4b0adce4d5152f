// The billing engine on a real database (housing/bots/billing/billing_engine.hpp): a bill from
// the readings residents sent, by reading, by the average when a month is missing, by the norm
// without a meter; payments go to the oldest bill first; a bill once issued stays as issued.
#include <gtest/gtest.h>

#include "homeserver/tests/test_support.hpp"
#include "housing/bots/billing/billing_engine.hpp"
#include "housing/bots/formatting.hpp"
#include "storage/database.hpp"

namespace domovoy::housing {
namespace {

using std::chrono::year;
using std::chrono::year_month;
using std::chrono::year_month_day;
using std::chrono::month;
using std::chrono::day;

law::Service service(std::string name, std::int64_t kopecks, std::optional<MeterType> meter, Decimal norm = {}) {
  law::Service result;
  result.name = std::move(name);
  result.unit = "м³";
  result.tariff_kopecks = kopecks;
  result.basis = meter ? law::ServiceBasis::metered : law::ServiceBasis::per_area;
  if (meter) result.meter = *meter;
  result.norm.volume = norm;
  return result;
}

class BillingEngineTest : public ::testing::Test {
 protected:
  BillingEngineTest()
      : database(storage::Database::open({dir.str("db"), false, 8})), bills(*database), meters(*database),
        engine(bills, meters, setup()) {
    building.id = "b";
    apartment.number = "7";
    apartment.area_hundredths = 5000;  // 50 m²
    apartment.account = "780000000007";
    apartment.owners.push_back({"owner", Rational(1)});
    Meter cold;
    cold.type = MeterType::cold;
    cold.serial = "ХВ-1";
    apartment.meters.push_back(cold);
    building.apartments.push_back(apartment);
  }

  static BillingSetup setup() {
    BillingSetup setup;
    setup.services = {service("Содержание", 4000, std::nullopt),                               // 40,00 ₽ per m²
                      service("ХВС", 5000, MeterType::cold, Decimal{49, 1}),                   // 50,00 ₽ per m³, norm 4,9
                      service("ГВС", 20000, MeterType::hot, Decimal{36, 1})};                  // no hot meter: the norm
    setup.key_rates = {{year_month_day{year{2025}, month{1}, day{1}}, 1650}};
    return setup;
  }

  void reading(int y, unsigned m, std::int64_t thousandths) {
    year_month_day date{year{y}, month{m}, day{22}};
    StoredReading stored{local_midnight_ms(date) + 3600000, Decimal{thousandths, 3}, year_month{year{y}, month{m}}, true, "@r:x"};
    storage::WriteBatch batch;
    MeterStore::stage_reading(batch, building.id, apartment.number, apartment.meters[0], stored);
    database->write(std::move(batch));
  }

  static std::int64_t ms(int y, unsigned m, unsigned d) { return local_midnight_ms(year_month_day{year{y}, month{m}, day{d}}) + 12 * 3600000; }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  BillingStore bills;
  MeterStore meters;
  BillingEngine engine;
  Building building;
  Apartment apartment;
};

TEST_F(BillingEngineTest, ReadingThenAverageThenNormWithoutAMeter) {
  reading(2026, 9, 100000);   // 100,000 m³: the first reading only starts the count
  reading(2026, 10, 106000);  // October: 6,000 m³
  auto october = engine.build(building, building.apartments[0], year_month{year{2026}, month{10}}, ms(2026, 11, 1));
  ASSERT_EQ(october.lines.size(), 3u);
  EXPECT_EQ(october.lines[0].method, "area");
  EXPECT_EQ(october.lines[0].amount_kopecks, 200000);  // 50 m² × 40,00
  EXPECT_EQ(october.lines[1].method, "reading");
  EXPECT_EQ(october.lines[1].volume, "6.000");
  EXPECT_EQ(october.lines[1].amount_kopecks, 30000);  // 6 × 50,00
  EXPECT_EQ(october.lines[2].method, "norm");          // no hot meter
  EXPECT_EQ(october.lines[2].amount_kopecks, 72000);   // 3,6 × 1 person × 200,00
  EXPECT_EQ(october.total_kopecks, 302000);
  EXPECT_EQ(october.due_date, (year_month_day{year{2026}, month{11}, day{10}}));
  // November has no reading: the average of the recorded months (October's 6 m³).
  auto november = engine.build(building, building.apartments[0], year_month{year{2026}, month{11}}, ms(2026, 12, 1));
  EXPECT_EQ(november.lines[1].method, "average");
  EXPECT_EQ(november.lines[1].amount_kopecks, 30000);
}

TEST_F(BillingEngineTest, AnIssuedBillStaysAsIssued) {
  reading(2026, 9, 100000);
  reading(2026, 10, 106000);
  storage::WriteBatch batch;
  auto issued = engine.issue(building, building.apartments[0], year_month{year{2026}, month{10}}, ms(2026, 11, 1), batch);
  database->write(std::move(batch));
  reading(2026, 10, 109000);  // a later reading for October (sent after the bill was issued)
  storage::WriteBatch again;
  auto second = engine.issue(building, building.apartments[0], year_month{year{2026}, month{10}}, ms(2026, 11, 2), again);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(second.total_kopecks, issued.total_kopecks);
}

TEST_F(BillingEngineTest, PaymentsGoToTheOldestBillAndPenaltiesRunOnWhatIsUnpaid) {
  storage::WriteBatch batch;
  auto staged = engine.issue_closed(building, building.apartments[0], year_month{year{2026}, month{9}}, ms(2026, 11, 15), batch);
  ASSERT_EQ(staged.size(), 2u);  // September and October
  database->write(std::move(batch));
  auto september = staged[0].total_kopecks;
  PaymentRecord paid{"P-1", "780000000007", "@r:x", september + 100, "succeeded", ms(2026, 10, 5), ms(2026, 10, 5), "ref", {}};
  PaymentRecord failed{"P-2", "780000000007", "@r:x", 999999, "failed", ms(2026, 10, 6), 0, "ref", "declined"};
  PaymentRecord pending{"P-3", "780000000007", "@r:x", 500, "pending", ms(2026, 10, 7), 0, "", {}};
  storage::WriteBatch payments;
  for (const auto& payment : {paid, failed, pending}) BillingStore::stage_payment(payments, payment);
  database->write(std::move(payments));
  // 2026-12-20: September's bill is paid in time; October's (due 10 November) is 40 days late
  // less the 100 kopecks paid ahead: days 31..40 at 1/300 of 16.5 %.
  auto balance = engine.balance("780000000007", year_month_day{year{2026}, month{12}, day{20}});
  ASSERT_EQ(balance.bills.size(), 2u);
  EXPECT_EQ(balance.bills[0].outstanding_kopecks, 0);
  EXPECT_EQ(balance.bills[0].penalty.kopecks, 0);
  auto october_debt = staged[1].total_kopecks - 100;
  EXPECT_EQ(balance.bills[1].outstanding_kopecks, october_debt);
  auto expected = (october_debt * 1650 * 10 + 1500000) / 3000000;  // debt × 16.5 % / 300 × 10 days, half up
  EXPECT_EQ(balance.penalty_kopecks, expected);
  EXPECT_EQ(balance.paid_kopecks, september + 100);
  EXPECT_EQ(balance.pending_kopecks, 500);
  EXPECT_EQ(balance.due_kopecks(), october_debt + expected);
  EXPECT_EQ(bills.pending_payments().size(), 1u);
  EXPECT_EQ(bills.payment("P-2")->status, "failed");
}

}  // namespace
}  // namespace domovoy::housing
