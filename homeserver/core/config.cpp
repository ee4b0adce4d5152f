#include "homeserver/core/config.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/base64.hpp"
#include "homeserver/core/ip_ranges.hpp"
#include "homeserver/events/room_version.hpp"

namespace domovoy {

namespace {
template <typename T>
void read(const YAML::Node& node, const char* key, T& target, const std::string& path) {
  if (!node || !node[key]) return;
  try {
    target = node[key].as<T>();
  } catch (const YAML::Exception& error) {
    throw ConfigError("config key '" + path + key + "' has a bad value: " + error.msg);
  }
}

void read_rate(const YAML::Node& node, const char* key, RateLimitConfig& target) {
  if (!node || !node[key]) return;
  read(node[key], "per_second", target.per_second, std::string("rate_limits.") + key + ".");
  read(node[key], "burst", target.burst, std::string("rate_limits.") + key + ".");
}

// Each entry is a token string or {token, uses_allowed, expiry_time}; null means unlimited/never.
void read_registration_tokens(const YAML::Node& node, std::vector<RegistrationTokenConfig>& target) {
  if (!node) return;
  if (!node.IsSequence()) throw ConfigError("config key 'registration.tokens' must be a list");
  target.clear();
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto path = "registration.tokens[" + std::to_string(i) + "]";
    const auto& entry = node[i];
    RegistrationTokenConfig token;
    try {
      if (entry.IsScalar()) {
        token.token = entry.as<std::string>();
      } else if (entry.IsMap()) {
        for (const auto& field : entry) {
          auto name = field.first.as<std::string>();
          if (name != "token" && name != "uses_allowed" && name != "expiry_time")
            throw ConfigError("unknown config key '" + path + "." + name + "'");
        }
        if (!entry["token"]) throw ConfigError("config key '" + path + ".token' is missing");
        token.token = entry["token"].as<std::string>();
        if (entry["uses_allowed"] && !entry["uses_allowed"].IsNull())
          token.uses_allowed = entry["uses_allowed"].as<std::int64_t>();
        if (entry["expiry_time"] && !entry["expiry_time"].IsNull())
          token.expiry_time = entry["expiry_time"].as<std::int64_t>();
      } else {
        throw ConfigError("config key '" + path + "' must be a token or {token, uses_allowed, expiry_time}");
      }
    } catch (const YAML::Exception& error) {
      throw ConfigError("config key '" + path + "' has a bad value: " + error.msg);
    }
    target.push_back(std::move(token));
  }
}

const std::vector<std::string> kTopLevelKeys = {
    "server_name", "listen", "data_dir", "public_baseurl", "federation_delegate", "registration", "rate_limits",
    "rooms", "limits", "password_hashing", "threads", "storage", "log_level", "admins", "appservices", "housing", "media",
    "federation"};
}  // namespace

std::string Config::base_url() const {
  if (!public_baseurl.empty()) return public_baseurl.back() == '/' ? public_baseurl : public_baseurl + "/";
  return "http://" + listen_address + ":" + std::to_string(listen_port) + "/";
}

namespace {
std::pair<std::string, unsigned short> parse_address_and_port(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) throw ConfigError("listen must be ADDRESS:PORT, got '" + listen + "'");
  auto address = listen.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw ConfigError("listen port is not a number in '" + listen + "'");
  }
  if (port < 0 || port > 65535) throw ConfigError("listen port out of range in '" + listen + "'");
  return {address, static_cast<unsigned short>(port)};
}
}  // namespace

void parse_listen(Config& config, const std::string& listen) {
  std::tie(config.listen_address, config.listen_port) = parse_address_and_port(listen);
}

void parse_federation_listen(Config& config, const std::string& listen) {
  std::tie(config.federation.listen_address, config.federation.listen_port) = parse_address_and_port(listen);
}

