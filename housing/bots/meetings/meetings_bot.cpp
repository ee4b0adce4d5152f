#include "housing/bots/meetings/meetings_bot.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/core/json.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/bots/residence.hpp"
#include "housing/registry/iso_date.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {

std::optional<std::uint64_t> parse_number(const std::string& raw) {
  std::string text = raw;
  if (text.rfind("№", 0) == 0) text.erase(0, std::string("№").size());
  if (!text.empty() && text.front() == '#') text.erase(0, 1);
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoull(text);
}

std::optional<std::string> parse_choice(const std::string& raw) {
  auto word = fold_word(raw);
  if (word == "за" || word == "yes" || word == "да" || word == "for") return "yes";
  if (word == "против" || word == "no" || word == "нет" || word == "against") return "no";
  if (word == "воздержался" || word == "воздержалась" || word == "воздерживаюсь" || word == "abstain") return "abstain";
  return std::nullopt;
}

std::optional<law::Choice> to_choice(const std::string& answer) {
  if (answer == "yes") return law::Choice::yes;
  if (answer == "no") return law::Choice::no;
  if (answer == "abstain") return law::Choice::abstain;
  return std::nullopt;
}

Text choice_name(const std::string& answer) {
  if (answer == "yes") return {"за", "yes"};
  if (answer == "no") return {"против", "no"};
  return {"воздержался", "abstain"};
}

Text status_name(const Meeting& meeting, std::chrono::year_month_day today) {
  if (meeting.status == "initiative") return {"сбор подписей инициаторов", "gathering initiators"};
  if (meeting.status == "closed") return {"завершено", "closed"};
  auto start = parse_iso_date(meeting.start), end = parse_iso_date(meeting.end);
  if (start && today < *start) return {"объявлено, голосование с " + meeting.start, "announced, voting from " + meeting.start};
  if (end && today <= *end) return {"идёт голосование до " + meeting.end, "voting until " + meeting.end};
  return {"подсчёт голосов", "counting"};
}

// "форма: очная" -> ("форма", "очная").
std::pair<std::string, std::string> key_value(const std::string& line) {
  auto colon = line.find(':');
  if (colon == std::string::npos) return {};
  return {fold_word(trim(line.substr(0, colon))), trim(line.substr(colon + 1))};
}

std::string reminder_key(std::uint64_t number) { return "meeting:" + std::to_string(number); }

}  // namespace

MeetingsBot::MeetingsBot(std::string user_id, HousingDirectory& directory, MeetingStore& meetings, BotStore& store,
                         StateSystemConnector& connector, law::MeetingRules rules, bool designated_system)
    : user_id_(std::move(user_id)),
      directory_(directory),
      meetings_(meetings),
      store_(store),
      connector_(connector),
      rules_(rules),
      designated_system_(designated_system) {}

bool MeetingsBot::knows(const Command& command) const {
  const auto& word = command.word;
  if ((word == "итоги" || word == "results") && !command.args.empty()) return true;
  for (const char* known : {"собрание", "meeting", "meetings", "голос", "vote", "бюллетень", "ballot", "поддерживаю", "support"})
    if (word == known) return true;
  return false;
}

Message MeetingsBot::help(Language language) const {
  if (language == Language::ru)
    return {"Я провожу общие собрания собственников (ст. 44–48 ЖК РФ). Команды (в комнате собственников или здесь):\n"
            "!собрание — собрания дома и их состояние\n"
            "!собрание новое — новое собрание; на следующих строках:\n"
            "  форма: очно-заочная (или очная, заочная)\n  начало: 2027-01-10\n  конец: 2027-01-20\n"
            "  1. Выбрать совет дома | participants_majority\n  2. Капремонт крыши | all_votes_two_thirds\n"
            "  (пороги: participants_majority, all_votes_majority, all_votes_two_thirds); уведомление — не позднее чем за " +
                std::to_string(rules_.min_notice_days) +
                " дней; инициатор — собственники с 10 % голосов или управляющая компания\n"
            "!поддерживаю НОМЕР — присоединиться к инициативе собрания\n"
            "!голос НОМЕР ВОПРОС за/против/воздержался — проголосовать (только собственники; голос взвешивается площадью "
            "и долей; повторный голос заменяет прежний до конца голосования); можно ответить и на опрос собрания\n"
            "!бюллетень НОМЕР КВАРТИРА 1=за 2=против ... — администратор вносит бумажный бюллетень\n"
            "!итоги НОМЕР — текущие или окончательные итоги: голоса по вопросам, кворум, решения",
            ""};
  return {"I run owners' general meetings (Housing Code art. 44–48). Commands (in the owners' room or here):\n"
          "!meeting — the building's meetings and their state\n"
          "!meeting new — a new meeting; on the next lines:\n"
          "  form: mixed (or in_person, absentee)\n  start: 2027-01-10\n  end: 2027-01-20\n"
          "  1. Elect the building council | participants_majority\n  2. Roof repair | all_votes_two_thirds\n"
          "  (thresholds: participants_majority, all_votes_majority, all_votes_two_thirds); the notice goes at least " +
              std::to_string(rules_.min_notice_days) +
              " days ahead; initiators: owners with 10% of the votes, or the management company\n"
          "!support NUMBER — join the initiative of a meeting\n"
          "!vote NUMBER QUESTION yes/no/abstain — vote (owners only; weighted by area and share; a new vote replaces the "
          "old one until the end); answering the meeting's poll works too\n"
          "!ballot NUMBER APARTMENT 1=yes 2=no ... — the administrator enters a paper ballot\n"
          "!results NUMBER — the running or final tally: votes per question, quorum, decisions",
          ""};
}

