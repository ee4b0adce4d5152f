#pragma once
// Send-to-device messages (client-server-api "Send-to-Device messaging"): each device's inbox,
// in stream order. A message stays until the device's next /sync acknowledges it by its `since`
// token, so a response lost on the way is delivered again; a sender's transaction id makes a
// retried request deliver nothing twice.
#include <boost/json/object.hpp>

#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct ToDeviceRecipient {
  std::string user_id;
  std::string device_id;
  boost::json::object content;
};

struct ToDeviceMessage {
  std::uint64_t stream = 0;
  boost::json::object event;  // {type, sender, content}
};

class ToDeviceStore {
 public:
  ToDeviceStore(storage::Database& database, StreamTracker& stream) : database_(database), stream_(stream) {}

  // Queues one message per recipient in one durable write. False (and nothing queued) when the
  // sender's device already used `txn_id`. `when_visible` runs once the messages can be synced.
  bool send(const std::string& sender, const std::string& sender_device, const std::string& txn_id,
            const std::string& type, const std::vector<ToDeviceRecipient>& recipients,
            StreamTracker::Callback when_visible = {});
  // Messages with after < stream <= up_to, oldest first, at most `limit`.
  std::vector<ToDeviceMessage> pending(const std::string& user_id, const std::string& device_id, std::uint64_t after,
                                       std::uint64_t up_to, std::size_t limit) const;
  // Deletes the messages with stream <= up_to: the device has them.
  void acknowledge(const std::string& user_id, const std::string& device_id, std::uint64_t up_to);
  // A deleted device's inbox goes with it, in the batch that deletes the device.
  void stage_device_removal(storage::WriteBatch& batch, const std::string& user_id, const std::string& device_id) const;

 private:
  storage::Database& database_;
  StreamTracker& stream_;
  std::array<std::mutex, 64> sender_locks_;  // a transaction id is checked and used by one request at a time
};

}  // namespace domovoy
