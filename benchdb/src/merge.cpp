// merge_cache: see merge.hpp. Built on the public Database API only (read the
// series of the other file, put_scores them here), so the upsert and provenance
// rules are exactly those of a locally computed score.
#include "zcnas/benchdb/merge.hpp"

#include <filesystem>
#include <system_error>

#include "zcnas/common/error.hpp"

namespace zcnas::benchdb {

namespace {
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}
}  // namespace

MergeReport merge_cache(Database& into, const std::string& from_path, std::string_view source) {
  if (same_file(into.path(), from_path))
    throw Error(from_path, "is the target database itself", "merge another database file into this one");
  auto from = Database::open(from_path, OpenMode::ReadOnly);
  if (from.schema_version() != into.schema_version())
    throw Error(from_path,
                "has schema version " + std::to_string(from.schema_version()) + ", the target has " +
                    std::to_string(into.schema_version()),
                "open both once read-write with this zcnas (e.g. `zcnas bench import --db FILE`) to migrate them");
  MergeReport report;
  report.from = from_path;
  into.transaction([&] {  // all or nothing: an interrupted merge leaves the target as it was
    for (const auto& space : from.spaces()) {
      for (const auto& dataset : from.datasets(space)) {
        for (const auto& sp : from.stored_proxies(space, dataset)) {
          if (!source.empty() && sp.source != source) continue;
          auto rows = from.scores(space, dataset, sp.source, sp.proxy);
          if (rows.empty()) continue;
          for (auto& r : rows) r.run_id.reset();
          report.rows_read += static_cast<std::int64_t>(rows.size());
          report.series[space + "/" + dataset + "/" + sp.source + ":" + sp.proxy] += static_cast<std::int64_t>(rows.size());
          report.rows_changed += into.put_scores(rows);
        }
      }
      for (const auto& fs : from.stored_features(space)) {
        auto rows = from.features(space, fs.dataset, fs.prov);
        for (auto& r : rows) r.run_id.reset();
        report.feature_rows_read += static_cast<std::int64_t>(rows.size());
        report.feature_series[space + "/" + fs.dataset + "/features:" + fs.prov.kind] += static_cast<std::int64_t>(rows.size());
        report.feature_rows_changed += into.put_features(rows);
      }
    }
  });
  return report;
}

}  // namespace zcnas::benchdb