std::string MeetingsBot::owners_room(const std::string& building_id) const {
  auto rooms = directory_.rooms_of(building_id);
  return rooms ? rooms->owners : std::string();
}

std::vector<MeetingsBot::Seat> MeetingsBot::seats_of(const std::string& user_id, const Building& building) {
  std::vector<Seat> seats;
  auto residents = directory_.residents_of(building.id);
  for (const auto& apartment : building.apartments) {
    std::vector<const HousingDirectory::BuildingResident*> owners;
    for (const auto& resident : residents)
      if (resident.verification.apartment == apartment.number && resident.verification.role == "owner") owners.push_back(&resident);
    std::sort(owners.begin(), owners.end(), [](const auto* a, const auto* b) {
      return std::tie(a->verification.verified_at, a->user_id) < std::tie(b->verification.verified_at, b->user_id);
    });
    for (std::size_t i = 0; i < owners.size() && i < apartment.owners.size(); ++i)
      if (owners[i]->user_id == user_id) seats.push_back({&apartment, i});
  }
  return seats;
}

const Building* MeetingsBot::building_for(CommandContext& context) {
  auto registry = directory_.registry();
  if (context.place && !context.place->building_id.empty()) return registry->find_building(context.place->building_id);
  auto homes = residences_of(context.asker, *registry);
  for (const auto& home : homes)
    if (home.role == "owner") return home.building;
  if (!homes.empty()) return homes.front().building;
  for (const auto& building : registry->buildings)
    if (directory_.is_staff_of(context.asker.user_id, building)) return &building;
  return nullptr;
}

void MeetingsBot::handle(CommandContext& context) {
  const auto& word = context.command.word;
  if (word == "голос" || word == "vote") {
    auto words = split_words(context.command.args);
    std::optional<std::uint64_t> number, question;
    std::optional<std::string> choice;
    if (words.size() == 3) {
      number = parse_number(words[0]);
      question = parse_number(words[1]);
      choice = parse_choice(words[2]);
    }
    if (!number || !question || !choice || question.value_or(0) == 0) {
      context.answer(user_id_, {context.text({"Голос пишется так: !голос НОМЕР ВОПРОС за/против/воздержался, например !голос 1 2 за.",
                                              "Vote like this: !vote NUMBER QUESTION yes/no/abstain, e.g. !vote 1 2 yes."}), {}});
      return;
    }
    vote(context, *number, static_cast<std::size_t>(question.value_or(1) - 1), *choice);
    return;
  }
  if (word == "бюллетень" || word == "ballot") return ballot(context);
  if (word == "итоги" || word == "results") return results(context);
  if (word == "поддерживаю" || word == "support") return support(context);
  const auto* building = building_for(context);
  if (!building) {
    context.answer(user_id_, {context.text({"Собрания — для собственников с подтверждённым адресом: пришлите @domovoy код из квитанции.",
                                            "Meetings are for owners with a verified address: send @domovoy the code from your bill."}), {}});
    return;
  }
  auto sub = fold_word(trim(context.command.args));
  if (sub == "новое" || sub == "new") create(context, *building);
  else list(context, *building);
}

void MeetingsBot::list(CommandContext& context, const Building& building) {
  const auto language = context.language;
  auto meetings = meetings_.of_building(building.id);
  if (meetings.empty()) {
    context.answer(user_id_, {context.text({"В доме " + building.address + " собраний ещё не было. Созвать: !собрание новое (см. !помощь).",
                                            "No meetings yet at " + building.address + ". To call one: !meeting new (see !help)."}), {}});
    return;
  }
  auto today = local_date(context.now_ms);
  std::string text = context.text({"Собрания — ", "Meetings — "}) + building.address + "\n";
  for (const auto& meeting : meetings) {
    text += "№ " + std::to_string(meeting.number) + " · " + meeting.start + " — " + meeting.end + " · " +
            status_name(meeting, today).in(language) + "\n";
    for (std::size_t i = 0; i < meeting.questions.size(); ++i)
      text += "   " + std::to_string(i + 1) + ". " + meeting.questions[i].title + "\n";
  }
  context.answer(user_id_, {text, {}});
}

