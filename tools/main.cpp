// zcnas: training-free neural architecture search. See README.md and docs/cli.md.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli_common.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/predictors/predictor.hpp"

int main(int argc, char** argv) {
  // Logs always go to stderr so --json output on stdout stays clean.
  spdlog::set_default_logger(spdlog::stderr_color_mt("zcnas"));
  spdlog::set_pattern("[%^%l%$] %v");

  CLI::App app{"zcnas: rank neural architectures without training them (zero-cost proxies, NAS benchmarks).",
               "zcnas"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "zcnas 0.1.0");
  zcnas::cli::add_global_options(app);
  zcnas::predictors::register_predictor_proxies();  // `predictor:<file>` wherever a proxy name goes
  for (auto& setup : zcnas::cli::command_setups()) setup(app);
  // Global options also after the subcommand: `zcnas correlate ... --json`.
  app.fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const zcnas::Error& e) {
    std::cerr << "zcnas: error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "zcnas: error: " << e.what() << std::endl;
    return 3;
  }
  return 0;
}
