// `zcnas bench import`: parse every benchmark table, then write in one transaction.
// Key and metric conventions per file: docs/schema.md ("What the import stores").
#include "zcnas/benchdb/import.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_set>

#include "db_impl.hpp"
#include "zcnas/benchdb/encoding.hpp"
#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"

namespace zcnas::benchdb {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& benchdata_files() {
  static const std::vector<std::string> files = {
      "nasbench201.csv",           "transnas101_micro.csv",      "nasbench301_sample.csv",
      "naslib_zc/zc_nasbench201.json", "naslib_zc/zc_nasbench101.json", "naslib_zc/zc_transbench101_micro.json",
      "flexibert.csv",             "gpt2_wt103.csv",             "autoformer_tiny.csv"};
  return files;
}

std::string sanitize_json_literals(std::string text, std::map<std::string, std::int64_t>& counts) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') { in_string = true; continue; }
    // Same-length replacements keep line/column positions for parse errors.
    static const std::pair<std::string_view, std::string_view> kLiterals[] = {
        {"-Infinity", "null     "}, {"Infinity", "null    "}, {"NaN", "null"}};
    for (const auto& [lit, rep] : kLiterals) {
      if (std::string_view(text).substr(i, lit.size()) == lit) {
        counts["bare " + std::string(lit) + " literal in JSON (stored as missing)"]++;
        text.replace(i, lit.size(), rep);
        i += rep.size() - 1;
        break;
      }
    }
  }
  return text;
}

