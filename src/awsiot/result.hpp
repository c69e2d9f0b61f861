// A decoded value or the reason it could not be decoded: what every awsiot parser returns.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace fleetload::awsiot {

// `value` when decoding worked, else `error` (what the service answers, or a reason text).
template <class T, class E = std::string>
struct Result {
  std::optional<T> value;
  E error{};

  static Result ok(T v) { return Result{std::move(v), E{}}; }
  static Result fail(E e) { return Result{std::nullopt, std::move(e)}; }
  explicit operator bool() const noexcept { return value.has_value(); }
  T& operator*() { return *value; }
  const T& operator*() const { return *value; }
  T* operator->() { return &*value; }
  const T* operator->() const { return &*value; }
};

}  // namespace fleetload::awsiot
