// The registry file's rules: a valid file reads into the model, and each broken rule is
// refused with the spec errcode and a message starting with the JSON path of the bad value.
#include "housing/registry/registry_parser.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "homeserver/core/api_error.hpp"

namespace domovoy::housing {
namespace {

constexpr const char* kValid = R"({
  "format": "domovoy-registry/1",
  "_comment": "keys starting with an underscore are notes",
  "region": {"code": "78", "name": "Санкт-Петербург",
             "inspectorate": {"name": "ГЖИ Санкт-Петербурга", "staff": ["@gzhi-ivanova:spb.example"]}},
  "management_companies": [{"id": "uk-sever", "name": "ООО «УК Север»", "staff": ["@disp-petrova:spb.example"]}],
  "buildings": [{
    "id": "0C5B2444-70A0-4932-980C-B4DC0D3F02B5", "slug": "lenina-5",
    "address": "г. Санкт-Петербург, ул. Ленина, д. 5", "lat": 59.93861, "lon": 30.31413,
    "management_company": "uk-sever", "chair": "@chair:spb.example", "entrances": [1, 2],
    "apartments": [
      {"number": "1", "entrance": 1, "floor": 1, "area": "54.30", "account": "780100000101",
       "owners": [{"name": "Иванов Иван Иванович", "share": "1/2"}, {"name": "Иванова Мария Петровна", "share": "1/2"}],
       "meters": [{"type": "cold", "serial": "ХВ-100231", "verified_until": "2029-05-01", "reading": "123.456"},
                  {"type": "power_day", "serial": "ЭЛ-7", "verified_until": "2030-01-31", "reading": "4521,7"},
                  {"type": "power_night", "serial": "ЭЛ-7", "verified_until": "2030-01-31"}]},
      {"number": "2", "entrance": 2, "area": "38,4",
       "owners": [{"name": "Петров П. П.", "share": "1/3"}, {"name": "Петрова А. А.", "share": "1/3"},
                  {"name": "Петров С. П.", "share": "1/3"}]}
    ]
  }, {
    "id": "7d1b3c2e-9f40-4a6b-8c55-0e2f1a3b4c5d", "slug": "lenina-7",
    "address": "г. Санкт-Петербург, ул. Ленина, д. 7", "lat": 59, "lon": 30,
    "management_company": "uk-sever", "entrances": [1],
    "apartments": [{"number": "1", "entrance": 1, "area": "72", "account": "780100000201",
                    "owners": [{"name": "Сидоров С. С.", "share": "1"}]}]
  }]
})";

json::value valid() { return json::parse(kValid); }
json::object& building(json::value& document, std::size_t index) {
  return document.at("buildings").as_array().at(index).as_object();
}
json::object& apartment(json::value& document, std::size_t b, std::size_t a) {
  return building(document, b).at("apartments").as_array().at(a).as_object();
}
json::array& owners(json::value& document, std::size_t b, std::size_t a) {
  return apartment(document, b, a).at("owners").as_array();
}
json::object& meter(json::value& document, std::size_t b, std::size_t a, std::size_t m) {
  return apartment(document, b, a).at("meters").as_array().at(m).as_object();
}

// The error that `document` gets, or an empty one when it is accepted.
struct Refusal {
  std::string errcode;
  std::string message;
};
Refusal refusal_of(const std::function<Registry()>& parse) {
  try {
    parse();
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400u);
    return {error.errcode(), error.what()};
  }
  return {};
}
Refusal refusal_of(const json::value& document, const RegistryParseOptions& options = {}) {
  return refusal_of([&] { return registry_from_json(document, options); });
}

// Refused with `errcode`, the message starting with "<path>: ".
void expect_refused(const json::value& document, const std::string& errcode, const std::string& path,
                    const std::string& detail = "") {
  auto refused = refusal_of(document);
  EXPECT_EQ(refused.errcode, errcode) << refused.message;
  EXPECT_TRUE(refused.message.starts_with(path + ": ")) << refused.message;
  EXPECT_NE(refused.message.find(detail), std::string::npos) << refused.message;
}

void expect_invalid(std::function<void(json::value&)> change, const std::string& path, const std::string& detail = "") {
  auto document = valid();
  change(document);
  expect_refused(document, "M_INVALID_PARAM", path, detail);
}