namespace {

const char* const kQuirkMissing = "missing value (empty cell or proxy absent for one arch)";
const char* const kQuirkSentinel = "NASLib failure sentinel -1e8 (stored as missing)";
const char* const kQuirkUnpruned = "NB101 key not pruned (a vertex off every input->output path)";
const char* const kQuirkManyEdges = "NB101 key with more than 9 edges before pruning";
const char* const kQuirkTwoTnb = "TNB-micro (arch, task) in both CSV and Suite-Zero JSON (kept as sources bench / naslib)";

const std::vector<std::string> kSuiteZeroProxies = {"synflow", "snip", "grasp",   "fisher",  "grad_norm",
                                                    "jacov",   "nwot", "plain",   "l2_norm", "epe_nas"};

struct Parsed {
  std::vector<TruthRow> truth;
  std::vector<ScoreRow> scores;
  std::vector<std::array<std::string, 3>> encodings;  // space, key, encoding
  std::map<std::string, std::int64_t> quirks;
  std::vector<ImportFileReport> files;
  std::unordered_set<std::string> tnb_csv_keys;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string(), "cannot read the file", "check permissions");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A CSV value: a number, or (documented quirks) an empty cell = missing, -1e8 = sentinel.
struct Cell {
  std::optional<double> value;
  const char* status = "ok";
};
Cell cell(const CsvTable& t, std::size_t r, std::size_t c, Parsed& p) {
  const std::string& s = t.row(r)[c];
  if (s.empty() || s == "nan" || s == "NaN") {
    p.quirks[kQuirkMissing]++;
    return {std::nullopt, "missing"};
  }
  const double v = t.number(r, c);  // throws naming file, line and column
  if (v == -1e8) {
    p.quirks[kQuirkSentinel]++;
    return {std::nullopt, "sentinel"};
  }
  return {v, "ok"};
}

TruthRow truth_row(const std::string& space, const std::string& key, const std::string& ds, const std::string& metric,
                   const std::string& source, std::optional<double> v, bool higher = true, const char* status = "missing") {
  TruthRow r;
  r.space = space;
  r.arch_key = key;
  r.dataset = ds;
  r.metric = metric;
  r.source = source;
  r.value = v;
  r.higher_is_better = higher;
  r.status = v ? "ok" : status;
  return r;
}
TruthRow truth_row(const std::string& space, const std::string& key, const std::string& ds, const std::string& metric,
                   const std::string& source, const Cell& c, bool higher = true) {
  return truth_row(space, key, ds, metric, source, c.value, higher, c.status);
}

ScoreRow score_row(const std::string& space, const std::string& key, const std::string& ds, const std::string& source,
                   const std::string& proxy, std::optional<double> v, double seconds, int batch, const char* status) {
  ScoreRow r;
  r.space = space;
  r.arch_key = key;
  r.dataset = ds;
  r.prov.source = source;
  r.prov.proxy = proxy;
  r.prov.batch_size = batch;
  r.prov.device = "unknown";  // the published tables do not say
  r.value = v;
  r.seconds = seconds;
  r.status = v ? "ok" : status;
  return r;
}
ScoreRow score_row(const std::string& space, const std::string& key, const std::string& ds, const std::string& source,
                   const std::string& proxy, const Cell& c) {
  return score_row(space, key, ds, source, proxy, c.value, 0, 0, c.status);
}

void check_digits(const CsvTable& t, std::size_t r, std::size_t c, int max_digit) {
  const std::string& s = t.row(r)[c];
  bool ok = s.size() == 6;
  for (char ch : s) ok = ok && ch >= '0' && ch <= '0' + max_digit;
  if (!ok)
    throw Error(t.where(r, c), "'" + s + "' is not six op-code digits 0.." + std::to_string(max_digit),
                "the file looks damaged; restore it from the shared benchdata");
}

// ---- CSV tables -----------------------------------------------------------------

void parse_nb201_csv(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_key = t.column("op_indices"), c_str = t.column("arch_str");
  const std::vector<std::string> ds = {"cifar10", "cifar100", "ImageNet16-120"};
  std::vector<std::size_t> c_acc, c_zen;
  for (const auto& d : ds) c_acc.push_back(t.column("val_acc_" + d)), c_zen.push_back(t.column("zen_" + d));
  for (std::size_t r = 0; r < t.rows(); ++r) {
    check_digits(t, r, c_key, 4);
    const std::string& key = t.row(r)[c_key];
    if (t.row(r)[c_str].empty()) throw Error(t.where(r, c_str), "empty arch_str", "restore the file");
    p.encodings.push_back({"nb201", key, t.row(r)[c_str]});
    for (std::size_t i = 0; i < ds.size(); ++i) {
      p.truth.push_back(truth_row("nb201", key, ds[i], "val_acc", "bench", cell(t, r, c_acc[i], p)));
      p.scores.push_back(score_row("nb201", key, ds[i], "naslib", "zen", cell(t, r, c_zen[i], p)));
      rep.truth_rows++, rep.score_rows++;
    }
  }
  rep.archs = static_cast<std::int64_t>(t.rows());
}

const std::vector<std::string> kTnbTasks = {"class_scene", "class_object", "autoencoder",   "normal",
                                            "jigsaw",      "room_layout",  "segmentsemantic"};

void parse_tnb_csv(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_key = t.column("op_indices"), c_str = t.column("arch_str");
  std::vector<std::size_t> cols;
  for (const auto& task : kTnbTasks) cols.push_back(t.column("val_" + task));
  for (std::size_t r = 0; r < t.rows(); ++r) {
    check_digits(t, r, c_key, 3);
    const std::string& key = t.row(r)[c_key];
    p.tnb_csv_keys.insert(key);
    p.encodings.push_back({"tnb101_micro", key, t.row(r)[c_str]});
    for (std::size_t i = 0; i < kTnbTasks.size(); ++i) {
      p.truth.push_back(truth_row("tnb101_micro", key, kTnbTasks[i], "val", "bench", cell(t, r, cols[i], p)));
      rep.truth_rows++;
    }
  }
  rep.archs = static_cast<std::int64_t>(t.rows());
}

void parse_nb301_csv(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_g = t.column("genotype"), c_p = t.column("params_M"), c_f = t.column("flops_M");
  std::unordered_set<std::string> keys;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::string key = normalize_whitespace(t.row(r)[c_g]);
    if (key.size() < 4 || key.front() != '[' || key.back() != ']')
      throw Error(t.where(r, c_g), "'" + t.row(r)[c_g] + "' is not a [normal, reduce] genotype", "restore the file");
    keys.insert(key);
    p.scores.push_back(score_row("darts", key, "cifar10", "naslib", "params", cell(t, r, c_p, p)));
    p.scores.push_back(score_row("darts", key, "cifar10", "naslib", "flops", cell(t, r, c_f, p)));
    rep.score_rows += 2;
  }
  rep.archs = static_cast<std::int64_t>(keys.size());
}

std::string csv_fields_json(const CsvTable& t, std::size_t r, const std::vector<std::string>& names) {
  json j = json::object();
  for (const auto& n : names) j[n] = t.row(r)[t.column(n)];
  return j.dump();
}

void parse_flexibert(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_id = t.column("id");
  const std::vector<std::string> tasks = {"cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst", "sts", "glue"};
  const auto c_params = t.column("params_electra_harness");
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::string& key = t.row(r)[c_id];
    if (key.empty()) throw Error(t.where(r, c_id), "empty id", "restore the file");
    p.encodings.push_back({"flexibert", key,
                           transformer_encoding("flexibert", csv_fields_json(t, r, {"hidden_size", "encoder_layers_json"}),
                                                t.where(r, t.column("encoder_layers_json")))});
    for (const auto& task : tasks)
      p.truth.push_back(truth_row("flexibert", key, task, "dev", "bench", cell(t, r, t.column(task), p))), rep.truth_rows++;
    p.scores.push_back(score_row("flexibert", key, "glue", "bench", "params_harness", cell(t, r, c_params, p)));
    rep.score_rows++;
  }
  rep.archs = static_cast<std::int64_t>(t.rows());
}

