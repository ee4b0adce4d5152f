#include "homeserver/media/media_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/events/signing_key.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::size_t kMediaIdLetters = 24;

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// One open file descriptor, closed once.
class File {
 public:
  explicit File(int fd) : fd_(fd) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int get() const { return fd_; }
  void close() {
    if (fd_ >= 0 && ::close(fd_) != 0) throw std::runtime_error(std::string("close: ") + std::strerror(errno));
    fd_ = -1;
  }

 private:
  int fd_;
};

void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write media file");
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

// The file's sha256, read in pieces: an upload of megabytes is never held in memory.
std::string sha256_of_file(const std::string& path) {
  File file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) fail("open " + path);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::array<unsigned char, 1 << 16> piece;
  while (true) {
    auto got = ::read(file.get(), piece.data(), piece.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("read " + path);
    }
    if (got == 0) break;
    crypto_hash_sha256_update(&state, piece.data(), static_cast<unsigned long long>(got));
  }
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256_final(&state, reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

void fsync_directory(const std::string& path) {
  File dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY));
  if (dir.get() < 0) fail("open " + path);
  if (::fsync(dir.get()) != 0) fail("fsync " + path);
}

MediaRecord parse_record(std::string_view media_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  MediaRecord record;
  record.media_id = std::string(media_id);
  record.user_id = std::string(object["user_id"].as_string());
  record.content_type = std::string(object["content_type"].as_string());
  record.filename = std::string(object["filename"].as_string());
  record.sha256 = std::string(object["sha256"].as_string());
  record.size = object["size"].to_number<std::uint64_t>();
  record.created_ts = object["created_ts"].to_number<std::int64_t>();
  record.pending = object["pending"].as_bool();
  record.expires_ts = object["expires_ts"].to_number<std::int64_t>();
  return record;
}
}  // namespace

MediaStore::MediaStore(storage::Database& database, std::string root_dir, MediaLimits limits)
    : database_(database), root_(std::move(root_dir)), limits_(limits) {
  std::filesystem::create_directories(spool_directory());
  // Temporary files of uploads a crash interrupted: no record names them.
  for (const auto& entry : std::filesystem::directory_iterator(spool_directory())) std::filesystem::remove(entry.path());
}

