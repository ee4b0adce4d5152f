#pragma once
// Who this server is: its name in user and room ids and the key it signs events and requests
// with. Shared by the room engine, the key server and (later) federation's request signing.
#include <string>

#include "homeserver/events/signing_key.hpp"

namespace domovoy {

struct ServerIdentity {
  std::string server_name;
  SigningKey signing_key;
};

}  // namespace domovoy
