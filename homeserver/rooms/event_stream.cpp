#include "homeserver/rooms/event_stream.hpp"

#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

std::uint64_t EventStream::visible() const { return stream_.current(); }

std::vector<StreamEntry> EventStream::read_after(std::uint64_t after, std::size_t limit) const {
  std::vector<StreamEntry> entries;
  auto up_to = stream_.current();
  if (up_to <= after || limit == 0) return entries;
  database_.scan_from(storage::Table::stream_eventid, "", storage::be64(after + 1),
                      [&](std::string_view key, std::string_view value) {
                        auto position = storage::read_be64(key);
                        if (position > up_to) return false;
                        auto separator = value.find('\0');
                        entries.push_back({position, std::string(value.substr(0, separator)),
                                           std::string(value.substr(separator + 1))});
                        return entries.size() < limit;
                      });
  return entries;
}

}  // namespace domovoy
