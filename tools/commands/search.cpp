// `zcnas search --config C [--db F] [--output DIR] [--resume] [--json]`: run a
// search job (docs/config.md). Ctrl-C starts no new candidate; those in flight finish
// and are stored; `--resume` continues the run.
#include "cli_common.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/search/driver.hpp"

namespace zcnas::cli {
namespace {

struct SearchArgs {
  std::string config, output;
  bool resume = false, no_report = false;
};

void setup(CLI::App& root) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = root.add_subcommand("search", "run a search job from a YAML config (see docs/config.md, configs/)");
  cmd->add_option("-c,--config", args->config, "config file, e.g. configs/nb201_cifar10_quick.yaml")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "report directory (default: the config's `output:`)");
  cmd->add_flag("--resume", args->resume, "continue the latest unfinished run of the same config");
  cmd->add_flag("--no-report", args->no_report, "do not write the report directory");
  add_global_options(*cmd);
  cmd->callback([args] {
    auto cfg = search::load_config(args->config);
    search::RunOptions opt;
    opt.database = database_path(cfg.database);
    opt.resume = args->resume;
    opt.threads = globals().threads > 0 ? globals().threads : -1;
    opt.benchdata = default_benchdata_dir();
    opt.progress = true;  // drawn only when stderr is a terminal
    opt.stop = SigintGuard::flag();
    if (globals().seed_set) cfg.seed = globals().seed;
    search::SearchResult result;
    {
      SigintGuard sigint;
      result = search::run(cfg, opt);
    }
    std::vector<std::string> files;
    const std::string out = !args->output.empty() ? args->output : cfg.output;
    if (!args->no_report && !out.empty()) files = search::write_report(result, out);
    auto j = result.to_json();
    j["report_files"] = files;
    std::string human = search::format_summary(result);
    if (!files.empty()) human += "\n  report: " + out + "/ (candidates.csv, trajectory.csv, summary.json, plots)\n";
    emit(j, human);
    if (result.interrupted) throw Error("search " + cfg.name, "interrupted", "continue it with --resume");
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
