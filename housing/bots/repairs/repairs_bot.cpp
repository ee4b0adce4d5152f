#include "housing/bots/repairs/repairs_bot.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/core/json.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/bots/residence.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {

bool contains_any(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* word : words)
    if (text.find(word) != std::string::npos) return true;
  return false;
}

std::optional<std::uint64_t> parse_number(const std::string& text) {
  std::string digits = text;
  if (!digits.empty() && digits.front() == '#') digits.erase(0, 1);
  if (digits.rfind("№", 0) == 0) digits.erase(0, std::string("№").size());
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoull(digits);
}

Text category_name(const std::string& category) {
  return category == "emergency" ? Text{"аварийная", "emergency"} : Text{"плановая", "routine"};
}

struct Transition {
  const char* ru;
  const char* en;
  const char* status;
  std::initializer_list<const char*> from;
};

const Transition kTransitions[] = {
    {"принять", "accept", "accepted", {"new"}},
    {"назначить", "assign", "assigned", {"new", "accepted", "assigned"}},
    {"в-работе", "start", "in_progress", {"accepted", "assigned"}},
    {"выполнено", "done", "done", {"accepted", "assigned", "in_progress"}},
    {"отклонить", "reject", "rejected", {"new", "accepted", "assigned"}},
};

const Transition* transition_for(const std::string& word) {
  for (const auto& transition : kTransitions)
    if (word == transition.ru || word == transition.en) return &transition;
  if (word == "вработе") return &kTransitions[2];
  return nullptr;
}

}  // namespace

std::string repair_category(const std::string& raw) {
  auto text = fold_word(raw);
  if (contains_any(text, {"протек", "протеч", "течь ", "течет с потолка", "течет из", "затоп", "прорыв", "прорвал", "заливает",
                          "залило", "кипят", "flood", "burst", "pipe leak", "leaking ceiling",
                          "нет отоплен", "не греет", "холодные батаре", "no heating", "запах газа", "пахнет газом",
                          "газ", "gas", "лифт застрял", "застрял в лифте", "застрял лифт", "stuck", "искрит", "замыкан",
                          "нет света", "нет электричества", "no power", "sparking", "пожар", "fire", "дым", "smoke"}))
    return "emergency";
  return "routine";
}

Text ticket_status_name(const std::string& status) {
  if (status == "new") return {"новая", "new"};
  if (status == "accepted") return {"принята", "accepted"};
  if (status == "assigned") return {"назначен исполнитель", "assigned"};
  if (status == "in_progress") return {"в работе", "in progress"};
  if (status == "done") return {"выполнена", "done"};
  if (status == "rejected") return {"отклонена", "rejected"};
  return {status, status};
}

RepairsBot::RepairsBot(std::string user_id, HousingDirectory& directory, TicketStore& tickets, BotStore& store,
                       HomeserverApi& api, RepairDeadlines deadlines)
    : user_id_(std::move(user_id)), directory_(directory), tickets_(tickets), store_(store), api_(api), deadlines_(deadlines) {}

bool RepairsBot::knows(const Command& command) const {
  const auto& word = command.word;
  if (transition_for(word)) return true;
  for (const char* known : {"заявка", "repair", "заявки", "tickets", "жалоба", "complain"})
    if (word == known) return true;
  return false;
}

bool RepairsBot::personal(const std::string& word) const {
  // The list of one's requests names the apartment; a new request answers its number in the
  // room and the rest in private (create()); dispatchers work in their own room.
  return word == "заявки" || word == "tickets" || word == "жалоба" || word == "complain";
}

Message RepairsBot::help(Language language) const {
  if (language == Language::ru)
    return {"Я принимаю заявки на ремонт. Команды:\n"
            "!заявка ТЕКСТ — новая заявка (в личных сообщениях или в любом чате дома), например: !заявка не горит лампа на 3 этаже; "
            "фото, присланные после заявки сюда, прикрепляются к ней\n"
            "!заявки — мои заявки и их статусы\n"
            "!жалоба НОМЕР — направить заявку жалобой в жилищную инспекцию со всей её историей\n"
            "Диспетчерам (в комнате диспетчерской): !принять НОМЕР, !назначить НОМЕР ИСПОЛНИТЕЛЬ, !в-работе НОМЕР, "
            "!выполнено НОМЕР, !отклонить НОМЕР ПРИЧИНА",
            ""};
  return {"I take repair requests. Commands:\n"
          "!repair TEXT — a new request (here or in any room of your building), e.g. !repair the lamp on floor 3 is out; photos "
          "sent here after it are attached to it\n"
          "!tickets — my requests and their statuses\n"
          "!complain NUMBER — send a request to the housing inspectorate as a complaint, with its whole history\n"
          "Dispatchers (in the dispatchers' room): !accept N, !assign N WHO, !start N, !done N, !reject N REASON",
          ""};
}

