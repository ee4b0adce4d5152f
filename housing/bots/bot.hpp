#pragma once
// One housing bot: the commands it knows and how it answers them. The dispatcher
// (bot_dispatcher.hpp) decides who asked, where, in which language, and where each answer goes.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "housing/bots/command.hpp"
#include "housing/bots/language.hpp"
#include "housing/process/bot_store.hpp"
#include "housing/process/housing_directory.hpp"
#include "storage/database.hpp"

namespace domovoy::housing {

// What a bot says: plain text, and the same as Matrix HTML when it has tables or emphasis.
struct Message {
  std::string plain;
  std::string html;  // empty: plain only
};
boost::json::object notice_content(const Message& message);
std::string html_escape(std::string_view text);

// The language a user chose (`!язык`), or `fallback` when they chose none.
Language user_language(const BotStore& store, const std::string& user_id, Language fallback = Language::ru);

// Who asked.
struct Asker {
  std::string user_id;
  std::vector<ResidentVerification> verifications;
  bool staff = false;  // a management company's staff, a chair or an inspector
};

// Where the answers of one command go. Each is staged in the command's batch; nothing is sent
// before the batch is written (BotStore, OutboxSender).
class Conversation {
 public:
  Conversation(BotStore& store, storage::WriteBatch& batch, std::string user_id) : store_(store), batch_(batch), user_id_(std::move(user_id)) {}

  // In `bot`'s direct room with the user who asked.
  void in_private(const std::string& bot, const Message& message);
  // In the direct room of `bot` with another user (a resident told of their request's progress).
  void to_user(const std::string& bot, const std::string& user_id, const Message& message);
  // In a given room, as `bot` (which must be a member).
  void in_room(const std::string& bot, const std::string& room_id, const Message& message);
  // Any event (a poll's start) in a room, as `bot`.
  void event_in_room(const std::string& bot, const std::string& room_id, const std::string& type,
                     boost::json::object content);
  std::size_t count() const { return count_; }
  // Counts what another conversation staged into a batch appended to this one's.
  void absorb(const Conversation& other) { count_ += other.count_; }

 private:
  void stage(OutgoingMessage message);

  BotStore& store_;
  storage::WriteBatch& batch_;
  std::string user_id_;
  std::size_t count_ = 0;
};

struct CommandContext {
  const Command& command;
  const Asker& asker;
  Language language;
  std::int64_t now_ms;           // the command's time on the homeserver's clock
  bool in_shared_room;           // asked in a building's room (answers that are not personal go there)
  std::string room_id;           // where it was asked
  std::optional<RoomPlace> place;  // which building's room, when shared
  std::string speaker;           // the bot that speaks in that room (a member of it)
  std::string direct_bot;        // when asked in a bot's direct room: that bot
  storage::WriteBatch& batch;
  Conversation& out;

  // The answer to the asker: in the shared room (as the speaker) or in the bot's direct room.
  void answer(const std::string& bot, const Message& message) const;
  const std::string& text(const Text& text) const { return text.in(language); }
};

class Bot {
 public:
  virtual ~Bot() = default;
  virtual const std::string& user_id() const = 0;
  // Whether the command is this bot's (mostly by its word; `!итоги` alone is @domovoy's and
  // `!итоги 3` the meetings bot's).
  virtual bool knows(const Command& command) const = 0;
  // Whether the answer holds personal data: then it is given only in a direct message.
  virtual bool personal(const std::string& word) const = 0;
  virtual void handle(CommandContext& context) = 0;
  virtual Message help(Language language) const = 0;
  virtual Text name() const = 0;  // «Счётчики» / "Meters"
  // Who may talk to it in a direct message: anyone (@domovoy, where codes are redeemed), or only
  // verified residents and staff.
  virtual bool open_to_everyone() const { return false; }
  // Plain text (not a command) in its direct room: false gives the help.
  virtual bool handle_text(CommandContext&, const std::string&) { return false; }
  // A picture or a file in its direct room (m.image, m.file, m.video): false ignores it.
  virtual bool handle_media(CommandContext&, const boost::json::object&) { return false; }
};

}  // namespace domovoy::housing
