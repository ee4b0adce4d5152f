#pragma once
// Meter readings as residents sent them (table meterreading_reading), per building, apartment and
// meter (its type and serial: a replaced meter is a new serial, whose readings start afresh).
// Values are kept exactly as typed (units and scale), never through floating point.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "housing/registry/decimal.hpp"
#include "housing/registry/model.hpp"
#include "storage/database.hpp"

namespace domovoy::housing {

struct StoredReading {
  std::int64_t taken_at = 0;        // ms, the homeserver's clock
  Decimal value;
  std::chrono::year_month period{std::chrono::year{1970}, std::chrono::month{1}};  // the billing period it counts for
  bool in_window = false;
  std::string user_id;              // who sent it ("" for the registry's or the demo's)
};

class MeterStore {
 public:
  explicit MeterStore(storage::Database& database) : database_(database) {}

  static std::string meter_key(const Meter& meter);  // "cold:ХВ-123"
  static void stage_reading(storage::WriteBatch& batch, const std::string& building_id, const std::string& apartment,
                            const Meter& meter, const StoredReading& reading);
  std::vector<StoredReading> readings(const std::string& building_id, const std::string& apartment, const Meter& meter) const;
  std::optional<StoredReading> last(const std::string& building_id, const std::string& apartment, const Meter& meter) const;
  bool has_reading_for(const std::string& building_id, const std::string& apartment, const Meter& meter,
                       std::chrono::year_month period) const;

 private:
  storage::Database& database_;
};

}  // namespace domovoy::housing
