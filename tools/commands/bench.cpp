// `zcnas bench import` (benchmark tables -> database), `zcnas bench query` and
// `zcnas bench merge` (scores and feature records of other database files -> this one).
#include <chrono>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli_common.hpp"
#include "zcnas/common/progress.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/benchdb/import.hpp"
#include "zcnas/benchdb/merge.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {

using benchdb::Database;

nlohmann::json num_or_null(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// Fills archs.canonical / struct_hash for every space that zcnas has registered.
nlohmann::json fill_canonical_forms(Database& db) {
  nlohmann::json out = nlohmann::json::object();
  const auto registered = spaces::space_names();
  for (const auto& name : db.spaces()) {
    if (std::find(registered.begin(), registered.end(), name) == registered.end()) continue;
    const auto& space = spaces::get_space(name);
    std::int64_t failed = 0;
    std::string first_error;
    const auto changed = db.fill_canonical(name, [&](const std::string& key) -> std::optional<benchdb::ArchForms> {
      try {
        const std::string c = space.canonical(key);
        return benchdb::ArchForms{c, space.structural_hash(c)};
      } catch (const Error& e) {
        if (failed++ == 0) first_error = e.what();
        return std::nullopt;
      }
    });
    out[name] = {{"changed", changed}, {"failed", failed}};
    if (failed) spdlog::warn("{}: {} benchmark keys not accepted by the space (first: {})", name, failed, first_error);
  }
  return out;
}

void run_import(const std::string& from_opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string dir = from_opt.empty() ? default_benchdata_dir() : from_opt;
  if (dir.empty())
    throw Error("benchmark data folder", "not found (no ../shared/benchdata here and ZCNAS_BENCHDATA unset)",
                "pass --from DIR or run from the repository root");
  const std::string path = database_path();
  auto db = Database::open(path);
  const bool tty = !globals().json && Progress::stderr_is_terminal();
  auto report = benchdb::import_benchdata(db, dir, [&](const std::string& file, std::size_t done, std::size_t total) {
    // One progress line, rewritten in place on a terminal; plain lines otherwise.
    const std::string line = "importing: " + (file == "writing" ? std::string("writing database") : file) + " (" +
                             std::to_string(done) + "/" + std::to_string(total) + ")";
    if (tty) std::cerr << "\r\033[K" << line << std::flush;
    else if (globals().verbose) std::cerr << line << "\n";
  });
  if (tty) std::cerr << "\r\033[K" << std::flush;
  const auto canon = fill_canonical_forms(db);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::json j = {{"database", path},       {"from", dir},          {"changed", report.changed},
                      {"seconds", seconds},     {"parse_seconds", report.parse_seconds},
                      {"write_seconds", report.write_seconds},        {"canonical", canon}};
  j["files"] = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : report.files) {
    j["files"].push_back({{"file", f.file}, {"space", f.space}, {"archs", f.archs}, {"truth_rows", f.truth_rows},
                          {"score_rows", f.score_rows}});
    rows.push_back({f.file, f.space, std::to_string(f.archs), std::to_string(f.truth_rows), std::to_string(f.score_rows)});
  }
  j["quirks"] = report.quirks;
  std::string human = format_table({"file", "space", "archs", "truth rows", "score rows"}, rows);
  human += "\nquirks (imported as missing / separate sources, not rejected):\n";
  std::vector<std::vector<std::string>> qrows;
  for (const auto& [q, n] : report.quirks) qrows.push_back({std::to_string(n), q});
  human += format_table({"count", "quirk"}, qrows);
  for (const auto& [space, c] : canon.items())
    human += "\ncanonical forms (" + space + "): " + std::to_string(c["changed"].get<std::int64_t>()) + " set";
  if (!canon.empty()) human += "\n";
  human += "\n" + (report.changed == 0 ? std::string("database already up to date: nothing changed")
                                       : std::to_string(report.changed) + " rows inserted or changed") +
           " (" + path + ") in " + fmt_num(seconds, 2) + " s (parse " + fmt_num(report.parse_seconds, 2) + " s, write " +
           fmt_num(report.write_seconds, 2) + " s)\n";
  emit(j, human);
}

