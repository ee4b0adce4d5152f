#pragma once
// The whole server assembled from a Config: storage, room engine, client and federation routes
// and the HTTP listener. main.cpp runs one; fuzzers and benchmarks embed one.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "homeserver/core/config.hpp"

namespace domovoy {

class Homeserver {
 public:
  // Opens the database (throws storage::IncompatibleSchema) and builds every part.
  explicit Homeserver(Config config);
  ~Homeserver();
  Homeserver(const Homeserver&) = delete;
  Homeserver& operator=(const Homeserver&) = delete;

  // Starts listening; returns the bound port (the configured one, or a free one for port 0).
  unsigned short listen();
  // Starts the federation listener (TLS) when the config has one; returns its port, 0 without
  // one. Throws for a certificate or key that cannot be loaded, or an address that cannot be bound.
  unsigned short listen_federation();
  // Runs the network threads until stop(); the calling thread is one of them.
  void run();
  // Runs the network threads in the background (for embedding); the destructor joins them.
  void start_background();
  // Asks the server to stop; safe from any thread, including a signal-waiting one.
  void stop();
  const Config& config() const;
  // Where the demo region's codes and admin password are (empty without the demo).
  std::string demo_codes_file() const;
  std::string demo_admin_password_file() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace domovoy
