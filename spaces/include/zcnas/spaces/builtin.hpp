#pragma once
// The spaces compiled into zcnas. Add a new space here (one line) and in its own file.
#include <memory>
#include <vector>

#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {
std::vector<std::unique_ptr<Space>> builtin_spaces();
}
