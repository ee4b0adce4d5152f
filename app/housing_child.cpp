#include "app/housing_child.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "housing/process/registration_writer.hpp"

namespace domovoy {

namespace {
// A free loopback port, found by binding port 0: the registration needs the bots' URL before
// they start.
unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("no socket for the housing bots' port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  unsigned short port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  if (port == 0) throw std::runtime_error("no free port for the housing bots");
  return port;
}
}  // namespace

HousingChild::HousingChild(Config& config) : server_name_(config.server_name), data_dir_(config.data_dir + "/housing") {
  std::filesystem::create_directories(data_dir_);
  registration_ = data_dir_ + "/registration.yaml";
  port_ = config.listen_port != 0 && config.listen_port < 64535 ? static_cast<unsigned short>(config.listen_port + 1000) : free_port();
  url_ = "http://127.0.0.1:" + std::to_string(port_);
  housing::ProcessConfig bots;
  bots.server_name = config.server_name;
  housing::write_registration(registration_, url_, bots);
  config.appservice_files.push_back(registration_);
}

HousingChild::~HousingChild() { stop(); }

void HousingChild::start(unsigned short server_port, bool demo) {
  std::vector<std::string> args = {"/proc/self/exe", "housing", "--registration", registration_, "--homeserver",
                                   "http://127.0.0.1:" + std::to_string(server_port), "--server-name", server_name_,
                                   "--listen", "127.0.0.1:" + std::to_string(port_), "--data-dir", data_dir_ + "/data"};
  if (demo) args.push_back("--demo");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto parent = ::getpid();
  child_ = ::fork();
  if (child_ < 0) throw std::runtime_error("cannot start the housing bots");
  if (child_ == 0) {
    // Only async-signal-safe calls until exec: the parent has threads.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

void HousingChild::stop() {
  if (child_ <= 0) return;
  ::kill(child_, SIGTERM);
  int status = 0;
  ::waitpid(child_, &status, 0);
  child_ = -1;
}

}  // namespace domovoy
