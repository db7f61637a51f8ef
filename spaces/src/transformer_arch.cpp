#include "transformer_arch.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"

namespace zcnas::spaces::tfarch {

json parse_object(std::string_view text, const std::string& label, const std::string& shape_hint) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    if (auto k = msg.find("syntax error"); k != std::string::npos) msg = msg.substr(k);
    throw Error(label, "is not valid JSON (" + msg + ")", shape_hint);
  }
  if (!j.is_object()) throw Error(label, "is JSON " + std::string(j.type_name()) + ", not an object", shape_hint);
  return j;
}

const json& field(const json& obj, const char* name, const std::string& label, const std::string& shape_hint) {
  const auto it = obj.find(name);
  if (it == obj.end()) throw Error(label, std::string("lacks the field \"") + name + "\"", shape_hint);
  return *it;
}

long long as_int(const json& v, const std::string& what, const std::string& label) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 1e15) return static_cast<long long>(d);
  } else if (v.is_string()) {
    long long x = 0;
    if (parse_int64(v.get<std::string>(), x)) return x;
  }
  throw Error(label, what + " is " + v.dump() + ", not an integer", "write a whole number");
}

double as_double(const json& v, const std::string& what, const std::string& label) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    double x = 0;
    if (parse_double(v.get<std::string>(), x) && std::isfinite(x)) return x;
  }
  throw Error(label, what + " is " + v.dump() + ", not a number", "write a number such as 3.5");
}

std::vector<json> as_list(const json& v, const std::string& what, const std::string& label) {
  std::vector<json> out;
  if (v.is_array()) {
    for (const auto& x : v) out.push_back(x);
  } else if (v.is_string()) {
    std::istringstream in(v.get<std::string>());
    std::string tok;
    while (in >> tok) out.emplace_back(tok);
  } else {
    throw Error(label, what + " is " + v.dump() + ", not a list", "write a JSON array or space-separated values");
  }
  if (out.empty()) throw Error(label, what + " is an empty list", "give one value per layer");
  return out;
}

namespace {
template <class T> std::string list_str(const std::vector<T>& v) {
  std::ostringstream s;
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  return s.str();
}
}  // namespace

void check_choice(long long v, const std::vector<long long>& choices, const std::string& what, const std::string& label) {
  for (auto c : choices)
    if (c == v) return;
  throw Error(label, what + " is " + std::to_string(v) + ", not a value of the space", "choose one of " + list_str(choices));
}

void check_choice(double v, const std::vector<double>& choices, const std::string& what, const std::string& label) {
  for (auto c : choices)
    if (c == v) return;
  std::ostringstream s;
  s << v;
  throw Error(label, what + " is " + s.str() + ", not a value of the space", "choose one of " + list_str(choices));
}

void check_range(long long v, long long lo, long long hi, const std::string& what, const std::string& label) {
  if (v < lo || v > hi)
    throw Error(label, what + " is " + std::to_string(v) + ", outside the space",
                "the space has " + std::to_string(lo) + " .. " + std::to_string(hi));
}

void check_known_fields(const json& obj, const std::vector<std::string>& known, const std::string& label,
                        const std::string& shape_hint) {
  for (const auto& [k, v] : obj.items()) {
    bool ok = false;
    for (const auto& n : known) ok = ok || n == k;
    if (!ok) throw Error(label, "has an unknown field \"" + k + "\"", shape_hint);
  }
}

std::size_t draw(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(n)); }

std::string benchdata_dir() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("ZCNAS_BENCHDATA"); e && *e) return e;
  for (const char* p : {"../shared/benchdata", "../../shared/benchdata", "../../../shared/benchdata"})
    if (fs::exists(fs::path(p) / "README.md")) return fs::weakly_canonical(p).string();
  return {};
}

BenchmarkIds::BenchmarkIds(std::string csv_file, RowFn row_canonical)
    : file_(std::move(csv_file)), row_canonical_(std::move(row_canonical)) {}

void BenchmarkIds::load() const {
  std::call_once(once_, [this] {
    const std::string dir = file_.empty() ? std::string() : benchdata_dir();
    if (dir.empty() || !std::filesystem::exists(std::filesystem::path(dir) / file_)) return;
    const auto t = CsvTable::read_file((std::filesystem::path(dir) / file_).string());
    const auto c_id = t.column("id");
    for (std::size_t r = 0; r < t.rows(); ++r) {
      std::map<std::string, std::string> row;
      for (std::size_t c = 0; c < t.header().size(); ++c) row[t.header()[c]] = t.row(r)[c];
      std::string canon;
      try {
        canon = row_canonical_(row);
      } catch (const Error& e) {
        rethrow_with_context(e, t.where(r, c_id));
      }
      id_by_canon_[canon] = t.row(r)[c_id];
      canon_by_id_[t.row(r)[c_id]] = canon;
    }
  });
}

std::optional<std::string> BenchmarkIds::id_of(const std::string& canonical) const {
  load();
  const auto it = id_by_canon_.find(canonical);
  if (it == id_by_canon_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> BenchmarkIds::canonical_of(const std::string& id) const {
  load();
  const auto it = canon_by_id_.find(id);
  if (it == canon_by_id_.end()) return std::nullopt;
  return it->second;
}

std::size_t BenchmarkIds::size() const {
  load();
  return canon_by_id_.size();
}

}  // namespace zcnas::spaces::tfarch
