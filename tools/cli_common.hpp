#pragma once
// Shared pieces of the `zcnas` CLI: global options, the subcommand registry,
// and output helpers. Each subcommand lives in commands/<name>.cpp and adds
// itself with ZCNAS_COMMAND(setup_function).
#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zcnas::benchdb {
class Database;
struct ArchInfo;
}  // namespace zcnas::benchdb

namespace zcnas::cli {

struct GlobalOptions {
  std::string db;            // --db (empty: ZCNAS_DB, config, default path)
  bool json = false;         // --json: machine output on stdout, logs on stderr
  int threads = 0;           // --threads (0: all cores)
  std::uint64_t seed = 0;    // --seed
  bool seed_set = false;
  bool verbose = false;
};

GlobalOptions& globals();

// Resolved database path: --db > ZCNAS_DB > config `database:` (passed in) > default
// ~/.local/share/zcnas/zcnas.db (XDG_DATA_HOME respected).
std::string database_path(const std::string& config_database = {});

// Repository-relative default for the benchmark data (../shared/benchdata), with
// ZCNAS_BENCHDATA overriding; empty when none is found.
std::string default_benchdata_dir();

// Adds the global options to an app or subcommand (so they work before or after it).
void add_global_options(CLI::App& app);

using Setup = std::function<void(CLI::App& root)>;
struct CommandRegistrar {
  explicit CommandRegistrar(Setup s);
};
std::vector<Setup>& command_setups();

// Ctrl-C for long commands: while a guard lives, the first SIGINT only sets the
// flag (the command finishes the chunk in flight, stores it and reports that it was
// interrupted; nothing computed is lost); a second SIGINT ends the process at once.
class SigintGuard {
 public:
  SigintGuard();
  ~SigintGuard();
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;
  static bool stop_requested();
  static std::atomic<bool>* flag();
};

// oneTBB workers scoring candidates: --threads on the CPU (0 = all cores); on a GPU
// one unless --threads N asks for more (the GPU then takes kernels from N threads,
// which pays when per-op launch overhead, not arithmetic, dominates: small networks).
int candidate_workers(bool cuda);

// Output: JSON to stdout when --json, otherwise the readable text.
void emit(const nlohmann::json& j, const std::string& human);

// A simple aligned text table for human output.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
std::string fmt_num(double v, int precision = 4);

// ---- names and architectures (shared by bench query, correlate, score) --------
// A space known to zcnas (registered) or present in the database; case-insensitive.
// Throws zcnas::Error listing the known spaces.
std::string resolve_space(benchdb::Database& db, const std::string& name);
// A data set / task of the space (database or registered space); case-insensitive.
std::string resolve_dataset(benchdb::Database& db, const std::string& space, const std::string& name);
// Finds the stored arch for any documented encoding (docs/cli.md "--arch"): the
// registered space's canonical()/benchmark_key() first, then the benchmark key,
// the imported encoding (arch_str, transformer JSON), tuples and genotypes.
benchdb::ArchInfo lookup_arch(benchdb::Database& db, const std::string& space, const std::string& arch);

}  // namespace zcnas::cli

#define ZCNAS_CLI_CONCAT2(a, b) a##b
#define ZCNAS_CLI_CONCAT(a, b) ZCNAS_CLI_CONCAT2(a, b)
#define ZCNAS_COMMAND(fn) static ::zcnas::cli::CommandRegistrar ZCNAS_CLI_CONCAT(zcnas_cmd_, __LINE__)(fn)