void MeetingsBot::create(CommandContext& context, const Building& building) {
  const auto language = context.language;
  auto refuse = [&](const Text& why) {
    context.answer(user_id_, {context.text({"Собрание не создано: ", "The meeting was not created: "}) + why.in(language), {}});
  };
  std::optional<law::MeetingForm> form;
  std::optional<std::chrono::year_month_day> start, end;
  std::vector<MeetingQuestion> questions;
  for (const auto& line : context.command.lines) {
    auto [key, value] = key_value(line);
    if (key == "форма" || key == "form") {
      form = law::meeting_form_from_string(value);
      if (!form) return refuse({"форма — очная, заочная или очно-заочная.", "form is in_person, absentee or mixed."});
    } else if (key == "начало" || key == "start") {
      start = parse_iso_date(value);
      if (!start) return refuse({"начало — дата ГГГГ-ММ-ДД.", "start is a date YYYY-MM-DD."});
    } else if (key == "конец" || key == "end") {
      end = parse_iso_date(value);
      if (!end) return refuse({"конец — дата ГГГГ-ММ-ДД.", "end is a date YYYY-MM-DD."});
    } else {
      // "1. Текст вопроса | порог"
      auto dot = line.find('.');
      auto bar = line.rfind('|');
      if (dot == std::string::npos || !parse_number(trim(line.substr(0, dot))))
        return refuse({"непонятная строка «" + line + "».", "a line I do not understand: \"" + line + "\"."});
      if (bar == std::string::npos || bar < dot)
        return refuse({"у вопроса «" + trim(line.substr(dot + 1)) + "» нет порога (| participants_majority, | all_votes_majority или | all_votes_two_thirds).",
                       "question \"" + trim(line.substr(dot + 1)) + "\" has no threshold (| participants_majority, | all_votes_majority or | all_votes_two_thirds)."});
      auto title = trim(line.substr(dot + 1, bar - dot - 1));
      auto threshold = law::threshold_from_string(trim(line.substr(bar + 1)));
      if (title.empty()) return refuse({"у вопроса нет текста.", "a question has no text."});
      if (!threshold)
        return refuse({"порог «" + trim(line.substr(bar + 1)) + "» неизвестен: participants_majority, all_votes_majority или all_votes_two_thirds.",
                       "unknown threshold \"" + trim(line.substr(bar + 1)) + "\": participants_majority, all_votes_majority or all_votes_two_thirds."});
      questions.push_back({title, std::string(law::to_string(*threshold))});
    }
  }
  if (!form || !start || !end)
    return refuse({"нужны строки «форма:», «начало:» и «конец:» (см. !помощь).", "the lines \"form:\", \"start:\" and \"end:\" are needed (see !help)."});
  if (questions.empty()) return refuse({"нет ни одного вопроса.", "there are no questions."});
  if (questions.size() > 50) return refuse({"больше 50 вопросов.", "more than 50 questions."});
  if (*end < *start) return refuse({"конец раньше начала.", "the end is before the start."});
  auto today = local_date(context.now_ms);
  if (!law::notice_is_long_enough(today, *start, rules_))
    return refuse({"уведомление должно быть не позднее чем за " + std::to_string(rules_.min_notice_days) +
                       " дней до начала (ч. 4 ст. 45 ЖК РФ); ближайшее начало — " +
                       format_iso_date(std::chrono::sys_days(today) + std::chrono::days(rules_.min_notice_days)) + ".",
                   "the notice must go at least " + std::to_string(rules_.min_notice_days) +
                       " days before the start (Housing Code art. 45(4)); the earliest start is " +
                       format_iso_date(std::chrono::sys_days(today) + std::chrono::days(rules_.min_notice_days)) + "."});
  if (*form == law::MeetingForm::absentee && !law::electronic_voting_duration_is_allowed(*start, *end, rules_))
    return refuse({"заочное (электронное) голосование длится от " + std::to_string(rules_.electronic_min_days) + " до " +
                       std::to_string(rules_.electronic_max_days) + " дней (ст. 47.1 ЖК РФ).",
                   "absentee (electronic) voting lasts " + std::to_string(rules_.electronic_min_days) + " to " +
                       std::to_string(rules_.electronic_max_days) + " days (Housing Code art. 47.1)."});
  const auto* company = directory_.registry()->find_management_company(building.management_company);
  bool company_staff = company && std::find(company->staff.begin(), company->staff.end(), context.asker.user_id) != company->staff.end();
  auto seats = seats_of(context.asker.user_id, building);
  if (!company_staff && seats.empty())
    return refuse({"созвать собрание могут собственники помещений дома или управляющая компания.",
                   "a meeting is called by the building's owners or its management company."});
  Meeting meeting;
  meeting.number = store_.next_number(context.batch, "meeting");
  meeting.building_id = building.id;
  meeting.form = std::string(law::to_string(*form));
  meeting.start = format_iso_date(*start);
  meeting.end = format_iso_date(*end);
  meeting.questions = questions;
  meeting.initiator = context.asker.user_id;
  meeting.initiated_by = company_staff ? "company" : "owners";
  meeting.created_at = context.now_ms;
  meeting.status = "initiative";
  law::Exact weight = 0;
  for (const auto& seat : seats) weight += law::owner_votes(*seat.apartment, seat.owner_index);
  auto label = "№ " + std::to_string(meeting.number);
  if (company_staff || law::may_initiate(weight, law::building_votes(building), rules_)) {
    announce(meeting, building, context.now_ms, context.batch, context.out);
    context.answer(user_id_, {context.text({"Собрание " + label + " объявлено: уведомление опубликовано в комнате собственников.",
                                            "Meeting " + label + " is announced: the notice is in the owners' room."}), {}});
  } else {
    meeting.supporters.push_back(context.asker.user_id);
    MeetingStore::stage(context.batch, meeting);
    context.answer(user_id_, {context.text({"Собрание " + label + " создано, но у инициаторов " +
                                                law::format_percent(weight, law::building_votes(building)) +
                                                " голосов, а нужно не менее 10 % (ч. 2 ст. 45 ЖК РФ). Собственники могут поддержать: !поддерживаю " +
                                                std::to_string(meeting.number) + ".",
                                            "Meeting " + label + " is created, but its initiators hold " +
                                                law::format_percent(weight, law::building_votes(building)) +
                                                " of the votes and at least 10% are needed (art. 45(2)). Owners can join: !support " +
                                                std::to_string(meeting.number) + "."}), {}});
  }
}

