#pragma once
// The media repository's storage (client-server-api "Content repository"): file bodies on disk
// named by their sha256, so one file uploaded twice is stored once; what each media id is (its
// owner, type, name, file) in RocksDB. A body is written to a temporary file, fsynced and renamed
// before its record is written, so a media id that answers always has its file, also after
// kill -9. Thumbnails are files of the same kind, recorded per media id and size.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "storage/database.hpp"

namespace domovoy {

struct MediaLimits {
  std::size_t quota_bytes_per_user = 0;  // 0: no quota
  std::int64_t pending_expiry_ms = 86400000;
  unsigned max_pending_per_user = 16;
};

struct MediaRecord {
  std::string media_id;
  std::string user_id;
  std::string content_type;
  std::string filename;
  std::string sha256;  // hex; empty while pending
  std::uint64_t size = 0;
  std::int64_t created_ts = 0;
  bool pending = false;        // made by /create, not uploaded yet
  std::int64_t expires_ts = 0;  // when a pending id lapses
};

struct ThumbnailRecord {
  std::string sha256;
  std::string content_type;
  std::uint64_t size = 0;
};

class MediaStore {
 public:
  MediaStore(storage::Database& database, std::string root_dir, MediaLimits limits);

  // Where uploads are spooled as they arrive: a file there is what upload() and upload_to() take
  // over (by renaming it, so it must be on the store's filesystem). Emptied at start-up.
  std::string spool_directory() const { return root_ + "/tmp"; }

  // Stores the upload spooled at `spooled_path` under a new media id, moving the file away.
  // Throws 413 M_TOO_LARGE past the user's quota (the file then stays where it is).
  MediaRecord upload(const std::string& user_id, const std::string& content_type, const std::string& filename,
                     const std::string& spooled_path, std::int64_t now_ms);
  // Media the server fetched itself (URL preview images): owned by no user, in no quota.
  MediaRecord store_fetched(const std::string& content_type, std::string_view bytes, std::int64_t now_ms);
  // A media id for a later upload (POST /_matrix/media/v1/create). Throws 429 M_LIMIT_EXCEEDED
  // when the user holds too many unused ones.
  MediaRecord create_pending(const std::string& user_id, std::int64_t now_ms);
  // Fills a pending media id: 404 unknown or lapsed, 403 another user's, 409
  // M_CANNOT_OVERWRITE_MEDIA when it was filled already.
  MediaRecord upload_to(const std::string& media_id, const std::string& user_id, const std::string& content_type,
                        const std::string& filename, const std::string& spooled_path, std::int64_t now_ms);

  std::optional<MediaRecord> find(const std::string& media_id) const;
  // Media of another server, as fetched over federation and kept here (its record's media_id is
  // the cache's own key, under which its thumbnails are kept too; no user's quota counts it).
  std::optional<MediaRecord> find_remote(const std::string& server_name, const std::string& media_id) const;
  MediaRecord store_remote(const std::string& server_name, const std::string& media_id, const std::string& content_type,
                           const std::string& filename, std::string_view bytes, std::int64_t now_ms);
  // The file's bytes; nullopt when the file is missing (never expected).
  std::optional<std::string> read(const std::string& sha256) const;

  std::optional<ThumbnailRecord> thumbnail(const std::string& media_id, const std::string& key) const;
  ThumbnailRecord put_thumbnail(const std::string& media_id, const std::string& key, const std::string& content_type,
                                std::string_view bytes);

  std::uint64_t usage(const std::string& user_id) const;

  // Media ids are what this server makes: letters, digits, '-' and '_'; anything else names no
  // media (and can never reach a file name).
  static bool is_valid_media_id(std::string_view media_id);

 private:
  // A new media id for a file stored under `sha256` (user_id empty: the server's).
  MediaRecord record_new(const std::string& user_id, const std::string& content_type, const std::string& filename,
                         const std::string& sha256, std::uint64_t size, std::int64_t now_ms);
  // Writes the bytes under their hash (unless that file exists) and returns the hash.
  std::string store_file(std::string_view bytes) const;
  // Moves a spooled file under its hash and returns the hash.
  std::string store_spooled(const std::string& spooled_path) const;
  // Makes the file at `temporary` (in the spool directory) durable as the file of `sha256`, or
  // removes it when that file exists already.
  void adopt(const std::string& temporary, const std::string& sha256) const;
  std::string path_of(const std::string& sha256) const;
  void put_record(storage::WriteBatch& batch, const MediaRecord& record) const;
  std::mutex& lock_for(const std::string& user_id) {
    return user_locks_[std::hash<std::string>{}(user_id) % user_locks_.size()];
  }

  storage::Database& database_;
  std::string root_;
  MediaLimits limits_;
  std::array<std::mutex, 64> user_locks_;  // quota checks and pending ids of one user, one at a time
};

}  // namespace domovoy
