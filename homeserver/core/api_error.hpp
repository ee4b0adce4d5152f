#pragma once
// A failure a client is told about: the spec's errcode, its HTTP status and a human message.
// Handlers throw it; the HTTP edge (http/server.cpp) is the one place that turns it into a response.
#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>

namespace domovoy {

class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, std::string errcode, std::string message, boost::json::object extra = {})
      : std::runtime_error(message), status_(status), errcode_(std::move(errcode)), extra_(std::move(extra)) {}

  unsigned status() const { return status_; }
  const std::string& errcode() const { return errcode_; }
  const boost::json::object& extra() const { return extra_; }

 private:
  unsigned status_;
  std::string errcode_;
  boost::json::object extra_;
};

inline ApiError forbidden(std::string message) { return {403, "M_FORBIDDEN", std::move(message)}; }
inline ApiError not_found(std::string message) { return {404, "M_NOT_FOUND", std::move(message)}; }
inline ApiError bad_json(std::string message) { return {400, "M_BAD_JSON", std::move(message)}; }
inline ApiError invalid_param(std::string message) { return {400, "M_INVALID_PARAM", std::move(message)}; }
inline ApiError missing_param(std::string message) { return {400, "M_MISSING_PARAM", std::move(message)}; }
inline ApiError unrecognized(std::string message = "Unrecognized request") {
  return {404, "M_UNRECOGNIZED", std::move(message)};
}
inline ApiError too_large(std::string message) { return {413, "M_TOO_LARGE", std::move(message)}; }

}  // namespace domovoy
