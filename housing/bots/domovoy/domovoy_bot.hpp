#pragma once
// «Домовой» (@domovoy): the housing user itself, a member of every room of every building. In a
// direct message from anyone it redeems the verification code from a paper bill (`!код КОД`, or
// the code alone), as POST /_domovoy/client/v1/verify does; in any room it tells the
// building's capital-repair plan, planned outages and past meeting results.
#include <functional>

#include "housing/bots/bot.hpp"
#include "housing/bots/notices/notice_store.hpp"
#include "housing/process/homeserver_api.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

class DomovoyBot : public Bot {
 public:
  // `past_results` renders the finished meetings of a building (the meetings bot's).
  DomovoyBot(std::string user_id, HomeserverApi& api, HousingDirectory& directory, NoticeStore& notices,
             std::function<Message(const std::string& building_id, Language)> past_results);

  const std::string& user_id() const override { return user_id_; }
  bool knows(const Command& command) const override;
  bool personal(const std::string& word) const override;
  void handle(CommandContext& context) override;
  Message help(Language language) const override;
  Text name() const override { return {"Домовой", "Domovoy"}; }
  bool open_to_everyone() const override { return true; }
  bool handle_text(CommandContext& context, const std::string& text) override;

 private:
  void redeem(CommandContext& context, const std::string& code);
  std::optional<std::string> building_of(const CommandContext& context) const;

  std::string user_id_;
  HomeserverApi& api_;
  HousingDirectory& directory_;
  NoticeStore& notices_;
  std::function<Message(const std::string&, Language)> past_results_;
};

}  // namespace domovoy::housing
