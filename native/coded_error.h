// An error JS sees with a stable `.code` (what kind of problem) and, where
// one is known, a `.field` (which part of the input): a RangeError.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace nestflow {

class CodedError : public std::range_error {
 public:
  CodedError(std::string code, std::string field, const std::string& message)
      : std::range_error(message), code(std::move(code)), field(std::move(field)) {}
  std::string code;
  std::string field;
};

}  // namespace nestflow
