// NAS-Bench-101 cells: parsing and printing the two encodings, pruning, validity, the
// authors' graph hash and the vertex channel rule.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/nb101.hpp"

namespace zcnas::spaces::nb101 {
namespace {

// Insertion sort of at most 7 hashes (std::sort here trips GCC 12's -Warray-bounds).
void sort_small(Hash128* first, int count) {
  for (int i = 1; i < count; ++i)
    for (int k = i; k > 0 && first[k] < first[k - 1]; --k) std::swap(first[k], first[k - 1]);
}

constexpr std::string_view kShapeHint =
    "write NASLib's key (49 matrix ints then 7 op codes 0..4, e.g. \"(0, 1, ..., 0, 4, 1)\") or "
    "{\"matrix\": [[...]], \"ops\": [\"input\", ..., \"output\"]}";
constexpr std::string_view kSpaceHint =
    "NAS-Bench-101 cells have the input connected to the output and, after pruning, at most 7 vertices and 9 edges";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string label(std::string_view text) { return "nb101 arch '" + std::string(text) + "'"; }

std::string op_list() {
  std::string s;
  for (int i = 2; i < 5; ++i) s += (s.empty() ? "" : ", ") + std::string(kOpNames[i]);
  return s;
}

// Checks the parts every encoding shares: ops at the ends, interior op codes, upper
// triangle. Matrix entries are already 0/1 here.
void check_written(const Cell& c, std::string_view text) {
  if (c.ops[0] != kInput)
    throw Error(label(text), "vertex 0 is '" + std::string(kOpNames[c.ops[0]]) + "', expected 'input'", std::string(kShapeHint));
  if (c.ops[c.n - 1] != kOutput)
    throw Error(label(text), "the last vertex is '" + std::string(kOpNames[c.ops[c.n - 1]]) + "', expected 'output'",
                std::string(kShapeHint));
  for (int v = 1; v + 1 < c.n; ++v)
    if (c.ops[v] < kMaxPool3x3)
      throw Error(label(text), "interior vertex " + std::to_string(v) + " is '" + std::string(kOpNames[c.ops[v]]) + "'",
                  "interior ops: " + op_list());
  for (int i = 0; i < c.n; ++i)
    for (int j = 0; j <= i; ++j)
      if (c.edge(i, j))
        throw Error(label(text),
                    "matrix[" + std::to_string(i) + "][" + std::to_string(j) + "] is 1: the matrix must be strictly upper-triangular",
                    "edges go from a vertex to a later vertex (row < column)");
  if (const auto why = invalid_reason(c); !why.empty()) throw Error(label(text), why, std::string(kSpaceHint));
}

Cell parse_key(std::string_view t, std::string_view text) {
  if (t.front() == '(' || t.front() == '[') {
    const char close = t.front() == '(' ? ')' : ']';
    if (t.back() != close)
      throw Error(label(text), std::string("opened with '") + t.front() + "' but not closed with '" + close + "'",
                  std::string(kShapeHint));
    t = t.substr(1, t.size() - 2);
  }
  std::vector<std::string_view> toks;
  for (;;) {
    const auto comma = t.find(',');
    toks.push_back(trim(t.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    t.remove_prefix(comma + 1);
  }
  if (toks.size() != 56)
    throw Error(label(text), "has " + std::to_string(toks.size()) + " comma-separated entries, expected 56 (49 matrix + 7 ops)",
                std::string(kShapeHint));
  Cell c;
  c.n = kMaxVertices;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto tok = toks[i];
    const std::string pos = i < 49 ? "matrix entry " + std::to_string(i) + " (row " + std::to_string(i / 7) + ", column " +
                                         std::to_string(i % 7) + ")"
                                   : "op " + std::to_string(i - 49);
    if (tok.empty()) throw Error(label(text), pos + " is empty", std::string(kShapeHint));
    if (tok.size() > 1 || !std::isdigit(static_cast<unsigned char>(tok[0])))
      throw Error(label(text), pos + " is '" + std::string(tok) + "'",
                  i < 49 ? "matrix entries are 0 or 1" : "op codes are 0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu");
    const int v = tok[0] - '0';
    if (i < 49) {
      if (v > 1) throw Error(label(text), pos + " is " + std::to_string(v), "matrix entries are 0 or 1");
      if (v) c.out[i / 7] = static_cast<std::uint8_t>(c.out[i / 7] | (1u << (i % 7)));
    } else {
      if (v > 4)
        throw Error(label(text), pos + " has code " + std::to_string(v) + ", out of range",
                    "op codes are 0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu");
      c.ops[i - 49] = static_cast<std::uint8_t>(v);
    }
  }
  return c;
}

Cell parse_json(std::string_view t, std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(t);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(label(text), std::string("is not valid JSON: ") + e.what(), std::string(kShapeHint));
  }
  if (!j.is_object()) throw Error(label(text), "JSON is not an object", std::string(kShapeHint));
  for (const auto& [k, v] : j.items())
    if (k != "matrix" && k != "ops")
      throw Error(label(text), "unknown field '" + k + "'", "a cell has exactly the fields \"matrix\" and \"ops\"");
  if (!j.contains("matrix") || !j.contains("ops"))
    throw Error(label(text), std::string("lacks the field '") + (j.contains("matrix") ? "ops" : "matrix") + "'",
                std::string(kShapeHint));
  const auto& m = j["matrix"];
  const auto& ops = j["ops"];
  if (!m.is_array() || m.empty()) throw Error(label(text), "\"matrix\" is not a non-empty array of rows", std::string(kShapeHint));
  const auto n = m.size();
  if (n < 2) throw Error(label(text), "has 1 vertex, a cell needs at least the input and the output");
  if (n > static_cast<std::size_t>(kMaxVertices))
    throw Error(label(text), "has " + std::to_string(n) + " vertices, at most 7", std::string(kSpaceHint));
  if (!ops.is_array() || ops.size() != n)
    throw Error(label(text), "\"ops\" must be an array of " + std::to_string(n) + " op names, one per matrix row",
                std::string(kShapeHint));
  Cell c;
  c.n = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = m[i];
    if (!row.is_array() || row.size() != n)
      throw Error(label(text), "matrix row " + std::to_string(i) + " is not an array of " + std::to_string(n) + " entries",
                  "the matrix is square, one row and one column per op");
    for (std::size_t k = 0; k < n; ++k) {
      const auto& e = row[k];
      if (!e.is_number_integer() || (e.get<long long>() != 0 && e.get<long long>() != 1))
        throw Error(label(text), "matrix[" + std::to_string(i) + "][" + std::to_string(k) + "] is " + e.dump(),
                    "matrix entries are 0 or 1");
      if (e.get<long long>() == 1) c.out[i] = static_cast<std::uint8_t>(c.out[i] | (1u << k));
    }
    const auto& op = ops[i];
    if (!op.is_string()) throw Error(label(text), "op " + std::to_string(i) + " is " + op.dump() + ", not a name", "ops: input, " + op_list() + ", output");
    const auto name = op.get<std::string>();
    const auto it = std::find(kOpNames.begin(), kOpNames.end(), name);
    if (it == kOpNames.end())
      throw Error(label(text), "unknown op '" + name + "'", "NAS-Bench-101 ops: input, " + op_list() + ", output");
    c.ops[i] = static_cast<std::uint8_t>(it - kOpNames.begin());
  }
  return c;
}

}  // namespace