void RepairsBot::handle(CommandContext& context) {
  const auto& word = context.command.word;
  if (word == "заявка" || word == "repair") create(context);
  else if (word == "заявки" || word == "tickets") list(context);
  else if (word == "жалоба" || word == "complain") complain(context);
  else dispatch(context);
}

void RepairsBot::create(CommandContext& context) {
  const auto language = context.language;
  auto text = trim(context.command.args);
  for (const auto& line : context.command.lines) text += (text.empty() ? "" : "\n") + line;
  if (text.empty()) {
    context.answer(user_id_, {context.text({"Опишите, что случилось: !заявка не горит лампа на 3 этаже.",
                                            "Say what is wrong: !repair the lamp on floor 3 is out."}), {}});
    return;
  }
  if (text.size() > 4000) {
    context.answer(user_id_, {context.text({"Слишком длинный текст заявки (не больше 4000 байт).",
                                            "The request is too long (4000 bytes at most)."}), {}});
    return;
  }
  auto registry = directory_.registry();
  auto homes = residences_of(context.asker, *registry);
  // The building: the room's, else the asker's home.
  const Building* building = nullptr;
  if (context.place && !context.place->building_id.empty()) building = registry->find_building(context.place->building_id);
  const Apartment* apartment = nullptr;
  for (const auto& home : homes)
    if (!building || home.building == building) {
      building = home.building;
      apartment = home.apartment;
      break;
    }
  if (!building || (!apartment && !directory_.is_staff_of(context.asker.user_id, *building))) {
    context.answer(user_id_, {context.text({"Заявки принимаются от жителей с подтверждённым адресом: пришлите @domovoy код из квитанции.",
                                            "Requests are taken from residents with a verified address: send @domovoy the code from your bill."}), {}});
    return;
  }
  Ticket ticket;
  ticket.number = store_.next_number(context.batch, "ticket");
  ticket.building_id = building->id;
  ticket.apartment = apartment ? apartment->number : "";
  ticket.entrance = apartment ? apartment->entrance : 0;
  ticket.user_id = context.asker.user_id;
  ticket.text = text;
  ticket.category = repair_category(text);
  ticket.status = "new";
  ticket.created_at = context.now_ms;
  ticket.deadline_at = context.now_ms + (ticket.category == "emergency" ? deadlines_.emergency_ms : deadlines_.routine_ms);
  ticket.history.push_back({context.now_ms, "new", context.asker.user_id, {}});
  TicketStore::stage(context.batch, ticket);
  auto number = "№ " + std::to_string(ticket.number);
  auto category = category_name(ticket.category).in(language);
  auto deadline = format_date_time_ms(ticket.deadline_at, language);
  Text details{"Заявка " + number + " зарегистрирована: " + category + ". Адрес: " + building->address +
                   (ticket.apartment.empty() ? "" : ", кв. " + ticket.apartment) + (ticket.entrance ? ", подъезд " + std::to_string(ticket.entrance) : "") +
                   ". Срок: до " + deadline + ". Пришлите сюда фото — я прикреплю их к заявке. О ходе работ сообщу здесь.",
               "Request " + number + " registered: " + category + ". Address: " + building->address +
                   (ticket.apartment.empty() ? "" : ", apt " + ticket.apartment) + (ticket.entrance ? ", entrance " + std::to_string(ticket.entrance) : "") +
                   ". Due by " + deadline + ". Send photos here and I will attach them. I will tell you here how it goes."};
  if (context.in_shared_room) {
    // In a shared room only the number: the apartment is the resident's business.
    context.answer(user_id_, {context.text({"Заявка " + number + " принята. Подробности — в личных сообщениях от @" +
                                                user_id_.substr(1, user_id_.find(':') - 1) + ".",
                                            "Request " + number + " taken. Details in a direct message from @" +
                                                user_id_.substr(1, user_id_.find(':') - 1) + "."}), {}});
    context.out.in_private(user_id_, {details.in(language), {}});
  } else {
    context.answer(user_id_, {details.in(language), {}});
  }
  // The dispatchers see it at once; an emergency is raised as one.
  if (auto room = directory_.dispatch_room(building->management_company)) {
    std::string head = ticket.category == "emergency" ? "🚨 АВАРИЙНАЯ заявка " : "Новая заявка ";
    context.out.in_room(user_id_, *room,
                        {head + number + ": " + building->address + (ticket.apartment.empty() ? "" : ", кв. " + ticket.apartment) +
                             (ticket.entrance ? ", подъезд " + std::to_string(ticket.entrance) : "") + ". «" + text + "». Срок: до " +
                             format_date_time_ms(ticket.deadline_at, Language::ru) + ". Принять: !принять " + std::to_string(ticket.number),
                         ticket.category == "emergency"
                             ? "<p><b>🚨 АВАРИЙНАЯ заявка " + number + "</b>: " + html_escape(building->address) + "</p><p>" +
                                   html_escape(text) + "</p>"
                             : ""});
  }
}

