#pragma once
// The one exception type of zcnas. Every boundary (file readers, parsers, the
// database, the CLI) throws zcnas::Error with three parts a user can act on:
// what input, what was wrong with it, and (optionally) what to do about it.
#include <stdexcept>
#include <string>

namespace zcnas {

class Error : public std::runtime_error {
 public:
  Error(std::string input, std::string problem, std::string hint = {});

  const std::string& input() const noexcept { return input_; }
  const std::string& problem() const noexcept { return problem_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  std::string input_, problem_, hint_;
};

// Prefixes the input of an Error with more context ("file.csv line 12" etc.)
// while keeping problem and hint. Use when rethrowing from an outer layer.
[[noreturn]] void rethrow_with_context(const Error& e, const std::string& outer_input);

}  // namespace zcnas
