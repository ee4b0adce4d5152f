// The pure parts of URL previews: the address ranges the server refuses to fetch from
// (core/ip_ranges.hpp) and the Open Graph fields read from real-world HTML (media/open_graph.hpp).
#include <gtest/gtest.h>

#include "homeserver/core/ip_ranges.hpp"
#include "homeserver/media/open_graph.hpp"

namespace domovoy {
namespace {

namespace ip = boost::asio::ip;

bool denied(const std::string& address) {
  static const auto ranges = IpRanges::parse(default_denied_ranges());
  return ranges.contains(ip::make_address(address));
}

TEST(IpRanges, DefaultDenyListCoversWhatAServerMustNotReach) {
  for (const char* address : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
                              "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.251", "::1", "::", "fe80::1",
                              "fd00::5", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
                              "2002:7f00:1::"})
    EXPECT_TRUE(denied(address)) << address;
  for (const char* address : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "93.184.216.34", "2a00:1450:4001::200e",
                              "::ffff:8.8.8.8"})
    EXPECT_FALSE(denied(address)) << address;
}

TEST(IpRanges, ParsesAddressesAndRangesAndRefusesTheRest) {
  auto ranges = IpRanges::parse({"203.0.113.7", "198.51.100.0/24", "2001:db8::/32"});
  EXPECT_TRUE(ranges.contains(ip::make_address("203.0.113.7")));
  EXPECT_FALSE(ranges.contains(ip::make_address("203.0.113.8")));
  EXPECT_TRUE(ranges.contains(ip::make_address("198.51.100.200")));
  EXPECT_TRUE(ranges.contains(ip::make_address("2001:db8:1::1")));
  EXPECT_FALSE(ranges.contains(ip::make_address("2001:db9::1")));
  EXPECT_TRUE(IpRanges::parse({}).empty());
  for (const char* bad : {"localhost", "10.0.0.0/33", "1.2.3", "::1/129", "", "10.0.0.0/8/8"})
    EXPECT_THROW(IpRanges::parse({bad}), std::invalid_argument) << bad;
}

TEST(OpenGraph, ReadsTheMetaPropertiesOfARealPage) {
  const char* page = R"(<!DOCTYPE html>
<html lang="ru"><head>
<meta charset="utf-8">
<title>Не то</title>
<meta property="og:title" content="Капремонт  дома 7:
 график работ">
<meta property="og:description" content="Замена лифтов в 2027 году">
<meta property="og:image" content="/img/lift.jpg">
<meta property="og:image:width" content="1200">
<meta property="og:site_name" content="Фонд капремонта">
<meta property="og:url" content="https://fond.example/news/7">
<script>var og = "<meta property='og:title' content='script'>";</script>
</head><body><p>Текст</p></body></html>)";
  auto graph = parse_open_graph(page, "https://fond.example/news/7?utm=1", "");
  EXPECT_EQ(graph.at("og:title").as_string(), "Капремонт дома 7: график работ");
  EXPECT_EQ(graph.at("og:description").as_string(), "Замена лифтов в 2027 году");
  EXPECT_EQ(graph.at("og:image").as_string(), "https://fond.example/img/lift.jpg") << "resolved against the page";
  EXPECT_EQ(graph.at("og:site_name").as_string(), "Фонд капремонта");
  EXPECT_EQ(graph.at("og:image:width").as_string(), "1200");
}

TEST(OpenGraph, FallsBackToTitleAndDescription) {
  auto graph = parse_open_graph(
      "<html><head><TITLE>Объявление</TITLE><META NAME=description CONTENT='Отключение воды'></head>"
      "<body><img src=x.png><div><div><p>unclosed",
      "http://dom.example/a/b", "");
  EXPECT_EQ(graph.at("og:title").as_string(), "Объявление");
  EXPECT_EQ(graph.at("og:description").as_string(), "Отключение воды");
  EXPECT_FALSE(graph.contains("og:image"));
}

TEST(OpenGraph, HonoursTheCharsetAndCutsLongDescriptions) {
  // "Дом" in windows-1251, as the response's Content-Type says.
  std::string page = "<html><head><title>\xC4\xEE\xEC</title></head></html>";
  EXPECT_EQ(parse_open_graph(page, "http://x.example/", "windows-1251").at("og:title").as_string(), "Дом");
  std::string russian;
  for (int i = 0; i < 400; ++i) russian += "ж";
  auto graph = parse_open_graph("<meta property='og:description' content='" + russian + "'>", "http://x.example/", "");
  auto description = std::string(graph.at("og:description").as_string());
  EXPECT_LE(description.size(), 500u + std::string("…").size());
  EXPECT_EQ(description.substr(description.size() - std::string("…").size()), "…");
  EXPECT_EQ(description.substr(0, 4), "жж") << "cut on a character boundary";
}

TEST(OpenGraph, NothingFromWhatIsNoPage) {
  EXPECT_TRUE(parse_open_graph("", "http://x.example/", "").empty());
  EXPECT_TRUE(parse_open_graph("\x89PNG\r\n\x1a\n\0\0\0", "http://x.example/", "").empty());
  // An og:image that is no http(s) URL is dropped, not passed on.
  auto graph = parse_open_graph("<meta property='og:image' content='javascript:alert(1)'>", "http://x.example/", "");
  EXPECT_FALSE(graph.contains("og:image"));
  // Deep nesting costs no stack.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  deep += "<meta property='og:title' content='deep'>";
  EXPECT_NO_THROW(parse_open_graph(deep, "http://x.example/", ""));
}

}  // namespace
}  // namespace domovoy
