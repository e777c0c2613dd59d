// Strict JSON field access for model files: every failure names the file, the field path and what was expected.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modewise/util/error.h"

namespace modewise::predict::detail {

inline const nlohmann::json& field(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.is_object()) throw Error("{}: expected a JSON object", where);
  auto it = j.find(key);
  if (it == j.end()) throw Error("{}: missing field '{}'", where, key);
  return *it;
}

inline double number(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const auto& v = field(j, key, where);
  if (!v.is_number()) throw Error("{}.{}: expected a number, found {}", where, key, v.dump());
  return v.get<double>();
}

inline int integer(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const auto& v = field(j, key, where);
  if (!v.is_number_integer()) throw Error("{}.{}: expected an integer, found {}", where, key, v.dump());
  return v.get<int>();
}

inline std::string text(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const auto& v = field(j, key, where);
  if (!v.is_string()) throw Error("{}.{}: expected a string, found {}", where, key, v.dump());
  return v.get<std::string>();
}

inline std::vector<double> numbers(const nlohmann::json& v, const std::string& where, size_t expected_size) {
  if (!v.is_array()) throw Error("{}: expected an array of numbers", where);
  if (expected_size != size_t(-1) && v.size() != expected_size)
    throw Error("{}: expected {} numbers, found {}", where, expected_size, v.size());
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto& x : v) {
    if (!x.is_number()) throw Error("{}: expected numbers, found {}", where, x.dump());
    out.push_back(x.get<double>());
  }
  return out;
}

inline std::vector<double> numbers(const nlohmann::json& j, const std::string& key, const std::string& where,
                                   size_t expected_size) {
  return numbers(field(j, key, where), where + "." + key, expected_size);
}

}  // namespace modewise::predict::detail
