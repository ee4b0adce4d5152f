#include "housing/service/verification_bot.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/time_format.hpp"
#include "housing/verification/verification_code.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {
const char* kHelp =
    "Здравствуйте! Я подтверждаю адрес жителей. Пришлите код из квитанции (например, K7QM-4XRT-PW), и я добавлю "
    "вас в комнаты вашего дома.\n"
    "Hello! I verify residents' addresses. Send me the code from your bill (e.g. K7QM-4XRT-PW) and I will add you "
    "to your building's rooms.";

// "!код K7QM-4XRT-PW", "!code ...", or the code alone.
std::string code_in(std::string text) {
  for (const std::string prefix : {"!код", "!code", "!verify", "!подтвердить"})
    if (text.rfind(prefix, 0) == 0) {
      text.erase(0, prefix.size());
      break;
    }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.erase(0, 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '.')) text.pop_back();
  return text;
}
}  // namespace

void VerificationBot::on_event(const EventPtr& event) {
  const auto& bot = provisioner_.bot_user_id();
  if (event->sender == bot || event->sender == provisioner_.notices_user_id()) return;
  if (event->type == "m.room.member" && event->state_key == bot && event->membership() == "invite") {
    boost::asio::post(pool_, [this, room = event->room_id, inviter = event->sender] { accept_invite(room, inviter); });
    return;
  }
  if (event->type != "m.room.message" || registry_.room_owner(event->room_id)) return;
  const auto* body = event->content().if_contains("body");
  if (!body || !body->is_string()) return;
  boost::asio::post(pool_, [this, room = event->room_id, sender = event->sender, text = std::string(body->as_string())] {
    if (!rooms_.engine().is_joined(room, provisioner_.bot_user_id())) return;
    answer(room, sender, text);
  });
}

void VerificationBot::accept_invite(const std::string& room_id, const std::string& inviter) {
  try {
    const auto& bot = provisioner_.bot_user_id();
    if (!rooms_.engine().room_version(room_id)) {
      // A direct message opened from another server (a resident whose account is there): the
      // room is the inviter's server's, joined through it.
      if (!remote_join_) return;
      remote_join_(room_id, std::string(server_name_of(inviter)), [this, room_id] {
        boost::asio::post(pool_, [this, room_id] {
          try {
            reply(room_id, kHelp);
          } catch (const std::exception& error) {
            spdlog::warn("housing bot: cannot greet in a room of another server: {}", error.what());
          }
        });
      });
      return;
    }
    rooms_.engine().send(room_id, EventDraft{"m.room.member", bot, bot, rooms_.own_member_content(bot, "join", std::nullopt)});
    reply(room_id, kHelp);
  } catch (const std::exception& error) {
    spdlog::warn("housing bot: cannot join a room it was invited to: {}", error.what());
  }
}

void VerificationBot::reply(const std::string& room_id, const std::string& text) {
  rooms_.engine().send(room_id, EventDraft{"m.room.message", std::nullopt, provisioner_.bot_user_id(),
                                           json::object{{"msgtype", "m.notice"}, {"body", text}}});
}

void VerificationBot::answer(const std::string& room_id, const std::string& sender, const std::string& text) {
  auto code = code_in(text);
  try {
    if (!normalise_verification_code(code)) {
      reply(room_id, kHelp);
      return;
    }
    auto verification = verification_.redeem(sender, code);
    if (server_name_of(sender) != rooms_.engine().identity().server_name) {
      // This room is on another server too: the address and the role stay here.
      reply(room_id,
            "Код принят. Вас пригласили в комнаты вашего дома: примите приглашения, чтобы войти.\n"
            "Code accepted. You have been invited to your building's rooms: accept the invitations to join.");
      return;
    }
    auto registry = registry_.registry();
    std::string address = verification.building_id;
    if (const auto* building = registry->find_building(verification.building_id)) address = building->address;
    auto role_ru = verification.role == "owner" ? "собственник" : "жилец";
    reply(room_id, "Адрес подтверждён: " + address + " (" + role_ru +
                       "). Вы добавлены в комнаты дома: общий чат, объявления, чат подъезда" +
                       (verification.role == "owner" ? ", комнату собственников" : "") +
                       ". Подтверждение действует до " + format_iso8601(verification.expires_at).substr(0, 10) +
                       ".\nAddress verified: " + address + " (" + verification.role +
                       "). You have joined your building's rooms.");
  } catch (const ApiError& error) {
    reply(room_id, error.what());
  } catch (const std::exception& error) {
    spdlog::error("housing bot: redeeming a code failed: {}", error.what());
    reply(room_id, "Не получилось, попробуйте позже / Something went wrong, please try again later");
  }
}

}  // namespace domovoy::housing
