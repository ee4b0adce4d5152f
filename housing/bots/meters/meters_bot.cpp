#include "housing/bots/meters/meters_bot.hpp"

#include "housing/bots/formatting.hpp"
#include "housing/bots/residence.hpp"
#include "housing/law/decimal_arithmetic.hpp"

namespace domovoy::housing {

namespace {

struct FoundMeter {
  Residence residence;
  const Meter* meter = nullptr;
};

std::string period_text(std::chrono::year_month period, Language language) { return format_month(period, language); }

}  // namespace

std::optional<MeterType> meter_type_from_word(const std::string& raw) {
  auto word = fold_word(raw);
  if (word == "хвс" || word == "cold" || word == "холодная" || word == "хол") return MeterType::cold;
  if (word == "гвс" || word == "hot" || word == "горячая" || word == "гор") return MeterType::hot;
  if (word == "т1" || word == "day" || word == "день") return MeterType::power_day;
  if (word == "т2" || word == "night" || word == "ночь") return MeterType::power_night;
  if (word == "отопление" || word == "heat" || word == "тепло") return MeterType::heat;
  if (word == "газ" || word == "gas") return MeterType::gas;
  return std::nullopt;
}

Text meter_type_name(MeterType type) {
  switch (type) {
    case MeterType::cold: return {"холодная вода", "cold water"};
    case MeterType::hot: return {"горячая вода", "hot water"};
    case MeterType::power_day: return {"электроэнергия, день (Т1)", "electricity, day (T1)"};
    case MeterType::power_night: return {"электроэнергия, ночь (Т2)", "electricity, night (T2)"};
    case MeterType::heat: return {"отопление", "heating"};
    case MeterType::gas: return {"газ", "gas"};
  }
  return {"?", "?"};
}

std::string meter_unit(MeterType type, Language language) {
  switch (type) {
    case MeterType::cold:
    case MeterType::hot:
    case MeterType::gas: return language == Language::ru ? "м³" : "m³";
    case MeterType::power_day:
    case MeterType::power_night: return language == Language::ru ? "кВт·ч" : "kWh";
    case MeterType::heat: return language == Language::ru ? "Гкал" : "Gcal";
  }
  return "";
}

std::string format_decimal(const Decimal& value, Language language) {
  auto text = value.to_string();
  if (language == Language::ru)
    for (auto& c : text)
      if (c == '.') c = ',';
  return text;
}

MetersBot::MetersBot(std::string user_id, HousingDirectory& directory, MeterStore& meters, law::ReadingLimits limits,
                     law::ReadingWindow window)
    : user_id_(std::move(user_id)), directory_(directory), meters_(meters), limits_(limits), window_(window) {}

bool MetersBot::knows(const Command& command) const {
  for (const char* known : {"счетчики", "meters", "показания", "показание", "reading", "readings", "история", "history"})
    if (command.word == known) return true;
  return false;
}

Message MetersBot::help(Language language) const {
  if (language == Language::ru)
    return {"Я принимаю показания счётчиков. Команды:\n"
            "!счётчики — счётчики квартиры: тип, номер, дата поверки, последние показания\n"
            "!показания СЧЁТЧИК ЗНАЧЕНИЕ — передать показания; СЧЁТЧИК — номер или хвс, гвс, т1, т2, отопление, газ; "
            "значение можно с запятой: !показания хвс 123,45\n"
            "!история СЧЁТЧИК — прошлые показания и расход\n"
            "Показания принимаются с " + std::to_string(window_.first_day) + " по " + std::to_string(window_.last_day) +
                " число месяца (п. 31 «е» Постановления № 354); переданные позже идут в следующий расчётный период.",
            ""};
  return {"I take meter readings. Commands:\n"
          "!meters — your apartment's meters: type, serial, verification date, last reading\n"
          "!reading METER VALUE — send a reading; METER is the serial or cold, hot, day, night, heat, gas; "
          "the value may use a comma: !reading cold 123.45\n"
          "!history METER — past readings and consumption\n"
          "Readings are taken from the " + std::to_string(window_.first_day) + "th to the " +
              std::to_string(window_.last_day) + "th of the month (Decree 354 cl. 31(e)); later ones count for the next period.",
          ""};
}

std::optional<StoredReading> MetersBot::last_value(const Building& building, const Apartment& apartment,
                                                   const Meter& meter) const {
  if (auto stored = meters_.last(building.id, apartment.number, meter)) return stored;
  if (!meter.reading) return std::nullopt;
  StoredReading initial;
  initial.value = *meter.reading;
  return initial;  // taken_at 0: the registry's, of no known date
}

void MetersBot::handle(CommandContext& context) {
  const auto& word = context.command.word;
  if (word == "счетчики" || word == "meters") list(context);
  else if (word == "история" || word == "history") history(context);
  else reading(context);
}

void MetersBot::list(CommandContext& context) {
  const auto language = context.language;
  auto registry = directory_.registry();
  auto homes = residences_of(context.asker, *registry);
  if (homes.empty()) {
    context.answer(user_id_, {context.text({"У вас нет подтверждённой квартиры: пришлите @domovoy код из квитанции.",
                                            "You have no verified apartment: send @domovoy the code from your bill."}), {}});
    return;
  }
  std::string plain, html;
  for (const auto& home : homes) {
    auto label = apartment_label(home, language, true);
    plain += context.text({"Счётчики — ", "Meters — "}) + label + "\n";
    html += "<p><b>" + html_escape(context.text({"Счётчики — ", "Meters — "}) + label) + "</b></p>";
    if (home.apartment->meters.empty()) {
      plain += context.text({"Счётчиков в реестре нет.\n", "No meters are registered.\n"});
      continue;
    }
    html += "<table><tr><th>" + context.text({"Тип", "Type"}) + "</th><th>" + context.text({"Номер", "Serial"}) + "</th><th>" +
            context.text({"Поверка до", "Verified until"}) + "</th><th>" + context.text({"Последние показания", "Last reading"}) +
            "</th></tr>";
    for (const auto& meter : home.apartment->meters) {
      auto last = last_value(*home.building, *home.apartment, meter);
      std::string last_text = last ? format_decimal(last->value, language) + " " + meter_unit(meter.type, language) +
                                         (last->taken_at ? " (" + format_date_ms(last->taken_at, language) + ")" : "")
                                   : context.text({"нет", "none"});
      auto type = meter_type_name(meter.type).in(language);
      auto until = format_date(meter.verified_until, language);
      plain += "• " + type + ", № " + meter.serial + ", " + context.text({"поверка до ", "verified until "}) + until + ", " +
               context.text({"последние: ", "last: "}) + last_text + "\n";
      html += "<tr><td>" + html_escape(type) + "</td><td>" + html_escape(meter.serial) + "</td><td>" + until + "</td><td>" +
              html_escape(last_text) + "</td></tr>";
    }
    html += "</table>";
  }
  context.answer(user_id_, {plain, html});
}

namespace {

// The meter a word names among the asker's apartments: its serial, or its type when the
// apartments have exactly one meter of that type.
struct MeterLookup {
  std::optional<FoundMeter> found;
  bool ambiguous = false;
};

MeterLookup find_meter(const std::vector<Residence>& homes, const std::string& word) {
  MeterLookup lookup;
  // A two-tariff electricity meter is one serial listed twice (day and night): its serial alone
  // does not say which; т1 / т2 do.
  for (const auto& home : homes)
    for (const auto& meter : home.apartment->meters)
      if (meter.serial == word) {
        if (lookup.found) {
          lookup.ambiguous = true;
          lookup.found.reset();
          return lookup;
        }
        lookup.found = FoundMeter{home, &meter};
      }
  if (lookup.found) return lookup;
  auto type = meter_type_from_word(word);
  if (!type) return lookup;
  for (const auto& home : homes)
    for (const auto& meter : home.apartment->meters)
      if (meter.type == *type) {
        if (lookup.found) {
          lookup.ambiguous = true;
          lookup.found.reset();
          return lookup;
        }
        lookup.found = FoundMeter{home, &meter};
      }
  return lookup;
}

Text parse_error_text(law::ReadingParseError error) {
  switch (error) {
    case law::ReadingParseError::empty: return {"Не указано значение.", "The value is missing."};
    case law::ReadingParseError::not_a_number:
      return {"Это не число. Пишите цифрами, с запятой или точкой: 123,45.", "That is not a number. Write digits, with a comma or a dot: 123.45."};
    case law::ReadingParseError::negative: return {"Показания не бывают отрицательными.", "A reading cannot be negative."};
    case law::ReadingParseError::several_separators:
      return {"В числе больше одной запятой или точки.", "The number has more than one comma or dot."};
    case law::ReadingParseError::too_many_decimals:
      return {"Слишком много знаков после запятой (не больше шести).", "Too many decimals (six at most)."};
    case law::ReadingParseError::too_large: return {"Слишком большое число для счётчика.", "Too large a number for a meter."};
  }
  return {"Неверное значение.", "Bad value."};
}

}  // namespace

void MetersBot::reading(CommandContext& context) {
  const auto language = context.language;
  auto registry = directory_.registry();
  auto homes = residences_of(context.asker, *registry);
  if (homes.empty()) {
    context.answer(user_id_, {context.text({"Передавать показания могут жители с подтверждённым адресом: пришлите @domovoy код из квитанции.",
                                            "Only residents with a verified address can send readings: send @domovoy the code from your bill."}), {}});
    return;
  }
  auto words = split_words(context.command.args);
  if (words.size() != 2) {
    context.answer(user_id_, {context.text({"Напишите счётчик и значение: !показания хвс 123,45 (или номер счётчика вместо «хвс»).",
                                            "Give the meter and the value: !reading cold 123.45 (or the meter's serial instead of \"cold\")."}), {}});
    return;
  }
  auto lookup = find_meter(homes, words[0]);
  if (!lookup.found) {
    Text text = lookup.ambiguous
                    ? Text{"Под этим словом несколько счётчиков: укажите номер счётчика, а для двухтарифного — т1 или т2. "
                           "Список: !счётчики.",
                           "That names several meters: give the serial, or day / night for a two-tariff meter (see !meters)."}
                    : Text{"Счётчик «" + words[0] + "» не найден в вашей квартире. Ваши счётчики: !счётчики.",
                           "There is no meter \"" + words[0] + "\" in your apartment. Your meters: !meters."};
    context.answer(user_id_, {text.in(language), {}});
    return;
  }
  const auto& home = lookup.found->residence;
  const auto& meter = *lookup.found->meter;
  auto parsed = law::parse_reading_value(words[1]);
  if (auto* error = std::get_if<law::ReadingParseError>(&parsed)) {
    context.answer(user_id_, {context.text({"Показания не приняты: ", "Reading refused: "}) + parse_error_text(*error).in(language), {}});
    return;
  }
  auto value = std::get<Decimal>(parsed);
  auto today = local_date(context.now_ms);
  law::ReadingCheckInput input;
  input.type = meter.type;
  input.verified_until = meter.verified_until;
  input.value = value;
  input.today = today;
  if (auto last = last_value(*home.building, *home.apartment, meter))
    input.previous = law::PreviousReading{last->value, last->taken_at ? local_date(last->taken_at)
                                                                      : std::chrono::year_month_day{std::chrono::sys_days(today) - std::chrono::days(30)}};
  auto check = law::check_reading(input, limits_);
  auto unit = meter_unit(meter.type, language);
  auto type = meter_type_name(meter.type).in(language);
  if (!check.accepted()) {
    std::string reason;
    switch (*check.refusal) {
      case law::ReadingRefusal::verification_expired:
        reason = context.text({"срок поверки счётчика истёк " + format_date(meter.verified_until, language) +
                                   ". Закажите поверку; до неё начисление идёт по среднему, затем по нормативу.",
                               "the meter's verification lapsed on " + format_date(meter.verified_until, language) +
                                   ". Have it verified; until then you are billed by the average, then by the norm."});
        break;
      case law::ReadingRefusal::lower_than_previous:
        reason = context.text({"значение меньше предыдущего (" + format_decimal(*check.previous, language) + " " + unit +
                                   "). Если счётчик заменили, сообщите в управляющую компанию.",
                               "the value is lower than the previous one (" + format_decimal(*check.previous, language) + " " +
                                   unit + "). If the meter was replaced, tell the management company."});
        break;
      case law::ReadingRefusal::implausibly_high:
        reason = context.text({"расход " + format_decimal(*check.consumption, language) + " " + unit + " слишком велик (не больше " +
                                   format_decimal(check.allowed_consumption, language) + " " + unit + " за " +
                                   std::to_string(check.months_elapsed) + " мес.). Проверьте, нет ли опечатки.",
                               "a consumption of " + format_decimal(*check.consumption, language) + " " + unit +
                                   " is too high (at most " + format_decimal(check.allowed_consumption, language) + " " + unit +
                                   " for " + std::to_string(check.months_elapsed) + " month(s)). Check for a typo."});
        break;
    }
    context.answer(user_id_, {context.text({"Показания не приняты: ", "Reading refused: "}) + reason, {}});
    return;
  }
  auto period = law::billing_period_of(today, window_);
  StoredReading stored{context.now_ms, value, period.period, period.in_window, context.asker.user_id};
  MeterStore::stage_reading(context.batch, home.building->id, home.apartment->number, meter, stored);
  std::string consumption =
      check.consumption ? context.text({" (расход ", " (consumption "}) + format_decimal(*check.consumption, language) + " " + unit + ")"
                        : "";
  std::string window_note =
      period.in_window ? ""
                       : context.text({" Сейчас не окно приёма (" + std::to_string(window_.first_day) + "–" +
                                           std::to_string(window_.last_day) + " число), поэтому показания учтены за " +
                                           period_text(period.period, language) + ".",
                                       " It is outside the window (days " + std::to_string(window_.first_day) + "–" +
                                           std::to_string(window_.last_day) + "), so the reading counts for " +
                                           period_text(period.period, language) + "."});
  context.answer(user_id_, {context.text({"Показания приняты: ", "Reading accepted: "}) + type + ", № " + meter.serial + ": " +
                                format_decimal(value, language) + " " + unit + consumption + ". " +
                                context.text({"Расчётный период: ", "Billing period: "}) + period_text(period.period, language) +
                                "." + window_note,
                            {}});
}

void MetersBot::history(CommandContext& context) {
  const auto language = context.language;
  auto registry = directory_.registry();
  auto homes = residences_of(context.asker, *registry);
  auto words = split_words(context.command.args);
  if (homes.empty() || words.size() != 1) {
    context.answer(user_id_, {context.text({"Укажите счётчик: !история хвс (или номер счётчика).",
                                            "Name the meter: !history cold (or its serial)."}), {}});
    return;
  }
  auto lookup = find_meter(homes, words[0]);
  if (!lookup.found) {
    context.answer(user_id_, {lookup.ambiguous
                                  ? context.text({"Под этим словом несколько счётчиков: укажите номер, а для двухтарифного — т1 или т2.",
                                                  "That names several meters: give the serial, or day / night."})
                                  : context.text({"Счётчик «" + words[0] + "» не найден в вашей квартире. Ваши счётчики: !счётчики.",
                                                  "There is no meter \"" + words[0] + "\" in your apartment. Your meters: !meters."}),
                              {}});
    return;
  }
  const auto& meter = *lookup.found->meter;
  const auto& home = lookup.found->residence;
  auto readings = meters_.readings(home.building->id, home.apartment->number, meter);
  auto unit = meter_unit(meter.type, language);
  std::string title = context.text({"История — ", "History — "}) + meter_type_name(meter.type).in(language) + ", № " + meter.serial;
  if (readings.empty()) {
    context.answer(user_id_, {title + "\n" + context.text({"Показаний ещё не передавали.", "No readings have been sent yet."}), {}});
    return;
  }
  std::string plain = title + "\n";
  std::string html = "<p><b>" + html_escape(title) + "</b></p><table><tr><th>" + context.text({"Дата", "Date"}) + "</th><th>" +
                     context.text({"Период", "Period"}) + "</th><th>" + context.text({"Показания", "Reading"}) + "</th><th>" +
                     context.text({"Расход", "Consumption"}) + "</th></tr>";
  std::optional<Decimal> previous = meter.reading;
  for (const auto& reading : readings) {
    std::string used = previous ? format_decimal(law::subtract(reading.value, *previous), language) + " " + unit : "—";
    auto date = reading.taken_at ? format_date_ms(reading.taken_at, language) : "—";
    auto period = format_month(reading.period, language);
    plain += date + " · " + period + " · " + format_decimal(reading.value, language) + " " + unit + " · " + used + "\n";
    html += "<tr><td>" + date + "</td><td>" + html_escape(period) + "</td><td>" + format_decimal(reading.value, language) + " " +
            html_escape(unit) + "</td><td>" + html_escape(used) + "</td></tr>";
    previous = reading.value;
  }
  html += "</table>";
  context.answer(user_id_, {plain, html});
}

}  // namespace domovoy::housing