Config load_config_file(const std::string& path, Config config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw ConfigError("cannot read config " + path + ": " + error.msg);
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) throw ConfigError("config " + path + " must be a YAML mapping");
  for (const auto& entry : root) {
    auto key = entry.first.as<std::string>();
    if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) == kTopLevelKeys.end())
      throw ConfigError("unknown config key '" + key + "' in " + path);
  }
  read(root, "server_name", config.server_name, "");
  if (root["listen"]) parse_listen(config, root["listen"].as<std::string>());
  read(root, "data_dir", config.data_dir, "");
  read(root, "public_baseurl", config.public_baseurl, "");
  read(root, "federation_delegate", config.federation_delegate, "");
  read(root, "log_level", config.log_level, "");
  if (auto registration = root["registration"]) {
    read(registration, "enabled", config.registration_enabled, "registration.");
    read_registration_tokens(registration["tokens"], config.registration_tokens);
    read(registration, "shared_secret", config.registration_shared_secret, "registration.");
  }
  read(root, "admins", config.admins, "");
  read(root, "appservices", config.appservice_files, "");
  if (auto housing = root["housing"]) {
    auto& target = config.housing;
    read(housing, "registry_files", target.registry_files, "housing.");
    read(housing, "appservice_id", target.appservice_id, "housing.");
    read(housing, "bot_localpart", target.bot_localpart, "housing.");
    read(housing, "notices_localpart", target.notices_localpart, "housing.");
    read(housing, "meetings_localpart", target.meetings_localpart, "housing.");
    read(housing, "repairs_localpart", target.repairs_localpart, "housing.");
    read(housing, "neighbourhood_metres", target.neighbourhood_metres, "housing.");
    read(housing, "verification_valid_days", target.verification_valid_days, "housing.");
    read(housing, "reminder_days", target.reminder_days, "housing.");
    read(housing, "code_valid_days", target.code_valid_days, "housing.");
    read(housing, "failed_redemptions", target.failed_redemptions, "housing.");
    read(housing, "failed_redemption_window_s", target.failed_redemption_window_s, "housing.");
    read(housing, "demo", target.demo, "housing.");
  }
  if (auto media = root["media"]) {
    auto& target = config.media;
    std::size_t megabytes = target.max_upload_bytes >> 20;
    read(media, "max_upload_mb", megabytes, "media.");
    target.max_upload_bytes = megabytes << 20;
    megabytes = target.quota_bytes_per_user >> 20;
    read(media, "quota_mb_per_user", megabytes, "media.");
    target.quota_bytes_per_user = megabytes << 20;
    read(media, "legacy_unauthenticated_before_ms", target.legacy_unauthenticated_before_ms, "media.");
    read(media, "thumbnail_threads", target.thumbnail_threads, "media.");
    read(media, "max_image_pixels", target.max_image_pixels, "media.");
    read(media, "pending_expiry_s", target.pending_expiry_s, "media.");
    read(media, "max_pending_per_user", target.max_pending_per_user, "media.");
    read(media, "url_preview_enabled", target.url_preview_enabled, "media.");
    read(media, "url_preview_ip_range_denylist", target.url_preview_ip_range_denylist, "media.");
    read(media, "url_preview_ip_range_allowlist", target.url_preview_ip_range_allowlist, "media.");
    std::size_t kilobytes = target.url_preview_max_bytes >> 10;
    read(media, "url_preview_max_size_kb", kilobytes, "media.");
    target.url_preview_max_bytes = kilobytes << 10;
    read(media, "url_preview_timeout_ms", target.url_preview_timeout_ms, "media.");
    for (const auto* ranges : {&target.url_preview_ip_range_denylist, &target.url_preview_ip_range_allowlist}) {
      try {
        IpRanges::parse(*ranges);
      } catch (const std::invalid_argument& error) {
        throw ConfigError(std::string("media.url_preview_ip_range_") +
                          (ranges == &target.url_preview_ip_range_denylist ? "denylist" : "allowlist") + ": " +
                          error.what() + " in " + path);
      }
    }
    for (auto it = media.begin(); it != media.end(); ++it) {
      static const std::vector<std::string> kMediaKeys = {
          "max_upload_mb", "quota_mb_per_user", "legacy_unauthenticated_before_ms", "thumbnail_threads",
          "max_image_pixels", "pending_expiry_s", "max_pending_per_user", "url_preview_enabled",
          "url_preview_ip_range_denylist", "url_preview_ip_range_allowlist", "url_preview_max_size_kb",
          "url_preview_timeout_ms"};
      auto key = it->first.as<std::string>();
      if (std::find(kMediaKeys.begin(), kMediaKeys.end(), key) == kMediaKeys.end())
        throw ConfigError("unknown config key 'media." + key + "' in " + path);
    }
  }
  if (auto federation = root["federation"]) {
    auto& target = config.federation;
    if (federation["listen"]) parse_federation_listen(config, federation["listen"].as<std::string>());
    read(federation, "tls_cert", target.tls_cert_file, "federation.");
    read(federation, "tls_key", target.tls_key_file, "federation.");
    read(federation, "ca", target.ca_file, "federation.");
    read(federation, "allow", target.allow, "federation.");
    read(federation, "allow_ip", target.allow_ip, "federation.");
    read(federation, "open", target.open, "federation.");
    read(federation, "trusted_key_servers", target.trusted_key_servers, "federation.");
    if (auto list = federation["signed_list"]) {
      read(list, "source", target.signed_list.source, "federation.signed_list.");
      read(list, "keys", target.signed_list.keys, "federation.signed_list.");
      read(list, "refresh_hours", target.signed_list.refresh_hours, "federation.signed_list.");
      read(list, "max_age_hours", target.signed_list.max_age_hours, "federation.signed_list.");
      for (auto it = list.begin(); it != list.end(); ++it) {
        auto key = it->first.as<std::string>();
        if (key != "source" && key != "keys" && key != "refresh_hours" && key != "max_age_hours")
          throw ConfigError("unknown config key 'federation.signed_list." + key + "' in " + path);
      }
    }
    for (auto it = federation.begin(); it != federation.end(); ++it) {
      static const std::vector<std::string> kFederationKeys = {
          "listen", "tls_cert", "tls_key", "ca", "allow", "allow_ip", "open", "trusted_key_servers", "signed_list"};
      auto key = it->first.as<std::string>();
      if (std::find(kFederationKeys.begin(), kFederationKeys.end(), key) == kFederationKeys.end())
        throw ConfigError("unknown config key 'federation." + key + "' in " + path);
    }
  }
  if (auto rates = root["rate_limits"]) {
    read(rates, "enabled", config.rate_limits_enabled, "rate_limits.");
    read_rate(rates, "per_user", config.rate_per_user);
    read_rate(rates, "per_address", config.rate_per_address);
    read_rate(rates, "login", config.rate_login);
    read_rate(rates, "failed_login", config.rate_failed_login);
  }
  if (auto rooms = root["rooms"]) read(rooms, "default_version", config.default_room_version, "rooms.");
  if (auto limits = root["limits"]) {
    read(limits, "max_body_bytes", config.max_body_bytes, "limits.");
    read(limits, "max_connections", config.max_connections, "limits.");
    read(limits, "max_connections_per_address", config.max_connections_per_address, "limits.");
    read(limits, "header_timeout_s", config.header_timeout_s, "limits.");
    read(limits, "idle_timeout_s", config.idle_timeout_s, "limits.");
    read(limits, "account_data_entries", config.account_data_entries, "limits.");
    read(limits, "account_data_bytes", config.account_data_bytes, "limits.");
  }
  if (auto hashing = root["password_hashing"]) {
    read(hashing, "ops_limit", config.password_ops_limit, "password_hashing.");
    read(hashing, "mem_limit_mb", config.password_mem_limit_mb, "password_hashing.");
    read(hashing, "threads", config.password_threads, "password_hashing.");
  }
  if (auto threads = root["threads"]) {
    read(threads, "network", config.network_threads, "threads.");
    read(threads, "blocking", config.blocking_threads, "threads.");
    read(threads, "sync", config.sync_threads, "threads.");
  }
  if (auto storage = root["storage"]) {
    read(storage, "sync_writes", config.sync_writes, "storage.");
    read(storage, "block_cache_mb", config.block_cache_mb, "storage.");
  }
  return config;
}

