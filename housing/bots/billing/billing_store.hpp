#pragma once
// Bills and payments (tables accountperiod_bill and payment_payment). A month's bill is built
// once its period has closed and kept as it was issued, so a later reading never changes a bill
// already sent; payments move through the provider's states and are never a bare "paid" flag.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace domovoy::housing {

struct IssuedLine {
  std::string service, unit, method;  // method: reading | average | norm | area
  std::int64_t tariff_kopecks = 0;
  std::string volume;                 // exact decimal text, "4.500"
  std::int64_t amount_kopecks = 0;
};

struct IssuedBill {
  std::string account;
  std::chrono::year_month period;
  std::string building_id, apartment;
  std::vector<IssuedLine> lines;
  std::int64_t total_kopecks = 0;
  std::chrono::year_month_day due_date;
  std::int64_t issued_at = 0;
};

struct PaymentRecord {
  std::string id;  // "P-<n>"
  std::string account;
  std::string user_id;
  std::int64_t kopecks = 0;
  std::string status;  // pending | succeeded | failed | refunded
  std::int64_t created_at = 0;
  std::int64_t settled_at = 0;  // when it succeeded (the day it counts for the penalty)
  std::string provider_reference;
  std::string reason;  // why it failed
};

class BillingStore {
 public:
  explicit BillingStore(storage::Database& database) : database_(database) {}

  std::optional<IssuedBill> bill(const std::string& account, std::chrono::year_month period) const;
  std::vector<IssuedBill> bills(const std::string& account) const;  // ascending periods
  static void stage_bill(storage::WriteBatch& batch, const IssuedBill& bill);

  std::optional<PaymentRecord> payment(const std::string& id) const;
  std::vector<PaymentRecord> payments(const std::string& account) const;
  std::vector<PaymentRecord> pending_payments() const;
  static void stage_payment(storage::WriteBatch& batch, const PaymentRecord& payment);

 private:
  storage::Database& database_;
};

std::string month_key(std::chrono::year_month month);  // "2026-11"
std::optional<std::chrono::year_month> parse_month_key(std::string_view text);

}  // namespace domovoy::housing
