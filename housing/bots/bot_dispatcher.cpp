#include "housing/bots/bot_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <set>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/clock.hpp"
#include "housing/verification/verification_code.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {

const Text kEncrypted{
    "Я не умею читать зашифрованные сообщения. Откройте со мной чат без шифрования: в Element — «Начать чат», "
    "выключите «Включить сквозное шифрование», и пишите туда.",
    "I cannot read encrypted messages. Open an unencrypted chat with me: in Element, \"Start chat\", turn off "
    "\"Enable end-to-end encryption\", and write there."};

const Text kNotVerified{
    "Я отвечаю только подтверждённым жителям дома и сотрудникам управляющей компании. Чтобы подтвердить адрес, "
    "напишите @{domovoy} код из квитанции: !код КОД.",
    "I answer only verified residents and the management company's staff. To verify your address, send "
    "@{domovoy} the code from your bill: !verify CODE."};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

std::string localpart(const std::string& user_id) {
  auto colon = user_id.find(':');
  return user_id.substr(1, colon == std::string::npos ? std::string::npos : colon - 1);
}

bool is_help(const std::string& word) { return word == "помощь" || word == "help" || word == "справка"; }

}  // namespace

BotDispatcher::BotDispatcher(BotStore& store, HousingDirectory& directory, HomeserverApi& api, std::string domovoy_user)
    : store_(store), directory_(directory), api_(api), domovoy_user_(std::move(domovoy_user)) {}

void BotDispatcher::add_bot(std::unique_ptr<Bot> bot) { bots_.push_back(std::move(bot)); }

Bot* BotDispatcher::bot_by_user(const std::string& user_id) const {
  for (const auto& bot : bots_)
    if (bot->user_id() == user_id) return bot.get();
  return nullptr;
}

Bot* BotDispatcher::bot_for(const Command& command) const {
  for (const auto& bot : bots_)
    if (bot->knows(command)) return bot.get();
  return nullptr;
}

Language BotDispatcher::language_for(const std::string& user_id, Language fallback) const {
  return user_language(store_, user_id, fallback);
}

