#pragma once
// «Заявки» (@repairs): repair requests from a direct message or any room of the building
// (`!заявка текст`), numbered, categorised (emergency or routine, from the words of the text),
// photos sent after it in the direct room attached; the management company's dispatchers work
// them from their room through accepted → assigned → in progress → done / rejected, each change
// told to the resident; emergencies are raised at once, overdue requests escalated; a resident
// may turn a request into a complaint to the housing inspectorate, with its history.
#include "housing/bots/bot.hpp"
#include "housing/bots/repairs/ticket_store.hpp"
#include "housing/process/homeserver_api.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

struct RepairDeadlines {
  std::int64_t emergency_ms = 2 * 3600 * 1000;
  std::int64_t routine_ms = 72 * 3600 * 1000;
};

class RepairsBot : public Bot {
 public:
  RepairsBot(std::string user_id, HousingDirectory& directory, TicketStore& tickets, BotStore& store, HomeserverApi& api,
             RepairDeadlines deadlines);

  const std::string& user_id() const override { return user_id_; }
  bool knows(const Command& command) const override;
  bool personal(const std::string& word) const override;
  void handle(CommandContext& context) override;
  Message help(Language language) const override;
  Text name() const override { return {"Заявки", "Repairs"}; }
  // A photo after a request, in the direct room: attached to the resident's latest open request.
  bool handle_media(CommandContext& context, const boost::json::object& content) override;

  // Escalates the open requests past their deadline (once each); staged into `batch`.
  void escalate_overdue(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out);

 private:
  void create(CommandContext& context);
  void list(CommandContext& context);
  void complain(CommandContext& context);
  void dispatch(CommandContext& context);
  std::optional<std::string> inspectorate_room(storage::WriteBatch& batch);

  std::string user_id_;
  HousingDirectory& directory_;
  TicketStore& tickets_;
  BotStore& store_;
  HomeserverApi& api_;
  RepairDeadlines deadlines_;
};

// "emergency" when the text names a leak, no heating, a smell of gas, a stuck lift, sparking
// wiring or no power; "routine" otherwise (HOUSING.md, Decree 416's emergency dispatch).
std::string repair_category(const std::string& text);
Text ticket_status_name(const std::string& status);

}  // namespace domovoy::housing
