#include "housing/bots/bot.hpp"

namespace domovoy::housing {

namespace json = boost::json;

json::object notice_content(const Message& message) {
  // m.notice: the convention for bots, so that other bots do not answer them.
  json::object content{{"msgtype", "m.notice"}, {"body", message.plain}};
  if (!message.html.empty()) {
    content["format"] = "org.matrix.custom.html";
    content["formatted_body"] = message.html;
  }
  return content;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "<br>"; break;
      default: out += c;
    }
  }
  return out;
}

void Conversation::in_private(const std::string& bot, const Message& message) { to_user(bot, user_id_, message); }

void Conversation::to_user(const std::string& bot, const std::string& user_id, const Message& message) {
  OutgoingMessage outgoing;
  outgoing.bot = bot;
  outgoing.dm_with = user_id;
  outgoing.content = notice_content(message);
  stage(std::move(outgoing));
}

void Conversation::in_room(const std::string& bot, const std::string& room_id, const Message& message) {
  event_in_room(bot, room_id, "m.room.message", notice_content(message));
}

void Conversation::event_in_room(const std::string& bot, const std::string& room_id, const std::string& type,
                                 json::object content) {
  OutgoingMessage outgoing;
  outgoing.bot = bot;
  outgoing.room_id = room_id;
  outgoing.type = type;
  outgoing.content = std::move(content);
  stage(std::move(outgoing));
}

void Conversation::stage(OutgoingMessage message) {
  store_.stage_reply(batch_, std::move(message));
  ++count_;
}

Language user_language(const BotStore& store, const std::string& user_id, Language fallback) {
  auto stored = store.setting(user_id, "language");
  if (!stored) return fallback;
  return *stored == "en" ? Language::en : Language::ru;
}

void CommandContext::answer(const std::string& bot, const Message& message) const {
  if (in_shared_room) out.in_room(speaker, room_id, message);
  else if (bot == direct_bot) out.in_room(bot, room_id, message);  // the very room it was asked in
  else out.in_private(bot, message);
}

}  // namespace domovoy::housing