void RepairsBot::list(CommandContext& context) {
  const auto language = context.language;
  auto tickets = tickets_.of_user(context.asker.user_id);
  if (tickets.empty()) {
    context.answer(user_id_, {context.text({"У вас нет заявок. Новая: !заявка ТЕКСТ.", "You have no requests. A new one: !repair TEXT."}), {}});
    return;
  }
  std::string plain = context.text({"Ваши заявки:\n", "Your requests:\n"});
  std::string html = "<table><tr><th>№</th><th>" + context.text({"Дата", "Date"}) + "</th><th>" + context.text({"Заявка", "Request"}) +
                     "</th><th>" + context.text({"Статус", "Status"}) + "</th></tr>";
  for (const auto& ticket : tickets) {
    auto status = ticket_status_name(ticket.status).in(language);
    plain += "№ " + std::to_string(ticket.number) + " · " + format_date_ms(ticket.created_at, language) + " · " + ticket.text + " · " +
             status + "\n";
    html += "<tr><td>" + std::to_string(ticket.number) + "</td><td>" + format_date_ms(ticket.created_at, language) + "</td><td>" +
            html_escape(ticket.text) + "</td><td>" + html_escape(status) + "</td></tr>";
  }
  html += "</table>";
  context.answer(user_id_, {plain, html});
}

std::optional<std::string> RepairsBot::inspectorate_room(storage::WriteBatch& batch) {
  if (auto known = store_.setting("@inspectorate", "room")) return known;
  auto registry = directory_.registry();
  json::array invite;
  for (const auto& inspector : registry->region.inspectorate.staff) invite.push_back(json::value(inspector));
  json::value body = json::object{{"preset", "private_chat"},
                                  {"name", registry->region.inspectorate.name + " — жалобы жителей"},
                                  {"topic", "Жалобы жителей с историей заявок / Residents' complaints with their requests' history"},
                                  {"invite", std::move(invite)}};
  auto answer = api_.call(boost::beast::http::verb::post, "/_matrix/client/v3/createRoom", &body, user_id_);
  if (!answer.ok() || !answer.body.is_object()) return std::nullopt;
  auto room = optional_string(answer.body.as_object(), "room_id");
  if (room) BotStore::stage_setting(batch, "@inspectorate", "room", *room);
  return room;
}

