#include "housing/bots/billing/billing_engine.hpp"

#include <algorithm>
#include <map>

#include "housing/bots/formatting.hpp"

namespace domovoy::housing {

std::string BillingEngine::account_of(const Building& building, const Apartment& apartment) {
  return apartment.account ? *apartment.account : building.id + "/" + apartment.number;
}

IssuedBill BillingEngine::build(const Building& building, const Apartment& apartment, std::chrono::year_month period,
                                std::int64_t now_ms) const {
  law::BillInput input;
  input.period = period;
  input.occupancy.area_hundredths = apartment.area_hundredths;
  input.occupancy.persons = setup_.persons_per_apartment > 0 ? setup_.persons_per_apartment
                                                             : static_cast<int>(std::max<std::size_t>(1, apartment.owners.size()));
  input.services = setup_.services;
  for (const auto& meter : apartment.meters) {
    law::MeterHistory history;
    history.type = meter.type;
    history.serial = meter.serial;
    // One reading per period, the last one sent for it; none after the billed period.
    std::map<std::chrono::year_month, Decimal> by_period;
    for (const auto& reading : meters_.readings(building.id, apartment.number, meter))
      if (reading.period <= period) by_period[reading.period] = reading.value;
    for (const auto& [month, value] : by_period) history.readings.push_back({month, value, std::nullopt});
    input.meters.push_back(std::move(history));
  }
  auto bill = law::make_bill(input, setup_.billing, setup_.fallback);
  IssuedBill issued;
  issued.account = account_of(building, apartment);
  issued.period = period;
  issued.building_id = building.id;
  issued.apartment = apartment.number;
  issued.total_kopecks = bill.total_kopecks;
  issued.due_date = bill.due_date;
  issued.issued_at = now_ms;
  for (const auto& line : bill.lines)
    issued.lines.push_back({line.service, line.unit, std::string(law::to_string(line.method)), line.tariff_kopecks,
                            line.volume.to_string(), line.amount_kopecks});
  return issued;
}

IssuedBill BillingEngine::issue(const Building& building, const Apartment& apartment, std::chrono::year_month period,
                                std::int64_t now_ms, storage::WriteBatch& batch) const {
  if (auto stored = bills_.bill(account_of(building, apartment), period)) return *stored;
  auto bill = build(building, apartment, period, now_ms);
  BillingStore::stage_bill(batch, bill);
  return bill;
}

std::vector<IssuedBill> BillingEngine::issue_closed(const Building& building, const Apartment& apartment,
                                                   std::chrono::year_month first, std::int64_t now_ms,
                                                   storage::WriteBatch& batch) const {
  std::vector<IssuedBill> staged;
  auto today = local_date(now_ms);
  std::chrono::year_month current{today.year(), today.month()};
  auto account = account_of(building, apartment);
  for (auto period = first; period < current; period += std::chrono::months{1}) {
    if (bills_.bill(account, period)) continue;
    staged.push_back(build(building, apartment, period, now_ms));
    BillingStore::stage_bill(batch, staged.back());
  }
  return staged;
}

AccountBalance BillingEngine::balance(const std::string& account, std::chrono::year_month_day today,
                                      const std::vector<IssuedBill>& unsaved) const {
  AccountBalance balance;
  auto bills = bills_.bills(account);
  for (const auto& bill : unsaved)
    if (bill.account == account &&
        std::none_of(bills.begin(), bills.end(), [&](const IssuedBill& stored) { return stored.period == bill.period; }))
      bills.push_back(bill);
  std::sort(bills.begin(), bills.end(), [](const IssuedBill& a, const IssuedBill& b) { return a.period < b.period; });
  std::vector<law::Payment> paid;
  for (const auto& payment : bills_.payments(account)) {
    if (payment.status == "pending") balance.pending_kopecks += payment.kopecks;
    if (payment.status != "succeeded") continue;
    paid.push_back({local_date(payment.settled_at), payment.kopecks});
    balance.paid_kopecks += payment.kopecks;
  }
  std::sort(paid.begin(), paid.end(), [](const law::Payment& a, const law::Payment& b) { return a.date < b.date; });
  // Oldest bill first: split each payment over the bills it covers.
  std::size_t next = 0;
  std::int64_t left_of_next = paid.empty() ? 0 : paid[0].kopecks;
  for (const auto& bill : bills) {
    balance.billed_kopecks += bill.total_kopecks;
    std::vector<law::Payment> applied;
    std::int64_t owed = bill.total_kopecks;
    while (owed > 0 && next < paid.size()) {
      auto part = std::min(owed, left_of_next);
      if (part > 0) applied.push_back({paid[next].date, part});
      owed -= part;
      left_of_next -= part;
      if (left_of_next == 0 && ++next < paid.size()) left_of_next = paid[next].kopecks;
    }
    BillDebt debt{bill, owed, law::penalty(bill.total_kopecks, bill.due_date, applied, today, setup_.key_rates, setup_.penalty)};
    balance.outstanding_kopecks += owed;
    balance.penalty_kopecks += debt.penalty.kopecks;
    balance.bills.push_back(std::move(debt));
  }
  // What was paid beyond the bills goes to the penalties.
  std::int64_t extra = left_of_next;
  for (auto i = next + 1; i < paid.size(); ++i) extra += paid[i].kopecks;
  if (next >= paid.size()) extra = 0;
  balance.penalty_kopecks = std::max<std::int64_t>(0, balance.penalty_kopecks - extra);
  return balance;
}

}  // namespace domovoy::housing