void parse_gpt(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_id = t.column("id");
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::string& key = t.row(r)[c_id];
    if (key.empty()) throw Error(t.where(r, c_id), "empty id", "restore the file");
    p.encodings.push_back(
        {"gpt", key,
         transformer_encoding("gpt", csv_fields_json(t, r, {"n_layer", "d_model", "d_embed", "div_val", "d_inner", "n_head"}),
                              path.filename().string() + " line " + std::to_string(t.line_of(r)))});
    for (const char* m : {"valid_ppl", "test_ppl", "train_seconds"})
      p.truth.push_back(truth_row("gpt", key, "wt103", m, "bench", cell(t, r, t.column(m), p), false)), rep.truth_rows++;
    for (const char* m : {"params_nonembedding", "params_total"})
      p.scores.push_back(score_row("gpt", key, "wt103", "bench", m, cell(t, r, t.column(m), p))),
          rep.score_rows++;
  }
  rep.archs = static_cast<std::int64_t>(t.rows());
}

void parse_autoformer(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const auto t = CsvTable::read_file(path.string());
  const auto c_id = t.column("id");
  struct Col { const char* column; const char* dataset; const char* metric; };
  const Col cols[] = {{"c100_base_acc", "cifar100", "top1"},      {"c100_kd_acc", "cifar100", "top1_kd"},
                      {"flower_base_acc", "flowers", "top1"},     {"flower_kd_acc", "flowers", "top1_kd"},
                      {"chaoyang_base_acc", "chaoyang", "top1"},  {"chaoyang_kd_acc", "chaoyang", "top1_kd"},
                      {"imagenet_super_acc", "imagenet", "top1_supernet"}};
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::string& key = t.row(r)[c_id];
    if (key.empty()) throw Error(t.where(r, c_id), "empty id", "restore the file");
    p.encodings.push_back(
        {"autoformer", key,
         transformer_encoding("autoformer", csv_fields_json(t, r, {"embed_dim", "depth", "mlp_ratio", "num_heads"}),
                              path.filename().string() + " line " + std::to_string(t.line_of(r)))});
    for (const auto& c : cols)
      p.truth.push_back(truth_row("autoformer", key, c.dataset, c.metric, "bench", cell(t, r, t.column(c.column), p))),
          rep.truth_rows++;
  }
  rep.archs = static_cast<std::int64_t>(t.rows());
}

// ---- NASLib (NAS-Bench-Suite-Zero) JSON -------------------------------------------

json parse_json_file(const fs::path& path, Parsed& p) {
  const std::string text = sanitize_json_literals(read_text(path), p.quirks);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    const std::size_t pos = e.byte ? e.byte - 1 : 0;
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, col = 1; else ++col;
    }
    std::string msg = e.what();
    if (auto k = msg.find("syntax error"); k != std::string::npos) msg = msg.substr(k);
    throw Error(path.string() + " line " + std::to_string(line) + " column " + std::to_string(col),
                "malformed JSON (" + msg + ")", "the file looks truncated or damaged; restore it from the shared benchdata");
  }
}

// A number, or a documented quirk (null from a bare literal, -1e8 sentinel): nullopt + status.
std::optional<double> json_value(const json& v, const std::string& where, Parsed& p, const char*& status) {
  status = "ok";
  if (v.is_null()) { status = "inf"; return std::nullopt; }  // counted by sanitize_json_literals
  if (!v.is_number())
    throw Error(where, "value is " + std::string(v.type_name()) + ", expected a number", "restore the file");
  const double d = v.get<double>();
  if (d == -1e8) { p.quirks[kQuirkSentinel]++; status = "sentinel"; return std::nullopt; }
  return d;
}

const json& object_at(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where, "is " + std::string(j.type_name()) + ", expected an object", "restore the file");
  return j;
}