int Cell::num_edges() const {
  int e = 0;
  for (int i = 0; i < n; ++i) e += __builtin_popcount(out[i]);
  return e;
}

Cell parse(std::string_view arch) {
  const auto t = trim(arch);
  if (t.empty()) throw Error(label(arch), "empty architecture string", std::string(kShapeHint));
  Cell c;
  if (t.front() == '{')
    c = parse_json(t, arch);
  else if (t.front() == '(' || t.front() == '[' || std::isdigit(static_cast<unsigned char>(t.front())))
    c = parse_key(t, arch);
  else
    throw Error(label(arch), "is neither a NASLib key nor a JSON cell", std::string(kShapeHint));
  check_written(c, arch);
  return c;
}

std::string to_json(const Cell& c) {
  std::string s = "{\"matrix\":[";
  for (int i = 0; i < c.n; ++i) {
    s += i ? ",[" : "[";
    for (int j = 0; j < c.n; ++j) {
      if (j) s += ',';
      s += c.edge(i, j) ? '1' : '0';
    }
    s += ']';
  }
  s += "],\"ops\":[";
  for (int i = 0; i < c.n; ++i) s += (i ? ",\"" : "\"") + std::string(kOpNames[c.ops[i]]) + "\"";
  return s + "]}";
}

std::string naslib_key(const Cell& c) {
  // NasBench101SearchSpace.convert_to_cell: rows/cols j < n-1 keep their place, column n-1
  // (the output) moves to column 6, the rest stays empty; padding ops are conv3x3-bn-relu.
  const int n = c.n;
  auto new_col = [&](int j) { return j < n - 1 ? j : kMaxVertices - 1; };
  std::array<std::array<int, kMaxVertices>, kMaxVertices> m{};
  std::array<int, kMaxVertices> ops{};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (c.edge(i, j)) m[i][new_col(j)] = 1;
  for (int i = 0; i < kMaxVertices; ++i)
    ops[i] = i < n - 1 ? int{c.ops[i]} : (i < kMaxVertices - 1 ? int{kConv3x3} : int{kOutput});
  std::string s;
  for (const auto& row : m)
    for (int v : row) {
      if (!s.empty()) s.push_back(',');
      s.push_back(static_cast<char>('0' + v));
    }
  for (int v : ops) {
    s.push_back(',');
    s.push_back(static_cast<char>('0' + v));
  }
  return s;
}