void RepairsBot::complain(CommandContext& context) {
  auto number = parse_number(trim(context.command.args));
  auto ticket = number ? tickets_.find(*number) : std::nullopt;
  if (!ticket || ticket->user_id != context.asker.user_id) {
    context.answer(user_id_, {context.text({"Заявка не найдена среди ваших. Ваши заявки: !заявки.",
                                            "No such request of yours. Your requests: !tickets."}), {}});
    return;
  }
  auto label = "№ " + std::to_string(ticket->number);
  if (ticket->complained) {
    context.answer(user_id_, {context.text({"Жалоба по заявке " + label + " уже направлена в инспекцию.",
                                            "A complaint about request " + label + " has already been sent to the inspectorate."}), {}});
    return;
  }
  auto room = inspectorate_room(context.batch);
  if (!room) throw HomeserverUnavailable("the inspectorate's room could not be made");  // retried with the transaction
  auto registry = directory_.registry();
  const auto* building = registry->find_building(ticket->building_id);
  std::string history;
  for (const auto& event : ticket->history)
    history += "• " + format_date_time_ms(event.at, Language::ru) + " — " +
               (event.status.empty() ? std::string("примечание") : ticket_status_name(event.status).ru) +
               (event.note.empty() ? "" : ": " + event.note) + "\n";
  context.out.in_room(user_id_, *room,
                      {"Жалоба жителя по заявке " + label + " (" + category_name(ticket->category).ru + ")\nАдрес: " +
                           (building ? building->address : ticket->building_id) +
                           (ticket->apartment.empty() ? "" : ", кв. " + ticket->apartment) + "\nЖитель: " + ticket->user_id +
                           "\nЗаявка: " + ticket->text + "\nПодана: " + format_date_time_ms(ticket->created_at, Language::ru) +
                           ", срок: " + format_date_time_ms(ticket->deadline_at, Language::ru) + "\nСтатус: " +
                           ticket_status_name(ticket->status).ru + "\nИстория:\n" + history +
                           (ticket->photos.empty() ? "" : "Фото: " + std::to_string(ticket->photos.size()) + "\n"),
                       {}});
  for (const auto& photo : ticket->photos)
    context.out.in_room(user_id_, *room, {"Фото к заявке " + label + ": " + photo, {}});
  ticket->complained = true;
  ticket->history.push_back({context.now_ms, "", context.asker.user_id, "жалоба в инспекцию"});
  TicketStore::stage(context.batch, *ticket);
  context.answer(user_id_, {context.text({"Жалоба по заявке " + label + " направлена в жилищную инспекцию вместе с историей заявки.",
                                          "The complaint about request " + label + " has been sent to the housing inspectorate with its history."}), {}});
}

void RepairsBot::dispatch(CommandContext& context) {
  const auto* transition = transition_for(context.command.word);
  auto words = split_words(context.command.args);
  auto number = words.empty() ? std::nullopt : parse_number(words[0]);
  auto registry = directory_.registry();
  auto ticket = number ? tickets_.find(*number) : std::nullopt;
  if (!ticket) {
    context.answer(user_id_, {context.text({"Укажите номер заявки: !" + std::string(transition->ru) + " 12.",
                                            "Give the request's number: !" + std::string(transition->en) + " 12."}), {}});
    return;
  }
  const auto* building = registry->find_building(ticket->building_id);
  const auto* company = building ? registry->find_management_company(building->management_company) : nullptr;
  bool dispatcher = company && std::find(company->staff.begin(), company->staff.end(), context.asker.user_id) != company->staff.end();
  if (!dispatcher) {
    context.answer(user_id_, {context.text({"Менять статус заявки могут только диспетчеры управляющей компании дома.",
                                            "Only the building's management company's dispatchers change a request's status."}), {}});
    return;
  }
  auto label = "№ " + std::to_string(ticket->number);
  if (std::find(transition->from.begin(), transition->from.end(), ticket->status) == transition->from.end()) {
    context.answer(user_id_, {context.text({"Заявка " + label + " сейчас «" + ticket_status_name(ticket->status).ru + "»: так изменить её нельзя.",
                                            "Request " + label + " is \"" + ticket_status_name(ticket->status).en + "\": it cannot be changed that way."}), {}});
    return;
  }
  std::string rest;
  for (std::size_t i = 1; i < words.size(); ++i) rest += (rest.empty() ? "" : " ") + words[i];
  std::string status = transition->status;
  if (status == "assigned" && rest.empty()) {
    context.answer(user_id_, {context.text({"Укажите исполнителя: !назначить " + std::to_string(ticket->number) + " Иванов (сантехник).",
                                            "Say who: !assign " + std::to_string(ticket->number) + " Ivanov (plumber)."}), {}});
    return;
  }
  if (status == "rejected" && rest.empty()) {
    context.answer(user_id_, {context.text({"Укажите причину: !отклонить " + std::to_string(ticket->number) + " ПРИЧИНА.",
                                            "Give the reason: !reject " + std::to_string(ticket->number) + " REASON."}), {}});
    return;
  }
  ticket->status = status;
  if (status == "assigned") ticket->assignee = rest;
  ticket->history.push_back({context.now_ms, status, context.asker.user_id, rest});
  TicketStore::stage(context.batch, *ticket);
  context.answer(user_id_, {context.text({"Заявка " + label + ": " + ticket_status_name(status).ru + (rest.empty() ? "" : " — " + rest) + ".",
                                          "Request " + label + ": " + ticket_status_name(status).en + (rest.empty() ? "" : " — " + rest) + "."}), {}});
  // The resident hears of it in their language.
  Language theirs = user_language(store_, ticket->user_id);
  Text told{"Заявка " + label + " («" + ticket->text + "»): " + ticket_status_name(status).ru + (rest.empty() ? "" : " — " + rest) + ".",
            "Request " + label + " (\"" + ticket->text + "\"): " + ticket_status_name(status).en + (rest.empty() ? "" : " — " + rest) + "."};
  if (status == "done")
    told = {told.ru + " Если работа не сделана, напишите !жалоба " + std::to_string(ticket->number) + ".",
            told.en + " If the work was not done, write !complain " + std::to_string(ticket->number) + "."};
  context.out.to_user(user_id_, ticket->user_id, {told.in(theirs), {}});
}

