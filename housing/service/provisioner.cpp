#include "housing/service/provisioner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/rooms/room_directory.hpp"
#include "housing/registry/geo.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {
constexpr std::int64_t kModerator = 50;

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Street-type and house words the registry's addresses carry, which a room name leaves out.
const std::vector<std::string> kDroppedPrefixes = {"ул. ", "улица ", "пр-т ", "просп. ", "проспект ", "пер. ",
                                                   "переулок ", "наб. ", "набережная ", "ш. ", "шоссе ", "б-р ",
                                                   "бульвар ", "пл. ", "площадь ", "д. ", "дом "};
}  // namespace

std::string short_address(const std::string& address) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= address.size()) {
    auto end = address.find(',', start);
    auto part = address.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    // The city ("г. ..."), the region and the postcode are the same for every neighbour.
    bool is_city = part.rfind("г. ", 0) == 0 || part.rfind("город ", 0) == 0;
    bool is_postcode = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!part.empty() && !is_city && !is_postcode) {
      for (const auto& prefix : kDroppedPrefixes)
        if (part.rfind(prefix, 0) == 0) {
          part.erase(0, prefix.size());
          break;
        }
      parts.push_back(part);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (parts.empty()) return address;
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

Provisioner::Provisioner(const Config& config, RoomService& rooms, AccountStore& accounts, RegistryStore& registry,
                         VerificationStore& verifications)
    : config_(config),
      rooms_(rooms),
      accounts_(accounts),
      registry_(registry),
      verifications_(verifications),
      bot_user_id_("@" + config.housing.bot_localpart + ":" + config.server_name),
      notices_user_id_("@" + config.housing.notices_localpart + ":" + config.server_name) {}

std::mutex& Provisioner::lock_for(const std::string& user_id) {
  return user_locks_[std::hash<std::string>{}(user_id) % user_locks_.size()];
}

void Provisioner::ensure_account(const std::string& user_id) {
  // The housing and notices users never log in: no password hash matches any password.
  if (!accounts_.exists(user_id)) accounts_.create(user_id, "");
}

void Provisioner::start() {
  ensure_account(bot_user_id_);
  ensure_account(notices_user_id_);
  auto pending = verifications_.pending();
  bool any_building = false;
  for (const auto& [kind, id] : pending) {
    if (kind != "building") continue;
    provision_building(id);
    verifications_.clear_pending(kind, id);
    any_building = true;
  }
  if (any_building || !registry_.empty()) {
    provision_neighbourhoods();
    provision_dispatch_rooms();
  }
  for (const auto& [kind, id] : verifications_.pending()) {
    if (kind != "user") continue;
    reconcile_user(id);
  }
}

std::vector<std::string> Provisioner::neighbourhood_seeds_of(const Registry& registry,
                                                             std::map<std::string, std::string>& seed_of) const {
  // Buildings in id order, so that the groups are the same after every restart.
  std::vector<const Building*> buildings;
  for (const auto& building : registry.buildings) buildings.push_back(&building);
  std::sort(buildings.begin(), buildings.end(), [](const Building* a, const Building* b) { return a->id < b->id; });
  std::vector<GeoPoint> points;
  for (const auto* building : buildings) points.push_back(building->location);
  std::vector<std::string> seeds;
  for (const auto& group : seeded_neighbourhood_groups(points, config_.housing.neighbourhood_metres)) {
    if (group.size() < 2) continue;
    const auto& seed = buildings[group.front()]->id;
    seeds.push_back(seed);
    for (auto index : group) seed_of[buildings[index]->id] = seed;
  }
  return seeds;
}

std::shared_ptr<const Provisioner::RegistryIndex> Provisioner::index() const {
  auto registry = registry_.registry();
  std::lock_guard lock(index_mutex_);
  if (index_ && index_->registry == registry) return index_;
  auto fresh = std::make_shared<RegistryIndex>();
  fresh->registry = registry;
  neighbourhood_seeds_of(*registry, fresh->seed_of);
  for (const auto& building : registry->buildings) {
    if (const auto* company = registry->find_management_company(building.management_company))
      for (const auto& staff : company->staff) fresh->roles_of[staff].push_back(&building);
    if (building.chair) {
      auto& list = fresh->roles_of[*building.chair];
      if (list.empty() || list.back() != &building) list.push_back(&building);
    }
  }
  index_ = fresh;
  return index_;
}

std::string Provisioner::neighbourhood_of(const std::string& building_id) const {
  auto indexed = index();
  auto it = indexed->seed_of.find(building_id);
  if (it == indexed->seed_of.end()) return {};
  return registry_.neighbourhood_room(it->second).value_or("");
}

std::string Provisioner::create_room(const std::string& key, const std::string& alias, const std::string& name,
                                     const std::string& topic, bool space, const std::string& parent,
                                     bool announcements) {
  if (auto existing = rooms_.keyed_room(key)) return *existing;
  RoomCreation creation;
  creation.creator = bot_user_id_;
  creation.version = find_room_version(config_.default_room_version);
  creation.preset = "private_chat";
  creation.idempotency_key = key;
  if (!alias.empty()) {
    if (auto taken = rooms_.directory().lookup(alias)) {
      spdlog::warn("housing: alias {} is taken by another room; the new room goes without it", alias);
    } else {
      creation.aliases.push_back(alias);
    }
  }
  if (space) creation.creation_content["type"] = "m.space";
  json::object users;
  if (!creation.version->room_id_from_create) users[bot_user_id_] = 100;
  json::object events{{"m.room.name", 100},       {"m.room.topic", kModerator},   {"m.room.avatar", 100},
                      {"m.room.power_levels", 100}, {"m.room.history_visibility", 100}, {"m.room.canonical_alias", 100},
                      {"m.room.join_rules", 100}, {"m.room.tombstone", 100},      {"m.room.server_acl", 100},
                      {"m.room.encryption", 100}, {"m.space.child", 100},         {"m.space.parent", 100},
                      {"m.room.pinned_events", kModerator}};
  // Announcements: staff, the chair and the inspectorate post; residents read and react.
  if (announcements) events["m.reaction"] = 0;
  creation.power_level_content_override = json::object{{"users", std::move(users)},
                                                       {"users_default", 0},
                                                       {"events", std::move(events)},
                                                       {"events_default", announcements ? kModerator : 0},
                                                       {"state_default", kModerator},
                                                       {"invite", 100},  // only the server invites
                                                       {"kick", kModerator},
                                                       {"ban", kModerator},
                                                       {"redact", kModerator}};
  creation.initial_state.push_back({"m.room.guest_access", "", {{"guest_access", "forbidden"}}});
  creation.initial_state.push_back({"m.room.history_visibility", "", {{"history_visibility", "shared"}}});
  if (!parent.empty())
    creation.initial_state.push_back(
        {"m.space.parent", parent, {{"via", json::array{json::string(config_.server_name)}}, {"canonical", true}}});
  creation.name = name;
  creation.topic = topic;
  return rooms_.create_room(creation).room_id;
}

std::size_t Provisioner::provision_building(const std::string& building_id) {
  std::lock_guard lock(provisioning_mutex_);
  auto registry = registry_.registry();
  const auto* building = registry->find_building(building_id);
  if (!building) return 0;
  auto before = rooms_.engine().all_rooms().size();
  auto rooms = registry_.rooms(building_id).value_or(BuildingRooms{});
  const auto& slug = building->slug;
  auto alias = [&](const std::string& suffix) { return "#dom-" + slug + suffix + ":" + config_.server_name; };
  auto name = short_address(building->address);
  auto key = [&](const std::string& kind) { return "dom:" + building_id + ":" + kind; };
  rooms.space = create_room(key("space"), alias(""), name,
                            "Дом " + building->address + ". Комнаты дома: общий чат, объявления, подъезды, собственники. / "
                            "The building's space.",
                            true, "", false);
  rooms.general = create_room(key("general"), alias("-general"), name + " — общий чат",
                              "Общий чат жителей дома / General chat of the building's residents", false, rooms.space,
                              false);
  rooms.announcements = create_room(key("announcements"), alias("-announcements"), name + " — объявления",
                                    "Объявления управляющей компании, совета дома и ГЖИ / Announcements", false,
                                    rooms.space, true);
  for (int entrance : building->entrances)
    rooms.entrances[entrance] =
        create_room(key("entrance-" + std::to_string(entrance)), alias("-entrance-" + std::to_string(entrance)),
                    name + " — подъезд " + std::to_string(entrance),
                    "Чат подъезда " + std::to_string(entrance) + " / Entrance " + std::to_string(entrance) + " chat", false,
                    rooms.space, false);
  rooms.owners = create_room(key("owners"), alias("-owners"), name + " — собственники",
                             "Только собственники: общие собрания / Owners only: general meetings", false, rooms.space,
                             false);
  registry_.set_rooms(building_id, rooms);

  // The space lists its rooms (spaces.md: m.space.child in the space, state key = room id).
  auto& engine = rooms_.engine();
  auto space_state = engine.current_state(rooms.space);
  for (const auto& child : rooms.all()) {
    if (child == rooms.space || engine.state_event(space_state, "m.space.child", child)) continue;
    json::object content{{"via", json::array{json::string(config_.server_name)}}};
    if (child == rooms.general || child == rooms.announcements) content["suggested"] = true;
    engine.send(rooms.space, EventDraft{"m.space.child", child, bot_user_id_, std::move(content)});
  }
  for (const auto& room : rooms.all()) sync_power_levels(room);
  for (const auto& person : people_of_building(building_id)) reconcile_user(person);
  return rooms_.engine().all_rooms().size() - before;
}

std::size_t Provisioner::provision_neighbourhoods() {
  auto registry = registry_.registry();
  std::map<std::string, std::string> seed_of;
  auto seeds = neighbourhood_seeds_of(*registry, seed_of);
  std::size_t created = 0;
  for (const auto& seed : seeds) {
    if (registry_.neighbourhood_room(seed)) continue;
    const auto* building = registry->find_building(seed);
    std::vector<std::string> names;
    for (const auto& [member, its_seed] : seed_of)
      if (its_seed == seed) names.push_back(short_address(registry->find_building(member)->address));
    std::sort(names.begin(), names.end());
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : "; ") + name;
    auto room = create_room("dom:neighbourhood:" + seed, "#dom-" + building->slug + "-neighbourhood:" + config_.server_name,
                            "Соседи: " + short_address(building->address) + " и рядом",
                            "Соседние дома / Nearby buildings: " + list, false, "", false);
    registry_.set_neighbourhood_room(seed, room);
    ++created;
  }
  // Members follow: everyone of the grouped buildings.
  std::set<std::string> people;
  for (const auto& [member, seed] : seed_of) {
    if (auto room = registry_.neighbourhood_room(seed)) sync_power_levels(*room);
    for (const auto& person : people_of_building(member)) people.insert(person);
  }
  for (const auto& person : people) reconcile_user(person);
  return created;
}