// {dataset: {"(k, e, y)": {idx, arch, val_accuracy, proxy: {score, time}}}} (NB201, TNB-micro).
void parse_suite_zero(const fs::path& path, const std::string& space, int max_digit, int batch, Parsed& p,
                      ImportFileReport& rep) {
  const json root = parse_json_file(path, p);
  const std::string file = path.filename().string();
  std::set<std::string> keys;
  for (const auto& [ds, archs] : object_at(root, file).items()) {
    const std::string dwhere = file + " dataset '" + ds + "'";
    if (space == "tnb101_micro" &&
        std::find(kTnbTasks.begin(), kTnbTasks.end(), ds) == kTnbTasks.end())
      throw Error(dwhere, "unknown TNB-micro task", "restore the file");
    // The proxies this table has for this data set (union over archs): absent ones are missing values.
    std::set<std::string> proxies;
    for (const auto& [k, entry] : object_at(archs, dwhere).items())
      for (const auto& [f, v] : object_at(entry, dwhere + " arch '" + k + "'").items())
        if (v.is_object()) proxies.insert(f);
    for (const auto& name : kSuiteZeroProxies)
      if (!proxies.count(name))
        p.quirks[file + ": proxy " + name + " absent for every arch of " + ds + " (not stored)"] +=
            static_cast<std::int64_t>(archs.size());
    for (const auto& [k, entry] : archs.items()) {
      const std::string awhere = dwhere + " arch '" + k + "'";
      const std::string key = digits_from_tuple(k, 6, max_digit, awhere);
      keys.insert(key);
      if (space == "tnb101_micro" && p.tnb_csv_keys.count(key)) p.quirks[kQuirkTwoTnb]++;
      std::set<std::string> seen;
      for (const auto& [f, v] : entry.items()) {
        const std::string fwhere = awhere + " field '" + f + "'";
        if (f == "idx" || f == "arch") continue;
        const char* status = "ok";
        if (f == "val_accuracy") {
          auto val = json_value(v, fwhere, p, status);
          p.truth.push_back(truth_row(space, key, ds, "val_accuracy", "naslib", val));
          p.truth.back().status = val ? "ok" : status;
          rep.truth_rows++;
          continue;
        }
        if (!v.is_object() || !v.contains("score"))
          throw Error(fwhere, "is " + std::string(v.type_name()) + ", expected {\"score\": x, \"time\": t}", "restore the file");
        const auto val = json_value(v["score"], fwhere + ".score", p, status);
        double seconds = 0;
        if (v.contains("time")) {
          const char* st2 = "ok";
          seconds = json_value(v["time"], fwhere + ".time", p, st2).value_or(0.0);
        }
        p.scores.push_back(score_row(space, key, ds, "naslib", f, val, seconds, batch, status));
        rep.score_rows++;
        seen.insert(f);
      }
      for (const auto& name : proxies)
        if (!seen.count(name)) {
          p.quirks[kQuirkMissing]++;
          p.scores.push_back(score_row(space, key, ds, "naslib", name, std::nullopt, 0, batch, "missing"));
          rep.score_rows++;
        }
    }
  }
  rep.archs = static_cast<std::int64_t>(keys.size());
}

// NB101 vertices on some input->output path; keys are 49 matrix ints then 7 ops.
void check_nb101_pruning(const std::string& key, Parsed& p) {
  int m[7][7] = {};
  std::size_t i = 0;
  int idx = 0, edges = 0;
  while (i < key.size() && idx < 49) {
    if (key[i] == '0' || key[i] == '1') {
      m[idx / 7][idx % 7] = key[i] - '0';
      if (idx / 7 < idx % 7) edges += m[idx / 7][idx % 7];
      ++idx;
    }
    ++i;
  }
  bool from_in[7] = {true}, to_out[7] = {};
  to_out[6] = true;
  for (int v = 1; v < 7; ++v)
    for (int u = 0; u < v; ++u) from_in[v] = from_in[v] || (from_in[u] && m[u][v]);
  for (int v = 5; v >= 0; --v)
    for (int w = v + 1; w < 7; ++w) to_out[v] = to_out[v] || (to_out[w] && m[v][w]);
  for (int v = 0; v < 7; ++v)
    if (!(from_in[v] && to_out[v])) { p.quirks[kQuirkUnpruned]++; break; }
  if (edges > 9) p.quirks[kQuirkManyEdges]++;
}

