// Another server's media answer (server-server-api "Content Repository"): a multipart/mixed
// body of a JSON part and the media part, parsed into type, name and bytes; anything else, or a
// redirect this server does not follow, is refused.
#include "federation/media_api.hpp"

#include <gtest/gtest.h>

namespace domovoy::federation {
namespace {

std::string body_of(const std::string& boundary, const std::string& media_headers, const std::string& bytes) {
  return "--" + boundary + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--" + boundary + "\r\n" + media_headers +
         "\r\n\r\n" + bytes + "\r\n--" + boundary + "--\r\n";
}

TEST(MultipartMedia, TheMediaPartIsTakenWithItsTypeAndName) {
  std::string bytes("\x89PNG\r\n--not-a-boundary\r\n\0binary", 30);
  auto media = parse_multipart_media(
      "multipart/mixed; boundary=\"gc0p4Jq0M2Yt08jU534c0p\"",
      body_of("gc0p4Jq0M2Yt08jU534c0p",
              "Content-Type: image/png\r\nContent-Disposition: inline; filename*=utf-8''%D0%B4%D0%B2%D0%BE%D1%80.png",
              bytes));
  ASSERT_TRUE(media);
  EXPECT_EQ(media->content_type, "image/png");
  EXPECT_EQ(media->filename, "двор.png");
  EXPECT_EQ(media->bytes, bytes);
  auto plain = parse_multipart_media("Multipart/Mixed; boundary=b1",
                                     body_of("b1", "Content-Disposition: attachment; filename=\"plan.pdf\"", "%PDF"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->content_type, "application/octet-stream");
  EXPECT_EQ(plain->filename, "plan.pdf");
}

TEST(MultipartMedia, MalformedOrRedirectedAnswersAreRefused) {
  auto good = body_of("b1", "Content-Type: text/plain", "hello");
  EXPECT_FALSE(parse_multipart_media("application/json", good)) << "not multipart";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed", good)) << "no boundary";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed; boundary=other", good)) << "another boundary";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed; boundary=b1", good.substr(0, good.size() - 12)))
      << "cut short";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed; boundary=b1",
                                     body_of("b1", "Location: https://cdn.example/x", "")))
      << "a redirect";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed; boundary=b1",
                                     "--b1\r\nContent-Type: text/plain\r\n\r\nx\r\n--b1\r\nContent-Type: text/plain"
                                     "\r\n\r\ny\r\n--b1--\r\n"))
      << "no JSON part first";
  auto three = "--b1\r\nContent-Type: application/json\r\n\r\n{}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nx\r\n"
               "--b1\r\nContent-Type: text/plain\r\n\r\ny\r\n--b1--\r\n";
  EXPECT_FALSE(parse_multipart_media("multipart/mixed; boundary=b1", three)) << "three parts";
  auto sneaky = body_of("b1", "Content-Type: text/plain\r\nContent-Disposition: inline; filename=\"a\r\nb\"", "x");
  auto parsed = parse_multipart_media("multipart/mixed; boundary=b1", sneaky);
  ASSERT_TRUE(parsed) << "the header is cut at the line's end, the media still taken";
  EXPECT_EQ(parsed->filename.find('\r'), std::string::npos) << "no control characters in a name";
}

}  // namespace
}  // namespace domovoy::federation
