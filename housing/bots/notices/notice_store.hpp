#pragma once
// What the operator or a utility publishes for a building (table buildingnotice_notice): the
// capital-repair plan (works by year and the fund's balance) and planned outages. Each is kept
// as published, newest last; the bots answer `!капремонт` and `!отключения` from here.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace domovoy::housing {

struct CapitalRepairWork {
  std::string work;  // «Ремонт крыши»
  int year = 0;      // of the regional programme
};

struct CapitalRepairPlan {
  std::vector<CapitalRepairWork> works;
  std::int64_t fund_balance_kopecks = 0;
  std::string fund_owner;  // «региональный оператор» or the special account's holder
};

struct Outage {
  std::string service;          // «горячая вода»
  std::int64_t from_ms = 0, to_ms = 0;
  std::string details;          // who and why
  std::string published_by;     // the operator, or the utility's appservice
};

// A bill a utility (or the operator on its behalf) issues for one apartment, paid to the utility
// directly: shown with the month's bill and told to the apartment's residents.
struct UtilityBill {
  std::string apartment;
  std::string period;    // YYYY-MM
  std::string service;   // «Холодное водоснабжение (Водоканал)»
  std::int64_t amount_kopecks = 0;
  std::string due_date;  // YYYY-MM-DD, or empty
  std::string published_by;
};

class NoticeStore {
 public:
  explicit NoticeStore(storage::Database& database) : database_(database) {}

  static void stage_capital_repair(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                                   const CapitalRepairPlan& plan);
  static void stage_outage(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                           const Outage& outage);
  std::optional<CapitalRepairPlan> capital_repair(const std::string& building_id) const;  // the latest
  std::vector<Outage> outages(const std::string& building_id, std::int64_t not_ended_before) const;
  static void stage_utility_bill(storage::WriteBatch& batch, const std::string& building_id, std::int64_t at,
                                 const UtilityBill& bill);
  std::vector<UtilityBill> utility_bills(const std::string& building_id, const std::string& apartment,
                                         const std::string& period) const;

 private:
  storage::Database& database_;
};

// Parses the JSON a publisher sends; throws ApiError (M_BAD_JSON, M_INVALID_PARAM) naming the key.
CapitalRepairPlan capital_repair_from_json(const boost::json::object& body);
Outage outage_from_json(const boost::json::object& body);
UtilityBill utility_bill_from_json(const boost::json::object& body);

}  // namespace domovoy::housing
