#pragma once
// The housing HTTP API: residents' /_domovoy/client/v1 (verify, their verifications, requests
// to the council chair) and the operators' /_domovoy/admin/v1 (registry, buildings, codes,
// residents, management company, chair). Handlers parse and format; the services decide.
#include "homeserver/client/services.hpp"
#include "homeserver/http/router.hpp"
#include "housing/service/provisioner.hpp"
#include "housing/service/registry_store.hpp"
#include "housing/service/verification_service.hpp"
#include "housing/service/verification_store.hpp"

namespace domovoy::housing {

struct HousingServices {
  RegistryStore& registry;
  VerificationStore& verifications;
  Provisioner& provisioner;
  VerificationService& verification;
};

// What an import did: the counts of the answer.
struct ImportResult {
  std::size_t buildings = 0;
  std::size_t apartments = 0;
  std::size_t created_rooms = 0;
};
// Validates the whole file, writes it in one batch and provisions what changed. Throws ApiError.
ImportResult import_registry(HousingServices& housing, std::string_view file_text);

void register_housing_routes(http::Router& router, ClientServices& services, HousingServices& housing);

}  // namespace domovoy::housing
