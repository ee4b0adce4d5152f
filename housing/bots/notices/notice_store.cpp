#include "housing/bots/notices/notice_store.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/time_format.hpp"
#include "housing/registry/iso_date.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

namespace {
constexpr const char* kCapitalRepair = "capital_repair";
constexpr const char* kOutage = "outage";
constexpr const char* kUtilityBill = "utility_bill";

std::int64_t required_time(const json::object& body, const char* key) {
  auto text = required_string(body, key);
  auto parsed = parse_iso8601(text);
  if (!parsed) throw invalid_param(std::string(key) + " must be an ISO 8601 time such as 2026-12-20T10:00:00Z");
  return *parsed;
}
}  // namespace

void NoticeStore::stage_capital_repair(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                                       const CapitalRepairPlan& plan) {
  json::array works;
  for (const auto& work : plan.works) works.push_back(json::object{{"work", work.work}, {"year", work.year}});
  json::object record{{"works", std::move(works)}, {"fund_balance_kopecks", plan.fund_balance_kopecks},
                      {"fund_owner", plan.fund_owner}};
  auto key = storage::key_prefix({building_id, kCapitalRepair}) + storage::be64(static_cast<std::uint64_t>(at));
  batch.put(Table::buildingnotice_notice, key, to_json(record));
}

void NoticeStore::stage_outage(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                               const Outage& outage) {
  json::object record{{"service", outage.service}, {"from_ms", outage.from_ms}, {"to_ms", outage.to_ms},
                      {"details", outage.details}, {"published_by", outage.published_by}};
  auto key = storage::key_prefix({building_id, kOutage}) + storage::be64(static_cast<std::uint64_t>(at));
  batch.put(Table::buildingnotice_notice, key, to_json(record));
}

std::optional<CapitalRepairPlan> NoticeStore::capital_repair(const std::string& building_id) const {
  std::optional<CapitalRepairPlan> plan;
  database_.scan_reverse(Table::buildingnotice_notice, storage::key_prefix({building_id, kCapitalRepair}), {},
                         [&](std::string_view, std::string_view value) {
                           auto record = parse_stored_json(value).as_object();
                           CapitalRepairPlan found;
                           if (const auto* works = record.if_contains("works"); works && works->is_array())
                             for (const auto& work : works->as_array())
                               found.works.push_back({optional_string(work.as_object(), "work").value_or(""),
                                                      static_cast<int>(optional_int(work.as_object(), "year").value_or(0))});
                           found.fund_balance_kopecks = optional_int(record, "fund_balance_kopecks").value_or(0);
                           found.fund_owner = optional_string(record, "fund_owner").value_or("");
                           plan = std::move(found);
                           return false;
                         });
  return plan;
}

std::vector<Outage> NoticeStore::outages(const std::string& building_id, std::int64_t not_ended_before) const {
  std::vector<Outage> outages;
  database_.scan_prefix(Table::buildingnotice_notice, storage::key_prefix({building_id, kOutage}),
                        [&](std::string_view, std::string_view value) {
                          auto record = parse_stored_json(value).as_object();
                          Outage outage{optional_string(record, "service").value_or(""),
                                        optional_int(record, "from_ms").value_or(0), optional_int(record, "to_ms").value_or(0),
                                        optional_string(record, "details").value_or(""),
                                        optional_string(record, "published_by").value_or("")};
                          if (outage.to_ms >= not_ended_before) outages.push_back(std::move(outage));
                          return true;
                        });
  return outages;
}

void NoticeStore::stage_utility_bill(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                                     const UtilityBill& bill) {
  json::object record{{"apartment", bill.apartment}, {"period", bill.period}, {"service", bill.service},
                      {"amount_kopecks", bill.amount_kopecks}, {"due_date", bill.due_date}, {"published_by", bill.published_by}};
  auto key = storage::key_prefix({building_id, kUtilityBill}) + storage::be64(static_cast<std::uint64_t>(at));
  batch.put(Table::buildingnotice_notice, key, to_json(record));
}