void MeetingsBot::announce(Meeting& meeting, const Building& building, std::int64_t now_ms, storage::WriteBatch& batch,
                           Conversation& out) {
  meeting.status = "announced";
  meeting.notice_at = now_ms;
  if (!designated_system_)
    meeting.state_system_id =
        connector_.publish({meeting.number, building.id, meeting.form, meeting.start, meeting.end, meeting.questions.size()});
  MeetingStore::stage(batch, meeting);
  auto room = owners_room(building.id);
  if (room.empty()) return;
  auto form = law::meeting_form_from_string(meeting.form);
  std::string text = "Уведомление о проведении общего собрания собственников № " + std::to_string(meeting.number) + "\n" +
                     building.address + "\nФорма: " + (form ? std::string(law::russian_name(*form)) : meeting.form) +
                     ". Голосование: с " + meeting.start + " по " + meeting.end + ".\nИнициатор: " +
                     (meeting.initiated_by == "company" ? "управляющая организация" : "собственники") + " (" + meeting.initiator +
                     ").\nПовестка:\n";
  for (std::size_t i = 0; i < meeting.questions.size(); ++i)
    text += std::to_string(i + 1) + ". " + meeting.questions[i].title + " (" + threshold_name_ru(meeting.questions[i].threshold) + ")\n";
  text += "Голосуют собственники: !голос " + std::to_string(meeting.number) +
          " ВОПРОС за/против/воздержался, или ответом на опрос, который откроется в день начала. Бумажные бюллетени вносит "
          "администратор собрания.";
  if (!designated_system_)
    text += "\nСобрание опубликовано в государственной системе (" + connector_.name() + ", " + meeting.state_system_id +
            "): официальные итоги берутся оттуда.";
  text += "\n\nNotice of owners' general meeting No. " + std::to_string(meeting.number) + ": voting from " + meeting.start +
          " to " + meeting.end + "; owners vote with !vote " + std::to_string(meeting.number) + " QUESTION yes/no/abstain.";
  out.in_room(user_id_, room, {text, {}});
  BotStore::stage_reminded(batch, reminder_key(meeting.number), "notice");
}