std::size_t Provisioner::provision_dispatch_rooms() {
  auto registry = registry_.registry();
  std::size_t created = 0;
  for (const auto& company : registry->management_companies) {
    if (!registry_.dispatch_room(company.id)) {
      auto room = create_room("dom:dispatch:" + company.id, "#dom-dispatch-" + company.id + ":" + config_.server_name,
                              company.name + " — диспетчерская",
                              "Заявки жителей и работа диспетчеров / Dispatchers' room", false, "", false);
      registry_.set_dispatch_room(company.id, room);
      ++created;
    }
    sync_power_levels(*registry_.dispatch_room(company.id));
    for (const auto& person : company.staff) reconcile_user(person);
    for (const auto& bot : housing_bots_) reconcile_user(bot);
    if (!role_bots_.repairs.empty()) reconcile_user(role_bots_.repairs);
  }
  return created;
}

std::set<std::string> Provisioner::people_of_building(const std::string& building_id) const {
  std::set<std::string> people(housing_bots_.begin(), housing_bots_.end());
  if (!role_bots_.meetings.empty()) people.insert(role_bots_.meetings);
  auto registry = registry_.registry();
  if (const auto* building = registry->find_building(building_id)) {
    if (building->chair) people.insert(*building->chair);
    if (const auto* company = registry->find_management_company(building->management_company))
      people.insert(company->staff.begin(), company->staff.end());
  }
  people.insert(registry->region.inspectorate.staff.begin(), registry->region.inspectorate.staff.end());
  for (const auto& verification : verifications_.of_building(building_id)) people.insert(verification.user_id);
  return people;
}

