#pragma once
// `domovoy housing`: the process of the housing appservices, assembled. It talks to the
// homeserver only over HTTP (the Application Service API both ways, and the housing API), and
// keeps its own data in its own RocksDB (`<data_dir>/db`).
#include <memory>

#include "housing/process/process_config.hpp"

namespace domovoy {

class HousingProcess {
 public:
  explicit HousingProcess(housing::ProcessConfig config);
  ~HousingProcess();
  HousingProcess(const HousingProcess&) = delete;
  HousingProcess& operator=(const HousingProcess&) = delete;

  unsigned short listen();  // binds; returns the port
  // Waits for the homeserver (registers the bots, reads the registry), then serves until stop().
  void run();
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace domovoy
