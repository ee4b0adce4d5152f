#pragma once
// Which servers this one federates with (issue 9, "Policy"): a closed federation by default, of
// the servers the config's allow list names; `federation.open` lets any server in. The same
// answer decides who may call this server's federation API and where its requests may go. The
// signed federation list and room ACLs narrow it further where they apply.
#include <string>
#include <string_view>
#include <vector>

#include "homeserver/core/config.hpp"

namespace domovoy::federation {

class FederationPolicy {
 public:
  explicit FederationPolicy(const Config::Federation& config);

  // Whether `server_name` may federate with this server. A pattern with a port names that server
  // only; one without a port names the host on any port; "*.suffix" any host under suffix.
  bool allows(std::string_view server_name) const;

 private:
  bool open_ = false;
  std::vector<std::string> patterns_;  // lower-cased
};

}  // namespace domovoy::federation