void expect_bad_json(std::function<void(json::value&)> change, const std::string& path,
                     const std::string& detail = "") {
  auto document = valid();
  change(document);
  expect_refused(document, "M_BAD_JSON", path, detail);
}

TEST(RegistryParser, ReadsAValidFile) {
  auto registry = parse_registry(kValid);
  EXPECT_EQ(registry.region.code, "78");
  EXPECT_EQ(registry.region.name, "Санкт-Петербург");
  EXPECT_EQ(registry.region.inspectorate.staff, std::vector<std::string>{"@gzhi-ivanova:spb.example"});
  ASSERT_EQ(registry.management_companies.size(), 1u);
  EXPECT_EQ(registry.management_companies[0].name, "ООО «УК Север»");
  ASSERT_EQ(registry.buildings.size(), 2u);

  const auto& lenina = registry.buildings[0];
  EXPECT_EQ(lenina.id, "0c5b2444-70a0-4932-980c-b4dc0d3f02b5");  // stored in lower case
  EXPECT_EQ(lenina.slug, "lenina-5");
  EXPECT_DOUBLE_EQ(lenina.location.lat, 59.93861);
  EXPECT_DOUBLE_EQ(lenina.location.lon, 30.31413);
  EXPECT_EQ(lenina.chair, "@chair:spb.example");
  EXPECT_EQ(lenina.entrances, (std::vector<int>{1, 2}));
  ASSERT_EQ(lenina.apartments.size(), 2u);

  const auto& first = lenina.apartments[0];
  EXPECT_EQ(first.number, "1");
  EXPECT_EQ(first.floor, 1);
  EXPECT_EQ(first.area_hundredths, 5430);
  EXPECT_EQ(first.account, "780100000101");
  ASSERT_EQ(first.owners.size(), 2u);
  EXPECT_EQ(first.owners[0].name, "Иванов Иван Иванович");
  EXPECT_EQ(first.owners[0].share, Rational(1, 2));
  ASSERT_EQ(first.meters.size(), 3u);
  EXPECT_EQ(first.meters[0].type, MeterType::cold);
  EXPECT_EQ(first.meters[0].serial, "ХВ-100231");
  EXPECT_EQ(first.meters[0].verified_until, std::chrono::year_month_day(std::chrono::year(2029) / 5 / 1));
  EXPECT_EQ(first.meters[0].reading, (Decimal{123456, 3}));
  EXPECT_EQ(first.meters[1].reading, (Decimal{45217, 1}));
  EXPECT_FALSE(first.meters[2].reading);

  const auto& second = lenina.apartments[1];
  EXPECT_FALSE(second.floor);
  EXPECT_FALSE(second.account);
  EXPECT_EQ(second.area_hundredths, 3840);
  EXPECT_TRUE(second.meters.empty());

  EXPECT_FALSE(registry.buildings[1].chair);
  EXPECT_DOUBLE_EQ(registry.buildings[1].location.lat, 59);  // integers are numbers too
}

TEST(RegistryParser, LooksUpBuildingsApartmentsAndCompanies) {
  auto registry = parse_registry(kValid);
  ASSERT_TRUE(registry.find_building("0C5B2444-70A0-4932-980C-B4DC0D3F02B5"));
  EXPECT_EQ(registry.find_building("0c5b2444-70a0-4932-980c-b4dc0d3f02b5")->slug, "lenina-5");
  EXPECT_EQ(registry.find_building_by_slug("lenina-7")->id, "7d1b3c2e-9f40-4a6b-8c55-0e2f1a3b4c5d");
  EXPECT_FALSE(registry.find_building_by_slug("lenina-9"));
  EXPECT_EQ(registry.find_building_by_slug("lenina-5")->find_apartment("2")->entrance, 2);
  EXPECT_FALSE(registry.find_building_by_slug("lenina-5")->find_apartment("3"));
  EXPECT_EQ(registry.find_management_company("uk-sever")->staff.size(), 1u);
  EXPECT_FALSE(registry.find_management_company("uk-yug"));
}

TEST(RegistryParser, TextThatIsNotJsonIsMNotJson) {
  for (const char* text : {"", "{", "{\"format\": }", "[1, 2] x", "{'format': 1}"})
    EXPECT_EQ(refusal_of([&] { return parse_registry(text); }).errcode, "M_NOT_JSON") << text;
}

