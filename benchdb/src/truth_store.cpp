// Benchmark ground truth: one value per (arch, dataset, metric, source).
#include <cmath>

#include "db_impl.hpp"

namespace zcnas::benchdb {

namespace {
constexpr const char* kTruthColumns =
    "a.space, a.key, t.dataset, t.metric, t.source, t.value, t.higher_is_better, t.status";

TruthRow read_truth(SQLite::Statement& s) {
  TruthRow r;
  r.space = s.getColumn(0).getString();
  r.arch_key = s.getColumn(1).getString();
  r.dataset = s.getColumn(2).getString();
  r.metric = s.getColumn(3).getString();
  r.source = s.getColumn(4).getString();
  if (!s.getColumn(5).isNull()) r.value = s.getColumn(5).getDouble();
  r.higher_is_better = s.getColumn(6).getInt() != 0;
  r.status = s.getColumn(7).getString();
  return r;
}
}  // namespace

std::int64_t Database::put_truth(const std::vector<TruthRow>& rows) {
  std::int64_t changed = 0;
  transaction([&] {
    for (const auto& r : rows) {
      if (r.space.empty() || r.arch_key.empty() || r.dataset.empty() || r.metric.empty() || r.source.empty())
        throw Error("ground-truth row (space '" + r.space + "', arch '" + r.arch_key + "')",
                    "space, arch key, dataset, metric and source must be non-empty", "fill them in before put_truth");
      const std::int64_t id = impl_->arch_id(r.space, r.arch_key, true);
      std::optional<double> value = r.value;
      std::string status = r.status.empty() ? "ok" : r.status;
      if (value && !std::isfinite(*value)) value.reset(), status = std::isnan(*r.value) ? "nan" : "inf";
      if (!value && status == "ok") status = "missing";
      if (value && status != "ok") value.reset();
      // Plain locals: GCC 12 warns (-Wmaybe-uninitialized) about optional<double> in the lambda.
      const bool has_value = value.has_value();
      const double number = has_value ? *value : 0.0;
      changed += impl_->guard("store ground truth", [&] {
        auto& s = impl_->stmt(
            "INSERT INTO truth(arch_id, dataset, metric, source, value, higher_is_better, status) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(arch_id, dataset, metric, source) DO UPDATE SET "
            "value = excluded.value, higher_is_better = excluded.higher_is_better, status = excluded.status "
            "WHERE truth.value IS NOT excluded.value OR truth.higher_is_better IS NOT excluded.higher_is_better "
            "OR truth.status IS NOT excluded.status");
        s.bind(1, static_cast<std::int64_t>(id));
        s.bind(2, r.dataset);
        s.bind(3, r.metric);
        s.bind(4, r.source);
        if (has_value) s.bind(5, number); else s.bind(5);
        s.bind(6, r.higher_is_better ? 1 : 0);
        s.bind(7, status);
        const int n = s.exec();
        s.reset();
        return static_cast<std::int64_t>(n);
      });
    }
  });
  return changed;
}

std::vector<StoredTruth> Database::truth_series(std::string_view space) {
  return impl_->guard("list ground truth", [&] {
    std::vector<StoredTruth> out;
    SQLite::Statement s(*impl_->db,
                        "SELECT t.dataset, t.metric, t.source, max(t.higher_is_better), count(*) FROM truth t "
                        "JOIN archs a ON a.id = t.arch_id WHERE a.space = ?1 GROUP BY t.dataset, t.metric, t.source "
                        "ORDER BY t.dataset, t.source, t.metric");
    s.bind(1, std::string(space));
    while (s.executeStep())
      out.push_back({s.getColumn(0).getString(), s.getColumn(1).getString(), s.getColumn(2).getString(),
                     s.getColumn(3).getInt() != 0, s.getColumn(4).getInt64()});
    return out;
  });
}

std::vector<TruthRow> Database::truth(std::string_view space, std::string_view dataset, std::string_view metric,
                                      std::string_view source) {
  return impl_->guard("list ground truth", [&] {
    std::vector<TruthRow> out;
    SQLite::Statement s(*impl_->db, std::string("SELECT ") + kTruthColumns +
                                        " FROM truth t JOIN archs a ON a.id = t.arch_id WHERE a.space = ?1 AND "
                                        "t.dataset = ?2 AND (?3 = '' OR t.metric = ?3) AND (?4 = '' OR t.source = ?4) "
                                        "ORDER BY a.key, t.source, t.metric");
    s.bind(1, std::string(space));
    s.bind(2, std::string(dataset));
    s.bind(3, std::string(metric));
    s.bind(4, std::string(source));
    while (s.executeStep()) out.push_back(read_truth(s));
    return out;
  });
}

std::vector<TruthRow> Database::arch_truth(std::string_view space, std::string_view key) {
  return impl_->guard("list ground truth", [&] {
    std::vector<TruthRow> out;
    SQLite::Statement s(*impl_->db, std::string("SELECT ") + kTruthColumns +
                                        " FROM truth t JOIN archs a ON a.id = t.arch_id WHERE a.space = ?1 AND "
                                        "a.key = ?2 ORDER BY t.dataset, t.source, t.metric");
    s.bind(1, std::string(space));
    s.bind(2, std::string(key));
    while (s.executeStep()) out.push_back(read_truth(s));
    return out;
  });
}

}  // namespace zcnas::benchdb
