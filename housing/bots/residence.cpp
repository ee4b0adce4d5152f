#include "housing/bots/residence.hpp"

namespace domovoy::housing {

std::vector<Residence> residences_of(const Asker& asker, const Registry& registry) {
  std::vector<Residence> found;
  for (const auto& verification : asker.verifications) {
    const auto* building = registry.find_building(verification.building_id);
    if (!building) continue;
    const auto* apartment = building->find_apartment(verification.apartment);
    if (!apartment) continue;
    found.push_back({building, apartment, verification.role});
  }
  return found;
}

std::string apartment_label(const Residence& residence, Language language, bool with_address) {
  auto label = (language == Language::ru ? "кв. " : "apt ") + residence.apartment->number;
  return with_address ? residence.building->address + ", " + label : label;
}

}  // namespace domovoy::housing