namespace {
bool is_readable_file(const std::string& path) {
  std::ifstream file(path);
  return file.good();
}

void validate_federation(const Config::Federation& federation) {
  if (!federation.listen_address.empty()) {
    if (federation.tls_cert_file.empty() || federation.tls_key_file.empty())
      throw ConfigError("a federation listener needs federation.tls_cert and federation.tls_key (--tls-cert, --tls-key)");
    boost::system::error_code ec;
    boost::asio::ip::make_address(federation.listen_address, ec);
    if (ec) throw ConfigError("federation.listen: '" + federation.listen_address + "' is not an IP address");
  }
  for (const auto* file : {&federation.tls_cert_file, &federation.tls_key_file, &federation.ca_file})
    if (!file->empty() && !is_readable_file(*file)) throw ConfigError("federation: cannot read '" + *file + "'");
  const auto& list = federation.signed_list;
  if (!list.source.empty()) {
    if (list.keys.empty())
      throw ConfigError("federation.signed_list needs keys: the operator's public keys that sign the list");
    for (const auto& [key_id, key] : list.keys) {
      auto decoded = base64_decode(key);
      if (!key_id.starts_with("ed25519:") || !decoded || decoded->size() != 32)
        throw ConfigError("federation.signed_list.keys: '" + key_id +
                          "' must be an ed25519:ID key with a 32-byte unpadded Base64 public key");
    }
    if (list.refresh_hours == 0 || list.max_age_hours == 0 || list.refresh_hours > list.max_age_hours)
      throw ConfigError("federation.signed_list: refresh_hours and max_age_hours must be positive, "
                        "refresh_hours no more than max_age_hours");
  } else if (!list.keys.empty()) {
    throw ConfigError("federation.signed_list.keys is set but not federation.signed_list.source");
  }
  for (const auto& notary : federation.trusted_key_servers)
    if (!is_valid_server_name(notary))
      throw ConfigError("federation.trusted_key_servers: '" + notary + "' is not a server name");
  for (const auto& pattern : federation.allow) {
    std::string_view name = pattern;
    if (name.substr(0, 2) == "*.") name.remove_prefix(2);
    if (!is_valid_server_name(name))
      throw ConfigError("federation.allow: '" + pattern + "' is neither a server name nor *.suffix");
  }
  try {
    IpRanges::parse(federation.allow_ip);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(std::string("federation.allow_ip: ") + error.what());
  }
}
}  // namespace

