#include "housing/process/homeserver_api.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "homeserver/core/json.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using boost::beast::http::verb;

std::string ApiAnswer::errcode() const {
  if (!body.is_object()) return {};
  auto code = optional_string(body.as_object(), "errcode");
  return code.value_or("");
}

std::string ApiAnswer::error() const {
  if (!body.is_object()) return transport_error;
  return optional_string(body.as_object(), "error").value_or(transport_error);
}

std::string HomeserverApi::segment(const std::string& value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

HomeserverApi::HomeserverApi(std::string base_url, std::string as_token)
    : base_(std::move(base_url)), as_token_(std::move(as_token)), work_(io_.get_executor()) {
  http::ClientOptions options;
  options.user_agent = "Domovoy housing";
  options.max_idle_per_host = 32;
  client_ = std::make_unique<http::HttpClient>(io_.get_executor(), options);
  thread_ = std::thread([this] { io_.run(); });
}

HomeserverApi::~HomeserverApi() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

ApiAnswer HomeserverApi::call(verb method, const std::string& path, const json::value* body, const std::string& as_user) {
  http::ClientRequest request;
  request.method = method;
  request.url = base_ + path;
  if (!as_user.empty()) request.url += std::string(path.find('?') == std::string::npos ? "?" : "&") + "user_id=" + segment(as_user);
  request.headers.emplace_back("Authorization", "Bearer " + as_token_);
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = json::serialize(*body);
  }
  request.timeout = std::chrono::seconds(60);
  auto task = [this, &request]() -> boost::asio::awaitable<http::ClientResponse> {
    co_return co_await client_->request(request);
  };
  auto response = boost::asio::co_spawn(io_, task, boost::asio::use_future).get();
  ApiAnswer answer;
  if (!response.ok()) {
    answer.transport_error = response.message.empty() ? http::to_string(response.error) : response.message;
    return answer;
  }
  answer.status = response.status;
  try {
    answer.body = parse_untrusted_json(response.body);
  } catch (const std::exception&) {
    answer.body = nullptr;
  }
  return answer;
}

ApiAnswer HomeserverApi::send_message(const std::string& bot, const std::string& room_id, const std::string& txn_id,
                                      const json::object& content, const std::string& type) {
  json::value body = content;
  return call(verb::put, "/_matrix/client/v3/rooms/" + segment(room_id) + "/send/" + segment(type) + "/" + segment(txn_id),
              &body, bot);
}

ApiAnswer HomeserverApi::join(const std::string& bot, const std::string& room_id) {
  json::value body = json::object{};
  return call(verb::post, "/_matrix/client/v3/rooms/" + segment(room_id) + "/join", &body, bot);
}

std::optional<std::string> HomeserverApi::create_direct_room(const std::string& bot, const std::string& user,
                                                             const std::string& name) {
  json::value body = json::object{{"preset", "trusted_private_chat"},
                                  {"is_direct", true},
                                  {"invite", json::array{json::value(user)}},
                                  {"name", name}};
  auto answer = call(verb::post, "/_matrix/client/v3/createRoom", &body, bot);
  if (!answer.ok() || !answer.body.is_object()) return std::nullopt;
  return optional_string(answer.body.as_object(), "room_id");
}

bool HomeserverApi::register_user(const std::string& localpart) {
  json::value body = json::object{{"type", "m.login.application_service"}, {"username", localpart}, {"inhibit_login", true}};
  auto answer = call(verb::post, "/_matrix/client/v3/register", &body);
  return answer.ok() || answer.errcode() == "M_USER_IN_USE";
}

std::optional<std::int64_t> HomeserverApi::test_clock_ms() {
  auto answer = call(verb::get, "/_domovoy/admin/v1/test/clock");
  if (!answer.ok() || !answer.body.is_object()) return std::nullopt;
  return optional_int(answer.body.as_object(), "now_ms");
}

}  // namespace domovoy::housing
