#include "housing/bots/meters/meter_store.hpp"

#include "homeserver/core/json.hpp"
#include "housing/bots/formatting.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

namespace {
std::chrono::year_month parse_month(const std::string& text) {
  int year = 0;
  unsigned month = 1;
  if (std::sscanf(text.c_str(), "%d-%u", &year, &month) != 2 || month < 1 || month > 12) return {std::chrono::year{1970}, std::chrono::month{1}};
  return {std::chrono::year{year}, std::chrono::month{month}};
}

StoredReading parse_reading(std::string_view key, std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  StoredReading reading;
  reading.taken_at = static_cast<std::int64_t>(storage::read_be64(key.substr(key.size() - 8)));
  reading.value = Decimal{optional_int(record, "units").value_or(0), static_cast<int>(optional_int(record, "scale").value_or(0))};
  reading.period = parse_month(optional_string(record, "period").value_or(""));
  reading.in_window = optional_bool(record, "in_window").value_or(false);
  reading.user_id = optional_string(record, "user_id").value_or("");
  return reading;
}
}  // namespace

std::string MeterStore::meter_key(const Meter& meter) { return std::string(to_string(meter.type)) + ":" + meter.serial; }

void MeterStore::stage_reading(storage::WriteBatch& batch, const std::string& building_id, const std::string& apartment,
                               const Meter& meter, const StoredReading& reading) {
  json::object record{{"units", reading.value.units},
                      {"scale", reading.value.scale},
                      {"period", format_month_key(reading.period)},
                      {"in_window", reading.in_window},
                      {"user_id", reading.user_id}};
  auto key = storage::key_prefix({building_id, apartment, meter_key(meter)}) +
             storage::be64(static_cast<std::uint64_t>(reading.taken_at));
  batch.put(Table::meterreading_reading, key, to_json(record));
}

std::vector<StoredReading> MeterStore::readings(const std::string& building_id, const std::string& apartment,
                                                const Meter& meter) const {
  std::vector<StoredReading> readings;
  database_.scan_prefix(Table::meterreading_reading, storage::key_prefix({building_id, apartment, meter_key(meter)}),
                        [&](std::string_view key, std::string_view value) {
                          readings.push_back(parse_reading(key, value));
                          return true;
                        });
  return readings;
}

std::optional<StoredReading> MeterStore::last(const std::string& building_id, const std::string& apartment,
                                              const Meter& meter) const {
  std::optional<StoredReading> found;
  database_.scan_reverse(Table::meterreading_reading, storage::key_prefix({building_id, apartment, meter_key(meter)}), {},
                         [&](std::string_view key, std::string_view value) {
                           found = parse_reading(key, value);
                           return false;
                         });
  return found;
}

bool MeterStore::has_reading_for(const std::string& building_id, const std::string& apartment, const Meter& meter,
                                 std::chrono::year_month period) const {
  for (const auto& reading : readings(building_id, apartment, meter))
    if (reading.period == period) return true;
  return false;
}

}  // namespace domovoy::housing
