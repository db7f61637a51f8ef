#include "cli_common.hpp"

#include <csignal>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include "zcnas/benchdb/database.hpp"
#include "zcnas/benchdb/encoding.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {

GlobalOptions& globals() {
  static GlobalOptions g;
  return g;
}

namespace {
std::atomic<bool> g_sigint{false};
extern "C" void on_sigint(int) {
  g_sigint.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}
}  // namespace

SigintGuard::SigintGuard() {
  g_sigint.store(false);
  std::signal(SIGINT, on_sigint);
}
SigintGuard::~SigintGuard() { std::signal(SIGINT, SIG_DFL); }
bool SigintGuard::stop_requested() { return g_sigint.load(); }
std::atomic<bool>* SigintGuard::flag() { return &g_sigint; }

int candidate_workers(bool cuda) {
  if (cuda) return globals().threads > 0 ? globals().threads : 1;
  return globals().threads;
}

std::vector<Setup>& command_setups() {
  static std::vector<Setup> s;
  return s;
}

CommandRegistrar::CommandRegistrar(Setup s) { command_setups().push_back(std::move(s)); }

std::string database_path(const std::string& config_database) {
  if (!globals().db.empty()) return globals().db;
  if (const char* e = std::getenv("ZCNAS_DB"); e && *e) return e;
  if (!config_database.empty()) return config_database;
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = std::filesystem::path(h) / ".local" / "share";
  else
    base = ".";
  return (base / "zcnas" / "zcnas.db").string();
}

std::string default_benchdata_dir() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("ZCNAS_BENCHDATA"); e && *e) return e;
  // From the repo root or a build folder inside it.
  for (fs::path p : {fs::path("../shared/benchdata"), fs::path("../../shared/benchdata"), fs::path("../../../shared/benchdata")})
    if (fs::exists(p / "README.md")) return fs::weakly_canonical(p).string();
#ifdef ZCNAS_SOURCE_DIR
  fs::path src(ZCNAS_SOURCE_DIR);
  if (fs::exists(src / ".." / "shared" / "benchdata")) return fs::weakly_canonical(src / ".." / "shared" / "benchdata").string();
#endif
  return {};
}

void add_global_options(CLI::App& app) {
  auto& g = globals();
  app.add_option("--db", g.db, "SQLite database file (default: $ZCNAS_DB, else ~/.local/share/zcnas/zcnas.db)");
  app.add_flag("--json", g.json, "machine-readable JSON on stdout (logs go to stderr)");
  app.add_option("--threads", g.threads, "worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option_function<std::uint64_t>(
      "--seed", [&g](const std::uint64_t& s) { g.seed = s; g.seed_set = true; }, "random seed (default 0)");
  app.add_flag("-v,--verbose", g.verbose, "more log output on stderr");
}

void emit(const nlohmann::json& j, const std::string& human) {
  if (globals().json)
    std::cout << j.dump(2) << std::endl;
  else
    std::cout << human << std::flush;
}

std::string fmt_num(double v, int precision) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) w[c] = header[c].size();
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (std::size_t c = 0; c < w.size(); ++c) {
      std::string cell = c < r.size() ? r[c] : "";
      s += (c ? "  " : "") + cell + std::string(w[c] - cell.size(), ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header);
  std::size_t total = 0;
  for (auto x : w) total += x;
  out += std::string(total + 2 * (w.size() - 1), '-') + "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace zcnas::cli

// ---- names and architectures ----------------------------------------------------

namespace zcnas::cli {
namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "(none)" : out;
}
bool registered(const std::string& space) {
  const auto names = spaces::space_names();
  return std::find(names.begin(), names.end(), space) != names.end();
}
}  // namespace

std::string resolve_space(benchdb::Database& db, const std::string& name) {
  std::vector<std::string> known = spaces::space_names();
  for (const auto& s : db.spaces())
    if (std::find(known.begin(), known.end(), s) == known.end()) known.push_back(s);
  std::sort(known.begin(), known.end());
  for (const auto& s : known)
    if (lower(s) == lower(name)) return s;
  throw Error("space '" + name + "'", "unknown space", "known: " + join(known) + " (run `zcnas bench import` to add the benchmark spaces)");
}

std::string resolve_dataset(benchdb::Database& db, const std::string& space, const std::string& name) {
  std::vector<std::string> known = db.datasets(space);
  if (registered(space))
    for (const auto& d : spaces::get_space(space).datasets())
      if (std::find(known.begin(), known.end(), d) == known.end()) known.push_back(d);
  for (const auto& d : known)
    if (lower(d) == lower(name)) return d;
  throw Error("dataset '" + name + "'", "unknown data set for space " + space, "known: " + join(known));
}

benchdb::ArchInfo lookup_arch(benchdb::Database& db, const std::string& space, const std::string& arch) {
  const std::string input = "arch '" + arch + "'";
  std::string space_error;
  if (registered(space)) {
    const auto& sp = spaces::get_space(space);
    try {
      const std::string canonical = sp.canonical(arch);
      const std::string key = sp.benchmark_key(canonical);
      if (auto a = db.arch(space, key)) return *a;
      throw Error(input, "valid " + space + " architecture (key " + key + ") but not in database " + db.path(),
                  "run `zcnas bench import`, or score it with `zcnas score`");
    } catch (const Error& e) {
      if (e.problem().find("not in database") != std::string::npos) throw;
      space_error = e.what();  // try the benchmark's own encodings below
    }
  }
  if (auto a = db.arch(space, arch)) return *a;
  if (auto a = db.arch_by_encoding(space, arch)) return *a;
  try {
    std::string key;
    if (space == "nb201") key = benchdb::digits_from_tuple(arch, 6, 4, input);
    else if (space == "tnb101_micro") key = benchdb::digits_from_tuple(arch, 6, 3, input);
    else if (space == "nb101") key = benchdb::nb101_key_from_tuple(arch, input);
    else if (space == "darts") key = normalize_whitespace(arch);
    if (!key.empty())
      if (auto a = db.arch(space, key)) return *a;
    if (benchdb::is_transformer_space(space))
      if (auto a = db.arch_by_encoding(space, benchdb::transformer_encoding(space, arch, input))) return *a;
  } catch (const Error& e) {
    if (space_error.empty()) space_error = e.what();
  }
  throw Error(input, "no " + space + " architecture in the database matches it" + (space_error.empty() ? "" : " (" + space_error + ")"),
              "see docs/cli.md for the encodings of --arch; run `zcnas bench import` if the database is empty");
}

}  // namespace zcnas::cli