TEST(RegistryParser, AnInfiniteNumberIsBadJsonOfTheDocument) {
  std::string text = kValid;
  text.replace(text.find("59.93861"), 8, "1e400");
  auto refused = refusal_of([&] { return parse_registry(text); });
  EXPECT_EQ(refused.errcode, "M_BAD_JSON");
  EXPECT_TRUE(refused.message.starts_with("$: ")) << refused.message;
}

TEST(RegistryParser, DocumentMustBeAnObject) {
  expect_refused(json::parse("[]"), "M_BAD_JSON", "$", "must be an object");
}

TEST(RegistryParser, UnknownFormatIsRefused) {
  expect_invalid([](auto& d) { d.as_object()["format"] = "domovoy-registry/2"; }, "format", "unknown format");
  expect_bad_json([](auto& d) { d.as_object().erase("format"); }, "format", "missing");
  expect_bad_json([](auto& d) { d.as_object()["format"] = 1; }, "format", "must be a string");
}

TEST(RegistryParser, MissingKeysAreBadJson) {
  expect_bad_json([](auto& d) { d.as_object().erase("region"); }, "region", "missing");
  expect_bad_json([](auto& d) { d.as_object().erase("buildings"); }, "buildings", "missing");
  expect_bad_json([](auto& d) { building(d, 1).erase("slug"); }, "buildings[1].slug", "missing");
  expect_bad_json([](auto& d) { apartment(d, 0, 1).erase("area"); }, "buildings[0].apartments[1].area", "missing");
  expect_bad_json([](auto& d) { owners(d, 0, 0)[1].as_object().erase("share"); },
                  "buildings[0].apartments[0].owners[1].share", "missing");
  expect_bad_json([](auto& d) { building(d, 0)["lat"] = nullptr; }, "buildings[0].lat", "missing");
}

TEST(RegistryParser, WrongJsonTypesAreBadJson) {
  expect_bad_json([](auto& d) { d.as_object()["buildings"] = json::object(); }, "buildings", "must be an array");
  expect_bad_json([](auto& d) { d.at("buildings").as_array()[0] = 5; }, "buildings[0]", "must be an object");
  expect_bad_json([](auto& d) { building(d, 0)["lat"] = "59.9"; }, "buildings[0].lat", "must be a number");
  expect_bad_json([](auto& d) { building(d, 0)["entrances"] = 2; }, "buildings[0].entrances", "must be an array");
  expect_bad_json(
      [](auto& d) {
        building(d, 0)["entrances"] = json::array{1, "2"};
      },
      "buildings[0].entrances[1]", "must be an integer");
  expect_bad_json(
      [](auto& d) {
        building(d, 0)["entrances"] = json::array{1, 2.5};
      },
      "buildings[0].entrances[1]", "must be an integer");
  // Areas, shares and readings are strings so that they never pass through floating point.
  expect_bad_json([](auto& d) { apartment(d, 0, 0)["area"] = 54.3; }, "buildings[0].apartments[0].area",
                  "not a number");
  expect_bad_json([](auto& d) { owners(d, 1, 0)[0].as_object()["share"] = 1; },
                  "buildings[1].apartments[0].owners[0].share", "not a number");
  expect_bad_json([](auto& d) { meter(d, 0, 0, 0)["reading"] = 123.456; },
                  "buildings[0].apartments[0].meters[0].reading", "not a number");
  expect_bad_json([](auto& d) { apartment(d, 0, 0)["number"] = 1; }, "buildings[0].apartments[0].number",
                  "must be a string");
  expect_bad_json([](auto& d) { apartment(d, 0, 0)["floor"] = "1"; }, "buildings[0].apartments[0].floor",
                  "must be an integer");
  expect_bad_json([](auto& d) { apartment(d, 0, 0)["floor"] = 1.5; }, "buildings[0].apartments[0].floor",
                  "must be an integer");
  expect_bad_json([](auto& d) { d.at("region").as_object()["inspectorate"].as_object()["staff"] = "@a:b"; },
                  "region.inspectorate.staff", "must be an array");
}

TEST(RegistryParser, UnknownKeysAreBadJsonButNotesAreAllowed) {
  expect_bad_json([](auto& d) { apartment(d, 0, 1)["flor"] = 2; }, "buildings[0].apartments[1].flor", "unknown key");
  expect_bad_json([](auto& d) { d.as_object()["buildngs"] = json::array(); }, "buildngs", "unknown key");
  auto document = valid();
  apartment(document, 0, 1)["_note"] = "owners confirmed by phone";
  EXPECT_NO_THROW(registry_from_json(document));
}

