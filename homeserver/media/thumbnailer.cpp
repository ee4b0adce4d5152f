#include "homeserver/media/thumbnailer.hpp"

#include <vips/vips.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <memory>
#include <mutex>

namespace domovoy {

namespace {
constexpr std::array<ThumbnailSize, 5> kRecommended = {
    ThumbnailSize{32, 32, true}, ThumbnailSize{96, 96, true}, ThumbnailSize{320, 240, false},
    ThumbnailSize{640, 480, false}, ThumbnailSize{800, 600, false}};

struct ImageUnref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using ImagePtr = std::unique_ptr<VipsImage, ImageUnref>;
struct GFree {
  void operator()(void* memory) const { g_free(memory); }
};

std::string vips_failure() {
  std::string message = vips_error_buffer();
  vips_error_clear();
  return message;
}

void start_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("domovoy") != 0) throw std::runtime_error("libvips did not start: " + vips_failure());
    vips_concurrency_set(1);  // the worker pool is the parallelism; libvips adds none
    vips_cache_set_max(0);    // every thumbnail is made once and stored: nothing to cache
    vips_block_untrusted_set(TRUE);
  });
}

enum class Format { jpeg, png, webp, gif };

std::optional<Format> format_of(std::string_view bytes) {
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) {
    vips_error_clear();
    return std::nullopt;
  }
  std::string_view name(loader);
  if (name.starts_with("VipsForeignLoadJpeg")) return Format::jpeg;
  if (name.starts_with("VipsForeignLoadPng")) return Format::png;
  if (name.starts_with("VipsForeignLoadWebp")) return Format::webp;
  if (name.starts_with("VipsForeignLoadGif") || name.starts_with("VipsForeignLoadNsgif")) return Format::gif;
  return std::nullopt;  // libvips can read more (SVG, PDF, TIFF, ...): none of them reaches it here
}
}  // namespace

ThumbnailSize pick_thumbnail_size(int width, int height, bool crop) {
  const ThumbnailSize* largest = nullptr;
  for (const auto& size : kRecommended) {
    if (size.crop != crop) continue;
    if (size.width >= width && size.height >= height) return size;
    largest = &size;
  }
  return *largest;
}

Thumbnailer::Thumbnailer(std::size_t max_pixels) : max_pixels_(max_pixels) { start_vips(); }

std::optional<Thumbnailer::ImageInfo> Thumbnailer::inspect(std::string_view source) const {
  auto format = format_of(source);
  if (!format) return std::nullopt;
  ImagePtr header(vips_image_new_from_buffer(source.data(), source.size(), "", nullptr));
  if (!header) {
    vips_error_clear();
    return std::nullopt;
  }
  static constexpr const char* kTypes[] = {"image/jpeg", "image/png", "image/webp", "image/gif"};
  return ImageInfo{vips_image_get_width(header.get()), vips_image_get_page_height(header.get()),
                   kTypes[static_cast<int>(*format)]};
}

Thumbnail Thumbnailer::make(std::string_view source, const ThumbnailSize& size, bool animated) const {
  auto format = format_of(source);
  if (!format) throw ThumbnailError(ThumbnailError::Kind::not_an_image, "Cannot generate thumbnails for this content");
  // The header only: libvips decodes nothing until pixels are asked for.
  ImagePtr header(vips_image_new_from_buffer(source.data(), source.size(), "", nullptr));
  if (!header) throw ThumbnailError(ThumbnailError::Kind::not_an_image, "Unreadable image: " + vips_failure());
  int source_width = vips_image_get_width(header.get());
  int source_height = vips_image_get_page_height(header.get());  // one frame's height
  auto pixels = static_cast<std::size_t>(source_width) * static_cast<std::size_t>(vips_image_get_height(header.get()));
  int pages = vips_image_get_n_pages(header.get());
  bool animate = animated && (*format == Format::gif || *format == Format::webp) && pages > 1;
  if (pixels == 0 || pixels > max_pixels_ || (animate && pixels * static_cast<std::size_t>(pages) > 4 * max_pixels_))
    throw ThumbnailError(ThumbnailError::Kind::too_large, "Image is too large to thumbnail");
  header.reset();

  // libvips 8.14 crops an animation to its first frame: an animated "crop" is scaled instead, to
  // the smallest size that covers the box (the spec lets a thumbnail be larger than asked).
  int box_width = size.width, box_height = size.height;
  bool crop = size.crop;
  if (animate && crop && source_width > 0 && source_height > 0) {
    double scale = std::max(double(size.width) / source_width, double(size.height) / source_height);
    box_width = static_cast<int>(std::ceil(source_width * scale));
    box_height = static_cast<int>(std::ceil(source_height * scale));
    crop = false;
  }
  VipsImage* raw = nullptr;
  int status = vips_thumbnail_buffer(const_cast<char*>(source.data()), source.size(), &raw, box_width, "height",
                                     box_height, "crop", crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
                                     "size", VIPS_SIZE_DOWN, "option_string", animate ? "[n=-1]" : "", nullptr);
  if (status != 0 || !raw) throw ThumbnailError(ThumbnailError::Kind::not_an_image, "Cannot thumbnail: " + vips_failure());
  ImagePtr thumbnail(raw);
  void* buffer = nullptr;
  std::size_t length = 0;
  Thumbnail out;
  if (animate) {
    status = vips_webpsave_buffer(thumbnail.get(), &buffer, &length, "Q", 80, nullptr);
    out.content_type = "image/webp";
  } else if (*format == Format::jpeg) {
    status = vips_jpegsave_buffer(thumbnail.get(), &buffer, &length, "Q", 80, "strip", TRUE, nullptr);
    out.content_type = "image/jpeg";
  } else {
    status = vips_pngsave_buffer(thumbnail.get(), &buffer, &length, "strip", TRUE, nullptr);
    out.content_type = "image/png";
  }
  std::unique_ptr<void, GFree> owned(buffer);
  if (status != 0 || !buffer) throw ThumbnailError(ThumbnailError::Kind::not_an_image, "Cannot encode: " + vips_failure());
  out.bytes.assign(static_cast<const char*>(buffer), length);
  return out;
}

}  // namespace domovoy