void MeetingsBot::support(CommandContext& context) {
  auto number = parse_number(trim(context.command.args));
  auto meeting = number ? meetings_.find(*number) : std::nullopt;
  if (!meeting || meeting->status != "initiative") {
    context.answer(user_id_, {context.text({"Нет собрания с таким номером, ждущего поддержки инициаторов.",
                                            "There is no meeting of that number waiting for initiators."}), {}});
    return;
  }
  auto registry = directory_.registry();
  const auto* building = registry->find_building(meeting->building_id);
  if (!building) return;
  auto seats = seats_of(context.asker.user_id, *building);
  if (seats.empty()) {
    context.answer(user_id_, {context.text({"Поддержать созыв собрания могут только собственники этого дома.",
                                            "Only owners of this building can join the initiative."}), {}});
    return;
  }
  if (std::find(meeting->supporters.begin(), meeting->supporters.end(), context.asker.user_id) == meeting->supporters.end())
    meeting->supporters.push_back(context.asker.user_id);
  law::Exact weight = 0;
  for (const auto& supporter : meeting->supporters)
    for (const auto& seat : seats_of(supporter, *building)) weight += law::owner_votes(*seat.apartment, seat.owner_index);
  auto total = law::building_votes(*building);
  auto label = "№ " + std::to_string(meeting->number);
  if (!law::may_initiate(weight, total, rules_)) {
    MeetingStore::stage(context.batch, *meeting);
    context.answer(user_id_, {context.text({"Спасибо! У инициаторов собрания " + label + " теперь " + law::format_percent(weight, total) +
                                                " голосов из нужных 10 %.",
                                            "Thank you! The initiators of meeting " + label + " now hold " +
                                                law::format_percent(weight, total) + " of the votes, of the 10% needed."}), {}});
    return;
  }
  auto start = parse_iso_date(meeting->start);
  if (!start || !law::notice_is_long_enough(local_date(context.now_ms), *start, rules_)) {
    meeting->status = "closed";
    meeting->protocol_plain = "Не состоялось: инициатива набрала 10 % голосов слишком поздно для уведомления за 10 дней.";
    MeetingStore::stage(context.batch, *meeting);
    context.answer(user_id_, {context.text({"Инициатива набрала 10 %, но до начала собрания " + label +
                                                " меньше 10 дней: созовите его заново с новыми датами (!собрание новое).",
                                            "The initiative reached 10%, but meeting " + label +
                                                " starts in less than 10 days: call it again with new dates (!meeting new)."}), {}});
    return;
  }
  announce(*meeting, *building, context.now_ms, context.batch, context.out);
  context.answer(user_id_, {context.text({"Инициаторы собрания " + label + " набрали " + law::format_percent(weight, total) +
                                              " голосов: собрание объявлено.",
                                          "The initiators of meeting " + label + " hold " + law::format_percent(weight, total) +
                                              " of the votes: the meeting is announced."}), {}});
}

void MeetingsBot::vote(CommandContext& context, std::uint64_t number, std::size_t question, const std::string& choice) {
  const auto language = context.language;
  auto meeting = meetings_.find(number);
  auto label = "№ " + std::to_string(number);
  if (!meeting) {
    context.answer(user_id_, {context.text({"Собрания " + label + " нет.", "There is no meeting " + label + "."}), {}});
    return;
  }
  auto registry = directory_.registry();
  const auto* building = registry->find_building(meeting->building_id);
  if (!building) return;
  if (question >= meeting->questions.size()) {
    context.answer(user_id_, {context.text({"В собрании " + label + " вопросы с 1 по " + std::to_string(meeting->questions.size()) + ".",
                                            "Meeting " + label + " has questions 1 to " + std::to_string(meeting->questions.size()) + "."}), {}});
    return;
  }
  auto today = local_date(context.now_ms);
  auto start = parse_iso_date(meeting->start), end = parse_iso_date(meeting->end);
  if (meeting->status != "announced" || !start || !end || today < *start || today > *end) {
    context.answer(user_id_, {context.text({"Голосование по собранию " + label + " идёт с " + meeting->start + " по " + meeting->end +
                                                ": сейчас голос не принимается.",
                                            "Voting in meeting " + label + " runs from " + meeting->start + " to " + meeting->end +
                                                ": no vote is taken now."}), {}});
    return;
  }
  auto seats = seats_of(context.asker.user_id, *building);
  if (seats.empty()) {
    auto here = [&](const ResidentVerification& v) { return v.building_id == building->id; };
    bool owner = std::any_of(context.asker.verifications.begin(), context.asker.verifications.end(),
                             [&](const ResidentVerification& v) { return here(v) && v.role == "owner"; });
    bool tenant = std::any_of(context.asker.verifications.begin(), context.asker.verifications.end(), here);
    Text why = owner ? Text{"Все доли вашей квартиры в реестре уже представлены собственниками, подтвердившимися раньше; "
                            "если это ошибка, обратитесь в управляющую компанию.",
                            "Every share of your apartment in the registry is held by owners verified before you; if "
                            "that is wrong, ask the management company."}
               : tenant ? Text{"Голосуют только собственники помещений (ст. 48 ЖК РФ); вы подтверждены как жилец.",
                               "Only owners vote (Housing Code art. 48); you are verified as a tenant."}
                        : Text{"Голосуют только собственники помещений этого дома.", "Only owners of this building vote."};
    context.answer(user_id_, {why.in(context.language), {}});
    return;
  }
  law::Exact weight = 0;
  for (const auto& seat : seats) {
    auto voter = law::owner_voter_id(seat.apartment->number, seat.owner_index);
    auto existing = meetings_.ballot(number, voter);
    // A paper ballot is the owner's written decision: an electronic vote does not overwrite it.
    if (existing && existing->source == "paper") continue;
    StoredBallot ballot = existing.value_or(StoredBallot{seat.apartment->number, seat.owner_index, context.asker.user_id, "bot", {}, 0});
    ballot.answers.resize(meeting->questions.size());
    ballot.answers[question] = choice;
    ballot.user_id = context.asker.user_id;
    ballot.at = context.now_ms;
    MeetingStore::stage_ballot(context.batch, number, ballot);
    weight += law::owner_votes(*seat.apartment, seat.owner_index);
  }
  if (weight == 0) {
    context.answer(user_id_, {context.text({"За вашу квартиру уже внесён бумажный бюллетень.", "A paper ballot is already entered for your apartment."}), {}});
    return;
  }
  context.answer(user_id_, {context.text({"Голос учтён: собрание " + label + ", вопрос " + std::to_string(question + 1) + " — " +
                                              choice_name(choice).ru + " (" + format_square_metres(weight) + ").",
                                          "Vote counted: meeting " + label + ", question " + std::to_string(question + 1) + " — " +
                                              choice_name(choice).en + " (" + format_square_metres(weight) + ")."}), {}});
  (void)language;
}

