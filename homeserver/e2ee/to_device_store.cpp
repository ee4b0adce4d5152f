#include "homeserver/e2ee/to_device_store.hpp"

#include <functional>
#include <memory>

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

bool ToDeviceStore::send(const std::string& sender, const std::string& sender_device, const std::string& txn_id,
                         const std::string& type, const std::vector<ToDeviceRecipient>& recipients,
                         StreamTracker::Callback when_visible) {
  auto txn_key = storage::join_key({sender, sender_device, txn_id});
  std::lock_guard lock(sender_locks_[std::hash<std::string>{}(txn_key) % sender_locks_.size()]);
  if (database_.contains(Table::todevicetxn_flag, txn_key)) return false;
  // One position per message, so a device's inbox is ordered and acknowledged by position.
  std::vector<std::unique_ptr<StreamTracker::Slot>> slots;
  storage::WriteBatch batch;
  for (const auto& recipient : recipients) {
    auto& slot = *slots.emplace_back(std::make_unique<StreamTracker::Slot>(stream_));
    json::object event{{"type", type}, {"sender", sender}, {"content", recipient.content}};
    batch.put(Table::userdevice_todevice,
              storage::key_prefix({recipient.user_id, recipient.device_id}) + storage::be64(slot.position()),
              to_json(event));
    batch.put(Table::streampos_kind, storage::be64(slot.position()), "to_device");
  }
  batch.put(Table::todevicetxn_flag, txn_key, "");
  database_.write(std::move(batch));
  // Every position completes; the callback waits for the last, which makes all of them visible.
  for (std::size_t i = 0; i + 1 < slots.size(); ++i) slots[i]->release();
  if (!slots.empty()) {
    slots.back()->release(std::move(when_visible));
  } else if (when_visible) {
    when_visible();
  }
  return true;
}

std::vector<ToDeviceMessage> ToDeviceStore::pending(const std::string& user_id, const std::string& device_id,
                                                    std::uint64_t after, std::uint64_t up_to, std::size_t limit) const {
  std::vector<ToDeviceMessage> messages;
  if (up_to <= after || limit == 0) return messages;
  auto prefix = storage::key_prefix({user_id, device_id});
  database_.scan_from(Table::userdevice_todevice, prefix, prefix + storage::be64(after + 1),
                      [&](std::string_view key, std::string_view value) {
                        auto position = storage::read_be64(key.substr(prefix.size()));
                        if (position > up_to) return false;
                        messages.push_back({position, parse_stored_json(value).as_object()});
                        return messages.size() < limit;
                      });
  return messages;
}

void ToDeviceStore::acknowledge(const std::string& user_id, const std::string& device_id, std::uint64_t up_to) {
  auto prefix = storage::key_prefix({user_id, device_id});
  storage::WriteBatch batch;
  database_.scan_prefix(Table::userdevice_todevice, prefix, [&](std::string_view key, std::string_view) {
    if (storage::read_be64(key.substr(prefix.size())) > up_to) return false;
    batch.remove(Table::userdevice_todevice, key);
    return true;
  });
  if (!batch.empty()) database_.write(std::move(batch));
}

void ToDeviceStore::stage_device_removal(storage::WriteBatch& batch, const std::string& user_id,
                                         const std::string& device_id) const {
  auto prefix = storage::key_prefix({user_id, device_id});
  database_.scan_prefix(Table::userdevice_todevice, prefix, [&](std::string_view key, std::string_view) {
    batch.remove(Table::userdevice_todevice, key);
    return true;
  });
}

}  // namespace domovoy