// {"nasbench101": {"cifar10": {"(56 ints)": {proxy: number, val_accuracy: number}}}}
void parse_nb101_json(const fs::path& path, Parsed& p, ImportFileReport& rep) {
  const json root = parse_json_file(path, p);
  const std::string file = path.filename().string();
  std::set<std::string> keys;
  for (const auto& [bench, dsets] : object_at(root, file).items()) {
    for (const auto& [ds, archs] : object_at(dsets, file + " '" + bench + "'").items()) {
      const std::string dwhere = file + " dataset '" + ds + "'";
      std::set<std::string> proxies;
      for (const auto& [k, entry] : object_at(archs, dwhere).items())
        for (const auto& [f, v] : object_at(entry, dwhere + " arch '" + k + "'").items())
          if (f != "val_accuracy" && f != "idx" && f != "arch") proxies.insert(f);
      for (const auto& name : kSuiteZeroProxies)
        if (!proxies.count(name))
          p.quirks[file + ": proxy " + name + " absent for every arch of " + ds + " (not stored)"] +=
              static_cast<std::int64_t>(archs.size());
      for (const auto& [k, entry] : archs.items()) {
        const std::string awhere = dwhere + " arch '" + k.substr(0, 40) + "...'";
        const std::string key = nb101_key_from_tuple(k, awhere);
        if (keys.insert(key).second) check_nb101_pruning(key, p);
        std::set<std::string> seen;
        for (const auto& [f, v] : entry.items()) {
          if (f == "idx" || f == "arch") continue;
          const char* status = "ok";
          const auto val = json_value(v, awhere + " field '" + f + "'", p, status);
          if (f == "val_accuracy") {
            p.truth.push_back(truth_row("nb101", key, ds, "val_accuracy", "naslib", val));
            p.truth.back().status = val ? "ok" : status;
            rep.truth_rows++;
          } else {
            p.scores.push_back(score_row("nb101", key, ds, "naslib", f, val, 0, 0, status));
            rep.score_rows++;
            seen.insert(f);
          }
        }
        for (const auto& name : proxies)
          if (!seen.count(name)) {
            p.quirks[kQuirkMissing]++;
            p.scores.push_back(score_row("nb101", key, ds, "naslib", name, std::nullopt, 0, 0, "missing"));
            rep.score_rows++;
          }
      }
    }
  }
  rep.archs = static_cast<std::int64_t>(keys.size());
}

}  // namespace

ImportReport import_benchdata(Database& db, const std::string& dir, const ImportProgress& progress) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  ImportReport report;
  report.dir = dir;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec))
    throw Error("benchmark data folder '" + dir + "'", "no such folder",
                "pass --from DIR (the folder with nasbench201.csv), or run from the repository so ../shared/benchdata is found");
  for (const auto& f : benchdata_files())
    if (!fs::is_regular_file(fs::path(dir) / f, ec))
      throw Error((fs::path(dir) / f).string(), "missing from the benchmark data folder",
                  "restore the shared benchdata folder (every file in benchdata/README.md is needed)");

  Parsed p;
  const auto& files = benchdata_files();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const fs::path path = fs::path(dir) / files[i];
    ImportFileReport rep;
    rep.file = files[i];
    switch (i) {
      case 0: rep.space = "nb201"; parse_nb201_csv(path, p, rep); break;
      case 1: rep.space = "tnb101_micro"; parse_tnb_csv(path, p, rep); break;
      case 2: rep.space = "darts"; parse_nb301_csv(path, p, rep); break;
      // NASLib computed the stored NB201 scores with a batch of 32 (benchdata/README.md); the others do not say.
      case 3: rep.space = "nb201"; parse_suite_zero(path, "nb201", 4, 32, p, rep); break;
      case 4: rep.space = "nb101"; parse_nb101_json(path, p, rep); break;
      case 5: rep.space = "tnb101_micro"; parse_suite_zero(path, "tnb101_micro", 3, 0, p, rep); break;
      case 6: rep.space = "flexibert"; parse_flexibert(path, p, rep); break;
      case 7: rep.space = "gpt"; parse_gpt(path, p, rep); break;
      case 8: rep.space = "autoformer"; parse_autoformer(path, p, rep); break;
    }
    report.files.push_back(rep);
    if (progress) progress(files[i], i + 1, files.size());
  }
  const auto t1 = clock::now();
  if (progress) progress("writing", files.size(), files.size());

  auto& impl = db.impl();
  db.transaction([&] {
    report.changed += db.put_truth(p.truth);
    report.changed += db.put_scores(p.scores);
    for (const auto& [space, key, enc] : p.encodings) {
      const auto id = impl.arch_id(space, key, true);
      report.changed += impl.guard("store arch encoding", [&] {
        auto& s = impl.stmt("UPDATE archs SET encoding = ?2 WHERE id = ?1 AND encoding IS NOT ?2");
        s.bind(1, static_cast<std::int64_t>(id));
        s.bind(2, enc);
        const int n = s.exec();
        s.reset();
        return static_cast<std::int64_t>(n);
      });
    }
  });
  report.quirks = std::move(p.quirks);
  report.parse_seconds = std::chrono::duration<double>(t1 - t0).count();
  report.write_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  return report;
}

}  // namespace zcnas::benchdb
