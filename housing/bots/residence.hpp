#pragma once
// The apartments a user's verifications name, looked up in the registry: what the meters,
// billing and meetings bots act on. Only the asker's own: a bot never answers for another
// apartment.
#include <memory>
#include <string>
#include <vector>

#include "housing/bots/bot.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

struct Residence {
  const Building* building = nullptr;
  const Apartment* apartment = nullptr;
  std::string role;  // owner | tenant
};

// Pointers into `registry`, which the caller keeps alive.
std::vector<Residence> residences_of(const Asker& asker, const Registry& registry);

// "кв. 12" / "apt 12", and the address before it when the user has homes in several buildings.
std::string apartment_label(const Residence& residence, Language language, bool with_address);

}  // namespace domovoy::housing
