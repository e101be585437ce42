// Errors at the boundaries that read user input (scenario files, catalog data, traces,
// config.json). A message names the file, the line or key, and what would be valid.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace tokenfab {

// Thrown inside the input-reading layers and turned into a Result<T> at their public edge.
// It never crosses the simulation loop.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

struct Error {
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Runs fn(), turning an InputError into an Error result.
template <typename Fn>
auto CatchInputErrors(Fn&& fn) -> Result<decltype(fn())> {
  try {
    return fn();
  } catch (const InputError& e) {
    return Error{e.what()};
  }
}

}  // namespace tokenfab