bool RepairsBot::handle_media(CommandContext& context, const json::object& content) {
  auto url = optional_string(content, "url");
  if (!url || url->rfind("mxc://", 0) != 0) return false;
  auto tickets = tickets_.of_user(context.asker.user_id);
  // The latest open request, made within a day: photos come just after the text.
  for (auto it = tickets.rbegin(); it != tickets.rend(); ++it) {
    if (!it->open() || context.now_ms - it->created_at > 24 * 3600 * 1000) continue;
    if (it->photos.size() >= 20) break;
    it->photos.push_back(*url);
    it->history.push_back({context.now_ms, "", context.asker.user_id, "фото " + *url});
    TicketStore::stage(context.batch, *it);
    auto label = "№ " + std::to_string(it->number);
    context.answer(user_id_, {context.text({"Фото прикреплено к заявке " + label + ".", "Photo attached to request " + label + "."}), {}});
    return true;
  }
  context.answer(user_id_, {context.text({"Фото не к чему прикрепить: сначала напишите заявку (!заявка ТЕКСТ).",
                                          "There is no recent open request to attach the photo to: write one first (!repair TEXT)."}), {}});
  return true;
}

void RepairsBot::escalate_overdue(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out) {
  auto registry = directory_.registry();
  for (auto& ticket : tickets_.open_tickets()) {
    if (ticket.escalated || ticket.deadline_at > now_ms) continue;
    const auto* building = registry->find_building(ticket.building_id);
    if (!building) continue;
    auto label = "№ " + std::to_string(ticket.number);
    if (auto room = directory_.dispatch_room(building->management_company)) {
      const auto* company = registry->find_management_company(building->management_company);
      std::string mentions;
      if (company)
        for (const auto& person : company->staff) mentions += " " + person;
      out.in_room(user_id_, *room,
                  {"⏰ ПРОСРОЧЕНА заявка " + label + " (" + category_name(ticket.category).ru + "): " + building->address +
                       ", срок был " + format_date_time_ms(ticket.deadline_at, Language::ru) + ", статус «" +
                       ticket_status_name(ticket.status).ru + "»." + mentions,
                   {}});
    }
    Language theirs = user_language(store_, ticket.user_id);
    out.to_user(user_id_, ticket.user_id,
                {Text{"Срок по заявке " + label + " истёк; я напомнил диспетчерам. Если ничего не изменится, напишите !жалоба " +
                          std::to_string(ticket.number) + " — она уйдёт в жилищную инспекцию.",
                      "Request " + label + " is overdue; I reminded the dispatchers. If nothing changes, write !complain " +
                          std::to_string(ticket.number) + " to send it to the housing inspectorate."}
                     .in(theirs),
                 {}});
    ticket.escalated = true;
    ticket.history.push_back({now_ms, "", user_id_, "просрочена, эскалация"});
    TicketStore::stage(batch, ticket);
  }
}

}  // namespace domovoy::housing
