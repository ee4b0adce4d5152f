#include "homeserver/rooms/report_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

ReportStore::ReportStore(storage::Database& database) : database_(database) {
  database_.scan_reverse(Table::report_report, "", "", [&](std::string_view key, std::string_view) {
    last_id_ = storage::read_be64(key);
    return false;
  });
}

std::uint64_t ReportStore::add(Report report) {
  report.id = ++last_id_;
  storage::WriteBatch batch;
  batch.put(Table::report_report, storage::be64(report.id),
            to_json(json::object{{"room_id", report.room_id},
                                 {"event_id", report.event_id},
                                 {"user_id", report.user_id},
                                 {"reason", report.reason},
                                 {"received_ts", report.received_ts}}));
  database_.write(std::move(batch));
  return report.id;
}

std::vector<Report> ReportStore::list(std::uint64_t after, std::size_t limit) const {
  std::vector<Report> reports;
  database_.scan_from(Table::report_report, "", storage::be64(after + 1), [&](std::string_view key, std::string_view value) {
    auto object = parse_stored_json(value).as_object();
    reports.push_back({storage::read_be64(key), std::string(object["room_id"].as_string()),
                       std::string(object["event_id"].as_string()), std::string(object["user_id"].as_string()),
                       std::string(object["reason"].as_string()), object["received_ts"].to_number<std::int64_t>()});
    return reports.size() < limit;
  });
  return reports;
}

}  // namespace domovoy
