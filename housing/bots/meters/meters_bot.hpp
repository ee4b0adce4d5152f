#pragma once
// «Счётчики» (@meters): the apartment's meters, readings sent as people type them (a comma or a
// dot: `!показания хвс 123,45`), refused with the reason when they cannot be right (lower than
// the last, implausibly high, the meter's verification lapsed), and the billing period each
// counts for (the window of Decree 354 п. 31 «е»).
#include "housing/bots/bot.hpp"
#include "housing/bots/meters/meter_store.hpp"
#include "housing/law/meter_reading.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

class MetersBot : public Bot {
 public:
  MetersBot(std::string user_id, HousingDirectory& directory, MeterStore& meters, law::ReadingLimits limits,
            law::ReadingWindow window);

  const std::string& user_id() const override { return user_id_; }
  bool knows(const Command& command) const override;
  bool personal(const std::string&) const override { return true; }
  void handle(CommandContext& context) override;
  Message help(Language language) const override;
  Text name() const override { return {"Счётчики", "Meters"}; }

  // The last value of a meter: its last reading here, else the registry's reading at import.
  std::optional<StoredReading> last_value(const Building& building, const Apartment& apartment, const Meter& meter) const;

 private:
  void list(CommandContext& context);
  void reading(CommandContext& context);
  void history(CommandContext& context);

  std::string user_id_;
  HousingDirectory& directory_;
  MeterStore& meters_;
  law::ReadingLimits limits_;
  law::ReadingWindow window_;
};

// "хвс", "cold", "т1", "day", ... -> the meter type; nullopt for anything else (then a serial).
std::optional<MeterType> meter_type_from_word(const std::string& word);
Text meter_type_name(MeterType type);  // «холодная вода» / "cold water"
std::string meter_unit(MeterType type, Language language);
// 123.45 as «123,45» in Russian.
std::string format_decimal(const Decimal& value, Language language);

}  // namespace domovoy::housing