namespace {

std::string text_of(const json::object& event, const char* key) {
  const auto* value = event.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// Commands that change records several users share (a request's or a meeting's, the numbers of
// requests, meetings and payments): each is written on its own, never grouped with another's.
bool touches_shared_records(const json::object& event) {
  if (text_of(event, "type") != "m.room.message") return false;
  const auto* content = optional_object(event, "content");
  if (!content) return false;
  auto msgtype = optional_string(*content, "msgtype").value_or("");
  if (msgtype == "m.image" || msgtype == "m.file" || msgtype == "m.video") return true;  // attached to a request
  auto command = parse_command(optional_string(*content, "body").value_or(""));
  if (!command) return false;
  for (const char* word : {"заявка", "repair", "жалоба", "complain", "принять", "accept", "назначить", "assign", "в-работе",
                           "вработе", "start", "выполнено", "done", "отклонить", "reject", "собрание", "meeting",
                           "поддерживаю", "support", "бюллетень", "ballot", "оплатить", "pay", "возврат", "refund"})
    if (command->word == word) return true;
  return false;
}

}  // namespace

void BotDispatcher::handle_transaction(const std::string& txn_id, const json::array& events) {
  if (!ready_) throw ApiError(503, "M_UNKNOWN", "The housing bots are starting; send the transaction again");
  std::lock_guard lock(command_mutex_);
  if (store_.transaction_done(txn_id)) return;
  auto started = std::chrono::steady_clock::now();
  prefetch_verifications(events);
  // Events of different senders are written together, one durable write for many commands (a
  // building's rush hour is many residents at once); a sender's second event, and a command on
  // shared records, first writes what came before, so every command reads what the earlier
  // ones wrote.
  storage::WriteBatch group;
  std::set<std::string> senders;
  std::size_t replies = 0;
  auto flush = [&] {
    if (!group.empty()) store_.database().write(std::move(group));
    group = storage::WriteBatch();
    senders.clear();
    if (replies && on_replies_) on_replies_();
    replies = 0;
  };
  for (const auto& event : events) {
    if (!event.is_object()) continue;
    const auto& object = event.as_object();
    auto sender = text_of(object, "sender");
    bool shared = touches_shared_records(object);
    if (shared || senders.count(sender)) flush();
    storage::WriteBatch own;
    std::size_t own_replies = 0;
    try {
      own_replies = handle_event(object, own);
    } catch (const storage::StorageError&) {
      throw;  // not answered 200: the homeserver sends the transaction again
    } catch (const HomeserverUnavailable& error) {
      // What needed the homeserver is not done: refuse the transaction (what was written of it
      // stays, marked, and is skipped when it comes again).
      flush();
      throw ApiError(503, "M_UNKNOWN", std::string("The homeserver did not answer the housing bots: ") + error.what());
    } catch (const std::exception& error) {
      // A malformed event or a bug must not hold the region's bots hostage: it is marked handled
      // and logged without its content (which may hold personal data).
      spdlog::error("housing: an event of transaction {} failed: {}", txn_id, error.what());
      own = storage::WriteBatch();
      own_replies = 0;
      if (auto id = text_of(object, "event_id"); !id.empty()) BotStore::mark_event(own, id);
    }
    prefetched_.erase(sender);  // what they said may have changed their verifications
    group.append(std::move(own));
    replies += own_replies;
    senders.insert(sender);
    if (shared) flush();
  }
  BotStore::mark_transaction(group, txn_id);
  flush();
  prefetched_.clear();
  spdlog::debug("housing: transaction {}: {} events in {} ms", txn_id, events.size(),
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

void BotDispatcher::prefetch_verifications(const json::array& events) {
  // The verifications of every sender of a message, asked of the homeserver at once rather than
  // one after the other.
  std::set<std::string> senders;
  for (const auto& event : events)
    if (event.is_object()) {
      const auto& object = event.as_object();
      auto type = text_of(object, "type");
      auto sender = text_of(object, "sender");
      if (type == "m.room.message" && !sender.empty() && !is_our_bot(sender) && !store_.event_done(text_of(object, "event_id")))
        senders.insert(sender);
    }
  prefetched_.clear();
  std::vector<std::string> list(senders.begin(), senders.end());
  constexpr std::size_t kAtOnce = 16;
  for (std::size_t begin = 0; begin < list.size(); begin += kAtOnce) {
    std::vector<std::pair<std::string, std::future<std::vector<ResidentVerification>>>> asked;
    for (auto i = begin; i < std::min(list.size(), begin + kAtOnce); ++i)
      asked.emplace_back(list[i], std::async(std::launch::async, [this, user = list[i]] { return directory_.verifications_of(user); }));
    for (auto& [user, answer] : asked) {
      try {
        prefetched_[user] = answer.get();
      } catch (const std::exception&) {
        // Asked again when the command needs it; a homeserver that is down fails it there.
      }
    }
  }
}

std::vector<ResidentVerification> BotDispatcher::verifications_of(const std::string& user_id) {
  if (auto it = prefetched_.find(user_id); it != prefetched_.end()) return it->second;
  return directory_.verifications_of(user_id);
}

void BotDispatcher::run_exclusive(const std::function<void(storage::WriteBatch&, Conversation&)>& work) {
  std::lock_guard lock(command_mutex_);
  storage::WriteBatch batch;
  Conversation out(store_, batch, {});
  work(batch, out);
  if (batch.empty()) return;
  store_.database().write(std::move(batch));
  if (out.count() && on_replies_) on_replies_();
}

std::size_t BotDispatcher::handle_event(const json::object& event, storage::WriteBatch& batch) {
  auto event_id = optional_string(event, "event_id").value_or("");
  auto type = optional_string(event, "type").value_or("");
  auto sender = optional_string(event, "sender").value_or("");
  auto room_id = optional_string(event, "room_id").value_or("");
  if (event_id.empty() || room_id.empty() || sender.empty()) return 0;
  if (store_.event_done(event_id)) return 0;
  if (is_our_bot(sender)) {
    if (type == "m.room.create") directory_.mark_stale();  // a building's new room
    if (!own_event_handler_) return 0;
    own_event_handler_(event, batch);
    if (!batch.empty()) BotStore::mark_event(batch, event_id);
    return 0;
  }
  Conversation out(store_, batch, sender);
  if (type == "m.room.member") {
    auto state_key = optional_string(event, "state_key").value_or("");
    const auto* content = optional_object(event, "content");
    auto membership = content ? optional_string(*content, "membership").value_or("") : "";
    if (membership == "invite" && is_our_bot(state_key)) on_invite(state_key, room_id, sender, batch, out);
  } else if (type == "m.room.encrypted") {
    if (auto direct = store_.direct_room_members(room_id))
      out.in_room(direct->first, room_id, Message{kEncrypted.ru + "\n\n" + kEncrypted.en, {}});
  } else if (type == "m.room.message" || type == "org.matrix.msc3381.poll.response" || type == "m.poll.response") {
    on_message(event, type, room_id, sender, batch, out);
  }
  BotStore::mark_event(batch, event_id);
  return out.count();
}

void BotDispatcher::on_invite(const std::string& bot_user, const std::string& room_id, const std::string& inviter,
                              storage::WriteBatch& batch, Conversation& out) {
  auto joined = api_.join(bot_user, room_id);
  if (!joined.ok()) {
    spdlog::warn("housing: {} could not join a room it was invited to ({} {})", bot_user, joined.status, joined.errcode());
    return;
  }
  // Housing rooms are the provisioner's; any other room a resident invites a bot to is a
  // direct room with that bot.
  if (directory_.place_of(room_id)) return;
  BotStore::stage_direct_room(batch, bot_user, inviter, room_id);
  if (auto* bot = bot_by_user(bot_user)) {
    auto language = language_for(inviter, Language::ru);
    auto help = bot->help(language);
    out.in_room(bot_user, room_id, help);
  }
}

std::string BotDispatcher::speaker_in(const RoomPlace& place) const {
  // A bot speaks in a room it is a member of: @meetings in owners' rooms, @repairs in the
  // dispatchers' rooms, @domovoy everywhere else.
  if (place.kind == "owners" && !meetings_user_.empty()) return meetings_user_;
  if (place.kind == "dispatch" && !repairs_user_.empty()) return repairs_user_;
  return domovoy_user_;
}

bool BotDispatcher::handle_common(const Command& command, const std::string& sender, const std::string& bot,
                                  const std::string& room_id, bool shared, storage::WriteBatch& batch, Conversation& out) {
  // Settings that every bot takes: the language, and reminders off or on.
  const auto& word = command.word;
  // Settings are not personal data: the answer goes where the command was said.
  (void)shared;
  auto say = [&](const Text& text, Language language) { out.in_room(bot, room_id, Message{text.in(language), {}}); };
  if (word == "язык" || word == "language" || word == "lang") {
    auto words = split_words(command.args);
    auto choice = words.empty() ? std::string() : fold_word(words[0]);
    if (choice == "ru" || choice == "русский" || choice == "russian") {
      BotStore::stage_setting(batch, sender, "language", "ru");
      say({"Буду отвечать вам по-русски.", "I will answer you in Russian."}, Language::ru);
    } else if (choice == "en" || choice == "английский" || choice == "english") {
      BotStore::stage_setting(batch, sender, "language", "en");
      say({"Буду отвечать вам по-английски.", "I will answer you in English."}, Language::en);
    } else {
      say({"Укажите язык: !язык ru или !язык en.", "Say which language: !language ru or !language en."}, command.language);
    }
    return true;
  }
  auto language = language_for(sender, command.language);
  if (word == "не-напоминать" || word == "mute" || word == "ненапоминать") {
    BotStore::stage_setting(batch, sender, "mute", "1");
    say({"Напоминания выключены. Включить снова: !напоминать.", "Reminders are off. To turn them on again: !unmute."},
        language);
    return true;
  }
  if (word == "напоминать" || word == "unmute") {
    BotStore::stage_setting(batch, sender, "mute", "0");
    say({"Напоминания включены.", "Reminders are on."}, language);
    return true;
  }
  return false;
}

void BotDispatcher::on_message(const json::object& event, const std::string& type, const std::string& room_id,
                               const std::string& sender, storage::WriteBatch& batch, Conversation& out) {
  const auto* content = optional_object(event, "content");
  if (!content) return;
  // A resident whose account is on another server: whatever a personal answer says (bills,
  // readings, requests) would leave this region's server in it. Verification alone is answered,
  // without the address (DomovoyBot).
  const bool remote = server_name_of(sender) != server_name_of(domovoy_user_);
  auto remote_refusal = [this](Language language) {
    auto home = std::string(server_name_of(domovoy_user_));
    return Text{"Личные сведения (счета, показания, заявки) не передаются на другие серверы. Спросите с учётной "
                "записи на сервере " + home + ".",
                "Personal data (bills, readings, requests) is not sent to other servers. Ask from an account on " + home +
                    "."}.in(language);
  };
  if (type != "m.room.message") {
    // A poll's answer: only the meetings' own polls count, as votes, wherever they are.
    if (!poll_handler_) return;
    auto place = directory_.place_of(room_id);
    Asker asker{sender, verifications_of(sender), directory_.is_staff_anywhere(sender)};
    Command none;
    CommandContext context{none, asker, language_for(sender, Language::ru),
                           optional_int(event, "origin_server_ts").value_or(now_ms()), place.has_value(), room_id, place,
                           place ? speaker_in(*place) : domovoy_user_, {}, batch, out};
    poll_handler_(context, *content);
    return;
  }
  auto msgtype = optional_string(*content, "msgtype").value_or("");
  auto body = optional_string(*content, "body").value_or("");
  // Bots' notices are not commands, so two bots never talk to each other for ever.
  if (msgtype == "m.notice") return;
  auto now = optional_int(event, "origin_server_ts").value_or(now_ms());
  // A bot's direct room is known here; only other rooms are looked up among the buildings'.
  auto direct = store_.direct_room_members(room_id);
  auto place = direct ? std::nullopt : directory_.place_of(room_id);
  if (!place && !direct) return;  // a room the process knows nothing of
  auto command = parse_command(body);
  if (place && !command) return;  // conversation among neighbours, not for the bots
  auto here = place ? speaker_in(*place) : direct->first;
  Bot* room_bot = bot_by_user(here);
  if (command && handle_common(*command, sender, here, room_id, place.has_value(), batch, out)) return;

  Asker asker{sender, verifications_of(sender), directory_.is_staff_anywhere(sender)};
  // A message that is only a code (Latin letters and digits) says nothing of its writer's
  // language: Russian, unless they chose otherwise.
  auto language = language_for(sender, command ? command->language
                                               : (normalise_verification_code(body) ? Language::ru : language_of(body)));
  Command parsed = command ? *command : Command{};
  CommandContext context{parsed, asker, language, now, place.has_value(), room_id, place, here,
                         place ? std::string() : here, batch, out};

  if (!place) {
    // A direct room with a bot. Only @domovoy talks to strangers (codes are redeemed there).
    if (room_bot && !room_bot->open_to_everyone() && asker.verifications.empty() && !asker.staff) {
      auto text = replace_all(kNotVerified.in(language), "{domovoy}", domovoy_user_.substr(1));
      out.in_room(here, room_id, Message{text, {}});
      return;
    }
    if (!command) {
      if (remote && here != domovoy_user_) {
        out.in_room(here, room_id, Message{remote_refusal(language), {}});
        return;
      }
      if (msgtype == "m.image" || msgtype == "m.file" || msgtype == "m.video") {
        if (room_bot) room_bot->handle_media(context, *content);
        return;
      }
      if (!room_bot || !room_bot->handle_text(context, body)) out.in_room(here, room_id, room_bot ? room_bot->help(language) : Message{});
      return;
    }
  }
  Bot* bot = bot_for(*command);
  if (!bot || is_help(command->word)) {
    // Help (or a command nobody knows): the help of the bot of this room, which names the others.
    Bot* helper = room_bot ? room_bot : bot_by_user(domovoy_user_);
    Message help = helper ? helper->help(language) : Message{};
    if (!bot && !is_help(command->word)) {
      Text unknown{"Не знаю команды «!" + command->word + "». ", "I do not know the command \"!" + command->word + "\". "};
      help.plain = unknown.in(language) + help.plain;
      if (!help.html.empty()) help.html = html_escape(unknown.in(language)) + "<br>" + help.html;
    }
    out.in_room(here, room_id, help);
    return;
  }
  if (bot->personal(command->word) && remote && bot != bot_by_user(domovoy_user_)) {
    out.in_room(here, room_id, Message{remote_refusal(language), {}});
    return;
  }
  if (place && bot->personal(command->word)) {
    // Personal data never in a shared room: a short public note, the answer in private.
    Text note{"Ответ — в личных сообщениях от @" + localpart(bot->user_id()) + ".",
              "Answered in a direct message from @" + localpart(bot->user_id()) + "."};
    out.in_room(here, room_id, Message{note.in(language), {}});
    context.in_shared_room = false;
    context.direct_bot.clear();
  } else if (!place && bot != room_bot) {
    Text note{"Эта команда — для @" + localpart(bot->user_id()) + "; ответ пришёл в чат с ним.",
              "That is a command of @" + localpart(bot->user_id()) + "; it answered in its own chat with you."};
    out.in_room(here, room_id, Message{note.in(language), {}});
    if (!bot->open_to_everyone() && asker.verifications.empty() && !asker.staff) {
      out.in_private(bot->user_id(), Message{replace_all(kNotVerified.in(language), "{domovoy}",
                                                         domovoy_user_.substr(1)), {}});
      return;
    }
  }
  bot->handle(context);
}

}  // namespace domovoy::housing