void validate_config(const Config& config) {
  if (!is_valid_server_name(config.server_name))
    throw ConfigError("server_name '" + config.server_name + "' is not a valid Matrix server name");
  if (!find_room_version(config.default_room_version))
    throw ConfigError("rooms.default_version '" + config.default_room_version + "' is not supported (10, 11, 12)");
  if (config.data_dir.empty()) throw ConfigError("data_dir must not be empty");
  if (config.network_threads == 0 || config.blocking_threads == 0) throw ConfigError("threads must be at least 1");
  if (config.max_body_bytes < 1024) throw ConfigError("limits.max_body_bytes must be at least 1024");
  if (config.media.max_upload_bytes < (1u << 20)) throw ConfigError("media.max_upload_mb must be at least 1");
  if (config.media.thumbnail_threads < 1) throw ConfigError("media.thumbnail_threads must be at least 1");
  if (config.media.pending_expiry_s < 60) throw ConfigError("media.pending_expiry_s must be at least 60");
  if (config.media.url_preview_max_bytes < (1u << 10))
    throw ConfigError("media.url_preview_max_size_kb must be at least 1");
  if (config.media.url_preview_timeout_ms < 100) throw ConfigError("media.url_preview_timeout_ms must be at least 100");
  validate_federation(config.federation);
  if (config.max_connections_per_address < 1) throw ConfigError("limits.max_connections_per_address must be at least 1");
  if (config.password_ops_limit < 1 || config.password_mem_limit_mb < 8)
    throw ConfigError("password_hashing is weaker than argon2id allows (ops_limit >= 1, mem_limit_mb >= 8)");
  static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), config.log_level) == kLevels.end())
    throw ConfigError("log_level '" + config.log_level + "' is not one of trace, debug, info, warn, error");
  for (auto rate : {config.rate_per_user, config.rate_per_address, config.rate_login, config.rate_failed_login})
    if (rate.per_second <= 0 || rate.burst < 1) throw ConfigError("rate limits need per_second > 0 and burst >= 1");
  for (const auto& admin : config.admins)
    if (!is_valid_user_id(admin)) throw ConfigError("admins: '" + admin + "' is not a user id");
  if (config.housing.neighbourhood_metres < 0) throw ConfigError("housing.neighbourhood_metres must be >= 0");
  if (config.housing.verification_valid_days < 1) throw ConfigError("housing.verification_valid_days must be >= 1");
  if (config.housing.code_valid_days < 1) throw ConfigError("housing.code_valid_days must be >= 1");
  if (config.housing.failed_redemptions < 1) throw ConfigError("housing.failed_redemptions must be >= 1");
  for (std::size_t i = 0; i < config.registration_tokens.size(); ++i) {
    const auto& token = config.registration_tokens[i];
    if (token.token.empty()) throw ConfigError("registration.tokens: a token must not be empty");
    if (token.uses_allowed && *token.uses_allowed < 0)
      throw ConfigError("registration.tokens: uses_allowed of '" + token.token + "' must be >= 0 or null");
    for (std::size_t j = 0; j < i; ++j)
      if (config.registration_tokens[j].token == token.token)
        throw ConfigError("registration.tokens: '" + token.token + "' is listed twice");
  }
}

}  // namespace domovoy
