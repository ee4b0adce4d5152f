#pragma once
// The housing process's only way to the homeserver: its client-server API as the bots
// (the appservice's as_token, `?user_id=` asserting which bot) and the housing API of the
// homeserver (registry, verifications, codes), over HTTP. Calls block the calling thread; the
// requests run on a small io_context of their own.
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "homeserver/http/client.hpp"

namespace domovoy::housing {

// The homeserver did not answer (down, restarting, overloaded): the work that needed it is not
// done and must be tried again (a transaction is then refused, for the homeserver to resend it).
class HomeserverUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ApiAnswer {
  unsigned status = 0;  // 0: no answer (connection failed, timeout)
  boost::json::value body;
  std::string transport_error;

  bool ok() const { return status >= 200 && status < 300; }
  std::string errcode() const;
  std::string error() const;  // the server's message
};

class HomeserverApi {
 public:
  HomeserverApi(std::string base_url, std::string as_token);
  ~HomeserverApi();
  HomeserverApi(const HomeserverApi&) = delete;
  HomeserverApi& operator=(const HomeserverApi&) = delete;

  // `path` with its query; `as_user` adds ?user_id= (the bot the request acts as).
  ApiAnswer call(boost::beast::http::verb method, const std::string& path, const boost::json::value* body = nullptr,
                 const std::string& as_user = {});

  // Client-server helpers, each as `bot`.
  ApiAnswer send_message(const std::string& bot, const std::string& room_id, const std::string& txn_id,
                         const boost::json::object& content, const std::string& type = "m.room.message");
  ApiAnswer join(const std::string& bot, const std::string& room_id);
  // A direct room of `bot` with `user` (invited, is_direct); the room id or nullopt.
  std::optional<std::string> create_direct_room(const std::string& bot, const std::string& user, const std::string& name);
  // Registers an appservice user (m.login.application_service); "in use" counts as done.
  bool register_user(const std::string& localpart);
  // The homeserver's time: its test clock when it runs on one, otherwise nullopt (use the
  // system clock, which is then the same).
  std::optional<std::int64_t> test_clock_ms();

  static std::string segment(const std::string& value);  // percent-encoded path segment

 private:
  std::string base_;
  std::string as_token_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<http::HttpClient> client_;
  std::thread thread_;
};

}  // namespace domovoy::housing
