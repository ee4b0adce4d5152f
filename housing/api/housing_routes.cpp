#include "housing/api/housing_routes.hpp"

#include <set>

#include "homeserver/admin/admin_auth.hpp"
#include "homeserver/admin/server_admin.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/time_format.hpp"
#include "housing/registry/registry_ids.hpp"
#include "housing/registry/registry_parser.hpp"
#include "housing/registry/registry_writer.hpp"

namespace domovoy::housing {

using boost::beast::http::verb;

namespace {

json::object verification_json(const Verification& v) {
  return {{"user_id", v.user_id},       {"building_id", v.building_id},
          {"apartment", v.apartment},   {"role", v.role},
          {"method", v.method},         {"verified_at", format_iso8601(v.verified_at)},
          {"expires_at", format_iso8601(v.expires_at)}};
}

json::object request_json(const VerificationRequest& r) {
  return {{"request_id", r.id},        {"user_id", r.user_id}, {"building_id", r.building_id},
          {"apartment", r.apartment},  {"role", r.role},       {"status", r.status},
          {"created_at", format_iso8601(r.created_at)}};
}

json::object rooms_json(const BuildingRooms& rooms) {
  json::object entrances;
  for (const auto& [number, room] : rooms.entrances) entrances[std::to_string(number)] = room;
  return {{"space", rooms.space},           {"general", rooms.general}, {"announcements", rooms.announcements},
          {"owners", rooms.owners},         {"neighbourhood", rooms.neighbourhood.empty() ? json::value(nullptr) : json::value(rooms.neighbourhood)},
          {"entrances", std::move(entrances)}};
}

// Building ids in URLs are GUIDs in any letter case; stored ones are lower case.
std::string building_id_of(HousingServices& housing, const std::string& raw) {
  auto id = normalise_building_id(raw);
  if (!id || !housing.registry.registry()->find_building(*id)) throw not_found("Unknown building " + raw);
  return *id;
}

BuildingRooms rooms_with_neighbourhood(HousingServices& housing, const std::string& building_id) {
  auto rooms = housing.registry.rooms(building_id).value_or(BuildingRooms{});
  Verification probe;
  probe.building_id = building_id;
  rooms.neighbourhood = housing.provisioner.rooms_for(probe).neighbourhood;
  return rooms;
}

std::optional<std::string> optional_text(const json::object& body, const char* key) {
  const auto* value = body.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) throw bad_json(std::string(key) + " must be a string");
  return std::string(value->as_string());
}

// The housing appservice reads the registry and verifications with its as_token (and redeems
// the codes residents send its bot).
void require_admin_or_housing_appservice(const ClientServices& services, const http::Request& request) {
  if (!request.appservice_id.empty() && request.appservice_id == services.config.housing.appservice_id) return;
  require_admin(services, request);
}

json::object redeem_answer(HousingServices& housing, const std::string& user_id, const std::string& code) {
  auto verification = housing.verification.redeem(user_id, code);
  auto rooms = housing.provisioner.rooms_for(verification);
  json::object answer_rooms{{"space", rooms.space},
                            {"general", rooms.general},
                            {"announcements", rooms.announcements},
                            {"entrance", rooms.entrance}};
  if (!rooms.owners.empty()) answer_rooms["owners"] = rooms.owners;
  if (!rooms.neighbourhood.empty()) answer_rooms["neighbourhood"] = rooms.neighbourhood;
  return {{"building_id", verification.building_id},
          {"apartment", verification.apartment},
          {"role", verification.role},
          {"expires_at", format_iso8601(verification.expires_at)},
          {"rooms", std::move(answer_rooms)}};
}

}  // namespace

ImportResult import_registry(HousingServices& housing, std::string_view file_text) {
  RegistryParseOptions options;
  for (const auto& company : housing.registry.registry()->management_companies)
    options.known_management_companies.insert(company.id);
  auto file = parse_registry(file_text, options);
  ImportResult result;
  auto before = housing.registry.registry();
  auto summary = housing.registry.import(file, [](storage::WriteBatch& batch, const ImportSummary& summary) {
    for (const auto& id : summary.changed_buildings) VerificationStore::stage_pending(batch, "building", id);
  });
  result.buildings = summary.buildings;
  result.apartments = summary.apartments;
  // Every building of the file is provisioned: a changed one needs it, an unchanged one whose
  // provisioning a crash cut short finishes (both are idempotent).
  for (const auto& building : file.buildings) {
    result.created_rooms += housing.provisioner.provision_building(building.id);
    housing.verifications.clear_pending("building", building.id);
  }
  result.created_rooms += housing.provisioner.provision_neighbourhoods();
  result.created_rooms += housing.provisioner.provision_dispatch_rooms();
  // Staff who left a company or a chair replaced: their old memberships are reconciled too.
  std::set<std::string> before_people;
  for (const auto& company : before->management_companies) before_people.insert(company.staff.begin(), company.staff.end());
  for (const auto& building : before->buildings)
    if (building.chair) before_people.insert(*building.chair);
  before_people.insert(before->region.inspectorate.staff.begin(), before->region.inspectorate.staff.end());
  for (const auto& person : before_people) housing.provisioner.reconcile_user(person);
  return result;
}

