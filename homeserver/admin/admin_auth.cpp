#include "homeserver/admin/admin_auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/private_file.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

namespace {
constexpr std::int64_t kSignatureWindowMs = 5 * 60 * 1000;

std::string hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, data, size);
  return out;
}

std::string mac_of(const std::string& secret, std::int64_t ts_ms, const std::string& method, const std::string& target,
                   const std::string& body) {
  unsigned char body_hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(body_hash, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  std::string message = std::to_string(ts_ms) + "\n" + method + "\n" + target + "\n" + hex(body_hash, sizeof body_hash);
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  crypto_hash_sha256(key, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(), key);
  return hex(mac, sizeof mac);
}

std::string field(std::string_view text, std::string_view name) {
  auto start = text.find(std::string(name) + "=");
  if (start == std::string_view::npos) return {};
  start += name.size() + 1;
  auto end = text.find(',', start);
  return std::string(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

std::string request_target(const http::Request& request) {
  std::string target = request.path;
  // The query as sent is not kept, so the signature covers it in the server's decoded form.
  bool first = true;
  for (const auto& [key, value] : request.query) {
    target += first ? "?" : "&";
    target += key + "=" + value;
    first = false;
  }
  return target;
}
}  // namespace

std::string operator_authorization(const std::string& secret, std::int64_t ts_ms, const std::string& method,
                                   const std::string& target, const std::string& body) {
  return "DomovoyOperator ts=" + std::to_string(ts_ms) + ",mac=" + mac_of(secret, ts_ms, method, target, body);
}

AdminCaller require_admin(const ClientServices& services, const http::Request& request) {
  if (!request.user_id.empty()) {
    const auto& admins = services.config.admins;
    bool listed = std::find(admins.begin(), admins.end(), request.user_id) != admins.end();
    auto account = services.accounts.find(request.user_id);
    if (!listed && (!account || !account->admin)) throw forbidden("You are not a server admin");
    return {request.user_id};
  }
  auto authorization = request.header("authorization");
  if (authorization.rfind("DomovoyOperator ", 0) != 0) throw ApiError(401, "M_MISSING_TOKEN", "Missing access token");
  const auto& secret = services.config.operator_secret;
  auto ts_text = field(authorization, "ts");
  auto mac = field(authorization, "mac");
  std::int64_t ts = 0;
  auto parsed = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  bool fresh = parsed.ec == std::errc{} && std::abs(now_ms() - ts) <= kSignatureWindowMs;
  std::string method(boost::beast::http::to_string(request.method));
  auto expected = secret.empty() ? std::string() : mac_of(secret, ts, method, request_target(request), request.body);
  bool matches = !expected.empty() && mac.size() == expected.size() &&
                 sodium_memcmp(mac.data(), expected.data(), expected.size()) == 0;
  if (!fresh || !matches) throw ApiError(401, "M_UNKNOWN_TOKEN", "Bad or expired operator signature");
  return {};
}

}  // namespace domovoy

namespace domovoy {
std::string load_or_create_operator_secret(const Config& config) {
  if (!config.registration_shared_secret.empty()) return config.registration_shared_secret;
  auto path = config.data_dir + "/operator.secret";
  auto read = [&] {
    auto text = read_private_file(path, 4096, "operator secret file");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.size() < 16) throw PrivateFileError("operator secret file " + path + " is too short");
    return text;
  };
  if (private_file_present(path, "operator secret file")) return read();
  auto secret = random_token(32);
  if (create_private_file(path, config.data_dir, secret + "\n", "operator secret")) return secret;
  return read();
}
}  // namespace domovoy