void run_query(const std::string& space_opt, const std::string& arch, const std::string& dataset_opt) {
  auto db = Database::open(database_path(), benchdb::OpenMode::ReadOnly);
  const std::string space = resolve_space(db, space_opt);
  const auto info = lookup_arch(db, space, arch);
  const std::string dataset = dataset_opt.empty() ? "" : resolve_dataset(db, space, dataset_opt);
  auto truth = db.arch_truth(space, info.key);
  if (!dataset.empty())
    std::erase_if(truth, [&](const benchdb::TruthRow& t) { return t.dataset != dataset; });
  const auto scores = db.arch_scores(space, info.key, dataset);

  nlohmann::json j = {{"space", space}, {"key", info.key}};
  j["canonical"] = info.canonical ? nlohmann::json(*info.canonical) : nlohmann::json(nullptr);
  j["encoding"] = info.encoding ? nlohmann::json(*info.encoding) : nlohmann::json(nullptr);
  j["truth"] = nlohmann::json::array();
  std::vector<std::vector<std::string>> trows, srows;
  for (const auto& t : truth) {
    j["truth"].push_back({{"dataset", t.dataset}, {"metric", t.metric}, {"source", t.source},
                          {"value", num_or_null(t.value)}, {"status", t.status}, {"higher_is_better", t.higher_is_better}});
    trows.push_back({t.dataset, t.metric, t.source, t.value ? fmt_num(*t.value, 4) : "-", t.status});
  }
  j["scores"] = nlohmann::json::array();
  for (const auto& s : scores) {
    j["scores"].push_back({{"dataset", s.dataset}, {"source", s.prov.source}, {"proxy", s.prov.proxy},
                           {"proxy_version", s.prov.proxy_version}, {"settings", nlohmann::json::parse(s.prov.settings)},
                           {"seed", s.prov.seed}, {"batch_size", s.prov.batch_size}, {"device", s.prov.device},
                           {"value", num_or_null(s.value)}, {"status", s.status}, {"seconds", s.seconds}});
    srows.push_back({s.dataset, s.prov.source + ":" + s.prov.proxy, s.value ? fmt_num(*s.value, 6) : "-", s.status,
                     fmt_num(s.seconds, 3), std::to_string(s.prov.batch_size), s.prov.device});
  }
  std::string human = space + " " + info.key + (info.canonical ? "  " + *info.canonical : info.encoding ? "  " + *info.encoding : "") +
                      "\n\nground truth:\n" + format_table({"dataset", "metric", "source", "value", "status"}, trows) +
                      "\nscores:\n" +
                      (srows.empty() ? std::string("(none stored)\n")
                                     : format_table({"dataset", "proxy", "value", "status", "seconds", "batch", "device"}, srows));
  emit(j, human);
}

void run_merge(const std::vector<std::string>& files, const std::string& source_opt) {
  const std::string path = database_path();
  auto db = Database::open(path);
  const std::string source = source_opt == "all" ? "" : source_opt;
  nlohmann::json j = {{"database", path}, {"source", source_opt}, {"files", nlohmann::json::array()}};
  std::vector<std::vector<std::string>> rows;
  std::int64_t read = 0, changed = 0, feat_read = 0, feat_changed = 0;
  for (const auto& f : files) {
    const auto r = benchdb::merge_cache(db, f, source);
    read += r.rows_read;
    changed += r.rows_changed;
    feat_read += r.feature_rows_read;
    feat_changed += r.feature_rows_changed;
    j["files"].push_back({{"file", f}, {"rows_read", r.rows_read}, {"rows_changed", r.rows_changed}, {"series", r.series},
                          {"feature_rows_read", r.feature_rows_read}, {"feature_rows_changed", r.feature_rows_changed},
                          {"feature_series", r.feature_series}});
    for (const auto& [series, n] : r.series) rows.push_back({f, series, std::to_string(n)});
    for (const auto& [series, n] : r.feature_series) rows.push_back({f, series, std::to_string(n)});
  }
  j["rows_read"] = read;
  j["rows_changed"] = changed;
  j["feature_rows_read"] = feat_read;
  j["feature_rows_changed"] = feat_changed;
  std::string human = rows.empty() ? std::string("no score rows with source '" + source_opt + "' and no feature records in the given files\n")
                                   : format_table({"file", "space/dataset/source:proxy", "rows"}, rows);
  human += std::to_string(read) + " score rows read, " + std::to_string(changed) + " inserted or changed; " +
           std::to_string(feat_read) + " feature records read, " + std::to_string(feat_changed) + " inserted or changed (" + path + ")\n";
  emit(j, human);
}

void setup(CLI::App& root) {
  auto* cmd = root.add_subcommand("bench", "benchmark tables: import them into the database and query them");
  cmd->require_subcommand(1);
  cmd->fallthrough();  // global options after the subcommand go to the root app

  auto* imp = cmd->add_subcommand("import", "import every table of the benchmark data folder (idempotent)");
  imp->fallthrough();
  static std::string from;
  imp->add_option("--from", from, "benchmark data folder (default: ../shared/benchdata or $ZCNAS_BENCHDATA)");
  imp->callback([] { run_import(from); });

  auto* q = cmd->add_subcommand("query", "ground truth and cached scores of one architecture");
  q->fallthrough();
  static std::string space, arch, dataset;
  q->add_option("--space", space, "search space (nb201, tnb101_micro, nb101, darts, flexibert, gpt, autoformer)")->required();
  q->add_option("--arch", arch, "architecture in any encoding of the space (docs/cli.md)")->required();
  q->add_option("--dataset", dataset, "only this data set / task (case-insensitive)");
  q->callback([] { run_query(space, arch, dataset); });

  auto* m = cmd->add_subcommand("merge",
                                "copy the scores and feature records of other zcnas database files into this one (e.g. one file per GPU "
                                "of a sharded score-space run), provenance unchanged; one transaction per file");
  m->fallthrough();
  static std::vector<std::string> merge_files;
  static std::string merge_source = "zcnas";
  m->add_option("files", merge_files, "database files to merge from (opened read-only)")->required()->check(CLI::ExistingFile);
  m->add_option("--source", merge_source, "only scores of this source (default zcnas: computed ones); 'all' for every source");
  m->callback([] { run_merge(merge_files, merge_source); });
}
ZCNAS_COMMAND(setup);

}  // namespace
}  // namespace zcnas::cli
