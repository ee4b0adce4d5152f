#include "housing/bots/demo/demo_seed.hpp"

#include "housing/bots/formatting.hpp"
#include "housing/law/decimal_arithmetic.hpp"
#include "housing/law/meter_reading.hpp"
#include "housing/registry/iso_date.hpp"

namespace domovoy::housing {

namespace {
constexpr const char* kSeededKey = "housing_demo_seeded";

// A month's consumption by meter type, in the meter's thousandths, varying by apartment.
std::int64_t monthly_use(MeterType type, std::size_t apartment, int month) {
  auto spread = static_cast<std::int64_t>((apartment * 37 + static_cast<std::size_t>(month) * 11) % 100);
  switch (type) {
    case MeterType::cold: return 3500 + spread * 30;
    case MeterType::hot: return 2200 + spread * 20;
    case MeterType::power_day: return 120000 + spread * 1000;
    case MeterType::power_night: return 60000 + spread * 500;
    case MeterType::heat: return 800 + spread * 5;
    case MeterType::gas: return 9000 + spread * 40;
  }
  return 1000;
}
}  // namespace

std::chrono::year_month demo_billing_start(std::int64_t now_ms) {
  auto today = local_date(now_ms);
  return std::chrono::year_month{today.year(), today.month()} - std::chrono::months{3};
}

bool seed_demo(const Registry& registry, BotStore& store, BillingEngine& billing, std::int64_t now_ms) {
  auto& database = store.database();
  if (database.contains(storage::Table::meta, kSeededKey)) return false;
  auto today = local_date(now_ms);
  std::chrono::year_month current{today.year(), today.month()};
  auto first = demo_billing_start(now_ms);
  for (const auto& building : registry.buildings) {
    storage::WriteBatch batch;
    for (std::size_t a = 0; a < building.apartments.size(); ++a) {
      const auto& apartment = building.apartments[a];
      for (const auto& meter : apartment.meters) {
        if (!meter.reading) continue;
        // Readings of the three closed months, on the 22nd (in the window), from the registry's
        // value on; the third apartment of each building missed last month (billed by the average).
        auto value = law::rescale(*meter.reading, 3);
        for (int m = 0; m < 3; ++m) {
          auto month = first + std::chrono::months{m};
          value = law::add(value, Decimal{monthly_use(meter.type, a, m), 3});
          if (a == 2 && m == 2) continue;
          std::chrono::year_month_day day{month.year(), month.month(), std::chrono::day{22}};
          StoredReading reading{local_midnight_ms(day) + 10 * 3600 * 1000, value, month, true, {}};
          MeterStore::stage_reading(batch, building.id, apartment.number, meter, reading);
        }
      }
    }
    database.write(std::move(batch));
    // The bills of those months, from the readings just written; the first month's paid.
    storage::WriteBatch bills;
    std::size_t paid = 0;
    for (const auto& apartment : building.apartments) {
      auto issued = billing.issue_closed(building, apartment, first, now_ms, bills);
      if (!issued.empty() && paid++ % 2 == 0) {
        PaymentRecord payment;
        payment.id = "P-" + std::to_string(store.next_number(bills, "payment"));
        payment.account = issued.front().account;
        payment.kopecks = issued.front().total_kopecks;
        payment.status = "succeeded";
        auto due = issued.front().due_date;
        payment.created_at = payment.settled_at = local_midnight_ms(due) - 2 * 86400000LL;
        payment.provider_reference = "sandbox-demo";
        BillingStore::stage_payment(bills, payment);
      }
      database.write(std::move(bills));
      bills = storage::WriteBatch();
    }
    // What the operator publishes: the capital-repair plan and an outage.
    storage::WriteBatch notices;
    NoticeStore::stage_capital_repair(notices, building.id, now_ms,
                                      CapitalRepairPlan{{{"Ремонт крыши", static_cast<int>(today.year()) + 1},
                                                         {"Замена лифтового оборудования", static_cast<int>(today.year()) + 2},
                                                         {"Ремонт фасада", static_cast<int>(today.year()) + 4}},
                                                        1843250000,
                                                        "специальный счёт ТСЖ"});
    auto outage_day = std::chrono::sys_days(today) + std::chrono::days(5);
    NoticeStore::stage_outage(notices, building.id, now_ms,
                              Outage{"горячая вода", local_midnight_ms(std::chrono::year_month_day{outage_day}) + 9 * 3600000LL,
                                     local_midnight_ms(std::chrono::year_month_day{outage_day}) + 18 * 3600000LL,
                                     "Плановые работы ГУП «ТЭК СПб» на теплосети", "demo"});
    database.write(std::move(notices));
  }
  // One meeting open for voting in the first building, called by the management company.
  if (!registry.buildings.empty()) {
    const auto& building = registry.buildings.front();
    storage::WriteBatch batch;
    Meeting meeting;
    meeting.number = store.next_number(batch, "meeting");
    meeting.building_id = building.id;
    meeting.form = "mixed";
    meeting.start = format_iso_date(std::chrono::year_month_day{std::chrono::sys_days(today) - std::chrono::days(1)});
    meeting.end = format_iso_date(std::chrono::year_month_day{std::chrono::sys_days(today) + std::chrono::days(13)});
    meeting.questions = {{"Избрать совет многоквартирного дома", "participants_majority"},
                         {"Провести капитальный ремонт крыши за счёт средств специального счёта", "all_votes_two_thirds"}};
    const auto* company = registry.find_management_company(building.management_company);
    meeting.initiator = company && !company->staff.empty() ? company->staff.front() : "";
    meeting.initiated_by = "company";
    meeting.status = "announced";
    meeting.created_at = meeting.notice_at = now_ms - 12 * 86400000LL;
    meeting.state_system_id = "GIS-SANDBOX-" + building.id.substr(0, 8) + "-" + std::to_string(meeting.number);
    MeetingStore::stage(batch, meeting);
    batch.put(storage::Table::meta, kSeededKey, "1");
    database.write(std::move(batch));
  }
  (void)current;
  return true;
}

}  // namespace domovoy::housing
