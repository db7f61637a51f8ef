#pragma once
// Spaces by name. Built-in spaces are registered on first use (explicitly, not by
// static initialisers, so static linking can't drop them).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {

// Throws zcnas::Error listing the registered names when `name` is unknown.
const Space& get_space(std::string_view name);
std::vector<std::string> space_names();
void register_space(std::unique_ptr<Space> space);  // replaces a space of the same name

}  // namespace zcnas::spaces