Provisioner::Entitlement Provisioner::entitlement_of(const std::string& user_id) const {
  Entitlement entitlement;
  if (user_id == bot_user_id_) return entitlement;
  auto indexed = index();
  const auto& registry = indexed->registry;
  if (user_id == role_bots_.meetings) {
    for (const auto& building : registry->buildings)
      if (auto rooms = registry_.rooms(building.id); rooms && !rooms->owners.empty()) entitlement.rooms.insert(rooms->owners);
    return entitlement;
  }
  if (user_id == role_bots_.repairs) {
    for (const auto& company : registry->management_companies)
      if (auto room = registry_.dispatch_room(company.id)) entitlement.rooms.insert(*room);
    return entitlement;
  }
  const auto& seed_of = indexed->seed_of;
  auto neighbourhood = [&](const std::string& building_id) -> std::string {
    auto it = seed_of.find(building_id);
    return it == seed_of.end() ? std::string() : registry_.neighbourhood_room(it->second).value_or("");
  };
  auto add = [&](const std::string& room, bool moderated) {
    if (room.empty()) return;
    entitlement.rooms.insert(room);
    if (moderated) entitlement.moderated.insert(room);
  };
  for (const auto& verification : verifications_.of_user(user_id)) {
    const auto* building = registry->find_building(verification.building_id);
    auto rooms = registry_.rooms(verification.building_id);
    if (!building || !rooms) continue;
    const auto* apartment = building->find_apartment(verification.apartment);
    add(rooms->space, false);
    add(rooms->general, false);
    add(rooms->announcements, false);
    if (apartment)
      if (auto it = rooms->entrances.find(apartment->entrance); it != rooms->entrances.end()) add(it->second, false);
    if (verification.role == "owner") add(rooms->owners, false);
    add(neighbourhood(verification.building_id), false);
  }
  bool is_bot = contains(housing_bots_, user_id);
  bool is_inspector = contains(registry->region.inspectorate.staff, user_id);
  // Bots and inspectors sit in every building; staff and chairs in theirs only.
  std::vector<const Building*> buildings;
  if (is_bot || is_inspector) {
    for (const auto& building : registry->buildings) buildings.push_back(&building);
  } else if (auto it = indexed->roles_of.find(user_id); it != indexed->roles_of.end()) {
    buildings = it->second;
  }
  for (const auto* building_ptr : buildings) {
    const auto& building = *building_ptr;
    const auto* company = registry->find_management_company(building.management_company);
    bool is_staff = company && contains(company->staff, user_id);
    bool is_chair = building.chair && *building.chair == user_id;
    if (!is_bot && !is_inspector && !is_staff && !is_chair) continue;
    auto rooms = registry_.rooms(building.id);
    if (!rooms) continue;
    for (const auto& room : rooms->all())
      if (room != rooms->owners) add(room, true);
    if (is_chair || is_bot) add(rooms->owners, true);
    add(neighbourhood(building.id), true);
  }
  for (const auto& company : registry->management_companies)
    if (is_bot || contains(company.staff, user_id))
      if (auto room = registry_.dispatch_room(company.id)) add(*room, true);
  return entitlement;
}

