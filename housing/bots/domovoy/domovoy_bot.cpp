#include "housing/bots/domovoy/domovoy_bot.hpp"

#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/law/money.hpp"
#include "housing/verification/verification_code.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

// The homeserver's messages are "Русский / English": the asker's half.
std::string half_of(const std::string& message, Language language) {
  auto split = message.find(" / ");
  if (split == std::string::npos) return message;
  return language == Language::ru ? message.substr(0, split) : message.substr(split + 3);
}

std::string code_in(const std::string& text) {
  auto words = split_words(trim(text));
  std::string code;
  for (const auto& word : words) code += word;
  while (!code.empty() && code.back() == '.') code.pop_back();
  return code;
}

}  // namespace

DomovoyBot::DomovoyBot(std::string user_id, HomeserverApi& api, HousingDirectory& directory, NoticeStore& notices,
                       std::function<Message(const std::string&, Language)> past_results)
    : user_id_(std::move(user_id)), api_(api), directory_(directory), notices_(notices), past_results_(std::move(past_results)) {}

bool DomovoyBot::knows(const Command& command) const {
  const auto& word = command.word;
  if ((word == "итоги" || word == "results") && command.args.empty()) return true;
  for (const char* known : {"код", "code", "verify", "подтвердить", "капремонт", "capital-repair", "отключения", "outages",
                            "помощь", "help"})
    if (word == known) return true;
  return false;
}

bool DomovoyBot::personal(const std::string& word) const {
  // A code, and the apartment it names, are for the resident alone.
  return word == "код" || word == "code" || word == "verify" || word == "подтвердить";
}

Message DomovoyBot::help(Language language) const {
  if (language == Language::ru)
    return {"Я — Домовой, бот вашего дома. Команды:\n"
            "!код КОД — подтвердить адрес кодом из квитанции (например, !код K7QM-4XRT-PW); можно прислать и сам код\n"
            "!капремонт — план капитального ремонта дома и остаток фонда\n"
            "!отключения — плановые отключения\n"
            "!итоги — итоги прошедших собраний собственников\n"
            "!язык en — отвечать по-английски; !не-напоминать — выключить напоминания\n"
            "Другие боты: @meters — счётчики и показания (!показания хвс 123,45), @billing — квитанции и оплата (!счёт), "
            "@repairs — заявки (!заявка текст), @meetings — собрания собственников (!собрание).",
            ""};
  return {"I am Domovoy, your building's bot. Commands:\n"
          "!verify CODE — verify your address with the code from your bill (e.g. !verify K7QM-4XRT-PW); the code alone works too\n"
          "!capital-repair — the building's capital-repair plan and fund balance\n"
          "!outages — planned outages\n"
          "!results — results of past owners' meetings\n"
          "!language ru — answer in Russian; !mute — no reminders\n"
          "Other bots: @meters — meters and readings (!reading cold 123.45), @billing — bills and payments (!bill), "
          "@repairs — repair requests (!repair text), @meetings — owners' meetings (!meeting).",
          ""};
}

bool DomovoyBot::handle_text(CommandContext& context, const std::string& text) {
  auto code = code_in(text);
  if (!normalise_verification_code(code)) return false;
  redeem(context, code);
  return true;
}

std::optional<std::string> DomovoyBot::building_of(const CommandContext& context) const {
  if (context.place && !context.place->building_id.empty()) return context.place->building_id;
  if (!context.asker.verifications.empty()) return context.asker.verifications.front().building_id;
  return std::nullopt;
}

