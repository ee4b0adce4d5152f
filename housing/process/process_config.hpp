#pragma once
// The configuration of `domovoy housing`, the process of the housing appservices (docs/housing.md,
// "The housing bots"). Every key has a default, so the flags alone run it; a YAML file
// (--config) sets the rest. Legal numbers are here with their legal defaults, because contracts
// and regions may differ.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace domovoy::housing {

class ProcessConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Localparts of the bots: users of the appservice's namespace.
struct BotLocalparts {
  std::string domovoy = "domovoy";    // «Домовой»: verification and information; the housing user
  std::string meters = "meters";      // «Счётчики»
  std::string billing = "billing";    // «Квитанции»
  std::string repairs = "repairs";    // «Заявки»
  std::string meetings = "meetings";  // «Собрания»
};

// One service of a monthly bill. A metered service is billed by the volume of the apartment's
// meters of `meter_type`; a per-area one by the apartment's floor area.
struct ServiceTariff {
  std::string name;               // «Холодное водоснабжение»
  std::string unit;               // «м³», «кВт·ч», «Гкал», «м²»
  std::string basis = "metered";  // "metered" | "per_area"
  std::string meter_type;         // cold, hot, power_day, power_night, heat, gas (metered only)
  std::int64_t kopecks_per_unit = 0;
  // The norm (норматив) per registered person per month, as a decimal text ("4.9"): used when
  // the fallback rules say so (Decree 354 п. 59–60). Metered services only.
  std::string norm_per_person = "0";
};

// A utility (water, heat, power supplier) that runs its own appservice and publishes outages for
// the buildings it serves through the bots' API, authenticated by its appservice's as_token.
struct UtilityConfig {
  std::string user_id;                 // its appservice's sender, "@vodokanal:localhost"
  std::vector<std::string> buildings;  // building ids it serves; empty: none
};

struct ProcessConfig {
  std::string homeserver_url = "http://127.0.0.1:8008";
  std::string server_name = "localhost";
  std::string registration_file;  // the appservice registration (as_token, hs_token, namespaces)
  std::string listen_address = "127.0.0.1";
  unsigned short listen_port = 9008;
  std::string data_dir = "./domovoy-housing-data";
  std::string log_level = "info";
  BotLocalparts bots;
  // Seed data of the demo region (tariffs, readings and bills of the last months, one open
  // meeting) on the first start with an empty data directory.
  bool demo = false;

  // Meter readings (Decree 354 п. 31 «е»): the window of the month in which readings count for
  // it, and the monthly maximum per meter type above which a reading is taken for a typo.
  unsigned reading_window_first_day = 20;
  unsigned reading_window_last_day = 25;
  std::map<std::string, std::string> monthly_maximum = {
      {"cold", "30"}, {"hot", "20"}, {"power_day", "1500"}, {"power_night", "1000"}, {"heat", "5"}, {"gas", "100"}};

  // Bills (ЖК РФ ст. 155 ч. 1 and ч. 14; Decree 354 п. 59–60).
  unsigned due_day = 10;                  // of the month after the billed one
  unsigned average_months = 3;            // periods billed by the average before the norm
  unsigned persons_per_apartment = 1;     // registered persons, when the registry has none
  std::vector<ServiceTariff> tariffs;     // empty: the demo tariffs
  // The central bank key rate timeline: (from date "YYYY-MM-DD", basis points).
  std::vector<std::pair<std::string, unsigned>> key_rates = {{"2025-10-27", 1650}};

  // Repairs: hours to finish a request before it is escalated (Decree 416 keeps emergency
  // dispatch round the clock; the deadlines are the company's).
  unsigned emergency_deadline_hours = 2;
  unsigned routine_deadline_hours = 72;

  // Owners' meetings (ЖК РФ ст. 45–47.1).
  unsigned meeting_notice_days = 10;
  unsigned electronic_min_days = 7;
  unsigned electronic_max_days = 60;
  // Whether the operator declared this server the region's designated system for electronic
  // meetings with legal force (Federal Law 463-ФЗ); off, they go through the state connector.
  bool designated_system = false;

  std::vector<UtilityConfig> utilities;

  std::string homeserver_base() const;  // homeserver_url without a trailing '/'
};

// Reads the YAML file over the defaults; unknown keys and bad values are errors naming the key.
ProcessConfig load_process_config(const std::string& path, ProcessConfig config = {});
// Checks what the flags and the file gave together; throws ProcessConfigError.
void validate_process_config(const ProcessConfig& config);
void parse_process_listen(ProcessConfig& config, const std::string& listen);

}  // namespace domovoy::housing
