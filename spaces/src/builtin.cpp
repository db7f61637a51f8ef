#include "zcnas/spaces/builtin.hpp"

namespace zcnas::spaces {

// Each space's factory lives in its own file.
std::unique_ptr<Space> make_nb201_space();
std::unique_ptr<Space> make_tnb101_micro_space();
std::unique_ptr<Space> make_darts_space();
std::unique_ptr<Space> make_nb101_space();
std::unique_ptr<Space> make_gpt_space();
std::unique_ptr<Space> make_flexibert_space();
std::unique_ptr<Space> make_autoformer_space();
std::unique_ptr<Space> make_autoformer_small_space();
std::unique_ptr<Space> make_autoformer_base_space();

std::vector<std::unique_ptr<Space>> builtin_spaces() {
  std::vector<std::unique_ptr<Space>> v;
  v.push_back(make_nb201_space());
  v.push_back(make_tnb101_micro_space());
  v.push_back(make_darts_space());
  v.push_back(make_nb101_space());
  v.push_back(make_gpt_space());
  v.push_back(make_flexibert_space());
  v.push_back(make_autoformer_space());
  v.push_back(make_autoformer_small_space());
  v.push_back(make_autoformer_base_space());
  return v;
}

}  // namespace zcnas::spaces
