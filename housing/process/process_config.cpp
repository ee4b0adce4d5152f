#include "housing/process/process_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace domovoy::housing {

namespace {

template <typename T>
void read(const YAML::Node& node, const char* key, T& target, const std::string& path) {
  if (!node || !node[key]) return;
  try {
    target = node[key].as<T>();
  } catch (const YAML::Exception& error) {
    throw ProcessConfigError("config key '" + path + key + "' has a bad value: " + error.msg);
  }
}

void check_keys(const YAML::Node& node, const std::set<std::string>& known, const std::string& path) {
  if (!node) return;
  if (!node.IsMap()) throw ProcessConfigError("config key '" + path + "' must be a mapping");
  for (const auto& entry : node) {
    auto key = entry.first.as<std::string>();
    if (!known.count(key)) throw ProcessConfigError("unknown config key '" + path + (path.empty() ? "" : ".") + key + "'");
  }
}

const std::set<std::string> kMeterTypes = {"cold", "hot", "power_day", "power_night", "heat", "gas"};

}  // namespace

std::string ProcessConfig::homeserver_base() const {
  auto base = homeserver_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

void parse_process_listen(ProcessConfig& config, const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) throw ProcessConfigError("listen must be ADDRESS:PORT, got '" + listen + "'");
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw ProcessConfigError("listen port is not a port number in '" + listen + "'");
  config.listen_address = listen.substr(0, colon);
  config.listen_port = static_cast<unsigned short>(port);
}

ProcessConfig load_process_config(const std::string& path, ProcessConfig config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw ProcessConfigError("cannot read config " + path + ": " + error.msg);
  }
  if (root.IsNull()) return config;
  check_keys(root,
             {"homeserver", "server_name", "registration", "listen", "data_dir", "log_level", "bots", "demo", "meters",
              "billing", "repairs", "meetings", "utilities"},
             "");
  read(root, "homeserver", config.homeserver_url, "");
  read(root, "server_name", config.server_name, "");
  read(root, "registration", config.registration_file, "");
  if (root["listen"]) parse_process_listen(config, root["listen"].as<std::string>());
  read(root, "data_dir", config.data_dir, "");
  read(root, "log_level", config.log_level, "");
  read(root, "demo", config.demo, "");
  if (auto bots = root["bots"]) {
    check_keys(bots, {"domovoy", "meters", "billing", "repairs", "meetings"}, "bots");
    read(bots, "domovoy", config.bots.domovoy, "bots.");
    read(bots, "meters", config.bots.meters, "bots.");
    read(bots, "billing", config.bots.billing, "bots.");
    read(bots, "repairs", config.bots.repairs, "bots.");
    read(bots, "meetings", config.bots.meetings, "bots.");
  }
  if (auto meters = root["meters"]) {
    check_keys(meters, {"window_first_day", "window_last_day", "monthly_maximum"}, "meters");
    read(meters, "window_first_day", config.reading_window_first_day, "meters.");
    read(meters, "window_last_day", config.reading_window_last_day, "meters.");
    if (auto maxima = meters["monthly_maximum"]) {
      check_keys(maxima, kMeterTypes, "meters.monthly_maximum");
      for (const auto& type : kMeterTypes) read(maxima, type.c_str(), config.monthly_maximum[type], "meters.monthly_maximum.");
    }
  }
  if (auto billing = root["billing"]) {
    check_keys(billing, {"due_day", "average_months", "persons_per_apartment", "tariffs", "key_rates"}, "billing");
    read(billing, "due_day", config.due_day, "billing.");
    read(billing, "average_months", config.average_months, "billing.");
    read(billing, "persons_per_apartment", config.persons_per_apartment, "billing.");
    if (auto tariffs = billing["tariffs"]) {
      if (!tariffs.IsSequence()) throw ProcessConfigError("config key 'billing.tariffs' must be a list");
      config.tariffs.clear();
      for (std::size_t i = 0; i < tariffs.size(); ++i) {
        auto path = "billing.tariffs[" + std::to_string(i) + "]";
        check_keys(tariffs[i], {"name", "unit", "basis", "meter_type", "kopecks_per_unit", "norm_per_person"}, path);
        ServiceTariff tariff;
        read(tariffs[i], "name", tariff.name, path + ".");
        read(tariffs[i], "unit", tariff.unit, path + ".");
        read(tariffs[i], "basis", tariff.basis, path + ".");
        read(tariffs[i], "meter_type", tariff.meter_type, path + ".");
        read(tariffs[i], "kopecks_per_unit", tariff.kopecks_per_unit, path + ".");
        read(tariffs[i], "norm_per_person", tariff.norm_per_person, path + ".");
        config.tariffs.push_back(std::move(tariff));
      }
    }
    if (auto rates = billing["key_rates"]) {
      if (!rates.IsSequence()) throw ProcessConfigError("config key 'billing.key_rates' must be a list");
      config.key_rates.clear();
      for (std::size_t i = 0; i < rates.size(); ++i) {
        auto path = "billing.key_rates[" + std::to_string(i) + "]";
        check_keys(rates[i], {"from", "basis_points"}, path);
        std::string from;
        unsigned points = 0;
        read(rates[i], "from", from, path + ".");
        read(rates[i], "basis_points", points, path + ".");
        config.key_rates.emplace_back(from, points);
      }
    }
  }
  if (auto repairs = root["repairs"]) {
    check_keys(repairs, {"emergency_deadline_hours", "routine_deadline_hours"}, "repairs");
    read(repairs, "emergency_deadline_hours", config.emergency_deadline_hours, "repairs.");
    read(repairs, "routine_deadline_hours", config.routine_deadline_hours, "repairs.");
  }
  if (auto meetings = root["meetings"]) {
    check_keys(meetings, {"notice_days", "electronic_min_days", "electronic_max_days", "designated_system"}, "meetings");
    read(meetings, "notice_days", config.meeting_notice_days, "meetings.");
    read(meetings, "electronic_min_days", config.electronic_min_days, "meetings.");
    read(meetings, "electronic_max_days", config.electronic_max_days, "meetings.");
    read(meetings, "designated_system", config.designated_system, "meetings.");
  }
  if (auto utilities = root["utilities"]) {
    if (!utilities.IsSequence()) throw ProcessConfigError("config key 'utilities' must be a list");
    for (std::size_t i = 0; i < utilities.size(); ++i) {
      auto path = "utilities[" + std::to_string(i) + "]";
      check_keys(utilities[i], {"user_id", "buildings"}, path);
      UtilityConfig utility;
      read(utilities[i], "user_id", utility.user_id, path + ".");
      read(utilities[i], "buildings", utility.buildings, path + ".");
      if (utility.user_id.empty() || utility.user_id.front() != '@' || utility.user_id.find(':') == std::string::npos)
        throw ProcessConfigError("config key '" + path + ".user_id' must be a Matrix user id");
      config.utilities.push_back(std::move(utility));
    }
  }
  return config;
}

