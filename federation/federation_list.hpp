#pragma once
// The signed federation list (issue 9, "Policy"; docs/federation.md, "The signed federation
// list"): the servers of a closed federation as its operator publishes them, in a JSON file
// signed with the operator's ed25519 key (the appendices' "Signing JSON"):
//
//   {"version": 7, "issued_ts": MS, "expires_ts": MS,
//    "servers": ["spb.example.org", "msk.example.org:8448", "*.region.example"],
//    "signatures": {"<operator>": {"ed25519:<id>": "<signature>"}}}
//
// A list is trusted only when signed by one of the keys the config names, and used only while
// it is younger than max_age (72 h) and not expired; a list older than the one held (a lower
// version) is refused, so an old list cannot be replayed. With no usable list every server is
// refused: the federation fails closed.
#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "homeserver/core/config.hpp"

namespace domovoy::http {
class HttpClient;
}

namespace domovoy::federation {

// Why a federation list is not to be trusted (its text says which field or check).
class FederationListError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SignedFederationList {
  std::int64_t version = 0;
  std::int64_t issued_ts = 0;
  std::int64_t expires_ts = 0;
  std::vector<std::string> servers;  // server names or "*.suffix", lower-cased
};

// Parses and checks `text`: the fields and their types, each server a server name or
// *.suffix, expires_ts after issued_ts, and a valid signature by one of `keys` (key id ->
// unpadded Base64 public key). Throws FederationListError. Does not look at the time.
SignedFederationList check_federation_list(std::string_view text, const std::map<std::string, std::string>& keys);

// Whether `list` may be used at `now_ms`: issued no later than max_age_ms before, not expired.
bool federation_list_current(const SignedFederationList& list, std::int64_t now_ms, std::int64_t max_age_ms);

// The list of this server, refreshed from its source (a path, or an http(s):// URL) every
// refresh period, kept in DATA_DIR/federation-list.json so a restart without the source still
// has it. Thread-safe: every inbound request and outbound destination asks it.
class FederationList {
 public:
  // A URL source is fetched trusting federation.ca, as outbound federation does.
  FederationList(const Config::Federation& config, std::string data_dir, boost::asio::any_io_executor executor);
  ~FederationList();

  // At start: the kept copy, then the source. A path source whose list cannot be trusted stops
  // the start (throws FederationListError naming the file); a URL is fetched in the background.
  // Then the source is looked at again every few minutes, refreshed when due.
  void start();

  // Whether the held list, current now, names `server_name` (pattern rules of FederationPolicy).
  bool allows(std::string_view server_name) const;

  // Reads the source again when the refresh period has passed since the last attempt (by the
  // server's clock, so a test that moves it sees a refresh). Never throws.
  void refresh_if_due();

  // Takes `text` as the new list when it can be trusted, is current and is not older than the
  // held one; false (and the reason logged) otherwise. Durable when true.
  bool offer(std::string_view text, const std::string& from);

  std::optional<SignedFederationList> current() const;

 private:
  void refresh();
  bool is_url() const;

  Config::Federation::SignedList config_;
  std::string kept_path_;
  boost::asio::any_io_executor executor_;
  std::shared_ptr<http::HttpClient> client_;
  mutable std::mutex mutex_;
  std::optional<SignedFederationList> list_;
  std::int64_t last_attempt_ms_ = 0;
  bool fetching_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace domovoy::federation
