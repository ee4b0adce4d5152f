#include "housing/bots/notices/notice_store.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/time_format.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

namespace {
constexpr const char* kCapitalRepair = "capital_repair";
constexpr const char* kOutage = "outage";

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
