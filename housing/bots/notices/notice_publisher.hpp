#pragma once
// Publishing what a building is told: the operator (with the housing appservice's as_token) or a
// utility (with its own appservice's token, for the buildings its configuration names) publishes
// a capital-repair plan or a planned outage; it is kept for `!капремонт` / `!отключения` and
// posted to the building's announcements room by @domovoy. HTTP: POST
// /_domovoy/housing/v1/buildings/{buildingId}/capital_repair, .../outages and .../bills (a
// utility's bill for one apartment) on the bots' listener.
#include <boost/json.hpp>

#include <set>
#include <string>

#include "homeserver/http/router.hpp"
#include "housing/bots/bot_dispatcher.hpp"
#include "housing/bots/notices/notice_store.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

struct Publisher {
  std::string who;                  // "operator", or the utility's user id
  std::set<std::string> buildings;  // empty: every building (the operator)
};

class NoticePublisher {
 public:
  NoticePublisher(BotDispatcher& dispatcher, HousingDirectory& directory, std::string domovoy_user, std::string billing_user)
      : dispatcher_(dispatcher), directory_(directory), domovoy_user_(std::move(domovoy_user)),
        billing_user_(std::move(billing_user)) {}

  // Both throw ApiError: 404 for an unknown building, 403 for a publisher not serving it, 400 for
  // a bad body.
  void publish_capital_repair(const Publisher& publisher, const std::string& building_id, const boost::json::object& body);
  void publish_outage(const Publisher& publisher, const std::string& building_id, const boost::json::object& body);
  // A utility's bill for one apartment: kept for `!счёт` and told to the apartment's residents by
  // @billing in their direct rooms. 404 for an apartment the building does not have.
  void publish_utility_bill(const Publisher& publisher, const std::string& building_id, const boost::json::object& body);

 private:
  // The building, with the registry it belongs to kept alive by the pair.
  std::pair<std::shared_ptr<const Registry>, const Building*> building_for(const Publisher& publisher,
                                                                         const std::string& building_id);
  BotDispatcher& dispatcher_;
  HousingDirectory& directory_;
  std::string domovoy_user_;
  std::string billing_user_;
};

// The routes; `publisher_of` maps the request's authenticated caller to a Publisher (or throws 403).
void register_notice_routes(http::Router& router, NoticePublisher& publisher,
                            std::function<Publisher(const http::Request&)> publisher_of);

}  // namespace domovoy::housing
