#pragma once
// The public keys of end-to-end encryption (client-server-api "End-to-End Encryption"): each
// device's identity keys, its one-time and fallback keys, each user's cross-signing keys and the
// signatures on them, and the stream of device-list changes that tells room mates to query again.
// The server stores and hands out what clients upload; it never holds a private key.
#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct ClaimedKey {
  std::string key_id;  // "<algorithm>:<key id>"
  boost::json::value key;
};

class DeviceKeyStore {
 public:
  DeviceKeyStore(storage::Database& database, StreamTracker& stream);

  // keys/upload for one device. Each part may be absent. Throws ApiError 400 for keys of another
  // user or device, malformed keys, or a one-time key id reused with another key. Returns whether
  // the device's identity keys changed (so room mates must be told).
  bool upload(const std::string& user_id, const std::string& device_id, const boost::json::object* device_keys,
              const boost::json::object* one_time_keys, const boost::json::object* fallback_keys);
  // Unclaimed one-time keys by algorithm ("signed_curve25519" always present).
  std::map<std::string, std::uint64_t> one_time_key_counts(const std::string& user_id, const std::string& device_id);
  // Algorithms whose fallback key has not been handed out yet.
  std::vector<std::string> unused_fallback_key_types(const std::string& user_id, const std::string& device_id);

  // device id -> identity keys as stored.
  std::map<std::string, boost::json::object> device_keys(const std::string& user_id) const;
  std::optional<boost::json::object> device_keys(const std::string& user_id, const std::string& device_id) const;
  // Takes one one-time key of the algorithm, or else hands out the fallback key (kept, marked used).
  std::optional<ClaimedKey> claim(const std::string& user_id, const std::string& device_id, const std::string& algorithm);

  // "master", "self_signing", "user_signing".
  std::optional<boost::json::object> cross_signing_key(const std::string& user_id, const std::string& usage) const;
  void put_cross_signing_keys(const std::string& user_id, const std::map<std::string, boost::json::object>& keys);
  // Merges signatures[signer] of `signed_object` into the stored device keys or cross-signing key
  // (found by `usage`, or as a device when usage is empty). False when there is nothing to sign.
  bool add_signatures(const std::string& user_id, const std::string& device_id_or_usage, bool is_cross_signing,
                      const std::string& signer, const boost::json::object& signatures_of_signer);

  // A device's keys go with the device: staged into the batch that deletes it.
  void stage_device_removal(storage::WriteBatch& batch, const std::string& user_id, const std::string& device_id);

  // Records that `user_id`'s devices or cross-signing keys changed; `when_visible` runs once a
  // /sync can see it. Returns the stream position.
  std::uint64_t note_change(const std::string& user_id, StreamTracker::Callback when_visible = {});
  // Users with a change at after < position <= up_to (at most `limit` positions examined).
  std::set<std::string> changed_users(std::uint64_t after, std::uint64_t up_to, std::size_t limit = 20000) const;
  std::uint64_t latest_change() const { return latest_change_.load(); }

 private:
  std::mutex& lock_for(const std::string& user_id, const std::string& device_id);
  void forget_counts(const std::string& user_id, const std::string& device_id);

  storage::Database& database_;
  StreamTracker& stream_;
  std::array<std::mutex, 64> device_locks_;  // uploads, claims and removals of one device, one at a time
  std::mutex counts_mutex_;
  // Every /sync of a device reads its counts: kept in memory, dropped on each change.
  std::unordered_map<std::string, std::map<std::string, std::uint64_t>> counts_;
  std::atomic<std::uint64_t> latest_change_{0};
};

}  // namespace domovoy
