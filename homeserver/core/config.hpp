#pragma once
// The server's configuration: YAML (docs/configuration.md documents every key), overridden by
// command-line flags. Every key has a default, so an empty config is the embedded demo server.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace domovoy {

struct RateLimitConfig {
  double per_second;
  double burst;
};

// One registration token (Synapse's admin API "Registration Tokens" describes the same fields).
struct RegistrationTokenConfig {
  std::string token;
  std::optional<std::int64_t> uses_allowed;  // nullopt: unlimited
  std::optional<std::int64_t> expiry_time;   // ms since the epoch; nullopt: never expires
};

struct Config {
  std::string server_name = "localhost";
  std::string listen_address = "127.0.0.1";
  unsigned short listen_port = 8008;
  std::string data_dir = "./domovoy-data";
  std::string public_baseurl;         // default: http://<listen>/
  std::string federation_delegate;    // served as /.well-known/matrix/server when set

  bool registration_enabled = true;
  std::vector<RegistrationTokenConfig> registration_tokens;  // when non-empty, registration needs one
  std::string registration_shared_secret;        // enables /_synapse/admin/v1/register
  std::vector<std::string> admins;               // users who are server admins besides the flagged ones
  std::vector<std::string> appservice_files;     // registrations (YAML), config `appservices` + --appservice

  // The housing part (docs/housing.md). Registry files are imported at start, like the admin
  // import; the embedded default imports the demo region.
  struct Housing {
    std::vector<std::string> registry_files;
    std::string appservice_id = "domovoy-housing";  // the registration with read access to the registry
    std::string bot_localpart = "domovoy";          // the server-owned user that creates and owns the rooms
    std::string notices_localpart = "domovoy-notices";  // the server notices user (reminders in a DM)
    // Housing appservice users the provisioner seats, when the appservice's namespace has them:
    // the meetings bot in every owners' room, the repairs bot in every dispatchers' room.
    std::string meetings_localpart = "meetings";
    std::string repairs_localpart = "repairs";
    double neighbourhood_metres = 500;
    unsigned verification_valid_days = 365;
    std::vector<unsigned> reminder_days = {30, 7};  // before a verification lapses
    unsigned code_valid_days = 90;
    unsigned failed_redemptions = 5;         // per user per window; stays on under --no-rate-limits
    unsigned failed_redemption_window_s = 600;
    bool demo = false;  // import the demo region (the embedded default, with no config file)
  } housing;

  // Federation with other servers (docs/federation.md): a TLS listener of its own.
  struct Federation {
    std::string listen_address;  // federation.listen / --federation-listen; empty: no federation listener
    unsigned short listen_port = 0;
    std::string tls_cert_file;   // PEM certificate chain
    std::string tls_key_file;    // PEM private key
    std::string ca_file;         // PEM CAs outbound requests trust instead of the system's; empty: the system's
    std::vector<std::string> allow;     // server names or "*.suffix" wildcards allowed to federate
    std::vector<std::string> allow_ip;  // ranges let through the outbound deny list
    // Notaries asked for a server's keys when that server cannot be reached or lacks the key
    // (federation.trusted_key_servers / --federation-trusted-key-server).
    std::vector<std::string> trusted_key_servers;
    // The signed federation list (federation.signed_list, docs/federation.md): empty source, none.
    struct SignedList {
      std::string source;                      // a path, or an http(s):// URL
      std::map<std::string, std::string> keys;  // key id ("ed25519:...") -> unpadded Base64 public key
      unsigned refresh_hours = 24;
      unsigned max_age_hours = 72;              // a list issued longer ago is not used
    } signed_list;
    bool open = false;  // federation.open / --federation-open: any server may federate, not only `allow`
  } federation;

  // The media repository (docs/client-surface.md).
  struct Media {
    std::size_t max_upload_bytes = 50u << 20;       // media.max_upload_mb
    std::size_t quota_bytes_per_user = 1ull << 30;  // media.quota_mb_per_user; 0: no quota
    // Media uploaded before this instant (ms since the epoch) is also served by the legacy
    // unauthenticated /_matrix/media/v3/download and /thumbnail; 0: by none.
    std::int64_t legacy_unauthenticated_before_ms = 0;
    unsigned thumbnail_threads = 1;                 // images decoded at once
    std::size_t max_image_pixels = 32'000'000;      // larger images are not thumbnailed
    unsigned pending_expiry_s = 86400;              // an unused /create media id lapses after this
    unsigned max_pending_per_user = 16;             // unused /create media ids at once
    // URL previews (off unless enabled): what the server may not fetch from, on a user's behalf.
    bool url_preview_enabled = false;
    std::vector<std::string> url_preview_ip_range_denylist;   // empty: default_denied_ranges()
    std::vector<std::string> url_preview_ip_range_allowlist;  // exceptions to the deny list
    std::size_t url_preview_max_bytes = 10u << 20;            // media.url_preview_max_size_kb
    unsigned url_preview_timeout_ms = 10000;
  } media;

  // Not a config key: the secret `domovoy admin` signs requests with (registration.shared_secret
  // when set, otherwise <data_dir>/operator.secret, made at first start).
  std::string operator_secret;

  bool rate_limits_enabled = true;
  RateLimitConfig rate_per_user{20, 200};
  RateLimitConfig rate_per_address{50, 500};
  RateLimitConfig rate_login{3, 30};
  RateLimitConfig rate_failed_login{0.17, 3};  // failed password attempts per account

  std::string default_room_version = "12";

  std::size_t max_body_bytes = 65536;
  std::size_t max_connections = 20000;
  std::size_t max_connections_per_address = 1000;  // residents may share one carrier-NAT address
  unsigned header_timeout_s = 30;
  unsigned idle_timeout_s = 75;
  std::size_t account_data_entries = 10000;     // per user, global and per room together
  std::size_t account_data_bytes = 8u << 20;    // per user, in total

  unsigned long long password_ops_limit = 2;
  std::size_t password_mem_limit_mb = 64;
  unsigned password_threads = 0;  // argon2 calls at once; 0: one per core

  unsigned network_threads = 2;
  unsigned blocking_threads = 32;
  unsigned sync_threads = 0;  // 0: one per core

  bool sync_writes = true;
  std::size_t block_cache_mb = 64;
  std::string log_level = "info";

  std::string base_url() const;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a YAML file over the defaults. Throws ConfigError naming the bad key.
Config load_config_file(const std::string& path, Config base = {});
// "host:port" -> fields; throws ConfigError.
void parse_listen(Config& config, const std::string& listen);
// The same for --federation-listen / federation.listen.
void parse_federation_listen(Config& config, const std::string& listen);
// Checks the combination of values; throws ConfigError.
void validate_config(const Config& config);

}  // namespace domovoy
