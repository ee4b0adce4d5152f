#pragma once
// The month's bill of an apartment and what its account owes, from the registry (area, owners,
// meters), the readings residents sent (MeterStore) and the tariffs: the law of housing/law/
// (make_bill, penalty) applied to this process's data. Shared by the billing bot, the monthly
// issue and the benchmark.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "housing/bots/billing/billing_store.hpp"
#include "housing/bots/meters/meter_store.hpp"
#include "housing/law/billing.hpp"
#include "housing/law/penalty.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

struct BillingSetup {
  std::vector<law::Service> services;
  law::BillingRules billing;
  law::FallbackRules fallback;
  law::KeyRateTimeline key_rates;
  law::PenaltyRules penalty;
  int persons_per_apartment = 0;  // 0: the number of owners (Decree 354 п. 56(2))
};

struct BillDebt {
  IssuedBill bill;
  std::int64_t outstanding_kopecks = 0;
  law::PenaltyResult penalty;
};

struct AccountBalance {
  std::vector<BillDebt> bills;          // ascending periods
  std::int64_t billed_kopecks = 0;
  std::int64_t paid_kopecks = 0;        // succeeded payments, refunds taken back
  std::int64_t outstanding_kopecks = 0; // of the bills
  std::int64_t penalty_kopecks = 0;
  std::int64_t pending_kopecks = 0;     // payments not settled yet
  std::int64_t due_kopecks() const { return outstanding_kopecks + penalty_kopecks; }
};

class BillingEngine {
 public:
  BillingEngine(BillingStore& bills, MeterStore& meters, BillingSetup setup)
      : bills_(bills), meters_(meters), setup_(std::move(setup)) {}

  const BillingSetup& setup() const { return setup_; }
  // The personal account, or "<building>/<apartment>" when the registry has none.
  static std::string account_of(const Building& building, const Apartment& apartment);

  // The bill of `period` from the data as it is now (not stored).
  IssuedBill build(const Building& building, const Apartment& apartment, std::chrono::year_month period,
                   std::int64_t now_ms) const;
  // The issued bill of a closed period, issuing (staging) it the first time.
  IssuedBill issue(const Building& building, const Apartment& apartment, std::chrono::year_month period,
                   std::int64_t now_ms, storage::WriteBatch& batch) const;

  // Payments go to the oldest bill first; each bill's penalty runs on what of it is unpaid.
  // `unsaved`: bills issued in a batch not written yet, counted as if stored.
  AccountBalance balance(const std::string& account, std::chrono::year_month_day today,
                         const std::vector<IssuedBill>& unsaved = {}) const;
  // Issues every closed period's bill from `first` to the month before `today`'s; returns those
  // it staged (not stored before).
  std::vector<IssuedBill> issue_closed(const Building& building, const Apartment& apartment, std::chrono::year_month first,
                                       std::int64_t now_ms, storage::WriteBatch& batch) const;

 private:
  BillingStore& bills_;
  MeterStore& meters_;
  BillingSetup setup_;
};

}  // namespace domovoy::housing