void MeetingsBot::ballot(CommandContext& context) {
  auto words = split_words(context.command.args);
  auto number = words.size() >= 3 ? parse_number(words[0]) : std::nullopt;
  auto meeting = number ? meetings_.find(*number) : std::nullopt;
  if (!meeting) {
    context.answer(user_id_, {context.text({"Бюллетень пишется так: !бюллетень НОМЕР КВАРТИРА 1=за 2=против 3=воздержался.",
                                            "Enter a ballot like this: !ballot NUMBER APARTMENT 1=yes 2=no 3=abstain."}), {}});
    return;
  }
  auto registry = directory_.registry();
  const auto* building = registry->find_building(meeting->building_id);
  if (!building) return;
  const auto* company = registry->find_management_company(building->management_company);
  bool administrator = meeting->initiator == context.asker.user_id || (building->chair && *building->chair == context.asker.user_id) ||
                       (company && std::find(company->staff.begin(), company->staff.end(), context.asker.user_id) != company->staff.end());
  auto label = "№ " + std::to_string(meeting->number);
  if (!administrator) {
    context.answer(user_id_, {context.text({"Бумажные бюллетени вносит администратор собрания " + label + ".",
                                            "Paper ballots are entered by the administrator of meeting " + label + "."}), {}});
    return;
  }
  const auto* apartment = building->find_apartment(words[1]);
  if (!apartment) {
    context.answer(user_id_, {context.text({"В доме нет квартиры «" + words[1] + "».", "The building has no apartment \"" + words[1] + "\"."}), {}});
    return;
  }
  auto today = local_date(context.now_ms);
  auto start = parse_iso_date(meeting->start), end = parse_iso_date(meeting->end);
  if (meeting->status != "announced" || !start || !end || today < *start || today > *end) {
    context.answer(user_id_, {context.text({"Бюллетени собрания " + label + " принимаются с " + meeting->start + " по " + meeting->end + ".",
                                            "Ballots of meeting " + label + " are taken from " + meeting->start + " to " + meeting->end + "."}), {}});
    return;
  }
  std::vector<std::string> answers(meeting->questions.size());
  for (std::size_t i = 2; i < words.size(); ++i) {
    auto equals = words[i].find('=');
    auto question = equals == std::string::npos ? std::nullopt : parse_number(words[i].substr(0, equals));
    auto choice = equals == std::string::npos ? std::nullopt : parse_choice(words[i].substr(equals + 1));
    if (!question || *question == 0 || *question > answers.size() || !choice) {
      context.answer(user_id_, {context.text({"Непонятный ответ «" + words[i] + "»: пишите 1=за, 2=против, 3=воздержался.",
                                              "I do not understand \"" + words[i] + "\": write 1=yes, 2=no, 3=abstain."}), {}});
      return;
    }
    answers[*question - 1] = *choice;
  }
  // A paper ballot is the apartment's: every owner's seat, replacing their electronic votes.
  for (std::size_t index = 0; index < apartment->owners.size(); ++index)
    MeetingStore::stage_ballot(context.batch, meeting->number,
                               StoredBallot{apartment->number, index, context.asker.user_id, "paper", answers, context.now_ms});
  context.answer(user_id_, {context.text({"Бюллетень квартиры " + apartment->number + " внесён в собрание " + label + ".",
                                          "The ballot of apartment " + apartment->number + " is entered in meeting " + label + "."}), {}});
}