TEST(RegistryParser, AreasAreDecimalsWithAtMostTwoDecimals) {
  const std::string path = "buildings[0].apartments[0].area";
  for (const char* bad : {"-54.30", "", "54.301", "5.43e1", "54 м²", "пятьдесят", "54.", ",5"})
    expect_invalid([&](auto& d) { apartment(d, 0, 0)["area"] = bad; }, path, "at most two decimals");
  expect_invalid([&](auto& d) { apartment(d, 0, 0)["area"] = "0.00"; }, path, "more than 0");
  expect_invalid([&](auto& d) { apartment(d, 0, 0)["area"] = "100000.01"; }, path, "at most 100000.00");
  for (auto [text, hundredths] : {std::pair{"54.3", 5430}, {"54,30", 5430}, {"54", 5400}, {"0,01", 1}}) {
    auto document = valid();
    apartment(document, 0, 0)["area"] = text;
    EXPECT_EQ(registry_from_json(document).buildings[0].apartments[0].area_hundredths, hundredths) << text;
  }
}

TEST(RegistryParser, SharesMustSumToExactlyOne) {
  expect_invalid([](auto& d) { owners(d, 0, 0)[1].as_object()["share"] = "1/3"; }, "buildings[0].apartments[0].owners",
                 "shares sum to 5/6, not 1");
  expect_invalid([](auto& d) { owners(d, 0, 0)[1].as_object()["share"] = "2/3"; }, "buildings[0].apartments[0].owners",
                 "shares sum to 7/6, not 1");
  expect_invalid([](auto& d) { owners(d, 0, 1).pop_back(); }, "buildings[0].apartments[1].owners",
                 "shares sum to 2/3, not 1");
  expect_invalid([](auto& d) { owners(d, 1, 0).clear(); }, "buildings[1].apartments[0].owners", "no owner");
  // Sixths and thirds written unreduced still add up exactly.
  auto document = valid();
  owners(document, 0, 1)[0].as_object()["share"] = "2/6";
  owners(document, 0, 1)[1].as_object()["share"] = "3/9";
  EXPECT_EQ(registry_from_json(document).buildings[0].apartments[1].owners[1].share, Rational(1, 3));
}

TEST(RegistryParser, EachShareIsAFractionInZeroToOne) {
  const std::string path = "buildings[1].apartments[0].owners[0].share";
  for (const char* bad : {"0.5", "1:2", "½", "", "1/0", "-1/2", "one"})
    expect_invalid([&](auto& d) { owners(d, 1, 0)[0].as_object()["share"] = bad; }, path, "fraction");
  expect_invalid([&](auto& d) { owners(d, 1, 0)[0].as_object()["share"] = "0/1"; }, path, "more than 0");
  expect_invalid([&](auto& d) { owners(d, 1, 0)[0].as_object()["share"] = "3/2"; }, path, "at most 1");
}

TEST(RegistryParser, SharesTooFineToAddAreRefusedNotRounded) {
  expect_invalid(
      [](auto& d) {
        owners(d, 0, 0)[0].as_object()["share"] = "1/9223372036854775807";
        owners(d, 0, 0)[1].as_object()["share"] = "1/9223372036854775806";
      },
      "buildings[0].apartments[0].owners", "too fine");
}

TEST(RegistryParser, BuildingIdIsAGuid) {
  for (const char* bad : {"not-a-guid", "0c5b2444-70a0-4932-980c-b4dc0d3f02b", "{0c5b2444-70a0-4932-980c-b4dc0d3f02b5}",
                          "0c5b2444-70a0-4932-980c-b4dc0d3f02bg", "0c5b244470a04932980cb4dc0d3f02b5",
                          "0c5b2444-70a0-4932-980cb-4dc0d3f02b5", ""})
    expect_invalid([&](auto& d) { building(d, 0)["id"] = bad; }, "buildings[0].id", "GUID");
}

TEST(RegistryParser, BuildingIdsAndSlugsAreUnique) {
  expect_invalid([](auto& d) { building(d, 1)["id"] = "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"; }, "buildings[1].id",
                 "repeats buildings[0].id");
  expect_invalid([](auto& d) { building(d, 1)["slug"] = "lenina-5"; }, "buildings[1].slug",
                 "repeats buildings[0].slug");
}