std::vector<UtilityBill> NoticeStore::utility_bills(const std::string& building_id, const std::string& apartment,
                                                    const std::string& period) const {
  std::vector<UtilityBill> bills;
  database_.scan_prefix(Table::buildingnotice_notice, storage::key_prefix({building_id, kUtilityBill}),
                        [&](std::string_view, std::string_view value) {
                          auto record = parse_stored_json(value).as_object();
                          UtilityBill bill{optional_string(record, "apartment").value_or(""),
                                           optional_string(record, "period").value_or(""),
                                           optional_string(record, "service").value_or(""),
                                           optional_int(record, "amount_kopecks").value_or(0),
                                           optional_string(record, "due_date").value_or(""),
                                           optional_string(record, "published_by").value_or("")};
                          if (bill.apartment == apartment && bill.period == period) bills.push_back(std::move(bill));
                          return true;
                        });
  return bills;
}

UtilityBill utility_bill_from_json(const json::object& body) {
  UtilityBill bill;
  bill.apartment = required_string(body, "apartment");
  if (bill.apartment.empty() || bill.apartment.size() > 32) throw invalid_param("apartment must be 1..32 bytes");
  bill.period = required_string(body, "period");
  auto valid_month = bill.period.size() == 7 && bill.period[4] == '-' &&
                     parse_iso_date(bill.period + "-01").has_value();
  if (!valid_month) throw invalid_param("period must be a month YYYY-MM");
  bill.service = required_string(body, "service");
  if (bill.service.empty() || bill.service.size() > 200) throw invalid_param("service must be 1..200 bytes");
  auto amount = optional_int(body, "amount_kopecks");
  if (!amount || *amount <= 0 || *amount > 100000000000LL)
    throw invalid_param("amount_kopecks must be a positive integer of kopecks");
  bill.amount_kopecks = *amount;
  bill.due_date = optional_string(body, "due_date").value_or("");
  if (!bill.due_date.empty() && !parse_iso_date(bill.due_date)) throw invalid_param("due_date must be a date YYYY-MM-DD");
  return bill;
}

CapitalRepairPlan capital_repair_from_json(const json::object& body) {
  CapitalRepairPlan plan;
  const auto* works = body.if_contains("works");
  if (!works || !works->is_array()) throw bad_json("works must be a list of {work, year}");
  for (const auto& entry : works->as_array()) {
    if (!entry.is_object()) throw bad_json("works: each entry must be {work, year}");
    auto year = optional_int(entry.as_object(), "year");
    if (!year || *year < 1990 || *year > 2100) throw invalid_param("works[].year must be a year of 1990..2100");
    auto work = required_string(entry.as_object(), "work");
    if (work.empty() || work.size() > 300) throw invalid_param("works[].work must be 1..300 bytes");
    plan.works.push_back({work, static_cast<int>(*year)});
  }
  auto balance = optional_int(body, "fund_balance_kopecks");
  if (!balance || *balance < 0) throw invalid_param("fund_balance_kopecks must be a non-negative integer of kopecks");
  plan.fund_balance_kopecks = *balance;
  plan.fund_owner = optional_string(body, "fund_owner").value_or("");
  return plan;
}

Outage outage_from_json(const json::object& body) {
  Outage outage;
  outage.service = required_string(body, "service");
  if (outage.service.empty() || outage.service.size() > 200) throw invalid_param("service must be 1..200 bytes");
  outage.from_ms = required_time(body, "from");
  outage.to_ms = required_time(body, "to");
  if (outage.to_ms <= outage.from_ms) throw invalid_param("to must be after from");
  outage.details = optional_string(body, "details").value_or("");
  if (outage.details.size() > 2000) throw invalid_param("details must be at most 2000 bytes");
  return outage;
}

}  // namespace domovoy::housing
