// The feature cache: predictor inputs (e.g. ParZC node statistics) keyed by arch,
// dataset and full provenance, stored as JSON text (schema v2, docs/schema.md).
#include <cmath>

#include <nlohmann/json.hpp>

#include "db_impl.hpp"

namespace zcnas::benchdb {

namespace {
constexpr const char* kFeatureColumns =
    "a.space, a.key, f.dataset, f.kind, f.version, f.settings, f.seed, f.batch_size, f.device, f.data, f.seconds, f.run_id";

// The six provenance columns (kind, version, settings, seed, batch_size, device) from column `first` on.
FeatureProvenance read_prov(SQLite::Statement& s, int first) {
  FeatureProvenance p;
  p.kind = s.getColumn(first).getString();
  p.version = s.getColumn(first + 1).getInt();
  p.settings = s.getColumn(first + 2).getString();
  p.seed = static_cast<std::uint64_t>(s.getColumn(first + 3).getInt64());
  p.batch_size = s.getColumn(first + 4).getInt();
  p.device = s.getColumn(first + 5).getString();
  return p;
}

FeatureRow read_feature(SQLite::Statement& s) {
  FeatureRow r;
  r.space = s.getColumn(0).getString();
  r.arch_key = s.getColumn(1).getString();
  r.dataset = s.getColumn(2).getString();
  r.prov = read_prov(s, 3);
  r.data = s.getColumn(9).getString();
  r.seconds = s.getColumn(10).getDouble();
  if (!s.getColumn(11).isNull()) r.run_id = s.getColumn(11).getInt64();
  return r;
}
}  // namespace

std::int64_t Database::put_features(const std::vector<FeatureRow>& rows) {
  std::int64_t changed = 0;
  transaction([&] {
    for (const auto& r : rows) {
      const std::string who = "feature row (space '" + r.space + "', arch '" + r.arch_key + "', kind '" + r.prov.kind + "')";
      if (r.space.empty() || r.arch_key.empty() || r.prov.kind.empty())
        throw Error(who, "space, arch key and kind must be non-empty", "fill them in before put_features");
      if (!nlohmann::json::accept(r.data)) throw Error(who, "data is not valid JSON", "store a JSON document");
      const std::int64_t id = impl_->arch_id(r.space, r.arch_key, true);
      const std::string settings = normalize_settings(r.prov.settings);
      changed += impl_->guard("store features", [&] {
        auto& s = impl_->stmt(
            "INSERT INTO features(arch_id, dataset, kind, version, settings, seed, batch_size, device, data, seconds, "
            "run_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
            "ON CONFLICT(arch_id, dataset, kind, version, settings, seed, batch_size, device) "
            "DO UPDATE SET data = excluded.data, seconds = excluded.seconds, run_id = excluded.run_id "
            "WHERE features.data IS NOT excluded.data OR features.seconds IS NOT excluded.seconds "
            "OR features.run_id IS NOT excluded.run_id");
        s.bind(1, static_cast<std::int64_t>(id));
        s.bind(2, r.dataset);
        s.bind(3, r.prov.kind);
        s.bind(4, r.prov.version);
        s.bind(5, settings);
        s.bind(6, static_cast<std::int64_t>(r.prov.seed));
        s.bind(7, r.prov.batch_size);
        s.bind(8, r.prov.device);
        s.bind(9, r.data);
        s.bind(10, std::isfinite(r.seconds) ? r.seconds : 0.0);
        if (r.run_id) s.bind(11, static_cast<std::int64_t>(*r.run_id)); else s.bind(11);
        const int n = s.exec();
        s.reset();
        return static_cast<std::int64_t>(n);
      });
    }
  });
  return changed;
}

namespace {
void bind_prov(SQLite::Statement& s, const FeatureProvenance& prov, const std::string& settings, int first) {
  s.bind(first, prov.kind);
  s.bind(first + 1, prov.version);
  s.bind(first + 2, settings);
  s.bind(first + 3, static_cast<std::int64_t>(prov.seed));
  s.bind(first + 4, prov.batch_size);
  s.bind(first + 5, prov.device);
}
constexpr const char* kProvWhere =
    "f.kind = ?4 AND f.version = ?5 AND f.settings = ?6 AND f.seed = ?7 AND f.batch_size = ?8 AND f.device = ?9";
}  // namespace

std::optional<FeatureRow> Database::find_features(std::string_view space, std::string_view key, std::string_view dataset,
                                                  const FeatureProvenance& prov) {
  const std::string settings = normalize_settings(prov.settings);
  return impl_->guard("feature lookup", [&]() -> std::optional<FeatureRow> {
    auto& s = impl_->stmt(std::string("SELECT ") + kFeatureColumns +
                          " FROM features f JOIN archs a ON a.id = f.arch_id WHERE a.space = ?1 AND a.key = ?2 AND "
                          "f.dataset = ?3 AND " + kProvWhere);
    s.bind(1, std::string(space));
    s.bind(2, std::string(key));
    s.bind(3, std::string(dataset));
    bind_prov(s, prov, settings, 4);
    std::optional<FeatureRow> out;
    if (s.executeStep()) out = read_feature(s);
    s.reset();
    return out;
  });
}

std::vector<FeatureRow> Database::features(std::string_view space, std::string_view dataset, const FeatureProvenance& prov) {
  const std::string settings = normalize_settings(prov.settings);
  return impl_->guard("list features", [&] {
    SQLite::Statement s(*impl_->db, std::string("SELECT ") + kFeatureColumns +
                                        " FROM features f JOIN archs a ON a.id = f.arch_id WHERE a.space = ?1 AND "
                                        "f.dataset = ?3 AND " + kProvWhere + " ORDER BY a.key");
    s.bind(1, std::string(space));
    s.bind(3, std::string(dataset));
    bind_prov(s, prov, settings, 4);
    std::vector<FeatureRow> out;
    while (s.executeStep()) out.push_back(read_feature(s));
    return out;
  });
}

std::vector<StoredFeatures> Database::stored_features(std::string_view space) {
  return impl_->guard("list feature sets", [&] {
    SQLite::Statement s(*impl_->db,
                        "SELECT f.dataset, f.kind, f.version, f.settings, f.seed, f.batch_size, f.device, count(*) "
                        "FROM features f JOIN archs a ON a.id = f.arch_id WHERE a.space = ?1 "
                        "GROUP BY f.dataset, f.kind, f.version, f.settings, f.seed, f.batch_size, f.device "
                        "ORDER BY f.dataset, f.kind, f.version, f.settings, f.seed, f.batch_size, f.device");
    s.bind(1, std::string(space));
    std::vector<StoredFeatures> out;
    while (s.executeStep()) {
      StoredFeatures f;
      f.dataset = s.getColumn(0).getString();
      f.prov = read_prov(s, 1);
      f.rows = s.getColumn(7).getInt64();
      out.push_back(std::move(f));
    }
    return out;
  });
}

}  // namespace zcnas::benchdb
