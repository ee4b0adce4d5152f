// The outbound HTTP client (http/client.hpp) against small servers in the test: one that answers,
// one that never answers, a closed port, a server that drops kept-alive connections, and TLS with
// a certificate made for the test.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <functional>
#include <optional>

#include "homeserver/http/client.hpp"

namespace domovoy::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// What the server received: the request line and headers as sent, and the body.
struct Received {
  std::string head;
  std::string body;
};

// How the server treats the n-th request (counted from 0) on the c-th connection (from 0):
// the bytes to answer with, or nullopt to close the connection without answering.
using Script = std::function<std::optional<std::string>(std::size_t connection, std::size_t request)>;

std::string response(unsigned status, const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " Whatever\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

// A one-thread HTTP/1.1 server on 127.0.0.1 (or another local address), good enough for well-formed test requests.
class TestServer {
 public:
  TestServer(asio::io_context& io, Script script, std::shared_ptr<ssl::context> tls = nullptr,
             bool close_after_answer = false, const char* address = "127.0.0.1")
      : io_(io),
        acceptor_(io, tcp::endpoint(asio::ip::make_address(address), 0)),
        script_(std::move(script)),
        tls_(std::move(tls)),
        close_after_answer_(close_after_answer) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }
  ~TestServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::size_t connections() const { return connections_; }
  const std::vector<Received>& received() const { return received_; }

  // Accepts and reads, but never writes a byte.
  static Script silent() {
    return [](std::size_t, std::size_t) -> std::optional<std::string> { return std::string(); };
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto index = connections_++;
      if (tls_) {
        auto stream = std::make_shared<ssl::stream<tcp::socket>>(std::move(socket), *tls_);
        asio::co_spawn(io_, serve_tls(stream, index), asio::detached);
      } else {
        auto stream = std::make_shared<tcp::socket>(std::move(socket));
        asio::co_spawn(io_, serve(stream, index), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_tls(std::shared_ptr<ssl::stream<tcp::socket>> stream, std::size_t index) {
    boost::system::error_code ec;
    co_await stream->async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await serve(stream, index);
  }

  template <typename Stream>
  asio::awaitable<void> serve(std::shared_ptr<Stream> stream, std::size_t index) {
    std::string buffer;
    for (std::size_t n = 0;; ++n) {
      boost::system::error_code ec;
      auto head_size = co_await asio::async_read_until(*stream, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      Received request{buffer.substr(0, head_size), {}};
      buffer.erase(0, head_size);
      std::size_t length = 0;
      auto at = request.head.find("Content-Length: ");
      if (at != std::string::npos) length = std::stoul(request.head.substr(at + 16));
      if (buffer.size() < length)
        co_await asio::async_read(*stream, asio::dynamic_buffer(buffer), asio::transfer_exactly(length - buffer.size()),
                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
      received_.push_back(request);
      auto answer = script_(index, n);
      if (!answer) co_return;  // closes the connection
      if (answer->empty()) {
        // Silent: hold the connection open until the client gives up.
        co_await asio::async_read_until(*stream, asio::dynamic_buffer(buffer), "never",
                                        asio::redirect_error(asio::use_awaitable, ec));
        co_return;
      }
      co_await asio::async_write(*stream, asio::buffer(*answer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || close_after_answer_) co_return;
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  Script script_;
  std::shared_ptr<ssl::context> tls_;
  bool close_after_answer_;
  std::size_t connections_ = 0;
  std::vector<Received> received_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  // Runs one request to completion on the test's io_context.
  ClientResponse run(HttpClient& client, const ClientRequest& request) {
    std::optional<ClientResponse> result;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await client.request(request); },
        [](std::exception_ptr error) {
          if (error) std::rethrow_exception(error);
        });
    io.restart();  // a run that found nothing left to do has stopped the context
    while (!result && io.run_one_for(10s)) {
    }
    if (!result) ADD_FAILURE() << "the request did not finish";
    return result.value_or(ClientResponse{});
  }

  ClientRequest get(unsigned short port, const std::string& path = "/", const char* scheme = "http",
                    const char* host = "127.0.0.1") {
    ClientRequest request;
    request.url = std::string(scheme) + "://" + host + ":" + std::to_string(port) + path;
    request.timeout = 5s;
    return request;
  }

  asio::io_context io;
};

TEST_F(HttpClientTest, SendsTheRequestAndReadsTheResponse) {
  TestServer server(
      io, [](std::size_t, std::size_t) { return response(200, R"({"ok":true})", "X-Thing: a\r\nX-Thing: b\r\n"); });
  HttpClient client(io.get_executor());
  auto request = get(server.port(), "/_matrix/app/v1/transactions/7?access_token=x%20y");
  request.method = boost::beast::http::verb::put;
  request.headers = {{"Authorization", "Bearer hs-secret"}, {"Content-Type", "application/json"}};
  request.body = R"({"events":[]})";
  auto answer = run(client, request);
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_TRUE(answer.success());
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body, R"({"ok":true})");
  EXPECT_EQ(answer.headers["content-type"], "application/json");
  EXPECT_EQ(answer.headers["x-thing"], "a, b");
  EXPECT_FALSE(answer.reused_connection);

  ASSERT_EQ(server.received().size(), 1u);
  const auto& sent = server.received()[0];
  EXPECT_EQ(sent.head.rfind("PUT /_matrix/app/v1/transactions/7?access_token=x%20y HTTP/1.1\r\n", 0), 0u) << sent.head;
  EXPECT_NE(sent.head.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(sent.head.find("Authorization: Bearer hs-secret\r\n"), std::string::npos);
  EXPECT_NE(sent.head.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(sent.head.find("User-Agent: Domovoy\r\n"), std::string::npos);
  EXPECT_EQ(sent.body, R"({"events":[]})");
}

TEST_F(HttpClientTest, AnErrorStatusIsAResponseNotAFailure) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(500, R"({"errcode":"M_UNKNOWN"})"); });
  HttpClient client(io.get_executor());
  auto answer = run(client, get(server.port()));
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_FALSE(answer.success());
  EXPECT_EQ(answer.status, 500u);
  EXPECT_EQ(answer.body, R"({"errcode":"M_UNKNOWN"})");
}

TEST_F(HttpClientTest, AServerThatNeverAnswersTimesOut) {
  TestServer server(io, TestServer::silent());
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  request.timeout = 200ms;
  auto started = std::chrono::steady_clock::now();
  auto answer = run(client, request);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer.error, ClientError::timeout) << to_string(answer.error) << ": " << answer.message;
  EXPECT_EQ(answer.message, "no response from 127.0.0.1:" + std::to_string(server.port()) + " within 200 ms");
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, AClosedPortFailsToConnect) {
  unsigned short port;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpClient client(io.get_executor());
  auto answer = run(client, get(port));
  EXPECT_EQ(answer.error, ClientError::connection_failed) << to_string(answer.error) << ": " << answer.message;
  EXPECT_EQ(answer.message.rfind("cannot connect to 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u)
      << answer.message;
}

TEST_F(HttpClientTest, AConnectionClosedWithoutAnAnswerFails) {
  TestServer server(io, [](std::size_t, std::size_t) -> std::optional<std::string> { return std::nullopt; });
  HttpClient client(io.get_executor());
  auto answer = run(client, get(server.port()));
  EXPECT_EQ(answer.error, ClientError::connection_failed) << to_string(answer.error) << ": " << answer.message;
  EXPECT_EQ(server.connections(), 1u) << "a fresh connection is not tried again";
}

TEST_F(HttpClientTest, RequestsThatCannotBeSent) {
  HttpClient client(io.get_executor());
  for (const char* url : {"ftp://example.org/", "not a url", "http:///path", "http://user:pw@example.org/", ""}) {
    ClientRequest request;
    request.url = url;
    auto answer = run(client, request);
    EXPECT_EQ(answer.error, ClientError::invalid_request) << url << ": " << answer.message;
  }
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, "{}"); });
  for (auto header : {std::pair<std::string, std::string>{"Authorization", "Bearer x\r\nX-Injected: 1"},
                      {"X-Bad\nName", "v"},
                      {"", "v"},
                      {"X-Nul", std::string("a\0b", 3)}}) {
    auto request = get(server.port());
    request.headers = {header};
    auto answer = run(client, request);
    EXPECT_EQ(answer.error, ClientError::invalid_request) << header.first << ": " << answer.message;
  }
  EXPECT_TRUE(server.received().empty());
}

TEST_F(HttpClientTest, ReachesAnIpv6Literal) {
  boost::system::error_code ec;
  tcp::acceptor probe(io);
  probe.open(tcp::v6(), ec);
  if (!ec) probe.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
  probe.close();
  TestServer server(
      io, [](std::size_t, std::size_t) { return response(200, "six"); }, nullptr, false, "::1");
  HttpClient client(io.get_executor());
  auto answer = run(client, get(server.port(), "/", "http", "[::1]"));
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_EQ(answer.body, "six");
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_NE(server.received()[0].head.find("Host: [::1]:" + std::to_string(server.port()) + "\r\n"), std::string::npos)
      << server.received()[0].head;
}

TEST_F(HttpClientTest, AResponseLargerThanTheCapIsRefused) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, std::string(1000, 'x')); });
  ClientOptions options;
  options.max_response_body_bytes = 999;
  HttpClient client(io.get_executor(), options);
  auto answer = run(client, get(server.port()));
  EXPECT_EQ(answer.error, ClientError::invalid_response) << to_string(answer.error) << ": " << answer.message;
  EXPECT_EQ(answer.message, "response body larger than 999 bytes");
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ABodyAtTheCapIsRead) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, std::string(999, 'x')); });
  ClientOptions options;
  options.max_response_body_bytes = 999;
  HttpClient client(io.get_executor(), options);
  auto answer = run(client, get(server.port()));
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_EQ(answer.body.size(), 999u);
}

