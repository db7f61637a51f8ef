#include "zcnas/spaces/builtin.hpp"

namespace zcnas::spaces {

// Each space's factory lives in its own file.
std::unique_ptr<Space> make_nb201_space();
std::unique_ptr<Space> make_tnb101_micro_space();
std::unique_ptr<Space> make_darts_space();
std::unique_ptr<Space> make_nb101_space();

std::vector<std::unique_ptr<Space>> builtin_spaces() {
  std::vector<std::unique_ptr<Space>> v;
  v.push_back(make_nb201_space());
  v.push_back(make_tnb101_micro_space());
  v.push_back(make_darts_space());
  v.push_back(make_nb101_space());
  return v;
}

}  // namespace zcnas::spaces
