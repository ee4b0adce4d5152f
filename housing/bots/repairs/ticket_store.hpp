#pragma once
// Repair requests (tables ticket_ticket and userticket_flag): numbered from 1 in the region, with
// their whole history, so that a complaint to the inspectorate can carry it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace domovoy::housing {

struct TicketEvent {
  std::int64_t at = 0;
  std::string status;  // the status it moved to ("" for a note or a photo)
  std::string by;      // user id
  std::string note;    // the assignee, the reason, a photo's mxc:// URL
};

struct Ticket {
  std::uint64_t number = 0;
  std::string building_id;
  int entrance = 0;
  std::string apartment;  // "" when the requester has no verified apartment there (staff)
  std::string user_id;
  std::string text;
  std::string category;  // emergency | routine
  std::string status;    // new | accepted | assigned | in_progress | done | rejected
  std::string assignee;
  std::int64_t created_at = 0;
  std::int64_t deadline_at = 0;
  bool escalated = false;
  bool complained = false;
  std::vector<std::string> photos;  // mxc:// URLs
  std::vector<TicketEvent> history;

  bool open() const { return status != "done" && status != "rejected"; }
};

class TicketStore {
 public:
  explicit TicketStore(storage::Database& database) : database_(database) {}

  std::optional<Ticket> find(std::uint64_t number) const;
  std::vector<Ticket> of_user(const std::string& user_id) const;
  std::vector<Ticket> open_tickets() const;  // for the deadline sweep
  static void stage(storage::WriteBatch& batch, const Ticket& ticket);

 private:
  storage::Database& database_;
};

}  // namespace domovoy::housing
