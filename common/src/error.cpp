#include "zcnas/common/error.hpp"

namespace zcnas {
namespace {
std::string compose(const std::string& input, const std::string& problem, const std::string& hint) {
  std::string msg = input.empty() ? problem : input + ": " + problem;
  if (!hint.empty()) msg += " (" + hint + ")";
  return msg;
}
}  // namespace

Error::Error(std::string input, std::string problem, std::string hint)
    : std::runtime_error(compose(input, problem, hint)),
      input_(std::move(input)),
      problem_(std::move(problem)),
      hint_(std::move(hint)) {}

void rethrow_with_context(const Error& e, const std::string& outer_input) {
  std::string input = e.input().empty() ? outer_input : outer_input + ": " + e.input();
  throw Error(std::move(input), e.problem(), e.hint());
}

}  // namespace zcnas