void register_housing_routes(http::Router& router, ClientServices& services, HousingServices& housing) {
  // ---- residents
  router.add(verb::post, "/_domovoy/client/v1/verify", http::Auth::required, [&housing](http::Request& request) {
    auto body = request.json_body();
    return http::Response::json(redeem_answer(housing, request.user_id, required_string(body, "code")));
  });
  // The housing appservice redeems the code a resident sent its bot in a direct message; the
  // same limits and answer as the resident's own POST /verify.
  router.add(verb::post, "/_domovoy/admin/v1/users/{userId}/verify", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin_or_housing_appservice(services, request);
               const auto& user_id = request.path_params[0];
               if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
               auto body = request.json_body();
               return http::Response::json(redeem_answer(housing, user_id, required_string(body, "code")));
             });
  router.add(verb::get, "/_domovoy/client/v1/verification", http::Auth::required, [&housing](http::Request& request) {
    json::array verifications;
    auto registry = housing.registry.registry();
    for (const auto& v : housing.verifications.of_user(request.user_id)) {
      auto entry = verification_json(v);
      if (const auto* building = registry->find_building(v.building_id)) entry["address"] = building->address;
      verifications.push_back(std::move(entry));
    }
    return http::Response::json(json::object{{"verifications", std::move(verifications)}});
  });
  router.add(verb::post, "/_domovoy/client/v1/verification_requests", http::Auth::required,
             [&housing](http::Request& request) {
               auto body = request.json_body();
               auto building = building_id_of(housing, required_string(body, "building_id"));
               auto made = housing.verification.request(request.user_id, building, required_string(body, "apartment"),
                                                        optional_string(body, "role").value_or("tenant"));
               return http::Response::json(request_json(made));
             });
  // The council chair's list of the building's requests (admins see it too).
  router.add(verb::get, "/_domovoy/client/v1/buildings/{buildingId}/verification_requests", http::Auth::required,
             [&services, &housing](http::Request& request) {
               auto building_id = building_id_of(housing, request.path_params[0]);
               const auto* building = housing.registry.registry()->find_building(building_id);
               bool is_chair = building->chair && *building->chair == request.user_id;
               if (!is_chair && !is_server_admin(services, request.user_id))
                 throw forbidden("Only the building's council chair sees its requests");
               json::array requests;
               for (const auto& r : housing.verifications.requests_of_building(building_id))
                 if (r.status == "pending") requests.push_back(request_json(r));
               return http::Response::json(json::object{{"requests", std::move(requests)}});
             });
  for (const auto* action : {"approve", "refuse"}) {
    bool approve = std::string(action) == "approve";
    router.add(verb::post, std::string("/_domovoy/client/v1/verification_requests/{requestId}/") + action,
               http::Auth::required, [&services, &housing, approve](http::Request& request) {
                 auto decided = housing.verification.decide(request.path_params[0], request.user_id,
                                                            is_server_admin(services, request.user_id), approve);
                 return http::Response::json(request_json(decided));
               });
  }

  // ---- operators
  router.add(verb::post, "/_domovoy/admin/v1/registry", http::Auth::optional, [&services, &housing](http::Request& request) {
    require_admin(services, request);
    auto result = import_registry(housing, request.body);
    return http::Response::json(json::object{
        {"buildings", result.buildings}, {"apartments", result.apartments}, {"created_rooms", result.created_rooms}});
  });
  router.add(verb::get, "/_domovoy/admin/v1/registry", http::Auth::optional, [&services, &housing](http::Request& request) {
    require_admin_or_housing_appservice(services, request);
    auto document = registry_to_json(*housing.registry.registry());
    document["format"] = std::string(kRegistryFormat);
    return http::Response::json(std::move(document));
  });
  router.add(verb::get, "/_domovoy/admin/v1/buildings", http::Auth::optional, [&services, &housing](http::Request& request) {
    require_admin_or_housing_appservice(services, request);
    json::array buildings;
    json::object dispatch_rooms;  // company id -> its dispatchers' room
    auto registry = housing.registry.registry();
    for (const auto& company : registry->management_companies)
      if (auto room = housing.registry.dispatch_room(company.id)) dispatch_rooms[company.id] = *room;
    for (const auto& building : registry->buildings)
      buildings.push_back(json::object{{"id", building.id},
                                       {"slug", building.slug},
                                       {"address", building.address},
                                       {"management_company", building.management_company},
                                       {"chair", building.chair ? json::value(*building.chair) : json::value(nullptr)},
                                       {"rooms", rooms_json(rooms_with_neighbourhood(housing, building.id))}});
    return http::Response::json(json::object{{"buildings", std::move(buildings)}, {"dispatch_rooms", std::move(dispatch_rooms)}});
  });
  router.add(verb::get, "/_domovoy/admin/v1/buildings/{buildingId}", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin_or_housing_appservice(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto building = building_to_json(*housing.registry.registry()->find_building(id));
               building["rooms"] = rooms_json(rooms_with_neighbourhood(housing, id));
               return http::Response::json(std::move(building));
             });
  router.add(verb::post, "/_domovoy/admin/v1/buildings/{buildingId}/codes", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto body = request.optional_json_body();
               std::optional<unsigned> valid_days;
               if (const auto* days = body.if_contains("valid_days"); days && !days->is_null()) {
                 if (!days->is_int64() || days->as_int64() < 1 || days->as_int64() > 3650)
                   throw invalid_param("valid_days must be a whole number of days from 1 to 3650");
                 valid_days = static_cast<unsigned>(days->as_int64());
               }
               auto codes = housing.verification.issue_codes(id, optional_text(body, "apartment"),
                                                             optional_text(body, "role"), valid_days);
               json::array out;
               for (const auto& code : codes)
                 out.push_back(json::object{{"building_id", code.building_id},
                                            {"apartment", code.apartment},
                                            {"role", code.role},
                                            {"code", code.code},
                                            {"expires_at", format_iso8601(code.expires_at)}});
               return http::Response::json(json::object{{"codes", std::move(out)}});
             });
  router.add(verb::get, "/_domovoy/admin/v1/buildings/{buildingId}/residents", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin_or_housing_appservice(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               json::array residents;
               for (const auto& v : housing.verifications.of_building(id)) residents.push_back(verification_json(v));
               return http::Response::json(json::object{{"residents", std::move(residents)}});
             });
  router.add(verb::post, "/_domovoy/admin/v1/buildings/{buildingId}/residents", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto body = request.json_body();
               auto verification = housing.verification.verify(required_string(body, "user_id"), id,
                                                                required_string(body, "apartment"),
                                                                optional_string(body, "role").value_or("tenant"), "operator");
               return http::Response::json(verification_json(verification));
             });
  router.add(verb::delete_, "/_domovoy/admin/v1/buildings/{buildingId}/residents/{userId}", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto apartment = request.query_param("apartment").value_or("");
               auto reason = request.query_param("reason").value_or(
                   "Подтверждение адреса отозвано / Your address verification was revoked");
               if (!housing.verification.revoke(request.path_params[1], id, apartment, reason))
                 throw not_found("The user is no verified resident of this building");
               return http::Response::json(json::object{});
             });
  router.add(verb::put, "/_domovoy/admin/v1/buildings/{buildingId}/management_company", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto body = request.json_body();
               auto company = required_string(body, "id");
               auto registry = housing.registry.registry();
               std::set<std::string> affected;
               if (const auto* old = registry->find_management_company(registry->find_building(id)->management_company))
                 affected.insert(old->staff.begin(), old->staff.end());
               housing.registry.set_management_company(id, company, [&](storage::WriteBatch& batch) {
                 VerificationStore::stage_pending(batch, "building", id);
               });
               housing.provisioner.provision_building(id);
               housing.provisioner.provision_neighbourhoods();
               for (const auto& person : affected) housing.provisioner.reconcile_user(person);
               housing.verifications.clear_pending("building", id);
               return http::Response::json(json::object{{"id", company}});
             });
  router.add(verb::put, "/_domovoy/admin/v1/buildings/{buildingId}/chair", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               auto body = request.json_body();
               auto chair = optional_text(body, "user_id");
               if (chair && !is_valid_user_id(*chair)) throw invalid_param("user_id is not a user id");
               auto old = housing.registry.registry()->find_building(id)->chair;
               housing.registry.set_chair(id, chair, [&](storage::WriteBatch& batch) {
                 VerificationStore::stage_pending(batch, "building", id);
               });
               housing.provisioner.provision_building(id);
               if (old) housing.provisioner.reconcile_user(*old);
               housing.verifications.clear_pending("building", id);
               return http::Response::json(json::object{{"user_id", chair ? json::value(*chair) : json::value(nullptr)}});
             });
  router.add(verb::get, "/_domovoy/admin/v1/buildings/{buildingId}/verification_requests", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin(services, request);
               auto id = building_id_of(housing, request.path_params[0]);
               json::array requests;
               for (const auto& r : housing.verifications.requests_of_building(id)) requests.push_back(request_json(r));
               return http::Response::json(json::object{{"requests", std::move(requests)}});
             });
  router.add(verb::get, "/_domovoy/admin/v1/users/{userId}/verifications", http::Auth::optional,
             [&services, &housing](http::Request& request) {
               require_admin_or_housing_appservice(services, request);
               json::array verifications;
               for (const auto& v : housing.verifications.of_user(request.path_params[0]))
                 verifications.push_back(verification_json(v));
               return http::Response::json(json::object{{"verifications", std::move(verifications)}});
             });
}

}  // namespace domovoy::housing
