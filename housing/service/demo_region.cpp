#include "housing/service/demo_region.hpp"

#include <filesystem>

#include "homeserver/core/private_file.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/core/time_format.hpp"
#include "housing/samples/demo_registry.hpp"

namespace domovoy::housing {

std::string codes_csv(const std::vector<IssuedCode>& codes) {
  std::string csv = "building_id,apartment,role,code,expires_at\n";
  for (const auto& code : codes)
    csv += code.building_id + "," + code.apartment + "," + code.role + "," + code.code + "," +
           format_iso8601(code.expires_at) + "\n";
  return csv;
}

DemoFiles start_demo_region(const Config& config, HousingServices& housing, AccountStore& accounts,
                            const std::function<std::string(const std::string&)>& hash_password) {
  import_registry(housing, demo_registry());
  DemoFiles files;
  files.admin_password = config.data_dir + "/demo-admin-password";
  files.codes_csv = config.data_dir + "/demo-codes.csv";
  auto admin = "@admin:" + config.server_name;
  if (!accounts.exists(admin)) {
    auto password = random_token(12);
    std::filesystem::remove(files.admin_password);
    create_private_file(files.admin_password, config.data_dir, password + "\n", "demo admin password");
    accounts.create(admin, hash_password(password), true);
  }
  // Fresh codes at every start (earlier ones stay valid until used or expired).
  std::vector<IssuedCode> codes;
  for (const auto& building : housing.registry.registry()->buildings)
    for (std::size_t i = 0; i < building.apartments.size() && i < 3; ++i) {
      auto issued = housing.verification.issue_codes(building.id, building.apartments[i].number, std::nullopt, 30);
      codes.insert(codes.end(), issued.begin(), issued.end());
    }
  std::filesystem::remove(files.codes_csv);
  create_private_file(files.codes_csv, config.data_dir, codes_csv(codes), "demo codes");
  return files;
}

}  // namespace domovoy::housing