TEST(RegistryParser, SlugIsLowerCaseLettersDigitsAndDashes) {
  for (const char* bad :
       {"Lenina-5", "", "lenina_5", "lenina 5", "ленина-5", "lenina-5-lenina-5-lenina-5-lenina-5-lenina"})
    expect_invalid([&](auto& d) { building(d, 0)["slug"] = bad; }, "buildings[0].slug", "a-z, 0-9");
  auto document = valid();
  building(document, 0)["slug"] = std::string(40, 'a');
  EXPECT_NO_THROW(registry_from_json(document));
}

TEST(RegistryParser, EntrancesAreDistinctPositiveNumbers) {
  expect_invalid([](auto& d) { building(d, 0)["entrances"] = json::array(); }, "buildings[0].entrances",
                 "at least one");
  expect_invalid(
      [](auto& d) {
        building(d, 0)["entrances"] = json::array{1, 2, 1};
      },
      "buildings[0].entrances[2]", "listed twice");
  expect_invalid(
      [](auto& d) {
        building(d, 0)["entrances"] = json::array{0, 1};
      },
      "buildings[0].entrances[0]", "from 1");
  expect_invalid(
      [](auto& d) {
        building(d, 0)["entrances"] = json::array{1, -2};
      },
      "buildings[0].entrances[1]", "from 1");
}

TEST(RegistryParser, ApartmentEntranceIsOneOfTheBuildings) {
  expect_invalid([](auto& d) { apartment(d, 0, 1)["entrance"] = 3; }, "buildings[0].apartments[1].entrance",
                 "entrance 3 is not one of the building's entrances (1, 2)");
}

TEST(RegistryParser, ApartmentNumbersAreUniquePerBuilding) {
  expect_invalid([](auto& d) { apartment(d, 0, 1)["number"] = "1"; }, "buildings[0].apartments[1].number",
                 "repeats buildings[0].apartments[0].number");
  expect_invalid([](auto& d) { apartment(d, 0, 1)["number"] = " "; }, "buildings[0].apartments[1].number",
                 "must not be empty");
}

TEST(RegistryParser, AccountsAreUniqueInTheFileAndStayOutOfMessages) {
  auto document = valid();
  apartment(document, 1, 0)["account"] = "780100000101";
  auto refused = refusal_of(document);
  EXPECT_EQ(refused.errcode, "M_INVALID_PARAM");
  EXPECT_EQ(refused.message, "buildings[1].apartments[0].account: repeats buildings[0].apartments[0].account");
}

TEST(RegistryParser, FloorsAreIntegersAndMayBeMissing) {
  expect_invalid([](auto& d) { apartment(d, 0, 0)["floor"] = 1000; }, "buildings[0].apartments[0].floor", "from -10");
  auto document = valid();
  apartment(document, 0, 0)["floor"] = -1;  // a basement flat
  EXPECT_EQ(registry_from_json(document).buildings[0].apartments[0].floor, -1);
}

TEST(RegistryParser, ManagementCompanyMustBeKnown) {
  expect_invalid([](auto& d) { building(d, 1)["management_company"] = "uk-yug"; }, "buildings[1].management_company",
                 "\"uk-yug\" is not a known management company");
  auto document = valid();
  building(document, 1)["management_company"] = "uk-yug";
  RegistryParseOptions options;
  options.known_management_companies = {"uk-yug"};
  EXPECT_EQ(registry_from_json(document, options).buildings[1].management_company, "uk-yug");
}

TEST(RegistryParser, ManagementCompanyIdsAreSlugsAndUnique) {
  expect_invalid(
      [](auto& d) {
        json::value copy = d.at("management_companies").at(0);
        d.at("management_companies").as_array().push_back(std::move(copy));
      },
      "management_companies[1].id", "repeats management_companies[0].id");
  expect_invalid([](auto& d) { d.at("management_companies").at(0).as_object()["id"] = "УК Север"; },
                 "management_companies[0].id", "a-z, 0-9");
}

TEST(RegistryParser, StaffAndChairAreMatrixUserIds) {
  expect_invalid([](auto& d) { d.at("region").at("inspectorate").at("staff").as_array()[0] = "ivanova"; },
                 "region.inspectorate.staff[0]", "not a Matrix user id");
  expect_invalid([](auto& d) { d.at("management_companies").at(0).at("staff").as_array().push_back("@petrova"); },
                 "management_companies[0].staff[1]", "not a Matrix user id");
  expect_invalid([](auto& d) { building(d, 0)["chair"] = "chair:spb.example"; }, "buildings[0].chair",
                 "not a Matrix user id");
}

