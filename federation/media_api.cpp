#include "federation/media_api.hpp"

#include <algorithm>
#include <cctype>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/case_fold.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/media/content_disposition.hpp"

namespace domovoy::federation {

using boost::beast::http::verb;

namespace {

// The value of `name` in a header's parameters (`; name=value` or `; name="value"`).
std::string header_parameter(std::string_view header, std::string_view name) {
  auto lower = ascii_lower(header);
  auto key = std::string(name) + "=";
  for (auto at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
    if (at > 0 && lower[at - 1] != ';' && lower[at - 1] != ' ' && lower[at - 1] != '\t') continue;
    auto value = header.substr(at + key.size());
    if (!value.empty() && value[0] == '"') {
      auto end = value.find('"', 1);
      return std::string(value.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    }
    return std::string(value.substr(0, value.find_first_of("; \t")));
  }
  return {};
}

// A Content-Disposition's file name: RFC 8187's filename*=utf-8''<percent-encoded> first (as
// this server and Synapse send it), else a plain filename=.
std::string disposition_filename(std::string_view disposition) {
  auto extended = header_parameter(disposition, "filename*");
  if (!extended.empty()) {
    auto quote = extended.find("''");
    if (quote == std::string::npos || ascii_lower(extended.substr(0, quote)) != "utf-8") return {};
    std::string decoded;
    for (std::size_t i = quote + 2; i < extended.size(); ++i) {
      if (extended[i] == '%' && i + 2 < extended.size() && std::isxdigit(static_cast<unsigned char>(extended[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(extended[i + 2]))) {
        decoded += static_cast<char>(std::stoi(extended.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += extended[i];
      }
    }
    return decoded;
  }
  return header_parameter(disposition, "filename");
}

struct Part {
  std::string content_type;
  std::string disposition;
  bool redirect = false;
  std::string_view body;
};

std::optional<Part> parse_part(std::string_view part) {
  auto end_of_headers = part.find("\r\n\r\n");
  if (end_of_headers == std::string_view::npos) return std::nullopt;
  Part parsed;
  auto headers = part.substr(0, end_of_headers);
  parsed.body = part.substr(end_of_headers + 4);
  while (!headers.empty()) {
    auto line_end = headers.find("\r\n");
    auto line = headers.substr(0, line_end);
    headers = line_end == std::string_view::npos ? std::string_view{} : headers.substr(line_end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto name = ascii_lower(line.substr(0, colon));
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (name == "content-type") parsed.content_type = std::string(value);
    else if (name == "content-disposition") parsed.disposition = std::string(value);
    else if (name == "location") parsed.redirect = true;
  }
  return parsed;
}

}  // namespace

std::optional<ClientServices::RemoteMedia> parse_multipart_media(std::string_view content_type, std::string_view body) {
  if (!ascii_lower(content_type).starts_with("multipart/mixed")) return std::nullopt;
  auto boundary = header_parameter(content_type, "boundary");
  if (boundary.empty()) return std::nullopt;
  auto delimiter = "--" + boundary;
  // Parts lie between "--boundary\r\n" and "\r\n--boundary"; the last delimiter ends with "--".
  std::vector<std::string_view> parts;
  auto at = body.find(delimiter);
  while (at != std::string_view::npos) {
    auto start = at + delimiter.size();
    if (body.substr(start, 2) == "--") break;
    if (body.substr(start, 2) != "\r\n") return std::nullopt;
    start += 2;
    auto next = body.find("\r\n" + delimiter, start);
    if (next == std::string_view::npos) return std::nullopt;
    parts.push_back(body.substr(start, next - start));
    at = next + 2;
  }
  if (parts.size() != 2) return std::nullopt;
  auto metadata = parse_part(parts[0]);
  auto media = parse_part(parts[1]);
  if (!metadata || !media || media->redirect) return std::nullopt;
  if (!ascii_lower(metadata->content_type).starts_with("application/json")) return std::nullopt;
  ClientServices::RemoteMedia result;
  // The type is served again to local clients: one that is not a plain "type/subtype[; params]"
  // of printable characters is taken as opaque bytes.
  const auto& type = media->content_type;
  bool plain_type = !type.empty() && type.size() <= 255 && type.find('/') != std::string::npos &&
                    std::all_of(type.begin(), type.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  result.content_type = plain_type ? type : "application/octet-stream";
  result.filename = disposition_filename(media->disposition);
  if (!is_acceptable_filename(result.filename)) result.filename.clear();
  result.bytes = std::string(media->body);
  return result;
}

void register_media_routes(http::Router& router, RequestAuthenticator& authenticator,
                           boost::asio::thread_pool& blocking_pool, MediaStore& store) {
  add_federation_route(router, authenticator, blocking_pool, verb::get,
                       "/_matrix/federation/v1/media/download/{mediaId}", [&store](http::Request& request) {
                         auto record = store.find(request.path_params.at(0));
                         if (!record || record->pending) throw not_found("Unknown media");
                         auto bytes = store.read(record->sha256);
                         if (!bytes) throw not_found("The media's file is missing");
                         auto boundary = random_letters(32);
                         auto type = record->content_type.empty() ? "application/octet-stream" : record->content_type;
                         http::Response response;
                         response.content_type = "multipart/mixed; boundary=" + boundary;
                         response.raw_body = "--" + boundary + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--" +
                                             boundary + "\r\nContent-Type: " + type +
                                             "\r\nContent-Disposition: " + content_disposition(type, record->filename) +
                                             "\r\n\r\n";
                         response.raw_body += *bytes;
                         response.raw_body += "\r\n--" + boundary + "--\r\n";
                         return response;
                       });
}

boost::asio::awaitable<ClientServices::RemoteMedia> fetch_remote_media(FederationClient& client, std::string server_name,
                                                                      std::string media_id) {
  FederationRequest request;
  request.destination = server_name;
  request.uri = "/_matrix/federation/v1/media/download/" + media_id + "?timeout_ms=20000";
  request.timeout = std::chrono::milliseconds(60000);
  auto response = co_await client.request(request);
  using Failure = FederationResponse::Failure;
  if (response.failure == Failure::not_allowed) throw forbidden(response.message);
  if (!response.ok()) throw ApiError(502, "M_UNKNOWN", "Cannot reach " + server_name);
  if (response.status == 404) throw not_found("Unknown media");
  if (!response.success())
    throw ApiError(502, "M_UNKNOWN", server_name + " answered the media download with " + std::to_string(response.status));
  auto media = parse_multipart_media(response.content_type, response.raw_body);
  if (!media) throw ApiError(502, "M_UNKNOWN", server_name + " answered the media download in a form not understood");
  co_return std::move(*media);
}

}  // namespace domovoy::federation
