#include "cli_common.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace zcnas::cli {

GlobalOptions& globals() {
  static GlobalOptions g;
  return g;
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