TEST(RegistryParser, CoordinatesAreInRange) {
  expect_invalid([](auto& d) { building(d, 0)["lat"] = 90.5; }, "buildings[0].lat", "-90 to 90");
  expect_invalid([](auto& d) { building(d, 0)["lat"] = -91; }, "buildings[0].lat", "-90 to 90");
  expect_invalid([](auto& d) { building(d, 0)["lon"] = 180.01; }, "buildings[0].lon", "-180 to 180");
  auto document = valid();
  building(document, 0)["lat"] = -90;
  building(document, 0)["lon"] = 180;
  EXPECT_NO_THROW(registry_from_json(document));
}

TEST(RegistryParser, MetersFollowTheirRules) {
  const std::string path = "buildings[0].apartments[0].meters[0]";
  expect_invalid([](auto& d) { meter(d, 0, 0, 0)["type"] = "water"; }, path + ".type", "unknown meter type \"water\"");
  for (const char* bad : {"2029-02-30", "01.05.2029", "2029-5-1", "2029-05-01T00:00", "1899-12-31", ""})
    expect_invalid([&](auto& d) { meter(d, 0, 0, 0)["verified_until"] = bad; }, path + ".verified_until", "YYYY-MM-DD");
  for (const char* bad : {"-1", "12.3.4", "1e3", "", "123.4567890"})
    expect_invalid([&](auto& d) { meter(d, 0, 0, 0)["reading"] = bad; }, path + ".reading", "reading such as");
  expect_invalid([](auto& d) { meter(d, 0, 0, 0)["serial"] = ""; }, path + ".serial", "must not be empty");
}

TEST(RegistryParser, AMeterMayNotRepeatButTwoTariffRegistersShareASerial) {
  expect_invalid([](auto& d) { meter(d, 0, 0, 2)["type"] = "power_day"; }, "buildings[0].apartments[0].meters[2]",
                 "repeats buildings[0].apartments[0].meters[1]");
  EXPECT_NO_THROW(registry_from_json(valid()));  // power_day and power_night of ЭЛ-7
}

TEST(RegistryParser, RegionCodeIsTwoDigitsAndNamesAreNotEmpty) {
  expect_invalid([](auto& d) { d.at("region").as_object()["code"] = "7"; }, "region.code", "two-digit");
  expect_invalid([](auto& d) { d.at("region").as_object()["code"] = "78a"; }, "region.code", "two-digit");
  expect_invalid([](auto& d) { d.at("region").as_object()["name"] = ""; }, "region.name", "must not be empty");
  expect_invalid([](auto& d) { building(d, 0)["address"] = "ул. Ленина\n5"; }, "buildings[0].address",
                 "control characters");
  expect_invalid([](auto& d) { owners(d, 0, 0)[0].as_object()["name"] = std::string(301, 'a'); },
                 "buildings[0].apartments[0].owners[0].name", "longer than 300 bytes");
}

TEST(RegistryParser, ReportsTheFirstErrorInDocumentOrder) {
  auto document = valid();
  apartment(document, 0, 1)["area"] = "-1";
  building(document, 1)["slug"] = "BAD";
  EXPECT_TRUE(refusal_of(document).message.starts_with("buildings[0].apartments[1].area: "))
      << refusal_of(document).message;
}

TEST(BuildingFromJson, ReadsOneBuildingWithItsOwnPath) {
  auto document = valid();
  const auto& value = document.at("buildings").at(0);
  auto building = building_from_json(value, {"uk-sever"});
  EXPECT_EQ(building.slug, "lenina-5");
  EXPECT_EQ(building, registry_from_json(document).buildings[0]);
  auto refused = refusal_of([&] {
    building_from_json(value, {"uk-yug"});
    return Registry{};
  });
  EXPECT_EQ(refused.errcode, "M_INVALID_PARAM");
  EXPECT_TRUE(refused.message.starts_with("building.management_company: ")) << refused.message;
  auto with_path = refusal_of([&] {
    building_from_json(value, {}, "body");
    return Registry{};
  });
  EXPECT_TRUE(with_path.message.starts_with("body.management_company: ")) << with_path.message;
}

}  // namespace
}  // namespace domovoy::housing
