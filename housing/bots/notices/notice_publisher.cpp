#include "housing/bots/notices/notice_publisher.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/law/money.hpp"
#include "housing/registry/iso_date.hpp"
#include "housing/registry/registry_ids.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using boost::beast::http::verb;

std::pair<std::shared_ptr<const Registry>, const Building*> NoticePublisher::building_for(const Publisher& publisher,
                                                                                         const std::string& raw_id) {
  auto id = normalise_building_id(raw_id);
  auto registry = directory_.registry();
  const Building* building = id ? registry->find_building(*id) : nullptr;
  if (!building && id && directory_.refresh()) {
    registry = directory_.registry();
    building = registry->find_building(*id);
  }
  if (!building) throw not_found("Unknown building " + raw_id);
  if (!publisher.buildings.empty() && !publisher.buildings.count(building->id))
    throw forbidden("This publisher does not serve building " + building->id);
  return {registry, building};
}

void NoticePublisher::publish_capital_repair(const Publisher& publisher, const std::string& building_id,
                                             const json::object& body) {
  auto [registry, found] = building_for(publisher, building_id);
  const auto& building = *found;
  auto plan = capital_repair_from_json(body);
  auto rooms = directory_.rooms_of(building.id);
  dispatcher_.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) {
    NoticeStore::stage_capital_repair(batch, building.id, now_ms(), plan);
    if (!rooms || rooms->announcements.empty()) return;
    std::string text = "План капитального ремонта дома " + building.address + ":\n";
    for (const auto& work : plan.works) text += std::to_string(work.year) + " — " + work.work + "\n";
    text += "Остаток фонда капитального ремонта: " + law::format_rubles(plan.fund_balance_kopecks) +
            (plan.fund_owner.empty() ? "" : " (" + plan.fund_owner + ")") +
            ".\nПодробнее: !капремонт · The building's capital-repair plan was updated: !capital-repair";
    out.in_room(domovoy_user_, rooms->announcements, {text, {}});
  });
}

void NoticePublisher::publish_outage(const Publisher& publisher, const std::string& building_id, const json::object& body) {
  auto [registry, found] = building_for(publisher, building_id);
  const auto& building = *found;
  auto outage = outage_from_json(body);
  outage.published_by = publisher.who;
  auto rooms = directory_.rooms_of(building.id);
  dispatcher_.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) {
    NoticeStore::stage_outage(batch, building.id, now_ms(), outage);
    if (!rooms || rooms->announcements.empty()) return;
    out.in_room(domovoy_user_, rooms->announcements,
                {"Плановое отключение: " + outage.service + ", " + format_date_time_ms(outage.from_ms, Language::ru) + " — " +
                     format_date_time_ms(outage.to_ms, Language::ru) + (outage.details.empty() ? "" : ". " + outage.details) +
                     "\nPlanned outage: " + outage.service + ", " + format_date_time_ms(outage.from_ms, Language::en) + " — " +
                     format_date_time_ms(outage.to_ms, Language::en) + ". All outages: !outages",
                 {}});
  });
}

void NoticePublisher::publish_utility_bill(const Publisher& publisher, const std::string& building_id,
                                           const json::object& body) {
  auto [registry, found] = building_for(publisher, building_id);
  const auto& building = *found;
  auto bill = utility_bill_from_json(body);
  bill.published_by = publisher.who;
  if (!building.find_apartment(bill.apartment)) throw not_found("The building has no apartment " + bill.apartment);
  std::vector<HousingDirectory::BuildingResident> residents;
  try {
    residents = directory_.residents_of(building.id);
  } catch (const HomeserverUnavailable& error) {
    throw ApiError(503, "M_UNKNOWN", std::string("The homeserver did not answer: ") + error.what());
  }
  auto month = parse_iso_date(bill.period + "-01");
  dispatcher_.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) {
    NoticeStore::stage_utility_bill(batch, building.id, now_ms(), bill);
    for (const auto& resident : residents) {
      if (resident.verification.apartment != bill.apartment) continue;
      auto language = dispatcher_.language_for(resident.user_id, Language::ru);
      auto period = month ? format_month({month->year(), month->month()}, language) : bill.period;
      auto due = bill.due_date.empty() ? std::string() : (language == Language::ru ? ", оплатить до " : ", due by ") + bill.due_date;
      out.to_user(billing_user_, resident.user_id,
                  {Text{"Новая квитанция поставщика (" + publisher.who + ") за " + period + ": " + bill.service + " — " +
                            law::format_rubles(bill.amount_kopecks) + due + ". Она оплачивается поставщику напрямую; видна в !счёт " +
                            bill.period + ".",
                        "A new bill from the supplier (" + publisher.who + ") for " + period + ": " + bill.service + " — " +
                            law::format_rubles(bill.amount_kopecks) + due + ". It is paid to the supplier directly; see !bill " +
                            bill.period + "."}
                       .in(language),
                   {}});
    }
  });
}

void register_notice_routes(http::Router& router, NoticePublisher& publisher,
                            std::function<Publisher(const http::Request&)> publisher_of) {
  router.add(verb::post, "/_domovoy/housing/v1/buildings/{buildingId}/capital_repair", http::Auth::required,
             [&publisher, publisher_of](http::Request& request) {
               publisher.publish_capital_repair(publisher_of(request), request.path_params[0], request.json_body());
               return http::Response::json(json::object{});
             });
  router.add(verb::post, "/_domovoy/housing/v1/buildings/{buildingId}/bills", http::Auth::required,
             [&publisher, publisher_of](http::Request& request) {
               publisher.publish_utility_bill(publisher_of(request), request.path_params[0], request.json_body());
               return http::Response::json(json::object{});
             });
  router.add(verb::post, "/_domovoy/housing/v1/buildings/{buildingId}/outages", http::Auth::required,
             [&publisher, publisher_of](http::Request& request) {
               publisher.publish_outage(publisher_of(request), request.path_params[0], request.json_body());
               return http::Response::json(json::object{});
             });
}

}  // namespace domovoy::housing