TEST_F(HttpClientTest, SomethingThatIsNotHttpIsAnInvalidResponse) {
  TestServer server(io, [](std::size_t, std::size_t) { return std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"); });
  HttpClient client(io.get_executor());
  auto answer = run(client, get(server.port()));
  EXPECT_EQ(answer.error, ClientError::invalid_response) << to_string(answer.error) << ": " << answer.message;
}

TEST_F(HttpClientTest, KeepsTheConnectionAliveForTheNextRequest) {
  TestServer server(io, [](std::size_t, std::size_t n) { return response(200, std::to_string(n)); });
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  auto first = run(client, request);
  ASSERT_TRUE(first.ok()) << first.message;
  EXPECT_EQ(client.idle_connections(), 1u);
  auto second = run(client, request);
  ASSERT_TRUE(second.ok()) << second.message;
  EXPECT_EQ(second.body, "1") << "the second request on the same connection";
  EXPECT_TRUE(second.reused_connection);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClientTest, NoReuseWhenTheServerSaysClose) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, "{}", "Connection: close\r\n"); });
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  EXPECT_TRUE(run(client, request).ok());
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_TRUE(run(client, request).ok());
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(HttpClientTest, NoReuseWhenKeepAliveIsOff) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, "{}"); });
  ClientOptions options;
  options.max_idle_per_host = 0;
  HttpClient client(io.get_executor(), options);
  auto request = get(server.port());
  EXPECT_TRUE(run(client, request).ok());
  EXPECT_TRUE(run(client, request).ok());
  EXPECT_EQ(server.connections(), 2u);
  ASSERT_EQ(server.received().size(), 2u);
  EXPECT_NE(server.received()[0].head.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpClientTest, AKeptConnectionTheServerDroppedIsReplaced) {
  // The first connection answers once, then reads the next request and closes without answering,
  // as a server does whose keep-alive timeout ran out just as the request came.
  TestServer server(io, [](std::size_t connection, std::size_t n) -> std::optional<std::string> {
    if (connection == 0 && n > 0) return std::nullopt;
    return response(200, "connection " + std::to_string(connection));
  });
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  ASSERT_TRUE(run(client, request).ok());
  auto second = run(client, request);
  ASSERT_TRUE(second.ok()) << second.message;
  EXPECT_EQ(second.body, "connection 1");
  EXPECT_FALSE(second.reused_connection);
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.received().size(), 3u) << "sent on the dead connection, then once more on a fresh one";
}

