#pragma once
// The published room directory (list_public_rooms.yaml), shared by the client API and the
// federation API (server-server-api "Public Room Directory"), which serve the same list.
#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/client/services.hpp"

namespace domovoy {

struct PublicRoomsQuery {
  std::size_t limit = 0;
  std::size_t offset = 0;
  std::string term;                                     // filter.generic_search_term
  std::optional<std::vector<std::string>> room_types;  // filter.room_types ("" for rooms without a type)
};

// From GET's query parameters (limit, since) or POST's body (limit, since, filter). Throws
// ApiError 400 for a bad limit or since token.
PublicRoomsQuery public_rooms_query_of_params(std::optional<std::string> limit, std::optional<std::string> since);
PublicRoomsQuery public_rooms_query_of_body(const boost::json::object& body);

// {chunk, total_room_count_estimate, next_batch?, prev_batch?}. Blocks.
boost::json::object list_public_rooms(ClientServices& services, const PublicRoomsQuery& query);

}  // namespace domovoy