std::set<std::string> Provisioner::moderators_of_room(const std::string& room_id) const {
  std::set<std::string> moderators(housing_bots_.begin(), housing_bots_.end());
  auto owner = registry_.room_owner(room_id);
  if (!owner) return moderators;
  auto registry = registry_.registry();
  auto add_building = [&](const Building& building, bool owners_room) {
    if (building.chair) moderators.insert(*building.chair);
    if (owners_room) return;
    if (const auto* company = registry->find_management_company(building.management_company))
      moderators.insert(company->staff.begin(), company->staff.end());
    moderators.insert(registry->region.inspectorate.staff.begin(), registry->region.inspectorate.staff.end());
  };
  if (owner->kind == "dispatch") {
    if (const auto* company = registry->find_management_company(owner->company_id))
      moderators.insert(company->staff.begin(), company->staff.end());
  } else if (owner->kind == "neighbourhood") {
    for (const auto& [building_id, seed] : index()->seed_of)
      if (registry_.neighbourhood_room(seed) == room_id)
        if (const auto* building = registry->find_building(building_id)) add_building(*building, false);
  } else if (const auto* building = registry->find_building(owner->building_id)) {
    add_building(*building, owner->kind == "owners");
  }
  return moderators;
}

void Provisioner::sync_power_levels(const std::string& room_id) {
  auto& engine = rooms_.engine();
  auto state = engine.current_state(room_id);
  auto power = engine.state_event(state, "m.room.power_levels", "");
  if (!power) return;
  json::object users;
  if (const auto* version = engine.room_version(room_id); version && !version->room_id_from_create)
    users[bot_user_id_] = 100;
  // Power in a building's rooms stays with this server's users: another server could send
  // events as one of its users that this server cannot revoke.
  for (const auto& moderator : moderators_of_room(room_id))
    if (server_name_of(moderator) == config_.server_name) users[moderator] = kModerator;
  const auto* current = power->content().if_contains("users");
  if (current && current->is_object() && current->as_object() == users) return;
  auto content = power->content();
  content["users"] = std::move(users);
  engine.send(room_id, EventDraft{"m.room.power_levels", std::string(), bot_user_id_, std::move(content)});
}

