// The pure parts of the media repository: which types are served inline, how a file name is
// put into Content-Disposition (no byte of it can end the header), which recommended size a
// thumbnail request gets, and the thumbnailer's refusals (not an image, a decompression bomb)
// without decoding what an image header merely claims.
#include <gtest/gtest.h>

#include <zlib.h>

#include "homeserver/media/content_disposition.hpp"
#include "homeserver/media/thumbnailer.hpp"

namespace domovoy {
namespace {

TEST(ContentDisposition, InlineOnlyForSafeTypes) {
  EXPECT_TRUE(is_inline_safe_content_type("image/png"));
  EXPECT_TRUE(is_inline_safe_content_type("IMAGE/JPEG; charset=binary"));
  EXPECT_TRUE(is_inline_safe_content_type("text/plain; charset=utf-8"));
  EXPECT_FALSE(is_inline_safe_content_type("text/html"));
  EXPECT_FALSE(is_inline_safe_content_type("image/svg+xml"));
  EXPECT_FALSE(is_inline_safe_content_type("application/octet-stream"));
  EXPECT_FALSE(is_inline_safe_content_type(""));
  EXPECT_EQ(content_disposition("text/html", ""), "attachment");
  EXPECT_EQ(content_disposition("image/png", "a.png"), "inline; filename*=utf-8''a.png");
}

TEST(ContentDisposition, FileNamesAreEncodedAndChecked) {
  auto header = content_disposition("text/plain", "x\"; evil=1\r\nSet-Cookie: a");
  EXPECT_EQ(header.find('\r'), std::string::npos);
  EXPECT_EQ(header.find('"'), std::string::npos);
  EXPECT_EQ(header.find(' ', header.find("filename")), std::string::npos);
  EXPECT_EQ(content_disposition("text/plain", "лифт.txt"), "inline; filename*=utf-8''%D0%BB%D0%B8%D1%84%D1%82.txt");
  EXPECT_TRUE(is_acceptable_filename("фото лифта.jpg"));
  EXPECT_FALSE(is_acceptable_filename("a\r\nb"));
  EXPECT_FALSE(is_acceptable_filename(std::string("a\0b", 3)));
  EXPECT_FALSE(is_acceptable_filename(std::string(256, 'a')));
}

TEST(ThumbnailSizes, TheSmallestRecommendedSizeThatCovers) {
  auto size = pick_thumbnail_size(30, 30, true);
  EXPECT_EQ((std::tuple{size.width, size.height, size.crop}), (std::tuple{32, 32, true}));
  size = pick_thumbnail_size(33, 20, true);
  EXPECT_EQ((std::tuple{size.width, size.height}), (std::tuple{96, 96}));
  size = pick_thumbnail_size(500, 500, true);  // no crop size covers it: the largest
  EXPECT_EQ((std::tuple{size.width, size.height}), (std::tuple{96, 96}));
  size = pick_thumbnail_size(96, 96, false);
  EXPECT_EQ((std::tuple{size.width, size.height, size.crop}), (std::tuple{320, 240, false}));
  size = pick_thumbnail_size(641, 100, false);
  EXPECT_EQ((std::tuple{size.width, size.height}), (std::tuple{800, 600}));
  size = pick_thumbnail_size(5000, 5000, false);
  EXPECT_EQ((std::tuple{size.width, size.height}), (std::tuple{800, 600}));
}

std::string png_header_claiming(std::uint32_t width, std::uint32_t height) {
  auto be32 = [](std::uint32_t value) {
    return std::string{char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
  };
  auto chunk = [&](const std::string& kind, const std::string& data) {
    auto body = kind + data;
    auto crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    return be32(static_cast<std::uint32_t>(data.size())) + body + be32(static_cast<std::uint32_t>(crc));
  };
  std::string ihdr = be32(width) + be32(height) + std::string{8, 2, 0, 0, 0};
  std::string raw(1024, '\0');
  std::string compressed(compressBound(static_cast<uLong>(raw.size())), '\0');
  auto length = static_cast<uLongf>(compressed.size());
  compress(reinterpret_cast<Bytef*>(compressed.data()), &length, reinterpret_cast<const Bytef*>(raw.data()),
           static_cast<uLong>(raw.size()));
  compressed.resize(length);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", compressed) + chunk("IEND", "");
}

TEST(Thumbnailer, RefusesWhatIsNotAnImageAndBombs) {
  Thumbnailer thumbnailer(32'000'000);
  try {
    thumbnailer.make("certainly not an image", {32, 32, true}, false);
    FAIL() << "text was thumbnailed";
  } catch (const ThumbnailError& error) {
    EXPECT_EQ(error.kind(), ThumbnailError::Kind::not_an_image);
  }
  try {
    thumbnailer.make(png_header_claiming(30000, 30000), {320, 240, false}, false);
    FAIL() << "a 900-megapixel claim was decoded";
  } catch (const ThumbnailError& error) {
    EXPECT_EQ(error.kind(), ThumbnailError::Kind::too_large);
  }
  // An SVG is an image libvips could read, and exactly what must not reach it.
  EXPECT_THROW(thumbnailer.make("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", {32, 32, true}, false),
               ThumbnailError);
}

}  // namespace
}  // namespace domovoy