TEST_F(HttpClientTest, AKeptConnectionTheServerClosedIsReplaced) {
  // The server announces keep-alive but closes after every answer. Whether the client sees the
  // close before it reuses the connection or only when the request gets no answer, the request
  // succeeds on a fresh connection.
  TestServer server(
      io, [](std::size_t connection, std::size_t) { return response(200, std::to_string(connection)); }, nullptr,
      /*close_after_answer=*/true);
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  ASSERT_TRUE(run(client, request).ok());
  auto second = run(client, request);
  ASSERT_TRUE(second.ok()) << second.message;
  EXPECT_EQ(second.body, "1");
  EXPECT_FALSE(second.reused_connection);
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(HttpClientTest, AnIdleConnectionPastItsAgeIsNotUsed) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, "{}"); });
  ClientOptions options;
  options.max_idle_age = 0ms;
  HttpClient client(io.get_executor(), options);
  auto request = get(server.port());
  ASSERT_TRUE(run(client, request).ok());
  auto again = run(client, request);
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_FALSE(again.reused_connection);
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(HttpClientTest, ManyRequestsAtOnce) {
  TestServer server(io, [](std::size_t, std::size_t) { return response(200, "{}"); });
  HttpClient client(io.get_executor());
  auto request = get(server.port());
  int done = 0, ok = 0;
  for (int i = 0; i < 20; ++i)
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto answer = co_await client.request(request);
          ++done;
          if (answer.success()) ++ok;
        },
        asio::detached);
  while (done < 20 && io.run_one_for(10s)) {
  }
  EXPECT_EQ(ok, 20);
  EXPECT_LE(client.idle_connections(), 8u) << "ClientOptions::max_idle_per_host";
}