void Provisioner::join(const std::string& room_id, const std::string& user_id) {
  auto& engine = rooms_.engine();
  auto current = engine.current_membership(room_id, user_id);
  if (current == "join" || current == "ban") return;
  if (current != "invite")
    engine.send(room_id, EventDraft{"m.room.member", user_id, bot_user_id_, json::object{{"membership", "invite"}}});
  engine.send(room_id, EventDraft{"m.room.member", user_id, user_id, rooms_.own_member_content(user_id, "join", std::nullopt)});
}

void Provisioner::remove(const std::string& room_id, const std::string& user_id, const std::string& reason) {
  auto& engine = rooms_.engine();
  auto current = engine.current_membership(room_id, user_id);
  if (current != "join" && current != "invite" && current != "knock") return;
  json::object content{{"membership", "leave"}};
  if (!reason.empty()) content["reason"] = reason;
  engine.send(room_id, EventDraft{"m.room.member", user_id, bot_user_id_, std::move(content)});
}

void Provisioner::reconcile_user(const std::string& user_id, const std::string& reason) {
  if (user_id == bot_user_id_) return;
  std::lock_guard lock(lock_for(user_id));
  auto entitlement = entitlement_of(user_id);
  bool local = server_name_of(user_id) == config_.server_name;
  auto& engine = rooms_.engine();
  for (const auto& record : engine.rooms_of_user(user_id)) {
    if (record.membership != "join" && record.membership != "invite" && record.membership != "knock") continue;
    if (!registry_.room_owner(record.room_id) || entitlement.rooms.count(record.room_id)) continue;
    remove(record.room_id, user_id,
           reason.empty() ? "Доступ к комнатам дома больше не подтверждён / Your access to the building's rooms ended"
                          : reason);
  }
  if (local && accounts_.exists(user_id))
    for (const auto& room : entitlement.rooms) join(room, user_id);
  if (!local && invite_remote_)
    for (const auto& room : entitlement.rooms) {
      // A resident of another server is invited (their server signs the invite, invite v2) and
      // joins from their own client: this server cannot make another's user join.
      auto current = rooms_.engine().current_membership(room, user_id);
      if (current != "join" && current != "invite" && current != "ban") invite_remote_(room, bot_user_id_, user_id);
    }
  verifications_.clear_pending("user", user_id);
}

Provisioner::VerifiedRooms Provisioner::rooms_for(const Verification& verification) const {
  VerifiedRooms out;
  auto rooms = registry_.rooms(verification.building_id);
  if (!rooms) return out;
  out.space = rooms->space;
  out.general = rooms->general;
  out.announcements = rooms->announcements;
  auto registry = registry_.registry();
  if (const auto* building = registry->find_building(verification.building_id))
    if (const auto* apartment = building->find_apartment(verification.apartment))
      if (auto it = rooms->entrances.find(apartment->entrance); it != rooms->entrances.end()) out.entrance = it->second;
  if (verification.role == "owner") out.owners = rooms->owners;
  out.neighbourhood = neighbourhood_of(verification.building_id);
  return out;
}

void Provisioner::check_membership(const std::string& room_id, const std::string& sender, const std::string& target,
                                   const std::string& membership) {
  if (sender == bot_user_id_ || !registry_.room_owner(room_id)) return;
  if (membership != "invite" && membership != "join" && membership != "knock") return;
  auto entitlement = entitlement_of(target);
  if (!entitlement.rooms.count(room_id))
    throw forbidden(
        "Комнаты дома открыты только подтверждённым жителям / Only verified residents of the building may join this room");
  if (membership == "join" && sender == target) {
    // An entitled resident who left may come back: the server invites them first.
    auto current = rooms_.engine().current_membership(room_id, target);
    if (current != "invite" && current != "join")
      rooms_.engine().send(room_id,
                           EventDraft{"m.room.member", target, bot_user_id_, json::object{{"membership", "invite"}}});
  }
  if (membership == "invite") throw forbidden("Жителей в комнаты дома добавляет сервер / The server adds residents to the building's rooms");
}

}  // namespace domovoy::housing
