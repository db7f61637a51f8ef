// `zcnas proxies list`: the registered zero-cost proxies, what each needs, its
// version and default settings.
#include "cli_common.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::cli {
namespace {
void setup(CLI::App& root) {
  auto* cmd = root.add_subcommand("proxies", "zero-cost proxies compiled into zcnas");
  auto* list = cmd->add_subcommand("list", "list registered proxies (name, version, needs, description)");
  add_global_options(*list);
  cmd->require_subcommand(1);
  list->callback([] {
    nlohmann::json j = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& name : proxies::proxy_names()) {
      const auto p = proxies::make_proxy(name);
      const auto i = p->info();
      std::string needs;
      auto add = [&](bool on, const char* what) {
        if (on) needs += (needs.empty() ? "" : ",") + std::string(what);
      };
      add(i.needs_data, "data");
      add(i.needs_labels, "labels");
      add(i.needs_grad, "grad");
      add(i.float64, "float64");
      j.push_back({{"name", i.name}, {"version", i.version}, {"description", i.description}, {"needs_data", i.needs_data},
                   {"needs_labels", i.needs_labels}, {"needs_grad", i.needs_grad}, {"float64", i.float64},
                   {"settings", p->settings()}});
      rows.push_back({i.name, std::to_string(i.version), needs.empty() ? "-" : needs, i.description});
    }
    emit(j, format_table({"proxy", "v", "needs", "description"}, rows));
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