// A self-signed certificate and its key, in PEM, for the names in `subject_alt_names`
// ("DNS:localhost", "IP:127.0.0.1").
struct TestCertificate {
  std::string certificate;
  std::string key;
};

TestCertificate make_certificate(const std::string& subject_alt_names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("domovoy test"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, subject_alt_names.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)> extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value), X509_EXTENSION_free);
    X509_add_ext(cert.get(), extension.get(), -1);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    auto size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  return {pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert.get()); }),
          pem([&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr); })};
}

class HttpClientTls : public HttpClientTest {
 protected:
  void SetUp() override {
    certificate = make_certificate("DNS:localhost");
    server_tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    server_tls->use_certificate_chain(asio::buffer(certificate.certificate));
    server_tls->use_private_key(asio::buffer(certificate.key), ssl::context::pem);
    trusting = std::make_shared<ssl::context>(ssl::context::tls_client);
    trusting->add_certificate_authority(asio::buffer(certificate.certificate));
    trusting->set_verify_mode(ssl::verify_peer);
  }

  TestCertificate certificate;
  std::shared_ptr<ssl::context> server_tls;
  std::shared_ptr<ssl::context> trusting;
};

TEST_F(HttpClientTls, TalksToAServerWithATrustedCertificate) {
  TestServer server(
      io, [](std::size_t, std::size_t n) { return response(200, "secure " + std::to_string(n)); }, server_tls);
  ClientOptions options;
  options.tls = trusting;
  HttpClient client(io.get_executor(), options);
  auto request = get(server.port(), "/ping", "https", "localhost");
  auto answer = run(client, request);
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_EQ(answer.body, "secure 0");
  auto again = run(client, request);
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_EQ(again.body, "secure 1");
  EXPECT_TRUE(again.reused_connection);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClientTls, RefusesACertificateForAnotherName) {
  TestServer server(
      io, [](std::size_t, std::size_t) { return response(200, "{}"); }, server_tls);
  ClientOptions options;
  options.tls = trusting;
  HttpClient client(io.get_executor(), options);
  auto answer = run(client, get(server.port(), "/", "https", "127.0.0.1"));
  EXPECT_EQ(answer.error, ClientError::connection_failed) << to_string(answer.error) << ": " << answer.message;
  EXPECT_NE(answer.message.find("certificate verify failed"), std::string::npos) << answer.message;
  EXPECT_TRUE(server.received().empty());
}

TEST_F(HttpClientTls, RefusesAnUntrustedCertificateByDefault) {
  TestServer server(
      io, [](std::size_t, std::size_t) { return response(200, "{}"); }, server_tls);
  HttpClient client(io.get_executor());
  auto answer = run(client, get(server.port(), "/", "https", "localhost"));
  EXPECT_EQ(answer.error, ClientError::connection_failed) << to_string(answer.error) << ": " << answer.message;
  EXPECT_NE(answer.message.find("certificate verify failed"), std::string::npos) << answer.message;
  EXPECT_TRUE(server.received().empty());
}

TEST_F(HttpClientTls, ATlsServerThatNeverAnswersTimesOut) {
  TestServer server(io, TestServer::silent(), server_tls);
  ClientOptions options;
  options.tls = trusting;
  HttpClient client(io.get_executor(), options);
  auto request = get(server.port(), "/", "https", "localhost");
  request.timeout = 200ms;
  auto answer = run(client, request);
  EXPECT_EQ(answer.error, ClientError::timeout) << to_string(answer.error) << ": " << answer.message;
}

}  // namespace
}  // namespace domovoy::http
