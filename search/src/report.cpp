// Search reports: JSON, readable summary, and the report directory (CSV + plots).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "zcnas/common/error.hpp"
#include "zcnas/search/driver.hpp"

namespace zcnas::search {
namespace {

std::string num(std::optional<double> v, int prec = 4) {
  if (!v) return "";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, *v);
  return b;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

nlohmann::json opt_json(std::optional<double> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json candidate_json(const CandidateRecord& r) {
  return {{"seq", r.seq},         {"arch", r.arch},     {"key", r.key},
          {"score", opt_json(r.score)}, {"proxies", r.proxies}, {"truth", opt_json(r.truth)},
          {"truth_percentile", opt_json(r.truth_percentile)}, {"queried", r.queried},
          {"status", r.status},   {"params", r.params}, {"flops", r.flops}, {"seconds", r.seconds},
          {"cache_hit", r.cache_hit}, {"shared_from", r.shared_from}};
}

}  // namespace

nlohmann::json SearchResult::to_json() const {
  nlohmann::json j;
  j["run_id"] = run_id;
  j["config"] = config.name;
  j["config_hash"] = config.config_hash();
  j["space"] = config.space;
  j["dataset"] = config.dataset;
  j["resumed"] = resumed;
  j["interrupted"] = interrupted;
  j["truth"] = truth_label;
  j["stats"] = {{"proposed", stats.proposed},     {"unique", stats.unique},       {"duplicates", stats.duplicates},
                {"cache_hits", stats.cache_hits}, {"computed", stats.computed},   {"failed", stats.failed},
                {"constraint_violations", stats.constraint_violations},          {"queries", stats.queries},
                {"nonfinite", stats.nonfinite},   {"seconds", stats.seconds},
                {"structural_duplicates", stats.structural_duplicates}, {"shared_scores", stats.shared_scores}};
  auto top_j = nlohmann::json::array();
  for (auto i : top) top_j.push_back(candidate_json(candidates[i]));
  j["top"] = top_j;
  auto traj = nlohmann::json::array();
  for (const auto& t : trajectory) traj.push_back({{"queries", t.queries}, {"candidates", t.candidates}, {"best_truth", t.best_truth}});
  j["trajectory"] = traj;
  j["best_truth"] = trajectory.empty() ? nlohmann::json(nullptr) : nlohmann::json(trajectory.back().best_truth);
  return j;
}

std::string format_summary(const SearchResult& r) {
  std::ostringstream os;
  const auto& s = r.stats;
  os << "run " << r.run_id << (r.resumed ? " (resumed)" : "") << (r.interrupted ? " (interrupted: resume with --resume)" : "")
     << ": " << r.config.name << " — " << r.config.space << "/" << r.config.dataset << ", strategy " << r.config.strategy
     << "\n";
  os << "  candidates: " << s.unique << " scored (" << s.cache_hits << " from cache, " << s.computed << " computed), "
     << s.duplicates << " duplicates skipped, " << s.failed << " failed, " << s.constraint_violations
     << " over constraints; " << s.queries << " ground-truth queries; " << num(s.seconds, 1) << " s\n";
  if (r.config.dedup.structural)
    os << "  structural dedup: " << s.structural_duplicates << " candidates had the structural hash of an earlier one; "
       << s.shared_scores << " proxy values shared instead of computed (not stored)\n";
  os << "\n  top " << r.top.size() << " by score";
  if (!r.truth_label.empty()) os << " (truth: " << r.truth_label << ")";
  os << "\n";
  os << "  rank  score       truth     pctl   params(M)  arch\n";
  int rank = 1;
  for (auto i : r.top) {
    const auto& c = r.candidates[i];
    char line[512];
    std::snprintf(line, sizeof line, "  %4d  %-10s  %-8s  %-5s  %-9s  %s\n", rank++, num(c.score, 4).c_str(),
                  num(c.truth, 2).c_str(), num(c.truth_percentile, 1).c_str(), num(c.params / 1e6, 3).c_str(),
                  c.arch.c_str());
    os << line;
  }
  if (!r.trajectory.empty())
    os << "\n  best ground truth found after " << r.trajectory.back().queries << " queries: "
       << num(r.trajectory.back().best_truth, 2) << "\n";
  return os.str();
}

std::vector<std::string> write_report(const SearchResult& r, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir, "cannot create the report directory: " + ec.message());
  std::vector<std::string> files;
  auto open = [&](const std::string& name) {
    auto path = (fs::path(dir) / name).string();
    std::ofstream f(path);
    if (!f) throw Error(path, "cannot write report file");
    files.push_back(path);
    return f;
  };
  {
    auto f = open("candidates.csv");
    f << "seq,arch,key,score,truth,truth_percentile,queried,status,params,flops,seconds,cache_hit,shared_from";
    std::vector<std::string> labels;
    for (const auto& p : r.config.proxies) labels.push_back(p.name), f << "," << csv_field(p.name);
    f << "\n";
    for (const auto& c : r.candidates) {
      f << c.seq << "," << csv_field(c.arch) << "," << csv_field(c.key) << "," << num(c.score, 8) << "," << num(c.truth, 6)
        << "," << num(c.truth_percentile, 3) << "," << (c.queried ? 1 : 0) << "," << c.status << "," << c.params << ","
        << c.flops << "," << num(c.seconds, 6) << "," << (c.cache_hit ? 1 : 0) << "," << csv_field(c.shared_from);
      for (const auto& l : labels) {
        auto it = c.proxies.find(l);
        f << "," << (it == c.proxies.end() ? "" : num(it->second, 10));
      }
      f << "\n";
    }
  }
  {
    auto f = open("trajectory.csv");
    f << "queries,candidates,best_truth\n";
    for (const auto& t : r.trajectory) f << t.queries << "," << t.candidates << "," << num(t.best_truth, 6) << "\n";
  }
  {
    auto f = open("summary.json");
    f << r.to_json().dump(2) << "\n";
  }
  // Plots through gnuplot (gnuplot-nox) when installed; the CSVs are the data either way.
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    const auto scatter = (fs::path(dir) / "score_vs_truth.svg").string();
    const auto traj = (fs::path(dir) / "trajectory.svg").string();
    const auto script = (fs::path(dir) / "plots.gp").string();
    {
      std::ofstream g(script);
      // noenhanced: arch strings and metric names contain '_' and '~', not markup.
      g << "set datafile separator ','\nset terminal svg size 800,600 noenhanced\n";
      g << "set output '" << scatter << "'\nset xlabel 'combined proxy score'\nset ylabel 'ground truth ("
        << r.truth_label << ")'\nset key off\nset title '" << r.config.name << ": score vs ground truth'\n";
      g << "plot '" << (fs::path(dir) / "candidates.csv").string() << "' every ::1 using 4:5 with points pt 7 ps 0.4\n";
      g << "set output '" << traj << "'\nset xlabel 'ground-truth queries'\nset ylabel 'best ground truth found'\n";
      g << "set title '" << r.config.name << ": search trajectory'\n";
      g << "plot '" << (fs::path(dir) / "trajectory.csv").string() << "' every ::1 using 1:3 with steps lw 2\n";
    }
    files.push_back(script);
    if (std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) == 0) {
      files.push_back(scatter);
      files.push_back(traj);
    }
  }
  return files;
}

}  // namespace zcnas::search
