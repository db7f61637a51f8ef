// `zcnas spaces list`: the registered search spaces.
#include "cli_common.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {
void setup(CLI::App& root) {
  auto* cmd = root.add_subcommand("spaces", "search spaces compiled into zcnas");
  auto* list = cmd->add_subcommand("list", "list registered spaces with their data sets and sizes");
  cmd->require_subcommand(1);
  list->callback([] {
    nlohmann::json j = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& name : spaces::space_names()) {
      const auto& s = spaces::get_space(name);
      std::string ds;
      for (const auto& d : s.datasets()) ds += (ds.empty() ? "" : ",") + d;
      auto n = s.size();
      j.push_back({{"name", name}, {"description", s.description()}, {"datasets", s.datasets()},
                   {"size", n ? nlohmann::json(*n) : nlohmann::json(nullptr)}});
      rows.push_back({name, n ? std::to_string(*n) : "-", ds, s.description()});
    }
    emit(j, format_table({"space", "size", "datasets", "description"}, rows));
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