bool MediaStore::is_valid_media_id(std::string_view media_id) {
  if (media_id.empty() || media_id.size() > 255) return false;
  for (char c : media_id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string MediaStore::path_of(const std::string& sha256) const {
  return root_ + "/" + sha256.substr(0, 2) + "/" + sha256.substr(2, 2) + "/" + sha256;
}

std::string MediaStore::store_file(std::string_view bytes) const {
  auto hash = hex(sha256(bytes));
  if (std::filesystem::exists(path_of(hash))) return hash;  // the same bytes are stored once
  auto temporary = spool_directory() + "/" + random_letters(16);
  {
    File file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (file.get() < 0) fail("create " + temporary);
    try {
      write_all(file.get(), bytes);
      file.close();
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
  }
  adopt(temporary, hash);
  return hash;
}

std::string MediaStore::store_spooled(const std::string& spooled_path) const {
  auto hash = hex(sha256_of_file(spooled_path));
  adopt(spooled_path, hash);
  return hash;
}

void MediaStore::adopt(const std::string& temporary, const std::string& sha256) const {
  auto final_path = path_of(sha256);
  if (std::filesystem::exists(final_path)) {  // the same bytes are stored once
    ::unlink(temporary.c_str());
    return;
  }
  auto directory = std::filesystem::path(final_path).parent_path().string();
  std::filesystem::create_directories(directory);
  {
    File file(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) fail("open " + temporary);
    if (::fsync(file.get()) != 0) fail("fsync media file");
  }
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    fail("rename media file");
  }
  fsync_directory(directory);
}

void MediaStore::put_record(storage::WriteBatch& batch, const MediaRecord& record) const {
  batch.put(Table::mediaid_media, record.media_id,
            to_json(json::object{{"user_id", record.user_id},
                                 {"content_type", record.content_type},
                                 {"filename", record.filename},
                                 {"sha256", record.sha256},
                                 {"size", record.size},
                                 {"created_ts", record.created_ts},
                                 {"pending", record.pending},
                                 {"expires_ts", record.expires_ts}}));
  if (!record.user_id.empty())  // the server's own media counts in no quota
    batch.put(Table::usermedia_size, storage::join_key({record.user_id, record.media_id}), storage::be64(record.size));
}

std::uint64_t MediaStore::usage(const std::string& user_id) const {
  std::uint64_t total = 0;
  database_.scan_prefix(Table::usermedia_size, storage::key_prefix({user_id}), [&](std::string_view, std::string_view value) {
    total += storage::read_be64(value);
    return true;
  });
  return total;
}

MediaRecord MediaStore::record_new(const std::string& user_id, const std::string& content_type,
                                   const std::string& filename, const std::string& sha256, std::uint64_t size,
                                   std::int64_t now_ms) {
  MediaRecord record;
  record.media_id = random_letters(kMediaIdLetters);
  record.user_id = user_id;
  record.content_type = content_type;
  record.filename = filename;
  record.size = size;
  record.created_ts = now_ms;
  record.sha256 = sha256;  // its file is durable before the record that names it
  storage::WriteBatch batch;
  put_record(batch, record);
  database_.write(std::move(batch));
  return record;
}

MediaRecord MediaStore::upload(const std::string& user_id, const std::string& content_type, const std::string& filename,
                               const std::string& spooled_path, std::int64_t now_ms) {
  std::lock_guard lock(lock_for(user_id));
  auto size = std::filesystem::file_size(spooled_path);
  if (limits_.quota_bytes_per_user && usage(user_id) + size > limits_.quota_bytes_per_user)
    throw too_large("This upload would pass your media quota");
  return record_new(user_id, content_type, filename, store_spooled(spooled_path), size, now_ms);
}

MediaRecord MediaStore::store_fetched(const std::string& content_type, std::string_view bytes, std::int64_t now_ms) {
  return record_new("", content_type, "", store_file(bytes), bytes.size(), now_ms);
}

MediaRecord MediaStore::create_pending(const std::string& user_id, std::int64_t now_ms) {
  std::lock_guard lock(lock_for(user_id));
  unsigned pending = 0;
  database_.scan_prefix(Table::usermedia_size, storage::key_prefix({user_id}), [&](std::string_view key, std::string_view) {
    auto media_id = key.substr(user_id.size() + 1);
    if (auto record = find(std::string(media_id)); record && record->pending && record->expires_ts > now_ms) ++pending;
    return true;
  });
  if (pending >= limits_.max_pending_per_user)
    throw ApiError(429, "M_LIMIT_EXCEEDED", "Too many media ids waiting for their upload",
                   json::object{{"retry_after_ms", 60000}});
  MediaRecord record;
  record.media_id = random_letters(kMediaIdLetters);
  record.user_id = user_id;
  record.created_ts = now_ms;
  record.pending = true;
  record.expires_ts = now_ms + limits_.pending_expiry_ms;
  storage::WriteBatch batch;
  put_record(batch, record);
  database_.write(std::move(batch));
  return record;
}

MediaRecord MediaStore::upload_to(const std::string& media_id, const std::string& user_id,
                                  const std::string& content_type, const std::string& filename,
                                  const std::string& spooled_path, std::int64_t now_ms) {
  std::lock_guard lock(lock_for(user_id));
  auto record = find(media_id);
  if (!record) throw not_found("Unknown media id");
  if (record->user_id != user_id) throw forbidden("This media id belongs to another user");
  if (!record->pending) throw ApiError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media was already uploaded to this id");
  if (record->expires_ts <= now_ms) throw not_found("This media id has lapsed");
  auto size = std::filesystem::file_size(spooled_path);
  if (limits_.quota_bytes_per_user && usage(user_id) + size > limits_.quota_bytes_per_user)
    throw too_large("This upload would pass your media quota");
  record->content_type = content_type;
  record->filename = filename;
  record->size = size;
  record->pending = false;
  record->expires_ts = 0;
  record->sha256 = store_spooled(spooled_path);
  storage::WriteBatch batch;
  put_record(batch, *record);
  database_.write(std::move(batch));
  return *record;
}

std::optional<MediaRecord> MediaStore::find(const std::string& media_id) const {
  if (!is_valid_media_id(media_id)) return std::nullopt;
  auto stored = database_.get(Table::mediaid_media, media_id);
  if (!stored) return std::nullopt;
  return parse_record(media_id, *stored);
}

namespace {
// Never a local media id (those are letters, digits, '-' and '_'), so the two never meet.
std::string remote_key(const std::string& server_name, const std::string& media_id) {
  return "remote:" + server_name + "/" + media_id;
}
}  // namespace

std::optional<MediaRecord> MediaStore::find_remote(const std::string& server_name, const std::string& media_id) const {
  if (!is_valid_media_id(media_id)) return std::nullopt;
  auto key = remote_key(server_name, media_id);
  auto stored = database_.get(Table::mediaid_media, key);
  if (!stored) return std::nullopt;
  return parse_record(key, *stored);
}

MediaRecord MediaStore::store_remote(const std::string& server_name, const std::string& media_id,
                                     const std::string& content_type, const std::string& filename,
                                     std::string_view bytes, std::int64_t now_ms) {
  MediaRecord record;
  record.media_id = remote_key(server_name, media_id);
  record.content_type = content_type;
  record.filename = filename;
  record.size = bytes.size();
  record.created_ts = now_ms;
  record.sha256 = store_file(bytes);  // the file is durable before its record is written
  storage::WriteBatch batch;
  put_record(batch, record);
  database_.write(std::move(batch));
  return record;
}

std::optional<std::string> MediaStore::read(const std::string& sha256) const {
  std::ifstream in(path_of(sha256), std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::optional<ThumbnailRecord> MediaStore::thumbnail(const std::string& media_id, const std::string& key) const {
  auto stored = database_.get(Table::mediathumbnail_thumbnail, storage::join_key({media_id, key}));
  if (!stored) return std::nullopt;
  auto object = parse_stored_json(*stored).as_object();
  return ThumbnailRecord{std::string(object["sha256"].as_string()), std::string(object["content_type"].as_string()),
                         object["size"].to_number<std::uint64_t>()};
}

ThumbnailRecord MediaStore::put_thumbnail(const std::string& media_id, const std::string& key,
                                          const std::string& content_type, std::string_view bytes) {
  ThumbnailRecord record{store_file(bytes), content_type, bytes.size()};
  storage::WriteBatch batch;
  batch.put(Table::mediathumbnail_thumbnail, storage::join_key({media_id, key}),
            to_json(json::object{{"sha256", record.sha256}, {"content_type", content_type}, {"size", record.size}}));
  database_.write(std::move(batch));
  return record;
}

}  // namespace domovoy
