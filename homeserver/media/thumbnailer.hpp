#pragma once
// Thumbnails of JPEG, PNG, WebP and GIF with libvips (client-server-api "Thumbnails"). Only those
// four loaders are let near the bytes; the image's header is read first and an image of more
// pixels than the limit is refused before anything is decoded, so a small file that claims
// 30,000 x 30,000 pixels costs nothing. Sizes are the spec's recommended ones, picked so that
// the thumbnail is at least as large as asked.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace domovoy {

class ThumbnailError : public std::runtime_error {
 public:
  enum class Kind { not_an_image, too_large };
  ThumbnailError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct ThumbnailSize {
  int width = 0;
  int height = 0;
  bool crop = false;
};

// The recommended size to make for a request: the smallest of the method's sizes that covers the
// requested box, or the largest when none does.
ThumbnailSize pick_thumbnail_size(int width, int height, bool crop);

struct Thumbnail {
  std::string bytes;
  std::string content_type;
};

class Thumbnailer {
 public:
  explicit Thumbnailer(std::size_t max_pixels);

  // Throws ThumbnailError. `animated`: keep the frames of an animated GIF or WebP (as WebP).
  Thumbnail make(std::string_view source, const ThumbnailSize& size, bool animated) const;

  struct ImageInfo {
    int width = 0;
    int height = 0;  // one frame's
    std::string content_type;
  };
  // What the header of a JPEG, PNG, WebP or GIF says (nothing is decoded); nullopt for
  // anything else.
  std::optional<ImageInfo> inspect(std::string_view source) const;

 private:
  std::size_t max_pixels_;
};

}  // namespace domovoy