law::MeetingTally MeetingsBot::tally_input(const Meeting& meeting, const Building& building,
                                           std::vector<ProtocolParticipant>* participants) const {
  law::MeetingTally tally;
  tally.total_votes = law::building_votes(building);
  for (const auto& question : meeting.questions)
    tally.questions.push_back({question.title, law::threshold_from_string(question.threshold).value_or(law::Threshold::participants_majority)});
  for (const auto& stored : meetings_.ballots(meeting.number)) {
    const auto* apartment = building.find_apartment(stored.apartment);
    if (!apartment || stored.owner_index >= apartment->owners.size()) continue;  // the registry changed since
    law::Ballot ballot{law::owner_voter_id(stored.apartment, stored.owner_index), law::owner_votes(*apartment, stored.owner_index), {}};
    for (const auto& answer : stored.answers) ballot.answers.push_back(to_choice(answer));
    if (ballot.answers.size() > tally.questions.size()) ballot.answers.resize(tally.questions.size());
    if (participants) participants->push_back({stored.apartment, stored.owner_index, ballot.weight, stored.source});
    tally.ballots.push_back(std::move(ballot));
  }
  return tally;
}

std::string MeetingsBot::counted_by() const {
  return designated_system_ ? "Домовой — система, определённая регионом для электронных собраний" : connector_.name();
}

law::TallyResult MeetingsBot::count(const Meeting& meeting, const law::MeetingTally& tally) {
  if (designated_system_ || meeting.state_system_id.empty()) return law::tally(tally, rules_);
  return connector_.result(meeting.state_system_id, tally, rules_);
}

void MeetingsBot::results(CommandContext& context) {
  auto number = parse_number(trim(context.command.args));
  auto meeting = number ? meetings_.find(*number) : std::nullopt;
  if (!meeting) {
    context.answer(user_id_, {context.text({"Собрания с таким номером нет. Собрания дома: !собрание.", "No such meeting. The building's meetings: !meeting."}), {}});
    return;
  }
  auto registry = directory_.registry();
  const auto* building = registry->find_building(meeting->building_id);
  if (!building) return;
  if (meeting->status == "closed" && !meeting->protocol_plain.empty()) {
    context.answer(user_id_, {meeting->protocol_plain, meeting->protocol_html});
    return;
  }
  if (meeting->status != "announced") {
    context.answer(user_id_, {context.text({"Собрание № " + std::to_string(meeting->number) + " ещё не объявлено.",
                                            "Meeting No. " + std::to_string(meeting->number) + " is not announced yet."}), {}});
    return;
  }
  auto tally = tally_input(*meeting, *building, nullptr);
  auto result = count(*meeting, tally);
  auto rendered = render_protocol(*meeting, *building, result, {}, counted_by(), false);
  context.answer(user_id_, {rendered.plain, rendered.html});
}

void MeetingsBot::on_poll_response(CommandContext& context, const json::object& content) {
  // A poll's answers are not shown to the room: the confirmation goes to the voter privately.
  context.in_shared_room = false;
  context.direct_bot.clear();
  const auto* relates = optional_object(content, "m.relates_to");
  auto poll_id = relates ? optional_string(*relates, "event_id") : std::nullopt;
  if (!poll_id) return;
  auto poll = meetings_.poll(*poll_id);
  if (!poll) return;  // a resident's own poll: informal, never counted as a decision
  std::optional<std::string> answer;
  for (const char* key : {"org.matrix.msc3381.poll.response", "m.poll.response"})
    if (const auto* response = optional_object(content, key))
      if (const auto* answers = response->if_contains("answers"); answers && answers->is_array() && !answers->as_array().empty() &&
                                                                 answers->as_array()[0].is_string())
        answer = std::string(answers->as_array()[0].as_string());
  if (const auto* selections = content.if_contains("m.selections");
      !answer && selections && selections->is_array() && !selections->as_array().empty() && selections->as_array()[0].is_string())
    answer = std::string(selections->as_array()[0].as_string());
  if (!answer || !to_choice(*answer)) return;
  vote(context, poll->first, poll->second, *answer);
}

void MeetingsBot::on_own_poll(const std::string& event_id, const json::object& content, storage::WriteBatch& batch) {
  const auto* tag = optional_object(content, "org.domovoy.meeting");
  if (!tag) return;
  auto number = optional_int(*tag, "number"), question = optional_int(*tag, "question");
  if (!number || !question || *number <= 0 || *question < 0) return;
  MeetingStore::stage_poll(batch, event_id, static_cast<std::uint64_t>(*number), static_cast<std::size_t>(*question));
}

void MeetingsBot::run_schedule(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out) {
  auto registry = directory_.registry();
  auto today = local_date(now_ms);
  for (auto& meeting : meetings_.open_meetings()) {
    if (meeting.status != "announced") continue;
    // One meeting's trouble (logged) does not stop the others'; what it staged is dropped.
    storage::WriteBatch own;
    Conversation said(store_, own, {});
    try {
      schedule_one(meeting, registry, today, now_ms, own, said);
    } catch (const std::exception& error) {
      spdlog::error("housing: meeting {} could not move on: {}", meeting.number, error.what());
      continue;
    }
    batch.append(std::move(own));
    out.absorb(said);
  }
}