void DomovoyBot::redeem(CommandContext& context, const std::string& code) {
  const auto language = context.language;
  if (code.empty()) {
    context.answer(user_id_, {context.text({"Пришлите код из квитанции: !код K7QM-4XRT-PW.",
                                            "Send the code from your bill: !verify K7QM-4XRT-PW."}), {}});
    return;
  }
  json::value body = json::object{{"code", code}};
  auto answer = api_.call(verb::post, "/_domovoy/admin/v1/users/" + HomeserverApi::segment(context.asker.user_id) + "/verify",
                          &body);
  if (answer.status == 0 || answer.status >= 500)
    throw HomeserverUnavailable("the homeserver did not answer a redemption");  // the transaction is retried
  if (!answer.ok()) {
    context.answer(user_id_, {half_of(answer.error(), language), {}});
    return;
  }
  if (server_name_of(context.asker.user_id) != server_name_of(user_id_)) {
    // A resident of another server: this chat is on their server too, so the address, the
    // apartment and the role stay here; the invitations to the building's rooms say enough.
    context.answer(user_id_, {Text{"Код принят. Вас пригласили в комнаты вашего дома: примите приглашения, чтобы войти.",
                                   "Code accepted. You have been invited to your building's rooms: accept the invitations "
                                   "to join."}.in(language), {}});
    return;
  }
  const auto& result = answer.body.as_object();
  auto building_id = optional_string(result, "building_id").value_or("");
  auto apartment = optional_string(result, "apartment").value_or("");
  auto role = optional_string(result, "role").value_or("");
  auto registry = directory_.registry();
  const auto* building = registry->find_building(building_id);
  if (!building && directory_.refresh()) {
    registry = directory_.registry();
    building = registry->find_building(building_id);
  }
  auto address = building ? building->address : building_id;
  auto expires = optional_string(result, "expires_at").value_or("").substr(0, 10);
  std::string rooms_ru = "общий чат, объявления, чат подъезда";
  std::string rooms_en = "the general chat, announcements, your entrance's chat";
  const auto* rooms = optional_object(result, "rooms");
  if (rooms && rooms->if_contains("owners")) {
    rooms_ru += ", комната собственников";
    rooms_en += ", the owners' room";
  }
  if (rooms && rooms->if_contains("neighbourhood")) {
    rooms_ru += ", чат соседних домов";
    rooms_en += ", the neighbourhood chat";
  }
  Text reply{"Адрес подтверждён: " + address + ", кв. " + apartment + " (" + (role == "owner" ? "собственник" : "жилец") +
                 "). Вы добавлены в комнаты дома: " + rooms_ru + ". Подтверждение действует до " + expires + ".",
             "Address verified: " + address + ", apartment " + apartment + " (" + role +
                 "). You have joined your building's rooms: " + rooms_en + ". The verification holds until " + expires + "."};
  context.answer(user_id_, {reply.in(language), {}});
}

void DomovoyBot::handle(CommandContext& context) {
  const auto& word = context.command.word;
  const auto language = context.language;
  if (word == "код" || word == "code" || word == "verify" || word == "подтвердить") {
    redeem(context, code_in(context.command.args));
    return;
  }
  auto building_id = building_of(context);
  if (!building_id) {
    context.answer(user_id_, {context.text({"Сначала подтвердите адрес: пришлите мне код из квитанции.",
                                            "Verify your address first: send me the code from your bill."}), {}});
    return;
  }
  auto registry = directory_.registry();
  const auto* building = registry->find_building(*building_id);
  auto address = building ? building->address : *building_id;
  if (word == "капремонт" || word == "capital-repair") {
    auto plan = notices_.capital_repair(*building_id);
    if (!plan) {
      context.answer(user_id_, {context.text({"План капитального ремонта для дома " + address + " ещё не опубликован.",
                                              "No capital-repair plan has been published for " + address + " yet."}), {}});
      return;
    }
    std::string plain = context.text({"Капитальный ремонт — " + address + "\n", "Capital repair — " + address + "\n"});
    std::string html = "<p><b>" + html_escape(context.text({"Капитальный ремонт — ", "Capital repair — "}) + address) +
                       "</b></p><table><tr><th>" + context.text({"Год", "Year"}) + "</th><th>" +
                       context.text({"Работы", "Works"}) + "</th></tr>";
    for (const auto& work : plan->works) {
      plain += std::to_string(work.year) + " — " + work.work + "\n";
      html += "<tr><td>" + std::to_string(work.year) + "</td><td>" + html_escape(work.work) + "</td></tr>";
    }
    auto balance = law::format_rubles(plan->fund_balance_kopecks);
    plain += context.text({"Остаток фонда: ", "Fund balance: "}) + balance;
    html += "</table><p>" + html_escape(context.text({"Остаток фонда: ", "Fund balance: "}) + balance) + "</p>";
    if (!plan->fund_owner.empty()) {
      plain += " (" + plan->fund_owner + ")";
    }
    context.answer(user_id_, {plain, html});
    return;
  }
  if (word == "отключения" || word == "outages") {
    auto outages = notices_.outages(*building_id, context.now_ms);
    if (outages.empty()) {
      context.answer(user_id_, {context.text({"Плановых отключений в доме " + address + " нет.",
                                              "No outages are planned at " + address + "."}), {}});
      return;
    }
    std::string plain = context.text({"Плановые отключения — " + address + ":\n", "Planned outages — " + address + ":\n"});
    for (const auto& outage : outages)
      plain += "• " + outage.service + ": " + format_date_time_ms(outage.from_ms, language) + " — " +
               format_date_time_ms(outage.to_ms, language) + (outage.details.empty() ? "" : ". " + outage.details) + "\n";
    context.answer(user_id_, {plain, {}});
    return;
  }
  if (word == "итоги" || word == "results") {
    context.answer(user_id_, past_results_(*building_id, language));
    return;
  }
  context.answer(user_id_, help(language));
}

}  // namespace domovoy::housing