void validate_process_config(const ProcessConfig& config) {
  if (config.registration_file.empty())
    throw ProcessConfigError("the appservice registration is missing: give --registration FILE (written by "
                             "`domovoy housing --write-registration FILE --url URL`)");
  if (config.homeserver_url.rfind("http://", 0) != 0 && config.homeserver_url.rfind("https://", 0) != 0)
    throw ProcessConfigError("homeserver must be an http:// or https:// URL, got '" + config.homeserver_url + "'");
  if (config.reading_window_first_day < 1 || config.reading_window_last_day > 28 ||
      config.reading_window_first_day > config.reading_window_last_day)
    throw ProcessConfigError("meters.window_first_day..window_last_day must be days 1..28 in order");
  if (config.due_day < 1 || config.due_day > 28) throw ProcessConfigError("billing.due_day must be 1..28");
  for (const auto& tariff : config.tariffs) {
    if (tariff.name.empty()) throw ProcessConfigError("billing.tariffs: every tariff needs a name");
    if (tariff.basis != "metered" && tariff.basis != "per_area")
      throw ProcessConfigError("billing.tariffs: basis must be metered or per_area, not '" + tariff.basis + "'");
    if (tariff.basis == "metered" && !kMeterTypes.count(tariff.meter_type))
      throw ProcessConfigError("billing.tariffs: '" + tariff.name + "' needs a meter_type of cold, hot, power_day, "
                               "power_night, heat, gas");
    if (tariff.kopecks_per_unit < 0) throw ProcessConfigError("billing.tariffs: a tariff cannot be negative");
  }
  if (config.electronic_min_days < 1 || config.electronic_min_days > config.electronic_max_days)
    throw ProcessConfigError("meetings.electronic_min_days must be at least 1 and at most electronic_max_days");
  std::set<std::string> names{config.bots.domovoy, config.bots.meters, config.bots.billing, config.bots.repairs,
                              config.bots.meetings};
  if (names.size() != 5) throw ProcessConfigError("bots: the five bots need five different localparts");
}

}  // namespace domovoy::housing
