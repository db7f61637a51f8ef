// The score cache: proxy scores keyed by arch, dataset and full provenance.
#include <cmath>

#include "db_impl.hpp"

namespace zcnas::benchdb {

namespace {
constexpr const char* kScoreColumns =
    "a.space, a.key, s.dataset, s.source, s.proxy, s.proxy_version, s.settings, s.seed, s.batch_size, s.device, "
    "s.value, s.status, s.seconds, s.run_id";

ScoreRow read_score(SQLite::Statement& s) {
  ScoreRow r;
  r.space = s.getColumn(0).getString();
  r.arch_key = s.getColumn(1).getString();
  r.dataset = s.getColumn(2).getString();
  r.prov.source = s.getColumn(3).getString();
  r.prov.proxy = s.getColumn(4).getString();
  r.prov.proxy_version = s.getColumn(5).getInt();
  r.prov.settings = s.getColumn(6).getString();
  r.prov.seed = static_cast<std::uint64_t>(s.getColumn(7).getInt64());  // stored as the same 64 bits
  r.prov.batch_size = s.getColumn(8).getInt();
  r.prov.device = s.getColumn(9).getString();
  if (!s.getColumn(10).isNull()) r.value = s.getColumn(10).getDouble();
  r.status = s.getColumn(11).getString();
  r.seconds = s.getColumn(12).getDouble();
  if (!s.getColumn(13).isNull()) r.run_id = s.getColumn(13).getInt64();
  return r;
}
}  // namespace

std::int64_t Database::put_scores(const std::vector<ScoreRow>& rows) {
  std::int64_t changed = 0;
  transaction([&] {
    for (const auto& r : rows) {
      if (r.space.empty() || r.arch_key.empty() || r.prov.proxy.empty() || r.prov.source.empty())
        throw Error("score row (space '" + r.space + "', arch '" + r.arch_key + "', proxy '" + r.prov.source + ":" +
                        r.prov.proxy + "')",
                    "space, arch key, source and proxy must be non-empty", "fill them in before put_scores");
      const std::int64_t id = impl_->arch_id(r.space, r.arch_key, true);
      const std::string settings = normalize_settings(r.prov.settings);
      std::optional<double> value = r.value;
      std::string status = r.status.empty() ? "ok" : r.status;
      if (value && std::isnan(*value)) value.reset(), status = "nan";
      else if (value && std::isinf(*value)) value.reset(), status = "inf";
      if (!value && status == "ok") status = "missing";
      if (value && status != "ok") value.reset();  // a failed score carries no number
      // Plain locals: GCC 12 warns (-Wmaybe-uninitialized) about optional<double> in the lambda.
      const bool has_value = value.has_value();
      const double number = has_value ? *value : 0.0;
      changed += impl_->guard("store score", [&] {
        auto& s = impl_->stmt(
            "INSERT INTO scores(arch_id, dataset, source, proxy, proxy_version, settings, seed, batch_size, device, "
            "value, status, seconds, run_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
            "ON CONFLICT(arch_id, dataset, source, proxy, proxy_version, settings, seed, batch_size, device) "
            "DO UPDATE SET value = excluded.value, status = excluded.status, seconds = excluded.seconds, "
            "run_id = excluded.run_id WHERE scores.value IS NOT excluded.value OR scores.status IS NOT excluded.status "
            "OR scores.seconds IS NOT excluded.seconds OR scores.run_id IS NOT excluded.run_id");
        s.bind(1, static_cast<std::int64_t>(id));
        s.bind(2, r.dataset);
        s.bind(3, r.prov.source);
        s.bind(4, r.prov.proxy);
        s.bind(5, r.prov.proxy_version);
        s.bind(6, settings);
        s.bind(7, static_cast<std::int64_t>(r.prov.seed));
        s.bind(8, r.prov.batch_size);
        s.bind(9, r.prov.device);
        if (has_value) s.bind(10, number); else s.bind(10);
        s.bind(11, status);
        s.bind(12, std::isfinite(r.seconds) ? r.seconds : 0.0);
        if (r.run_id) s.bind(13, static_cast<std::int64_t>(*r.run_id)); else s.bind(13);
        const int n = s.exec();
        s.reset();
        return static_cast<std::int64_t>(n);
      });
    }
  });
  return changed;
}

std::optional<ScoreRow> Database::find_score(std::string_view space, std::string_view key, std::string_view dataset,
                                             const Provenance& prov) {
  const std::string settings = normalize_settings(prov.settings);
  return impl_->guard("score lookup", [&]() -> std::optional<ScoreRow> {
    auto& s = impl_->stmt(std::string("SELECT ") + kScoreColumns +
                          " FROM scores s JOIN archs a ON a.id = s.arch_id WHERE a.space = ?1 AND a.key = ?2 AND "
                          "s.dataset = ?3 AND s.source = ?4 AND s.proxy = ?5 AND s.proxy_version = ?6 AND "
                          "s.settings = ?7 AND s.seed = ?8 AND s.batch_size = ?9 AND s.device = ?10");
    s.bind(1, std::string(space));
    s.bind(2, std::string(key));
    s.bind(3, std::string(dataset));
    s.bind(4, prov.source);
    s.bind(5, prov.proxy);
    s.bind(6, prov.proxy_version);
    s.bind(7, settings);
    s.bind(8, static_cast<std::int64_t>(prov.seed));
    s.bind(9, prov.batch_size);
    s.bind(10, prov.device);
    std::optional<ScoreRow> out;
    if (s.executeStep()) out = read_score(s);
    s.reset();
    return out;
  });
}

std::vector<StoredProxy> Database::stored_proxies(std::string_view space, std::string_view dataset) {
  return impl_->guard("list proxies", [&] {
    std::vector<StoredProxy> out;
    SQLite::Statement s(*impl_->db,
                        "SELECT s.source, s.proxy, count(*) FROM scores s JOIN archs a ON a.id = s.arch_id "
                        "WHERE a.space = ?1 AND (?2 = '' OR s.dataset = ?2) GROUP BY s.source, s.proxy "
                        "ORDER BY s.source, s.proxy");
    s.bind(1, std::string(space));
    s.bind(2, std::string(dataset));
    while (s.executeStep())
      out.push_back({s.getColumn(0).getString(), s.getColumn(1).getString(), s.getColumn(2).getInt64()});
    return out;
  });
}

std::vector<std::string> Database::datasets(std::string_view space) {
  return impl_->guard("list datasets", [&] {
    std::vector<std::string> out;
    SQLite::Statement s(*impl_->db,
                        "SELECT dataset FROM truth t JOIN archs a ON a.id = t.arch_id WHERE a.space = ?1 UNION "
                        "SELECT dataset FROM scores s JOIN archs a ON a.id = s.arch_id WHERE a.space = ?1 ORDER BY 1");
    s.bind(1, std::string(space));
    while (s.executeStep()) out.push_back(s.getColumn(0).getString());
    return out;
  });
}

std::vector<ScoreRow> Database::scores(std::string_view space, std::string_view dataset, std::string_view source,
                                       std::string_view proxy) {
  return impl_->guard("list scores", [&] {
    std::vector<ScoreRow> out;
    SQLite::Statement s(*impl_->db, std::string("SELECT ") + kScoreColumns +
                                        " FROM scores s JOIN archs a ON a.id = s.arch_id WHERE a.space = ?1 AND "
                                        "s.dataset = ?2 AND s.source = ?3 AND s.proxy = ?4 ORDER BY a.key, s.id");
    s.bind(1, std::string(space));
    s.bind(2, std::string(dataset));
    s.bind(3, std::string(source));
    s.bind(4, std::string(proxy));
    while (s.executeStep()) out.push_back(read_score(s));
    return out;
  });
}

std::vector<ScoreRow> Database::arch_scores(std::string_view space, std::string_view key, std::string_view dataset) {
  return impl_->guard("list scores", [&] {
    std::vector<ScoreRow> out;
    SQLite::Statement s(*impl_->db, std::string("SELECT ") + kScoreColumns +
                                        " FROM scores s JOIN archs a ON a.id = s.arch_id WHERE a.space = ?1 AND "
                                        "a.key = ?2 AND (?3 = '' OR s.dataset = ?3) "
                                        "ORDER BY s.dataset, s.source, s.proxy, s.id");
    s.bind(1, std::string(space));
    s.bind(2, std::string(key));
    s.bind(3, std::string(dataset));
    while (s.executeStep()) out.push_back(read_score(s));
    return out;
  });
}

}  // namespace zcnas::benchdb
