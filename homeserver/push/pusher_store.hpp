#pragma once
// Pushers (client-server-api "Push Notifications", pusher.yaml) and the durable queue of what
// each is still to be sent. A notification is queued in the batch that moves the push consumer's
// stream position past its event, so each is queued exactly once, and leaves the queue only when
// the push gateway accepted it.
#include <boost/json/object.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace domovoy {

struct Pusher {
  std::string user_id;
  std::string app_id;
  std::string pushkey;
  std::string kind;  // "http"
  std::string app_display_name;
  std::string device_display_name;
  std::string profile_tag;
  std::string lang;
  boost::json::object data;  // url, format, and whatever the app puts there
  std::int64_t pushkey_ts = 0;

  std::string key() const;  // the pusher's key: user \0 app id \0 pushkey
  boost::json::object to_json() const;  // as GET /pushers shows it
};

class PusherStore {
 public:
  explicit PusherStore(storage::Database& database);

  std::vector<Pusher> of_user(const std::string& user_id) const;
  std::optional<Pusher> find(const std::string& key) const;
  // Adds or replaces the pusher; unless `append`, the same app id and pushkey of other users go.
  void set(const Pusher& pusher, bool append);
  // Removes the pusher and its queue; false when it did not exist.
  bool remove(const std::string& user_id, const std::string& app_id, const std::string& pushkey);
  bool has_pushers(const std::string& user_id) const;

  void enqueue(storage::WriteBatch& batch, const std::string& pusher_key, const boost::json::object& notification);
  // Writes a batch of enqueue()d notifications (with whatever the caller staged beside them).
  // `sync` false for a batch that only moves a position past events that queued nothing: lost
  // in a crash, those events are looked at again and queue nothing again.
  void write(storage::WriteBatch batch, bool sync = true) { database_.write(std::move(batch), sync); }
  // The oldest queued notifications of a pusher: {queue key, notification}.
  std::vector<std::pair<std::string, boost::json::object>> queued(const std::string& pusher_key, std::size_t limit) const;
  void dequeue(const std::string& queue_key);
  // Pushers with something queued (after a restart, to resume their delivery).
  std::vector<std::string> pushers_with_queue() const;

 private:
  void stage_removal(storage::WriteBatch& batch, const std::string& key) const;
  void refresh_users();

  storage::Database& database_;
  mutable std::mutex mutex_;
  std::set<std::string> users_;  // users with at least one pusher: an event's other members cost nothing
  std::atomic<std::uint64_t> next_seq_{0};
};

}  // namespace domovoy