std::optional<Cell> prune(const Cell& c) {
  const int n = c.n;
  unsigned fwd = 1u, bwd = 1u << (n - 1);
  for (int v = 0; v < n; ++v)
    if (fwd >> v & 1u) fwd |= c.out[v];
  for (int v = n - 2; v >= 0; --v)
    if (c.out[v] & bwd) bwd |= 1u << v;
  if (!(fwd >> (n - 1) & 1u)) return std::nullopt;  // input does not reach output
  const unsigned keep = fwd & bwd;
  std::array<int, kMaxVertices> idx{};
  Cell p;
  for (int v = 0; v < n; ++v)
    if (keep >> v & 1u) {
      idx[v] = p.n;
      p.ops[p.n++] = c.ops[v];
    }
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if ((keep >> i & 1u) && (keep >> j & 1u) && c.edge(i, j))
        p.out[idx[i]] = static_cast<std::uint8_t>(p.out[idx[i]] | (1u << idx[j]));
  return p;
}

std::string invalid_reason(const Cell& c) {
  if (c.n > kMaxVertices) return "has " + std::to_string(c.n) + " vertices, at most 7";
  const auto p = prune(c);
  if (!p) return "the input is not connected to the output";
  if (p->num_edges() > kMaxEdges)
    return "has " + std::to_string(p->num_edges()) + " edges after pruning, at most " + std::to_string(kMaxEdges);
  return {};
}

Hash128 graph_hash(const Cell& c) {
  // Fixed-size binary records replace the hex strings of the reference; every record starts
  // with its element counts, so concatenations stay unambiguous.
  const int n = c.n;
  std::array<Hash128, kMaxVertices> h{}, next{};
  std::array<int, kMaxVertices> in_deg{}, out_deg{};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (c.edge(i, j)) ++out_deg[i], ++in_deg[j];
  auto label_of = [&](int v) -> int {
    switch (c.ops[v]) {
      case kInput: return -1;
      case kOutput: return -2;
      case kConv3x3: return 0;
      case kConv1x1: return 1;
      default: return 2;  // maxpool3x3
    }
  };
  for (int v = 0; v < n; ++v) {
    const std::int32_t rec[3] = {out_deg[v], in_deg[v], label_of(v)};
    h[v] = hash128(std::string_view(reinterpret_cast<const char*>(rec), sizeof rec));
  }
  char buf[2 + 2 * kMaxVertices * sizeof(Hash128) + sizeof(Hash128)];
  std::array<Hash128, kMaxVertices> nb{};
  auto put_sorted = [&](std::size_t& len, int count) {
    sort_small(nb.data(), count);
    buf[len++] = static_cast<char>(count);
    for (int k = 0; k < count; ++k, len += sizeof(Hash128)) std::memcpy(buf + len, &nb[k], sizeof(Hash128));
  };
  for (int round = 0; round < n; ++round) {
    for (int v = 0; v < n; ++v) {
      std::size_t len = 0;
      int k = 0;
      for (int w = 0; w < n; ++w)
        if (c.edge(w, v)) nb[k++] = h[w];
      put_sorted(len, k);
      k = 0;
      for (int w = 0; w < n; ++w)
        if (c.edge(v, w)) nb[k++] = h[w];
      put_sorted(len, k);
      std::memcpy(buf + len, &h[v], sizeof(Hash128));
      len += sizeof(Hash128);
      next[v] = hash128(std::string_view(buf, len));
    }
    h = next;
  }
  sort_small(h.data(), n);
  std::size_t len = 0;
  buf[len++] = static_cast<char>(n);
  for (int v = 0; v < n; ++v, len += sizeof(Hash128)) std::memcpy(buf + len, &h[v], sizeof(Hash128));
  return hash128(std::string_view(buf, len));
}

std::array<std::int64_t, kMaxVertices> vertex_channels(std::int64_t in_channels, std::int64_t out_channels,
                                                       const Cell& c) {
  const int n = c.n;
  std::array<std::int64_t, kMaxVertices> vc{};
  vc[0] = in_channels;
  vc[n - 1] = out_channels;
  if (n == 2) return vc;
  std::int64_t fan_in = 0;  // interior vertices feeding the output
  for (int v = 1; v < n - 1; ++v) fan_in += c.edge(v, n - 1);
  if (fan_in == 0) throw Error("nb101 cell " + to_json(c), "no interior vertex feeds the output", "prune the cell first");
  const std::int64_t interior = out_channels / fan_in;
  std::int64_t correction = out_channels % fan_in;
  for (int v = 1; v < n - 1; ++v)
    if (c.edge(v, n - 1)) {
      vc[v] = interior;
      if (correction) ++vc[v], --correction;
    }
  for (int v = n - 3; v > 0; --v)
    if (!c.edge(v, n - 1))
      for (int d = v + 1; d < n - 1; ++d)
        if (c.edge(v, d)) vc[v] = std::max(vc[v], vc[d]);
  for (int v = 1; v < n - 1; ++v)
    if (vc[v] <= 0) throw Error("nb101 cell " + to_json(c), "vertex " + std::to_string(v) + " gets no channels", "prune the cell first");
  return vc;
}

std::vector<std::string> datasets() { return {"cifar10"}; }

NetConfig config_for(std::string_view dataset) {
  if (dataset != "cifar10")
    throw Error("--dataset " + std::string(dataset), "unknown data set for nb101", "NAS-Bench-101 trained on cifar10 only");
  return NetConfig{};
}

}  // namespace zcnas::spaces::nb101
