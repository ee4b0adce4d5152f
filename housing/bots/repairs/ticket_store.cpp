#include "housing/bots/repairs/ticket_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

namespace {
json::object to_record(const Ticket& ticket) {
  json::array history, photos;
  for (const auto& event : ticket.history)
    history.push_back(json::object{{"at", event.at}, {"status", event.status}, {"by", event.by}, {"note", event.note}});
  for (const auto& photo : ticket.photos) photos.push_back(json::value(photo));
  return {{"number", ticket.number},     {"building_id", ticket.building_id}, {"entrance", ticket.entrance},
          {"apartment", ticket.apartment}, {"user_id", ticket.user_id},      {"text", ticket.text},
          {"category", ticket.category}, {"status", ticket.status},           {"assignee", ticket.assignee},
          {"created_at", ticket.created_at}, {"deadline_at", ticket.deadline_at}, {"escalated", ticket.escalated},
          {"complained", ticket.complained}, {"photos", std::move(photos)},   {"history", std::move(history)}};
}

Ticket from_record(std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  Ticket ticket;
  ticket.number = static_cast<std::uint64_t>(optional_int(record, "number").value_or(0));
  ticket.building_id = optional_string(record, "building_id").value_or("");
  ticket.entrance = static_cast<int>(optional_int(record, "entrance").value_or(0));
  ticket.apartment = optional_string(record, "apartment").value_or("");
  ticket.user_id = optional_string(record, "user_id").value_or("");
  ticket.text = optional_string(record, "text").value_or("");
  ticket.category = optional_string(record, "category").value_or("routine");
  ticket.status = optional_string(record, "status").value_or("new");
  ticket.assignee = optional_string(record, "assignee").value_or("");
  ticket.created_at = optional_int(record, "created_at").value_or(0);
  ticket.deadline_at = optional_int(record, "deadline_at").value_or(0);
  ticket.escalated = optional_bool(record, "escalated").value_or(false);
  ticket.complained = optional_bool(record, "complained").value_or(false);
  if (const auto* photos = record.if_contains("photos"); photos && photos->is_array())
    for (const auto& photo : photos->as_array())
      if (photo.is_string()) ticket.photos.emplace_back(photo.as_string());
  if (const auto* history = record.if_contains("history"); history && history->is_array())
    for (const auto& entry : history->as_array()) {
      const auto& event = entry.as_object();
      ticket.history.push_back({optional_int(event, "at").value_or(0), optional_string(event, "status").value_or(""),
                                optional_string(event, "by").value_or(""), optional_string(event, "note").value_or("")});
    }
  return ticket;
}
}  // namespace

std::optional<Ticket> TicketStore::find(std::uint64_t number) const {
  auto stored = database_.get(Table::ticket_ticket, storage::be64(number));
  if (!stored) return std::nullopt;
  return from_record(*stored);
}

std::vector<Ticket> TicketStore::of_user(const std::string& user_id) const {
  std::vector<Ticket> tickets;
  database_.scan_prefix(Table::userticket_flag, storage::key_prefix({user_id}), [&](std::string_view key, std::string_view) {
    if (auto ticket = find(storage::read_be64(key.substr(key.size() - 8)))) tickets.push_back(std::move(*ticket));
    return true;
  });
  return tickets;
}

std::vector<Ticket> TicketStore::open_tickets() const {
  std::vector<Ticket> tickets;
  database_.scan_prefix(Table::ticket_ticket, "", [&](std::string_view, std::string_view value) {
    auto ticket = from_record(value);
    if (ticket.open()) tickets.push_back(std::move(ticket));
    return true;
  });
  return tickets;
}

void TicketStore::stage(storage::WriteBatch& batch, const Ticket& ticket) {
  batch.put(Table::ticket_ticket, storage::be64(ticket.number), to_json(to_record(ticket)));
  batch.put(Table::userticket_flag, storage::key_prefix({ticket.user_id}) + storage::be64(ticket.number), "");
}

}  // namespace domovoy::housing
