#pragma once
// `domovoy serve --with-housing` (the README's run command): the housing bots started beside the
// server as a child process of the same binary (`domovoy housing ...`), which still talks to the
// server only over HTTP. Its registration and data live under <data_dir>/housing; it is stopped
// with the server, and dies with it (PR_SET_PDEATHSIG) if the server is killed.
#include <sys/types.h>

#include <string>

#include "homeserver/core/config.hpp"

namespace domovoy {

class HousingChild {
 public:
  // Writes (or keeps) the registration and adds it to the server's appservices; call before the
  // server is built. Picks the bots' port.
  explicit HousingChild(Config& config);
  ~HousingChild();
  HousingChild(const HousingChild&) = delete;
  HousingChild& operator=(const HousingChild&) = delete;

  // Starts the child once the server listens on `server_port`.
  void start(unsigned short server_port, bool demo);
  void stop();
  const std::string& url() const { return url_; }

 private:
  std::string server_name_;
  std::string data_dir_;
  std::string registration_;
  std::string url_;
  unsigned short port_ = 0;
  pid_t child_ = -1;
};

}  // namespace domovoy