void MeetingsBot::schedule_one(Meeting& meeting, const std::shared_ptr<const Registry>& registry,
                               std::chrono::year_month_day today, std::int64_t now_ms, storage::WriteBatch& batch,
                               Conversation& out) {
  {
    const auto* building = registry->find_building(meeting.building_id);
    auto start = parse_iso_date(meeting.start), end = parse_iso_date(meeting.end);
    if (!building || !start || !end) return;
    auto room = owners_room(building->id);
    auto key = reminder_key(meeting.number);
    auto label = "№ " + std::to_string(meeting.number);
    if (today >= *start && today <= *end && !store_.reminded(key, "start")) {
      BotStore::stage_reminded(batch, key, "start");
      if (!room.empty()) {
        out.in_room(user_id_, room, {"Началось голосование общего собрания собственников " + label + " (до " + meeting.end +
                                         "). Голосуйте: !голос " + std::to_string(meeting.number) +
                                         " ВОПРОС за/против/воздержался или ответом на опросы ниже.\nVoting in owners' meeting " +
                                         label + " has begun (until " + meeting.end + ").",
                                     {}});
        for (std::size_t i = 0; i < meeting.questions.size(); ++i) {
          auto question = "Собрание " + label + ", вопрос " + std::to_string(i + 1) + ": " + meeting.questions[i].title;
          json::array answers{json::object{{"id", "yes"}, {"org.matrix.msc1767.text", "За"}},
                              json::object{{"id", "no"}, {"org.matrix.msc1767.text", "Против"}},
                              json::object{{"id", "abstain"}, {"org.matrix.msc1767.text", "Воздержался"}}};
          json::object content{
              {"org.matrix.msc3381.poll.start",
               json::object{{"question", json::object{{"org.matrix.msc1767.text", question}}},
                            {"kind", "org.matrix.msc3381.poll.undisclosed"},
                            {"max_selections", 1},
                            {"answers", std::move(answers)}}},
              {"org.matrix.msc1767.text", question + " (За / Против / Воздержался)"},
              {"org.domovoy.meeting", json::object{{"number", meeting.number}, {"question", i}}}};
          out.event_in_room(user_id_, room, "org.matrix.msc3381.poll.start", std::move(content));
        }
      }
    }
    if (today == *end && !store_.reminded(key, "last_day")) {
      BotStore::stage_reminded(batch, key, "last_day");
      if (!room.empty())
        out.in_room(user_id_, room, {"Сегодня последний день голосования собрания " + label + ".\nToday is the last day of voting in meeting " + label + ".", {}});
    }
    // The state system's running result, mirrored into the owners' room once a day.
    auto mirror = "mirror:" + format_iso_date(today);
    if (!designated_system_ && today >= *start && today <= *end && !store_.reminded(key, mirror) && !room.empty()) {
      BotStore::stage_reminded(batch, key, mirror);
      auto tally = tally_input(meeting, *building, nullptr);
      if (!tally.ballots.empty()) {
        auto rendered = render_protocol(meeting, *building, count(meeting, tally), {}, counted_by(), false);
        out.in_room(user_id_, room, {rendered.plain, rendered.html});
      }
    }
    if (today > *end) {
      std::vector<ProtocolParticipant> participants;
      auto tally = tally_input(meeting, *building, &participants);
      auto result = count(meeting, tally);
      auto rendered = render_protocol(meeting, *building, result, participants, counted_by(), true);
      meeting.status = "closed";
      meeting.closed_at = now_ms;
      meeting.quorum = result.quorum;
      meeting.protocol_plain = rendered.plain;
      meeting.protocol_html = rendered.html;
      MeetingStore::stage(batch, meeting);
      if (!room.empty()) out.in_room(user_id_, room, {rendered.plain, rendered.html});
    }
  }
}

Message MeetingsBot::past_results(const std::string& building_id, Language language) const {
  std::string text;
  for (const auto& meeting : meetings_.of_building(building_id)) {
    if (meeting.status != "closed" || meeting.protocol_html.empty()) continue;
    text += "№ " + std::to_string(meeting.number) + " (" + meeting.start + " — " + meeting.end + "): " +
            (meeting.quorum ? (language == Language::ru ? "кворум был" : "quorum reached")
                            : (language == Language::ru ? "кворума не было" : "no quorum")) +
            (language == Language::ru ? ". Протокол: !итоги " : ". Protocol: !results ") + std::to_string(meeting.number) + "\n";
  }
  if (text.empty()) text = language == Language::ru ? "Итогов собраний собственников пока нет." : "There are no meeting results yet.";
  return {text, {}};
}

}  // namespace domovoy::housing
