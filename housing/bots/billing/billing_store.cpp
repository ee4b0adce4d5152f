#include "housing/bots/billing/billing_store.hpp"

#include "homeserver/core/json.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/registry/iso_date.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

std::string month_key(std::chrono::year_month month) { return format_month_key(month); }

std::optional<std::chrono::year_month> parse_month_key(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int year = 0, month = 0;
  for (int i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    year = year * 10 + (text[i] - '0');
  }
  for (int i = 5; i < 7; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    month = month * 10 + (text[i] - '0');
  }
  if (month < 1 || month > 12 || year < 1900) return std::nullopt;
  return std::chrono::year_month{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)}};
}

namespace {

json::object bill_record(const IssuedBill& bill) {
  json::array lines;
  for (const auto& line : bill.lines)
    lines.push_back(json::object{{"service", line.service}, {"unit", line.unit},       {"method", line.method},
                                 {"tariff_kopecks", line.tariff_kopecks}, {"volume", line.volume},
                                 {"amount_kopecks", line.amount_kopecks}});
  return {{"account", bill.account},         {"period", month_key(bill.period)}, {"building_id", bill.building_id},
          {"apartment", bill.apartment},     {"lines", std::move(lines)},        {"total_kopecks", bill.total_kopecks},
          {"due_date", format_iso_date(bill.due_date)}, {"issued_at", bill.issued_at}};
}

IssuedBill parse_bill(std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  IssuedBill bill;
  bill.account = optional_string(record, "account").value_or("");
  bill.period = parse_month_key(optional_string(record, "period").value_or("")).value_or(std::chrono::year_month{});
  bill.building_id = optional_string(record, "building_id").value_or("");
  bill.apartment = optional_string(record, "apartment").value_or("");
  bill.total_kopecks = optional_int(record, "total_kopecks").value_or(0);
  bill.due_date = parse_iso_date(optional_string(record, "due_date").value_or("")).value_or(std::chrono::year_month_day{});
  bill.issued_at = optional_int(record, "issued_at").value_or(0);
  if (const auto* lines = record.if_contains("lines"); lines && lines->is_array())
    for (const auto& entry : lines->as_array()) {
      const auto& line = entry.as_object();
      bill.lines.push_back({optional_string(line, "service").value_or(""), optional_string(line, "unit").value_or(""),
                            optional_string(line, "method").value_or(""), optional_int(line, "tariff_kopecks").value_or(0),
                            optional_string(line, "volume").value_or(""), optional_int(line, "amount_kopecks").value_or(0)});
    }
  return bill;
}

json::object payment_record(const PaymentRecord& payment) {
  return {{"id", payment.id},           {"account", payment.account},       {"user_id", payment.user_id},
          {"kopecks", payment.kopecks}, {"status", payment.status},         {"created_at", payment.created_at},
          {"settled_at", payment.settled_at}, {"provider_reference", payment.provider_reference}, {"reason", payment.reason}};
}

PaymentRecord parse_payment(std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  return {optional_string(record, "id").value_or(""),      optional_string(record, "account").value_or(""),
          optional_string(record, "user_id").value_or(""), optional_int(record, "kopecks").value_or(0),
          optional_string(record, "status").value_or(""),  optional_int(record, "created_at").value_or(0),
          optional_int(record, "settled_at").value_or(0),  optional_string(record, "provider_reference").value_or(""),
          optional_string(record, "reason").value_or("")};
}

}  // namespace

std::optional<IssuedBill> BillingStore::bill(const std::string& account, std::chrono::year_month period) const {
  auto stored = database_.get(Table::accountperiod_bill, storage::join_key({account, month_key(period)}));
  if (!stored) return std::nullopt;
  return parse_bill(*stored);
}

std::vector<IssuedBill> BillingStore::bills(const std::string& account) const {
  std::vector<IssuedBill> bills;
  database_.scan_prefix(Table::accountperiod_bill, storage::key_prefix({account}), [&](std::string_view, std::string_view value) {
    bills.push_back(parse_bill(value));
    return true;
  });
  return bills;
}

void BillingStore::stage_bill(storage::WriteBatch& batch, const IssuedBill& bill) {
  batch.put(Table::accountperiod_bill, storage::join_key({bill.account, month_key(bill.period)}), to_json(bill_record(bill)));
}

// payment_payment holds three kinds of key: "acct\0<account>\0<id>" -> the payment,
// "id\0<id>" -> its account, and "pending\0<id>" -> "" while the provider has not settled it.
std::optional<PaymentRecord> BillingStore::payment(const std::string& id) const {
  auto account = database_.get(Table::payment_payment, storage::join_key({"id", id}));
  if (!account) return std::nullopt;
  auto stored = database_.get(Table::payment_payment, storage::join_key({"acct", *account, id}));
  if (!stored) return std::nullopt;
  return parse_payment(*stored);
}

std::vector<PaymentRecord> BillingStore::payments(const std::string& account) const {
  std::vector<PaymentRecord> found;
  database_.scan_prefix(Table::payment_payment, storage::key_prefix({"acct", account}), [&](std::string_view, std::string_view value) {
    found.push_back(parse_payment(value));
    return true;
  });
  return found;
}

std::vector<PaymentRecord> BillingStore::pending_payments() const {
  std::vector<PaymentRecord> found;
  database_.scan_prefix(Table::payment_payment, storage::key_prefix({"pending"}), [&](std::string_view key, std::string_view) {
    if (auto payment = this->payment(std::string(key.substr(std::string_view("pending").size() + 1))))
      found.push_back(std::move(*payment));
    return true;
  });
  return found;
}

void BillingStore::stage_payment(storage::WriteBatch& batch, const PaymentRecord& payment) {
  batch.put(Table::payment_payment, storage::join_key({"acct", payment.account, payment.id}), to_json(payment_record(payment)));
  batch.put(Table::payment_payment, storage::join_key({"id", payment.id}), payment.account);
  if (payment.status == "pending") batch.put(Table::payment_payment, storage::join_key({"pending", payment.id}), "");
  else batch.remove(Table::payment_payment, storage::join_key({"pending", payment.id}));
}

}  // namespace domovoy::housing
