// ONNX -> NetGraph (+ parameter tensors). One handler per ONNX op type, looked up by name
// in a table (kHandlers); an op type not in the table is a zcnas::Error naming the op and
// the node. A few handlers fuse a node with its sole consumer to recover one IR op from the
// multi-node expressions the writer (onnx_writer.cpp) and torch.onnx use:
//   GlobalAveragePool -> Flatten(axis 1)          = GlobalAvgPool {C,H,W} -> {C}
//   Slice(steps) -> Mul(0) [-> Expand]            = Zero with stride [and channel change]
//   MatMul -> Add(bias)                           = Linear with bias
//   Reshape [N,g,C/g,H,W] -> Transpose(0,2,1,3,4) -> Reshape [N,C,H,W] = ChannelShuffle (deferred
//                                                   from the first Reshape to the last)
// Int64 shape computations (Shape, Gather, Unsqueeze, Concat, Cast, Slice, Add/Sub/Mul/Div on
// shape values) are evaluated at read time with the batch axis symbolic (the "shape values"
// section below); they feed Reshape targets, Slice bounds and Split sizes and never enter the IR.
// Files are untrusted (see onnx.hpp): every index, shape and size read from the file is
// checked before use.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <onnx/checker.h>

#include "onnx_common.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"

namespace zcnas::spaces {
namespace {

namespace fs = std::filesystem;
using namespace onnxio;

// A constant tensor (initializer or Constant node), decoded.
struct Const {
  std::vector<std::int64_t> dims;
  std::vector<float> f;        // FLOAT data
  std::vector<std::int64_t> i; // INT64 / INT32 data
  bool is_int = false;
  bool has_data = true;        // false: a declared graph input (parameter without data)
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
};

constexpr std::int64_t kMaxNumel = std::int64_t{1} << 31;

// ONNX stores float32 attributes; 7 significant digits give back the double the writer
// started from (eps 1e-5, momentum 0.1, slope 0.2) instead of its float neighbour.
double round7(double v) {
  if (!std::isfinite(v)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return std::strtod(buf, nullptr);
}

class Reader {
 public:
  Reader(onnx::ModelProto& m, std::string label, std::optional<fs::path> dir, const OnnxReadOptions& o)
      : m_(m), g_(m.graph()), label_(std::move(label)), dir_(std::move(dir)), opt_(o) {}

  OnnxImport run();

 private:
  using Handler = void (Reader::*)(int, const onnx::NodeProto&);
  static const std::map<std::string, Handler>& handlers();

  onnx::ModelProto& m_;
  const onnx::GraphProto& g_;
  std::string label_;
  std::optional<fs::path> dir_;
  OnnxReadOptions opt_;
  OnnxImport out_;

  std::map<std::string, const onnx::TensorProto*> inits_;
  std::map<std::string, const onnx::ValueInfoProto*> declared_;  // graph inputs without initializer
  std::map<std::string, Const> consts_;                           // decoded constants (cache)
  std::map<std::string, NodeId> values_;                          // tensor -> IR node
  std::map<std::string, std::vector<int>> consumers_;
  std::set<std::string> graph_outputs_;
  std::vector<bool> skip_;
  std::set<std::string> used_names_, prefixes_;
  struct Deferred {  // a Slice(steps) waiting for its Mul by 0
    std::string src;
    std::int64_t stride = 1;
    bool channel0 = false;
  };
  std::map<std::string, Deferred> deferred_;
  struct PendingShuffle {  // Reshape to [N,g,C/g,H,W] (transposed: after its Transpose(0,2,1,3,4))
    NodeId src = -1;
    std::int64_t groups = 1;
    bool transposed = false;
  };
  std::map<std::string, PendingShuffle> shuffles_;
  // Shape values: int64 tensors computed from shapes (scalar or 1-D); kBatch stands for the
  // symbolic batch size. (An int64 constant equal to INT64_MIN would read as the batch too.)
  static constexpr std::int64_t kBatch = std::numeric_limits<std::int64_t>::min();
  static constexpr std::size_t kMaxShapeLen = 64;  // longest shape value accepted (untrusted files)
  struct IntVal {
    std::vector<std::int64_t> v;
    bool scalar = false;
  };
  std::map<std::string, IntVal> ints_;
  std::uint64_t external_bytes_ = 0;
  std::int64_t param_slots_ = 0, param_slots_with_data_ = 0, param_numel_ = 0;

  // ---- errors ---------------------------------------------------------------------------
  std::string where(const onnx::NodeProto& n) const {
    return "node '" + n.name() + "' (" + n.op_type() + ")";
  }
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& problem, const std::string& hint = {}) const {
    throw Error(label_ + ": " + where(n), problem, hint);
  }
  [[noreturn]] void fail_file(const std::string& problem, const std::string& hint = {}) const {
    throw Error(label_, problem, hint);
  }

  // ---- attributes -----------------------------------------------------------------------
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::int64_t attr_i(const onnx::NodeProto& n, const std::string& name, std::int64_t def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::INT) fail(n, "attribute '" + name + "' is not an int");
    return a->i();
  }
  float attr_f(const onnx::NodeProto& n, const std::string& name, float def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::FLOAT) fail(n, "attribute '" + name + "' is not a float");
    return a->f();
  }
  std::string attr_s(const onnx::NodeProto& n, const std::string& name, const std::string& def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::STRING) fail(n, "attribute '" + name + "' is not a string");
    return a->s();
  }
  std::vector<std::int64_t> attr_is(const onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::INTS) fail(n, "attribute '" + name + "' is not a list of ints");
    return {a->ints().begin(), a->ints().end()};
  }

  // One value for both spatial dims (the IR's square kernels/strides/pads).
  std::int64_t square(const onnx::NodeProto& n, const std::string& what, const std::vector<std::int64_t>& v,
                      std::size_t expect) const {
    if (v.size() != expect) fail(n, what + " has " + std::to_string(v.size()) + " entries, expected " + std::to_string(expect),
                                 "only 2-D (NCHW) operators are supported");
    for (auto x : v)
      if (x != v[0]) fail(n, what + " " + shape_str(v) + " differs between axes/sides", "the IR supports square, symmetric values");
    return v[0];
  }

  // ---- tensors --------------------------------------------------------------------------
  void inline_external_data() {
    for (auto& t : *m_.mutable_graph()->mutable_initializer()) {
      if (t.data_location() != onnx::TensorProto::EXTERNAL) continue;
      std::size_t elem = 0;
      switch (t.data_type()) {
        case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: elem = 4; break;
        case onnx::TensorProto::INT64: elem = 8; break;
        default: fail_file("tensor '" + t.name() + "' has ONNX data type " + std::to_string(t.data_type()));
      }
      std::int64_t numel = 1;
      for (auto d : t.dims()) {
        if (d < 0 || (d && numel > kMaxNumel / d)) fail_file("tensor '" + t.name() + "' has an invalid or too large shape");
        numel *= d;
      }
      std::string bytes = read_external(t, t.name(), static_cast<std::uint64_t>(numel) * elem);
      t.clear_external_data();
      t.set_data_location(onnx::TensorProto::DEFAULT);
      t.set_raw_data(std::move(bytes));
    }
  }
  Const decode(const onnx::TensorProto& t, const std::string& name);
  std::string read_external(const onnx::TensorProto& t, const std::string& name, std::uint64_t expect_bytes);
  const Const* constant(const std::string& name);  // nullptr when not a constant
  const Const& need_const(const onnx::NodeProto& n, int k, const char* what) {
    if (k >= n.input_size() || n.input(k).empty()) fail(n, std::string("missing input '") + what + "'");
    const Const* c = constant(n.input(k));
    if (!c || !c->has_data) fail(n, std::string("input '") + what + "' (" + n.input(k) + ") must be a constant");
    return *c;
  }
  // A parameter slot: a constant with data, or a declared graph input (shape only).
  const Const& need_param(const onnx::NodeProto& n, int k, const char* what) {
    if (k >= n.input_size() || n.input(k).empty()) fail(n, std::string("missing parameter '") + what + "'");
    const Const* c = constant(n.input(k));
    if (!c) fail(n, std::string("parameter '") + what + "' (" + n.input(k) + ") is computed by the graph",
                 "weights must be initializers or declared graph inputs");
    if (c->is_int) fail(n, std::string("parameter '") + what + "' is not float");
    return *c;
  }
  void store_param(const onnx::NodeProto& n, const std::string& full, const Const& c, std::vector<std::int64_t> dims,
                   bool transpose2d = false) {
    ++param_slots_;
    std::int64_t numel = 1;
    for (auto d : dims) numel *= d;
    param_numel_ += numel;
    if (static_cast<std::uint64_t>(param_numel_) > opt_.max_params)
      fail(n, "the model has more than " + std::to_string(opt_.max_params) + " parameters", "raise OnnxReadOptions::max_params");
    if (c.numel() != numel) fail(n, "parameter '" + full + "' has shape " + shape_str(c.dims) + ", expected " + shape_str(dims));
    if (!c.has_data) return;
    ++param_slots_with_data_;
    OnnxParam p;
    p.dims = std::move(dims);
    if (transpose2d) {  // [in, out] -> [out, in]
      const auto rows = c.dims[0], cols = c.dims[1];
      p.data.resize(c.f.size());
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t k = 0; k < cols; ++k) p.data[k * rows + r] = c.f[r * cols + k];
    } else {
      p.data = c.f;
    }
    out_.params[full] = std::move(p);
  }

  // ---- values ---------------------------------------------------------------------------
  NodeId value(const onnx::NodeProto& n, int k) {
    if (k >= n.input_size() || n.input(k).empty()) fail(n, "missing input " + std::to_string(k));
    auto it = values_.find(n.input(k));
    if (it == values_.end()) {
      if (constant(n.input(k))) fail(n, "input '" + n.input(k) + "' is a constant where the IR needs a computed tensor");
      fail(n, "input '" + n.input(k) + "' is not produced by any earlier node", "ONNX graphs must be topologically sorted");
    }
    return it->second;
  }
  // A copy: a reference into the graph would dangle once the next add() grows its node vector.
  Shape shape_of(NodeId id) const { return out_.graph.node(id).shape; }
  void bind(const onnx::NodeProto& n, NodeId id) {
    if (n.output_size() < 1 || n.output(0).empty()) fail(n, "has no output");
    for (int k = 1; k < n.output_size(); ++k)
      if (!n.output(k).empty() && consumers_.count(n.output(k)) + graph_outputs_.count(n.output(k)))
        fail(n, "output " + std::to_string(k) + " ('" + n.output(k) + "') is used, but only the first output is supported");
    values_[n.output(0)] = id;
  }
  // The only node reading `tensor`, or -1.
  int sole_consumer(const std::string& tensor) const {
    if (graph_outputs_.count(tensor)) return -1;
    auto it = consumers_.find(tensor);
    if (it == consumers_.end() || it->second.size() != 1) return -1;
    return it->second[0];
  }
  bool is_zero_scalar(const std::string& tensor) {
    const Const* c = constant(tensor);
    return c && c->has_data && !c->is_int && c->numel() == 1 && c->f[0] == 0.0f;
  }
  std::string ir_name(const onnx::NodeProto& n, int idx) { return unique_name(n.name(), n.op_type() + "_" + std::to_string(idx)); }
  // `wanted` if it is a valid, unused dotted IR name, else a flat variant; `fallback` when nothing is left.
  std::string unique_name(const std::string& wanted, const std::string& fallback);
  // The writer's GlobalPoolAttr marker: nullopt when absent, else `functional`.
  static std::optional<bool> global_pool_marker(const onnx::NodeProto& n) {
    const std::string m = kGlobalPoolMarker;
    if (n.doc_string().size() != m.size() + 1 || n.doc_string().compare(0, m.size(), m) != 0) return std::nullopt;
    return n.doc_string().back() == '1';
  }

  // "zcnas:op <op> key=value ..." -> {"" : op, key : value}; empty when n is not marked.
  static std::map<std::string, std::string> marker_fields(const onnx::NodeProto& n) {
    std::map<std::string, std::string> f;
    const std::string& d = n.doc_string();
    if (d.rfind(kOpMarker, 0) != 0) return f;
    std::istringstream in(d.substr(std::string(kOpMarker).size()));
    std::string word;
    bool first = true;
    while (in >> word) {
      if (first) {
        f[""] = word;
        first = false;
        continue;
      }
      const auto eq = word.find('=');
      if (eq != std::string::npos) f[word.substr(0, eq)] = word.substr(eq + 1);
    }
    return f;
  }
  static std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> v;
    std::string cur;
    for (char c : s) {
      if (c == ',') {
        v.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) v.push_back(cur);
    return v;
  }
  static std::vector<std::string> marker_list(const onnx::NodeProto& n, const std::string& key) {
    auto f = marker_fields(n);
    auto it = f.find(key);
    return it == f.end() ? std::vector<std::string>{} : split_commas(it->second);
  }

  template <class F>
  NodeId add(const onnx::NodeProto& n, F&& build) {
    try {
      return build();
    } catch (const Error& e) {
      fail(n, e.problem(), e.hint());
    }
  }

  // ---- handlers -------------------------------------------------------------------------
  void conv(int idx, const onnx::NodeProto& n);
  void batchnorm(int idx, const onnx::NodeProto& n);
  void unary(int idx, const onnx::NodeProto& n);
  void leaky_relu(int idx, const onnx::NodeProto& n);
  void hard_sigmoid(int idx, const onnx::NodeProto& n);
  void clip(int idx, const onnx::NodeProto& n);
  void softmax(int idx, const onnx::NodeProto& n);
  void pool(int idx, const onnx::NodeProto& n);
  void global_avg_pool(int idx, const onnx::NodeProto& n);
  void flatten(int idx, const onnx::NodeProto& n);
  void reshape(int idx, const onnx::NodeProto& n);
  void add_sum(int idx, const onnx::NodeProto& n);
  void mul(int idx, const onnx::NodeProto& n);
  void concat(int idx, const onnx::NodeProto& n);
  void slice(int idx, const onnx::NodeProto& n);
  void pad(int idx, const onnx::NodeProto& n);
  void gemm(int idx, const onnx::NodeProto& n);
  void matmul(int idx, const onnx::NodeProto& n);
  void dropout(int idx, const onnx::NodeProto& n);
  void identity(int idx, const onnx::NodeProto& n);
  void resize(int idx, const onnx::NodeProto& n);
  void constant_node(int idx, const onnx::NodeProto& n);
  void gather(int idx, const onnx::NodeProto& n);
  void layer_norm(int idx, const onnx::NodeProto& n);
  void div_gelu(int idx, const onnx::NodeProto& n);
  void reduce_mean(int idx, const onnx::NodeProto& n);
  void marked_op(int idx, const onnx::NodeProto& n);  // the last node of a zcnas composite op (kOpMarker)
  void transpose(int idx, const onnx::NodeProto& n);
  void split(int idx, const onnx::NodeProto& n);

  // ---- shape values (issue 8) ------------------------------------------------------------
  std::optional<IntVal> int_value(const std::string& tensor);  // a shape value or an int constant
  bool is_shape_computation(const onnx::NodeProto& n);          // every input is an int value (or op Shape)
  void shape_op(int idx, const onnx::NodeProto& n);             // evaluates it into ints_
  // Input k as ints (a constant or a shape value); the symbolic batch only where batch_ok.
  std::vector<std::int64_t> need_ints(const onnx::NodeProto& n, int k, const char* what, bool batch_ok = false);
  // Per-sample target of Reshape(x {s}, v) when the batch axis stays; nullopt when it changes.
  std::optional<Shape> reshape_target(const onnx::NodeProto& n, const Shape& s, const std::vector<std::int64_t>& v) const;

  std::int64_t norm_axis(const onnx::NodeProto& n, std::int64_t axis, std::size_t per_sample_rank) const {
    const auto rank = static_cast<std::int64_t>(per_sample_rank) + 1;
    if (axis < -rank || axis >= rank) fail(n, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
  }
};

// ---------------------------------------------------------------------------------------
std::string Reader::read_external(const onnx::TensorProto& t, const std::string& name, std::uint64_t expect_bytes) {
  std::string location;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;
  auto parse_u64 = [&](const std::string& key, const std::string& v) {
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
      fail_file("tensor '" + name + "': external-data " + key + " '" + v + "' is not a non-negative integer");
    return static_cast<std::uint64_t>(std::stoull(v));
  };
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = parse_u64("offset", kv.value());
    else if (kv.key() == "length") length = parse_u64("length", kv.value());
  }
  if (!dir_) fail_file("tensor '" + name + "' has external data, but the model was not read from a file");
  if (location.empty()) fail_file("tensor '" + name + "': external data without a location");
  const fs::path rel(location);
  if (rel.is_absolute() || location.find('\\') != std::string::npos || location.find(':') != std::string::npos)
    fail_file("tensor '" + name + "': external-data location '" + location + "' is absolute",
              "external data must lie in the model's folder");
  for (const auto& part : rel)
    if (part == "..") fail_file("tensor '" + name + "': external-data location '" + location + "' contains '..'",
                                "external data must lie in the model's folder");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(*dir_, ec);
  const fs::path file = fs::weakly_canonical(*dir_ / rel, ec);
  if (ec) fail_file("tensor '" + name + "': cannot resolve external-data location '" + location + "'");
  auto mismatch = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (mismatch.first != base.end())
    fail_file("tensor '" + name + "': external-data location '" + location + "' resolves outside the model's folder (" +
              file.string() + ")", "external data must lie in the model's folder");
  if (!fs::is_regular_file(file, ec)) fail_file("tensor '" + name + "': external-data file '" + file.string() + "' does not exist");
  const auto size = fs::file_size(file, ec);
  if (ec) fail_file("tensor '" + name + "': cannot read the size of '" + file.string() + "'");
  if (length && *length != expect_bytes)
    fail_file("tensor '" + name + "': external-data length " + std::to_string(*length) + " differs from its shape's " +
              std::to_string(expect_bytes) + " bytes");
  if (offset > size || size - offset < expect_bytes)
    fail_file("tensor '" + name + "': external data [" + std::to_string(offset) + ", +" + std::to_string(expect_bytes) +
              ") lies beyond the end of '" + file.string() + "' (" + std::to_string(size) + " bytes)");
  external_bytes_ += expect_bytes;
  if (external_bytes_ > opt_.max_external_bytes)
    fail_file("external data exceeds the limit of " + std::to_string(opt_.max_external_bytes) + " bytes");
  std::ifstream in(file, std::ios::binary);
  std::string buf(expect_bytes, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(buf.data(), static_cast<std::streamsize>(expect_bytes));
  if (!in) fail_file("tensor '" + name + "': reading external data from '" + file.string() + "' failed");
  return buf;
}

Const Reader::decode(const onnx::TensorProto& t, const std::string& name) {
  Const c;
  std::int64_t numel = 1;
  for (auto d : t.dims()) {
    if (d < 0) fail_file("tensor '" + name + "' has a negative dimension");
    c.dims.push_back(d);
    if (d && numel > kMaxNumel / d) fail_file("tensor '" + name + "' is too large (" + shape_str(c.dims) + ")");
    numel *= d;
  }
  const auto n = static_cast<std::size_t>(numel);
  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  auto raw = [&](std::size_t elem) -> std::string {
    if (external) return read_external(t, name, n * elem);
    if (t.raw_data().size() != n * elem)
      fail_file("tensor '" + name + "' holds " + std::to_string(t.raw_data().size()) + " raw bytes, its shape " +
                shape_str(c.dims) + " needs " + std::to_string(n * elem));
    return t.raw_data();
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      c.f.resize(n);
      if (external || t.has_raw_data()) {
        const std::string b = raw(sizeof(float));
        if (n) std::memcpy(c.f.data(), b.data(), n * sizeof(float));
      } else {
        if (static_cast<std::size_t>(t.float_data_size()) != n)
          fail_file("tensor '" + name + "' has " + std::to_string(t.float_data_size()) + " values, its shape " +
                    shape_str(c.dims) + " needs " + std::to_string(n));
        std::copy(t.float_data().begin(), t.float_data().end(), c.f.begin());
      }
      return c;
    }
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      c.is_int = true;
      c.i.resize(n);
      const bool i64 = t.data_type() == onnx::TensorProto::INT64;
      if (external || t.has_raw_data()) {
        const std::string b = raw(i64 ? 8 : 4);
        for (std::size_t k = 0; k < n; ++k) {
          if (i64) {
            std::memcpy(&c.i[k], b.data() + 8 * k, 8);
          } else {
            std::int32_t v;
            std::memcpy(&v, b.data() + 4 * k, 4);
            c.i[k] = v;
          }
        }
      } else {
        const auto have = static_cast<std::size_t>(i64 ? t.int64_data_size() : t.int32_data_size());
        if (have != n) fail_file("tensor '" + name + "' has " + std::to_string(have) + " values, its shape needs " + std::to_string(n));
        for (std::size_t k = 0; k < n; ++k) c.i[k] = i64 ? t.int64_data(static_cast<int>(k)) : t.int32_data(static_cast<int>(k));
      }
      return c;
    }
    default:
      fail_file("tensor '" + name + "' has ONNX data type " + std::to_string(t.data_type()),
                "supported: float32 parameters, int64/int32 shape constants");
  }
}

const Const* Reader::constant(const std::string& name) {
  if (auto it = consts_.find(name); it != consts_.end()) return &it->second;
  if (auto it = inits_.find(name); it != inits_.end()) return &(consts_[name] = decode(*it->second, name));
  if (auto it = declared_.find(name); it != declared_.end()) {
    Const c;
    c.has_data = false;
    const auto& tt = it->second->type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) fail_file("declared parameter '" + name + "' is not float");
    std::int64_t numel = 1;
    for (const auto& d : tt.shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0 || d.dim_value() > kMaxNumel)
        fail_file("declared parameter '" + name + "' has a dynamic or invalid shape");
      c.dims.push_back(d.dim_value());
      if (d.dim_value() && numel > kMaxNumel / d.dim_value()) fail_file("declared parameter '" + name + "' is too large");
      numel *= d.dim_value();
    }
    return &(consts_[name] = std::move(c));
  }
  return nullptr;
}

std::string Reader::unique_name(const std::string& wanted, const std::string& fallback) {
  auto valid_dotted = [](const std::string& s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos) return false;
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
    return true;
  };
  auto proper_prefixes = [](const std::string& s) {
    std::vector<std::string> v;
    for (std::size_t p = s.find('.'); p != std::string::npos; p = s.find('.', p + 1)) v.push_back(s.substr(0, p));
    return v;
  };
  std::string name = wanted;
  bool ok = valid_dotted(name) && !used_names_.count(name) && !prefixes_.count(name);
  if (ok)
    for (const auto& p : proper_prefixes(name)) ok = ok && !used_names_.count(p);
  if (!ok) {  // flat fallback: no dots, so only exact clashes remain
    std::string flat;
    for (char c : name) flat.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    while (!flat.empty() && flat.front() == '_') flat.erase(flat.begin());
    if (flat.empty()) flat = fallback;
    if (flat.size() > 200) flat = flat.substr(0, 200);
    name = flat;
    for (int k = 1; used_names_.count(name) || prefixes_.count(name); ++k) name = flat + "_" + std::to_string(k);
  }
  used_names_.insert(name);
  for (const auto& p : proper_prefixes(name)) prefixes_.insert(p);
  return name;
}

// ---- handlers ---------------------------------------------------------------------------
void Reader::conv(int idx, const onnx::NodeProto& n) {
  const bool t = n.op_type() == "ConvTranspose";
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3) fail(n, "input has per-sample shape " + shape_str(s) + ", expected {C,H,W}");
  const Const& w = need_param(n, 1, "W");
  if (w.dims.size() != 4) fail(n, "weight has shape " + shape_str(w.dims) + ", expected 4-D");
  const auto ap = attr_s(n, "auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID") fail(n, "auto_pad " + ap + " is not supported", "export with explicit pads");
  if (!attr_is(n, "output_shape", {}).empty()) fail(n, "output_shape is not supported", "use pads/output_padding");
  Conv2dAttr a;
  a.kernel = square(n, "kernel_shape", attr_is(n, "kernel_shape", {w.dims[2], w.dims[3]}), 2);
  if (w.dims[2] != a.kernel || w.dims[3] != a.kernel) fail(n, "kernel_shape disagrees with the weight " + shape_str(w.dims));
  a.stride = square(n, "strides", attr_is(n, "strides", {1, 1}), 2);
  a.padding = square(n, "pads", attr_is(n, "pads", {0, 0, 0, 0}), 4);
  a.dilation = square(n, "dilations", attr_is(n, "dilations", {1, 1}), 2);
  a.groups = attr_i(n, "group", 1);
  if (a.groups <= 0) fail(n, "group must be positive");
  a.bias = n.input_size() > 2 && !n.input(2).empty();
  std::vector<std::int64_t> wd;
  if (t) {
    a.out_channels = w.dims[1] * a.groups;
    a.output_padding = square(n, "output_padding", attr_is(n, "output_padding", {0, 0}), 2);
    wd = {s[0], a.out_channels / a.groups, a.kernel, a.kernel};
  } else {
    a.out_channels = w.dims[0];
    wd = {a.out_channels, s[0] / a.groups, a.kernel, a.kernel};
  }
  if (w.dims != wd) fail(n, "weight shape " + shape_str(w.dims) + " does not fit input channels " + std::to_string(s[0]) +
                                " and group " + std::to_string(a.groups));
  const std::string name = ir_name(n, idx);
  const NodeId id = add(n, [&] {
    return t ? out_.graph.conv_transpose2d(x, a, name) : out_.graph.conv2d(x, a, name);
  });
  store_param(n, name + ".weight", w, wd);
  if (a.bias) store_param(n, name + ".bias", need_param(n, 2, "B"), {a.out_channels});
  bind(n, id);
}

void Reader::batchnorm(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3) fail(n, "input has per-sample shape " + shape_str(s) + ", expected {C,H,W}");
  const auto c = s[0];
  BatchNormAttr a;
  a.eps = round7(attr_f(n, "epsilon", 1e-5f));
  a.momentum = round7(1.0 - static_cast<double>(attr_f(n, "momentum", 0.9f)));
  a.track_running_stats = attr_i(n, "training_mode", 0) == 0;
  a.affine = n.doc_string() != kNonAffineMarker;
  const Const& scale = need_param(n, 1, "scale");
  const Const& bias = need_param(n, 2, "B");
  const Const& mean = need_param(n, 3, "input_mean");
  const Const& var = need_param(n, 4, "input_var");
  const std::string name = ir_name(n, idx);
  const NodeId id = add(n, [&] { return out_.graph.batchnorm(x, a, name); });
  if (a.affine) {
    store_param(n, name + ".weight", scale, {c});
    store_param(n, name + ".bias", bias, {c});
  }
  if (a.track_running_stats) {
    store_param(n, name + ".running_mean", mean, {c});
    store_param(n, name + ".running_var", var, {c});
  }
  bind(n, id);
}

void Reader::unary(int idx, const onnx::NodeProto& n) {
  static const std::map<std::string, OpKind> kinds{{"Relu", OpKind::ReLU},       {"Sigmoid", OpKind::Sigmoid},
                                                   {"Tanh", OpKind::Tanh},       {"HardSwish", OpKind::HardSwish}};
  const NodeId x = value(n, 0);
  const auto op = kinds.at(n.op_type());
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.add(op, {x}, NoAttr{}, name); }));
}

void Reader::leaky_relu(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  LeakyReLUAttr a{round7(attr_f(n, "alpha", 0.01f))};
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.leaky_relu(x, a, name); }));
}

void Reader::hard_sigmoid(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const float alpha = attr_f(n, "alpha", 0.2f), beta = attr_f(n, "beta", 0.5f);
  if (std::abs(alpha - 1.0f / 6.0f) > 1e-6f || std::abs(beta - 0.5f) > 1e-6f)
    fail(n, "HardSigmoid with alpha=" + std::to_string(alpha) + ", beta=" + std::to_string(beta) + " is not supported",
         "only torch's Hardsigmoid (alpha=1/6, beta=0.5)");
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.hardsigmoid(x, name); }));
}

void Reader::clip(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  ClipAttr a{-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  a.lo = attr_f(n, "min", -std::numeric_limits<float>::infinity());  // opset < 11
  a.hi = attr_f(n, "max", std::numeric_limits<float>::infinity());
  auto bound = [&](int k, double& v) {
    if (n.input_size() > k && !n.input(k).empty()) {
      const Const& c = need_const(n, k, k == 1 ? "min" : "max");
      if (c.is_int || c.numel() != 1) fail(n, "clip bound must be a float scalar");
      v = round7(c.f[0]);
    }
  };
  bound(1, a.lo);
  bound(2, a.hi);
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.clip(x, a, name); }));
}

void Reader::softmax(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const auto& s = shape_of(x);
  const bool old = out_.opset < 13;  // before opset 13 Softmax flattened from `axis` on: same only for the last axis
  auto axis = norm_axis(n, attr_i(n, "axis", old ? 1 : -1), s.size());
  if (old && axis != static_cast<std::int64_t>(s.size())) fail(n, "opset < 13 Softmax over several axes is not supported");
  if (axis == 0) fail(n, "softmax over the batch axis is not supported");
  SoftmaxAttr a{axis - 1};
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.softmax(x, a, name); }));
}

void Reader::pool(int idx, const onnx::NodeProto& n) {
  const bool avg = n.op_type() == "AveragePool";
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3) fail(n, "input has per-sample shape " + shape_str(s) + ", expected {C,H,W}");
  const auto ap = attr_s(n, "auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID") fail(n, "auto_pad " + ap + " is not supported", "export with explicit pads");
  PoolAttr a;
  a.kernel = square(n, "kernel_shape", attr_is(n, "kernel_shape", {}), 2);
  a.stride = square(n, "strides", attr_is(n, "strides", {1, 1}), 2);
  a.padding = square(n, "pads", attr_is(n, "pads", {0, 0, 0, 0}), 4);
  if (square(n, "dilations", attr_is(n, "dilations", {1, 1}), 2) != 1) fail(n, "dilated pooling is not supported");
  a.ceil_mode = attr_i(n, "ceil_mode", 0) != 0;
  a.count_include_pad = avg && attr_i(n, "count_include_pad", 0) != 0;
  const std::string name = ir_name(n, idx);
  const NodeId id = add(n, [&] { return avg ? out_.graph.avg_pool(x, a, name) : out_.graph.max_pool(x, a, name); });
  if (a.ceil_mode)  // ONNX 1.12's size rule for ceil mode lacks torch's last-window rule (see the writer)
    for (int d = 1; d <= 2; ++d) {
      const auto span = s[d] + 2 * a.padding - a.kernel;
      if ((span + a.stride - 1) / a.stride + 1 != shape_of(id)[d])
        fail(n, "ceil-mode output size differs between ONNX and torch for input " + shape_str(s));
    }
  bind(n, id);
}

void Reader::global_avg_pool(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const int next = sole_consumer(n.output(0));
  if (next >= 0) {
    const auto& f = g_.node(next);
    if (f.op_type() == "Flatten" && attr_i(f, "axis", 1) == 1) {  // GAP + Flatten = the IR's {C} pool
      const std::string name = ir_name(f, next);
      const auto marker = global_pool_marker(f);
      const NodeId id = add(n, [&] {
        return marker ? out_.graph.add(OpKind::GlobalAvgPool, {x}, GlobalPoolAttr{false, *marker}, name)
                      : out_.graph.global_avg_pool(x, name);
      });
      skip_[next] = true;
      bind(f, id);
      return;
    }
  }
  const std::string name = ir_name(n, idx);
  const bool functional = global_pool_marker(n).value_or(false);
  bind(n, add(n, [&] { return out_.graph.add(OpKind::GlobalAvgPool, {x}, GlobalPoolAttr{true, functional}, name); }));
}

void Reader::flatten(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  if (norm_axis(n, attr_i(n, "axis", 1), shape_of(x).size()) != 1)
    fail(n, "Flatten with axis != 1 is not supported", "the batch axis must stay");
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.flatten(x, name); }));
}

std::optional<Shape> Reader::reshape_target(const onnx::NodeProto& n, const Shape& s, const std::vector<std::int64_t>& v) const {
  if (v.empty()) fail(n, "Reshape to a scalar is not supported");
  std::int64_t numel = 1;
  for (auto d : s) numel *= d;
  Shape t;  // per sample; 0 copies the input's dim (allowzero 0), one -1 is inferred
  int infer = -1;
  for (std::size_t k = 1; k < v.size(); ++k) {
    std::int64_t d = v[k];
    if (d == kBatch) fail(n, "Reshape puts the batch size at position " + std::to_string(k), "only the first axis may be the batch");
    if (d == 0) {
      if (k > s.size()) fail(n, "Reshape copies dim " + std::to_string(k) + " (0) that the input " + shape_str(s) + " lacks");
      d = s[k - 1];
    }
    if (d == -1) {
      if (infer >= 0) fail(n, "Reshape target " + shape_str(v) + " has two -1 entries");
      infer = static_cast<int>(t.size());
    } else if (d <= 0) {
      fail(n, "Reshape target " + shape_str(v) + " has an invalid entry");
    }
    t.push_back(d);
  }
  std::int64_t known = 1;
  for (auto d : t)
    if (d != -1) known = d && known > kMaxNumel / d ? kMaxNumel : known * d;
  const bool batch_kept = v[0] == kBatch || v[0] == 0 || (v[0] == -1 && infer < 0 && known == numel);
  if (!batch_kept) {
    if (v[0] == -1) return std::nullopt;
    fail(n, "Reshape sets the batch axis to " + std::to_string(v[0]), "the batch axis must stay (0, -1 or the input's size)");
  }
  if (infer >= 0) {
    if (numel % known) fail(n, "Reshape of " + shape_str(s) + " to " + shape_str(v) + ": -1 cannot be inferred");
    t[infer] = numel / known;
  } else if (known != numel) {
    fail(n, "Reshape of " + shape_str(s) + " to " + shape_str(v) + " changes the number of elements per sample");
  }
  return t;
}

void Reader::reshape(int idx, const onnx::NodeProto& n) {
  if (attr_i(n, "allowzero", 0) != 0) fail(n, "allowzero=1 is not supported");
  const auto v = need_ints(n, 1, "shape", true);
  if (auto it = shuffles_.find(n.input(0)); it != shuffles_.end() && it->second.transposed) {  // end of a channel shuffle
    const auto p = it->second;
    const Shape s = shape_of(p.src);
    const auto t = reshape_target(n, {s[0] / p.groups, p.groups, s[1], s[2]}, v);
    if (!t || *t != s)
      fail(n, "the Reshape after a channel shuffle's Transpose must give back [N, " + std::to_string(s[0]) + ", " +
                  std::to_string(s[1]) + ", " + std::to_string(s[2]) + "], got " + shape_str(v));
    const std::string name = ir_name(n, idx);
    bind(n, add(n, [&] { return out_.graph.channel_shuffle(p.src, ChannelShuffleAttr{p.groups}, name); }));
    return;
  }
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  std::int64_t numel = 1;
  for (auto d : s) numel *= d;
  if (const auto t = reshape_target(n, s, v)) {
    if (*t == s || t->size() == 1) {  // same shape, or [N, C*H*W]
      const std::string name = ir_name(n, idx);
      bind(n, add(n, [&] { return *t == s ? out_.graph.identity(x, name) : out_.graph.flatten(x, name); }));
      return;
    }
    // [N, g, C/g, H, W] starting torchvision's channel_shuffle: Transpose(0,2,1,3,4) and a Reshape back follow.
    if (s.size() == 3 && t->size() == 4 && (*t)[2] == s[1] && (*t)[3] == s[2]) {
      const int tr = sole_consumer(n.output(0));
      const bool pattern = tr >= 0 && g_.node(tr).op_type() == "Transpose" &&
                           attr_is(g_.node(tr), "perm", {}) == std::vector<std::int64_t>{0, 2, 1, 3, 4} &&
                           sole_consumer(g_.node(tr).output(0)) >= 0 &&
                           g_.node(sole_consumer(g_.node(tr).output(0))).op_type() == "Reshape";
      if (!pattern)
        fail(n, "Reshape of " + shape_str(s) + " to " + shape_str(v) + " is supported only as the start of a channel shuffle",
             "Reshape [N,g,C/g,H,W] -> Transpose(perm 0,2,1,3,4) -> Reshape [N,C,H,W], each the sole reader of the previous");
      shuffles_[n.output(0)] = PendingShuffle{x, (*t)[0], false};
      return;
    }
  } else if (v.size() == 4 && s.size() == 3 && v[1] > 0 && v[2] == s[1] && v[3] == s[2]) {
    // [-1, c, H, W]: moves channel groups between the batch and channel axes (tile folding)
    if (s[0] % v[1] == 0 || v[1] % s[0] == 0) {
      const std::string name = ir_name(n, idx);
      bind(n, add(n, [&] {
        return s[0] % v[1] == 0 ? out_.graph.fold_tiles(x, TileAttr{s[0] / v[1]}, name)
                                : out_.graph.unfold_tiles(x, TileAttr{v[1] / s[0]}, name);
      }));
      return;
    }
  }
  fail(n, "Reshape of " + shape_str(s) + " to " + shape_str(v) + " is not supported",
       "supported: flattening to [N, -1], moving channel groups to the batch ([-1, C, H, W]) and channel shuffles");
}

void Reader::transpose(int, const onnx::NodeProto& n) {
  auto it = shuffles_.find(n.input_size() ? n.input(0) : std::string());
  if (it == shuffles_.end() || it->second.transposed || attr_is(n, "perm", {}) != std::vector<std::int64_t>{0, 2, 1, 3, 4})
    fail(n, "Transpose is supported only inside a channel shuffle",
         "Reshape [N,g,C/g,H,W] -> Transpose(perm 0,2,1,3,4) -> Reshape [N,C,H,W] (torchvision's channel_shuffle)");
  auto p = it->second;
  p.transposed = true;
  shuffles_[n.output(0)] = p;
}

void Reader::split(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3 || norm_axis(n, attr_i(n, "axis", 0), s.size()) != 1)
    fail(n, "Split is supported on the channel axis (axis 1) of [N, C, H, W] only");
  std::vector<std::int64_t> sizes;
  if (n.input_size() > 1 && !n.input(1).empty()) sizes = need_ints(n, 1, "split");
  else sizes = attr_is(n, "split", {});  // opset < 13
  const auto outs = static_cast<std::int64_t>(n.output_size());
  if (sizes.empty()) {  // equal parts
    if (outs < 1 || s[0] % outs) fail(n, "cannot split " + std::to_string(s[0]) + " channels into " + std::to_string(outs) + " equal parts");
    sizes.assign(static_cast<std::size_t>(outs), s[0] / outs);
  }
  std::int64_t total = 0;
  for (auto d : sizes) total += d > 0 ? d : kMaxNumel;
  if (static_cast<std::int64_t>(sizes.size()) != outs || total != s[0])
    fail(n, "split sizes " + shape_str(sizes) + " do not divide " + std::to_string(s[0]) + " channels into " + std::to_string(outs) + " parts");
  std::int64_t start = 0;
  for (int k = 0; k < n.output_size(); ++k) {
    const ChannelSliceAttr a{start, start + sizes[static_cast<std::size_t>(k)]};
    start = a.end;
    if (n.output(k).empty()) continue;
    const std::string name = unique_name(n.name() + "_" + std::to_string(k), "Split_" + std::to_string(idx) + "_" + std::to_string(k));
    values_[n.output(k)] = add(n, [&] { return out_.graph.channel_slice(x, a, name); });
  }
}

void Reader::add_sum(int idx, const onnx::NodeProto& n) {
  std::vector<NodeId> xs;
  for (int k = 0; k < n.input_size(); ++k) {
    if (constant(n.input(k))) fail(n, "adding a constant tensor is not supported", "only sums of computed tensors");
    xs.push_back(value(n, k));
  }
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.add_n(xs, name); }));
}

void Reader::mul(int idx, const onnx::NodeProto& n) {
  if (n.input_size() != 2) fail(n, "Mul takes 2 inputs");
  const bool z0 = is_zero_scalar(n.input(0)), z1 = is_zero_scalar(n.input(1));
  if (!z0 && !z1) {
    for (int k = 0; k < 2; ++k)
      if (constant(n.input(k))) fail(n, "multiplying by a constant tensor other than scalar 0 is not supported");
    const NodeId a = value(n, 0), b = value(n, 1);
    const std::string name = ir_name(n, idx);
    bind(n, add(n, [&] { return out_.graph.mul(a, b, name); }));
    return;
  }
  // Zero: x * 0, possibly after a deferred strided Slice, possibly before an Expand of channels.
  const std::string src = n.input(z0 ? 1 : 0);
  ZeroAttr z;
  bool with_attr = false;
  NodeId x;
  if (auto it = deferred_.find(src); it != deferred_.end()) {
    x = values_.at(it->second.src);
    z.stride = it->second.stride;
    z.out_channels = it->second.channel0 ? 1 : shape_of(x)[0];
    with_attr = true;
  } else {
    x = value(n, z0 ? 1 : 0);
  }
  const onnx::NodeProto* last = &n;
  int last_idx = idx;
  const int next = sole_consumer(n.output(0));
  if (next >= 0 && g_.node(next).op_type() == "Expand" && shape_of(x).size() == 3) {
    const auto& e = g_.node(next);
    const Const* sh = e.input_size() == 2 ? constant(e.input(1)) : nullptr;
    const auto c_now = with_attr ? z.out_channels : shape_of(x)[0];
    if (sh && sh->has_data && sh->is_int && sh->i.size() == 4 && sh->i[0] == 1 && sh->i[2] == 1 && sh->i[3] == 1 && c_now == 1 &&
        sh->i[1] > 0 && sh->i[1] <= (std::int64_t{1} << 20)) {
      z.out_channels = sh->i[1];
      with_attr = true;
      skip_[next] = true;
      last = &e;
      last_idx = next;
    }
  }
  const std::string name = ir_name(*last, last_idx);
  const NodeId id = add(n, [&] { return with_attr ? out_.graph.zero(x, z, name) : out_.graph.zero(x, name); });
  bind(*last, id);
}

void Reader::concat(int idx, const onnx::NodeProto& n) {
  std::vector<NodeId> xs;
  for (int k = 0; k < n.input_size(); ++k) xs.push_back(value(n, k));
  if (xs.empty()) fail(n, "Concat without inputs");
  const auto axis = norm_axis(n, attr_i(n, "axis", 1), shape_of(xs[0]).size());
  if (axis == 0) fail(n, "Concat on the batch axis is not supported");
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return axis == 1 ? out_.graph.concat(xs, name) : out_.graph.concat(xs, ConcatAttr{axis - 1}, name); }));
}

void Reader::slice(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3) fail(n, "Slice is supported on {C,H,W} tensors only");
  const auto starts = need_ints(n, 1, "starts"), ends = need_ints(n, 2, "ends");  // constants or shape values
  std::vector<std::int64_t> axes, steps;
  if (n.input_size() > 3 && !n.input(3).empty()) axes = need_ints(n, 3, "axes");
  else for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
  if (n.input_size() > 4 && !n.input(4).empty()) steps = need_ints(n, 4, "steps");
  else steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail(n, "starts/ends/axes/steps must be int lists of equal length");
  // Per axis of the batched tensor: begin, end (clamped as ONNX does), step.
  std::int64_t b[4] = {0, 0, 0, 0}, e[4] = {0, s[0], s[1], s[2]}, st[4] = {1, 1, 1, 1};
  bool touched[4] = {false, false, false, false};
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const auto ax = norm_axis(n, axes[k], s.size());
    if (ax == 0 || touched[ax]) fail(n, "Slice on the batch axis or twice on one axis is not supported");
    touched[ax] = true;
    const auto dim = s[ax - 1];
    if (steps[k] <= 0) fail(n, "Slice with a non-positive step is not supported");
    auto clampi = [&](std::int64_t v) { return std::clamp(v < 0 ? v + dim : v, std::int64_t{0}, dim); };
    b[ax] = clampi(starts[k]);
    e[ax] = clampi(ends[k]);
    st[ax] = steps[k];
    if (e[ax] <= b[ax]) fail(n, "Slice gives an empty tensor");
  }
  // Deferred: subsampling (and channel 0) feeding a Mul by 0 -> Zero.
  const int next = sole_consumer(n.output(0));
  if (next >= 0 && g_.node(next).op_type() == "Mul" && g_.node(next).input_size() == 2 &&
      (is_zero_scalar(g_.node(next).input(0)) || is_zero_scalar(g_.node(next).input(1))) && st[1] == 1 && st[2] == st[3] &&
      b[2] == 0 && b[3] == 0 && e[2] == s[1] && e[3] == s[2] && b[1] == 0 && (e[1] == s[0] || e[1] == 1)) {
    deferred_[n.output(0)] = Deferred{n.input(0), st[2], e[1] == 1 && s[0] != 1};
    return;
  }
  if (st[1] != 1 || st[2] != 1 || st[3] != 1) fail(n, "Slice with steps is not supported", "supported: crops of H/W, channel ranges");
  const std::string name = ir_name(n, idx);
  if (b[1] != 0 || e[1] != s[0]) {  // a channel range, e.g. one half of x.chunk(2, dim=1)
    if (touched[2] || touched[3]) fail(n, "Slice of channels and H/W at once is not supported");
    bind(n, add(n, [&] { return out_.graph.channel_slice(x, ChannelSliceAttr{b[1], e[1]}, name); }));
    return;
  }
  SliceAttr a;
  a.top = b[2];
  a.bottom = s[1] - e[2];
  a.left = b[3];
  a.right = s[2] - e[3];
  bind(n, add(n, [&] { return out_.graph.slice2d(x, a, name); }));
}

void Reader::pad(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  if (attr_s(n, "mode", "constant") != "constant") fail(n, "only constant padding is supported");
  std::vector<std::int64_t> p;
  if (n.input_size() > 1 && !n.input(1).empty()) p = need_const(n, 1, "pads").i;
  else p = attr_is(n, "pads", {});
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const& v = need_const(n, 2, "constant_value");
    if (v.numel() != 1 || (v.is_int ? v.i[0] != 0 : v.f[0] != 0.0f)) fail(n, "padding with a value other than 0 is not supported");
  }
  if (attr_f(n, "value", 0.0f) != 0.0f) fail(n, "padding with a value other than 0 is not supported");
  if (p.size() != 8 || p[0] || p[1] || p[4] || p[5]) fail(n, "only H/W padding of NCHW tensors is supported");
  PadAttr a;
  a.top = p[2];
  a.left = p[3];
  a.bottom = p[6];
  a.right = p[7];
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.pad2d(x, a, name); }));
}

void Reader::gemm(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 1) fail(n, "Gemm input has per-sample shape " + shape_str(s) + ", expected {F}", "flatten first");
  if (attr_i(n, "transA", 0) != 0 || attr_f(n, "alpha", 1.0f) != 1.0f || attr_f(n, "beta", 1.0f) != 1.0f)
    fail(n, "Gemm with transA, alpha != 1 or beta != 1 is not supported");
  const bool tb = attr_i(n, "transB", 0) != 0;
  const Const& w = need_param(n, 1, "B");
  if (w.dims.size() != 2 || w.dims[tb ? 1 : 0] != s[0]) fail(n, "weight shape " + shape_str(w.dims) + " does not fit input " + shape_str(s));
  LinearAttr a;
  a.out_features = w.dims[tb ? 0 : 1];
  a.bias = n.input_size() > 2 && !n.input(2).empty();
  const std::string name = ir_name(n, idx);
  const NodeId id = add(n, [&] { return out_.graph.linear(x, a, name); });
  store_param(n, name + ".weight", w, {a.out_features, s[0]}, !tb);
  if (a.bias) store_param(n, name + ".bias", need_param(n, 2, "C"), {a.out_features});
  bind(n, id);
}

void Reader::matmul(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  const Const& w = need_param(n, 1, "B");
  if (w.dims.size() != 2 || s.empty() || w.dims[0] != s.back())
    fail(n, "MatMul of " + shape_str(s) + " by " + shape_str(w.dims) + " is not supported", "supported: x @ W with a 2-D constant W");
  LinearAttr a;
  a.out_features = w.dims[1];
  a.bias = false;
  const onnx::NodeProto* last = &n;
  int last_idx = idx;
  const Const* bias = nullptr;
  const int next = sole_consumer(n.output(0));
  if (next >= 0 && g_.node(next).op_type() == "Add" && g_.node(next).input_size() == 2) {
    const auto& ad = g_.node(next);
    const std::string other = ad.input(0) == n.output(0) ? ad.input(1) : ad.input(0);
    const Const* c = constant(other);
    if (c && !c->is_int && c->numel() == a.out_features && c->dims.size() == 1) {
      bias = c;
      a.bias = true;
      skip_[next] = true;
      last = &ad;
      last_idx = next;
    }
  }
  const std::string name = ir_name(*last, last_idx);
  const NodeId id = add(n, [&] { return out_.graph.linear(x, a, name); });
  store_param(n, name + ".weight", w, {a.out_features, s.back()}, true);
  if (bias) store_param(n, name + ".bias", *bias, {a.out_features});
  bind(*last, id);
}

void Reader::dropout(int, const onnx::NodeProto& n) {  // inference: identity (torch.onnx's eval export drops it anyway)
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const* tm = constant(n.input(2));
    if (!tm || !tm->has_data || (tm->is_int ? tm->i.at(0) : 1) != 0) fail(n, "Dropout in training mode is not supported");
  }
  bind(n, value(n, 0));
}

void Reader::identity(int idx, const onnx::NodeProto& n) {
  if (n.input_size() == 1 && n.output_size() == 1 && !values_.count(n.input(0))) {
    if (const Const* c = constant(n.input(0))) {  // torch.onnx aliases shared initializers through Identity
      Const copy = *c;
      consts_[n.output(0)] = std::move(copy);
      return;
    }
  }
  const NodeId x = value(n, 0);
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.identity(x, name); }));
}

void Reader::resize(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (s.size() != 3) fail(n, "Resize is supported on {C,H,W} tensors only");
  if (attr_s(n, "mode", "nearest") != "nearest" || attr_s(n, "coordinate_transformation_mode", "half_pixel") != "asymmetric" ||
      attr_s(n, "nearest_mode", "round_prefer_floor") != "floor")
    fail(n, "only Resize(mode=nearest, coordinate_transformation_mode=asymmetric, nearest_mode=floor) is supported",
         "that is torch's upsample_nearest2d");
  std::int64_t f = 0;
  if (n.input_size() > 2 && !n.input(2).empty() && constant(n.input(2)) && constant(n.input(2))->numel() > 0) {
    const Const& sc = need_const(n, 2, "scales");
    if (sc.is_int || sc.f.size() != 4 || sc.f[0] != 1.0f || sc.f[1] != 1.0f || sc.f[2] != sc.f[3] || sc.f[2] < 1.0f ||
        sc.f[2] != std::floor(sc.f[2]))
      fail(n, "only equal integer H/W scale factors are supported");
    f = static_cast<std::int64_t>(sc.f[2]);
  } else if (n.input_size() > 3 && !n.input(3).empty()) {
    const Const& sz = need_const(n, 3, "sizes");
    if (!sz.is_int || sz.i.size() != 4 || sz.i[2] % s[1] || sz.i[3] % s[2] || sz.i[2] / s[1] != sz.i[3] / s[2] || sz.i[1] != s[0])
      fail(n, "only equal integer H/W scale factors are supported");
    f = sz.i[2] / s[1];
  } else {
    fail(n, "Resize needs constant scales or sizes");
  }
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.upsample2d(x, UpsampleAttr{f}, name); }));
}

void Reader::constant_node(int, const onnx::NodeProto& n) {
  if (n.output_size() != 1) fail(n, "Constant must have one output");
  Const c;
  if (const auto* a = attr(n, "value"); a && a->type() == onnx::AttributeProto::TENSOR) {
    c = decode(a->t(), n.output(0));
  } else if (const auto* vf = attr(n, "value_float")) {
    c.f = {vf->f()};
  } else if (const auto* vi = attr(n, "value_int")) {
    c.is_int = true;
    c.i = {vi->i()};
  } else if (const auto* vis = attr(n, "value_ints")) {
    c.is_int = true;
    c.i.assign(vis->ints().begin(), vis->ints().end());
    c.dims = {static_cast<std::int64_t>(c.i.size())};
  } else if (const auto* vfs = attr(n, "value_floats")) {
    c.f.assign(vfs->floats().begin(), vfs->floats().end());
    c.dims = {static_cast<std::int64_t>(c.f.size())};
  } else {
    fail(n, "Constant of this kind is not supported", "supported: value (tensor), value_float(s), value_int(s)");
  }
  consts_[n.output(0)] = std::move(c);
}

// ---- transformer ops (issue 10) ------------------------------------------------------------
void Reader::gather(int idx, const onnx::NodeProto& n) {
  if (n.input_size() != 2) fail(n, "Gather takes 2 inputs");
  const auto axis = attr_i(n, "axis", 0);
  if (const Const* table = constant(n.input(0))) {  // Gather(table, ids): an embedding lookup
    const NodeId ids = value(n, 1);
    if (axis != 0 || table->is_int || table->dims.size() != 2)
      fail(n, "Gather from a constant is supported as an embedding lookup only (2-D float table, axis 0)");
    EmbeddingAttr a{table->dims[0], table->dims[1]};
    const std::string name = ir_name(n, idx);
    const NodeId id = add(n, [&] { return out_.graph.embedding(ids, a, name); });
    store_param(n, name + ".weight", *table, {a.num_embeddings, a.dim});
    bind(n, id);
    return;
  }
  const NodeId x = value(n, 0);  // Gather(x, scalar index, axis 1) on {T, D}: one token
  const Const& index = need_const(n, 1, "indices");
  if (!index.is_int || !index.dims.empty() || norm_axis(n, axis, shape_of(x).size()) != 1 || shape_of(x).size() != 2)
    fail(n, "Gather of a computed tensor is supported as a scalar token index on axis 1 of [N, T, D] only");
  auto i = index.i.at(0);
  if (i < 0) i += shape_of(x)[0];
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.select_token(x, SelectTokenAttr{i}, name); }));
}

void Reader::layer_norm(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const Shape s = shape_of(x);
  if (norm_axis(n, attr_i(n, "axis", -1), s.size()) != static_cast<std::int64_t>(s.size()))
    fail(n, "LayerNormalization over several axes is not supported", "normalize over the last axis");
  if (attr_i(n, "stash_type", 1) != 1) fail(n, "LayerNormalization with stash_type != 1 is not supported");
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty() && consumers_.count(n.output(k))) fail(n, "LayerNormalization's mean / inv-std outputs are not supported");
  LayerNormAttr a;
  a.eps = round7(attr_f(n, "epsilon", 1e-5f));
  a.affine = n.doc_string() != kNonAffineLayerNormMarker;
  const auto d = s.back();
  const Const& scale = need_param(n, 1, "Scale");
  const bool has_bias = n.input_size() > 2 && !n.input(2).empty();
  if (a.affine && !has_bias) fail(n, "LayerNormalization without bias is not supported");
  const std::string name = ir_name(n, idx);
  const NodeId id = add(n, [&] { return out_.graph.layer_norm(x, a, name); });
  if (a.affine) {
    store_param(n, name + ".weight", scale, {d});
    store_param(n, name + ".bias", need_param(n, 2, "B"), {d});
  }
  bind(n, id);
}

// GELU as torch.onnx exports F.gelu and the writer writes it: Div(x, sqrt 2), Erf, Add 1, Mul x, Mul 0.5.
void Reader::div_gelu(int, const onnx::NodeProto& n) {
  auto scalar = [&](const std::string& t, double want) {
    const Const* c = constant(t);
    return c && c->has_data && !c->is_int && c->numel() == 1 && std::abs(c->f[0] - want) <= 1e-6 * std::abs(want);
  };
  auto other = [](const onnx::NodeProto& m, const std::string& t) { return m.input(0) == t ? m.input(1) : m.input(0); };
  const NodeId x = value(n, 0);
  const std::string xs = n.input(0);
  std::vector<int> chain;
  bool ok = n.input_size() == 2 && scalar(n.input(1), std::sqrt(2.0));
  std::string cur = n.output(0);
  const char* ops[] = {"Erf", "Add", "Mul", "Mul"};
  for (int step = 0; ok && step < 4; ++step) {
    const int next = sole_consumer(cur);
    if (next < 0 || g_.node(next).op_type() != ops[step]) {
      ok = false;
      break;
    }
    const auto& m = g_.node(next);
    if (step == 1) ok = m.input_size() == 2 && scalar(other(m, cur), 1.0);
    if (step == 2) ok = m.input_size() == 2 && other(m, cur) == xs;
    if (step == 3) ok = m.input_size() == 2 && scalar(other(m, cur), 0.5);
    chain.push_back(next);
    cur = m.output(0);
  }
  if (!ok) fail(n, "Div is supported only as the first node of GELU's Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5");
  for (int c : chain) skip_[c] = true;
  const auto& last = g_.node(chain.back());
  const std::string name = ir_name(last, chain.back());
  bind(last, add(n, [&] { return out_.graph.gelu(x, name); }));
}

void Reader::reduce_mean(int idx, const onnx::NodeProto& n) {
  const NodeId x = value(n, 0);
  const auto axes = attr_is(n, "axes", {});
  if (shape_of(x).size() == 3 && axes.size() == 2 && norm_axis(n, axes[0], 3) == 2 && norm_axis(n, axes[1], 3) == 3) {
    // x.mean([2, 3]) (torchvision shufflenet_v2's head): a global mean taken by a function, so
    // GlobalPoolAttr::functional (0 FLOPs in NASLib's module-hook count, like nb101's torch.mean)
    const bool keep = attr_i(n, "keepdims", 1) != 0;
    const std::string name = ir_name(n, idx);
    bind(n, add(n, [&] { return out_.graph.add(OpKind::GlobalAvgPool, {x}, GlobalPoolAttr{keep, true}, name); }));
    return;
  }
  if (shape_of(x).size() != 2 || axes.size() != 1 || norm_axis(n, axes[0], 2) != 1 || attr_i(n, "keepdims", 1) != 0)
    fail(n, "ReduceMean is supported as the mean over tokens (axes [1], keepdims 0 on [N, T, D]) or over H, W "
            "(axes [2, 3] on [N, C, H, W]) only");
  const std::string name = ir_name(n, idx);
  bind(n, add(n, [&] { return out_.graph.mean_tokens(x, name); }));
}

void Reader::marked_op(int idx, const onnx::NodeProto& n) {
  auto f = marker_fields(n);
  const std::string op = f[""];
  auto get_i = [&](const std::string& key) -> std::int64_t {
    auto it = f.find(key);
    if (it == f.end()) fail(n, "zcnas " + op + " marker lacks '" + key + "'");
    const std::string& v = it->second;
    if (v.empty() || v.size() > 18 || v.find_first_not_of("-0123456789") != std::string::npos)
      fail(n, "zcnas " + op + " marker: '" + key + "=" + v + "' is not an integer");
    return std::stoll(v);
  };
  auto get_d = [&](const std::string& key) -> double {
    auto it = f.find(key);
    if (it == f.end()) fail(n, "zcnas " + op + " marker lacks '" + key + "'");
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !std::isfinite(v)) fail(n, "zcnas " + op + " marker: '" + key + "' is not a number");
    return v;
  };
  std::vector<NodeId> ins;
  for (const auto& t : split_commas(f["in"])) {
    auto it = values_.find(t);
    if (it == values_.end()) fail(n, "zcnas " + op + " marker names input '" + t + "', which no earlier node computes");
    ins.push_back(it->second);
  }
  auto arity = [&](std::size_t k) {
    if (ins.size() != k) fail(n, "zcnas " + op + " marker lists " + std::to_string(ins.size()) + " inputs, expected " + std::to_string(k));
  };
  const std::string name = ir_name(n, idx);
  NodeId id = -1;
  if (op == "attention") {
    arity(3);
    AttentionAttr a{get_i("heads"), get_i("causal") != 0, get_d("scale")};
    id = add(n, [&] { return out_.graph.attention(ins[0], ins[1], ins[2], a, name); });
  } else if (op == "linear_transform") {
    arity(1);
    const std::string k = f["kind"];
    if (k != "dft" && k != "dct") fail(n, "zcnas linear_transform marker: kind '" + k + "' is neither dft nor dct");
    LinearTransformAttr a{k == "dft" ? TransformKind::DFT : TransformKind::DCT, get_i("heads")};
    id = add(n, [&] { return out_.graph.linear_transform(ins[0], a, name); });
  } else if (op == "dynamic_conv") {
    arity(2);
    DynamicConvAttr a{get_i("heads"), get_i("k")};
    id = add(n, [&] { return out_.graph.dynamic_conv(ins[0], ins[1], a, name); });
  } else if (op == "gelu") {
    arity(1);
    id = add(n, [&] { return out_.graph.gelu(ins[0], name, GeluAttr{get_i("tanh") != 0}); });
  } else if (op == "conv1d") {
    arity(1);
    Conv1dAttr a{get_i("out"), get_i("k"), get_i("p"), get_i("g"), get_i("bias") != 0};
    id = add(n, [&] { return out_.graph.conv1d(ins[0], a, name); });
  } else if (op == "patch_embed") {
    arity(1);
    PatchEmbedAttr a{get_i("patch"), get_i("dim"), get_i("bias") != 0};
    id = add(n, [&] { return out_.graph.patch_embed(ins[0], a, name); });
  } else if (op == "channel_shuffle") {  // Reshape [N,g,C/g,H,W] -> Transpose -> Reshape [N,C,H,W]
    arity(1);
    id = add(n, [&] { return out_.graph.channel_shuffle(ins[0], ChannelShuffleAttr{get_i("groups")}, name); });
  } else if (op == "cls_token") {
    arity(1);
    id = add(n, [&] { return out_.graph.cls_token(ins[0], name); });
  } else if (op == "mean_tokens") {  // Slice(tokens [first, T)) -> ReduceMean
    arity(1);
    id = add(n, [&] { return out_.graph.mean_tokens(ins[0], name, MeanTokensAttr{get_i("first")}); });
  } else if (op == "positional_embedding") {
    arity(1);
    const std::string k = f["kind"];
    if (k != "learned" && k != "row0" && k != "sinusoidal") fail(n, "zcnas positional_embedding marker: unknown kind '" + k + "'");
    PositionalEmbeddingAttr a{get_i("rows"), k == "learned" ? PositionalKind::Learned : k == "row0" ? PositionalKind::Row0
                                                                                                    : PositionalKind::Sinusoidal};
    id = add(n, [&] { return out_.graph.positional_embedding(ins[0], a, name); });
  } else if (op == "adaptive_embedding") {
    arity(1);
    AdaptiveEmbeddingAttr a{get_i("n_token"), get_i("d_embed"), get_i("d_proj"), {}, get_i("div_val")};
    for (const auto& c : split_commas(f["cutoffs"])) {
      if (c.empty() || c.size() > 18 || c.find_first_not_of("0123456789") != std::string::npos)
        fail(n, "zcnas adaptive_embedding marker: cutoff '" + c + "' is not a positive integer");
      a.cutoffs.push_back(std::stoll(c));
    }
    id = add(n, [&] { return out_.graph.adaptive_embedding(ins[0], a, name); });
  } else {
    fail(n, "unknown zcnas composite op '" + op + "'", "written by a newer zcnas?");
  }
  // Parameters by name: "<owner>.<suffix>" in the file -> "<IR name>.<suffix>".
  const std::string prefix = n.name() + ".";
  for (const auto& p : split_commas(f["params"])) {
    if (p.rfind(prefix, 0) != 0) fail(n, "zcnas " + op + " marker: parameter '" + p + "' does not belong to node '" + n.name() + "'");
    const Const* c = constant(p);
    if (!c) fail(n, "zcnas " + op + " marker: parameter '" + p + "' is neither an initializer nor a declared input");
    if (c->is_int) fail(n, "parameter '" + p + "' is not float");
    store_param(n, name + "." + p.substr(prefix.size()), *c, c->dims);
  }
  bind(n, id);
}

// ---- shape values (issue 8) ------------------------------------------------------------------
// torch.onnx writes `x.view(n, g, c // g, h, w)` and `x.chunk(2, dim=1)` with dynamic batch as
// int64 subgraphs over Shape(x). They are evaluated here, once, while reading: each value is a
// scalar or a 1-D list of int64 with kBatch for the symbolic batch size. Arithmetic on the batch
// is accepted only where it leaves it unchanged (N*1, N/1, N+0, N-0); anything else is an error.
std::optional<Reader::IntVal> Reader::int_value(const std::string& tensor) {
  if (auto it = ints_.find(tensor); it != ints_.end()) return it->second;
  if (tensor.empty() || values_.count(tensor)) return std::nullopt;
  const Const* c = constant(tensor);
  if (!c || !c->has_data || !c->is_int || c->dims.size() > 1) return std::nullopt;
  return IntVal{c->i, c->dims.empty()};
}

bool Reader::is_shape_computation(const onnx::NodeProto& n) {
  static const std::set<std::string> ops{"Gather", "Unsqueeze", "Concat", "Cast", "Slice", "Add", "Sub", "Mul", "Div"};
  if (!ops.count(n.op_type()) || n.input_size() == 0) return false;
  for (const auto& in : n.input())
    if (!in.empty() && !int_value(in)) return false;
  return true;
}

std::vector<std::int64_t> Reader::need_ints(const onnx::NodeProto& n, int k, const char* what, bool batch_ok) {
  if (k >= n.input_size() || n.input(k).empty()) fail(n, std::string("missing input '") + what + "'");
  const auto v = int_value(n.input(k));
  if (!v) fail(n, std::string("input '") + what + "' (" + n.input(k) + ") must be an int64 constant or computed from shapes");
  if (!batch_ok)
    for (auto x : v->v)
      if (x == kBatch) fail(n, std::string("input '") + what + "' depends on the batch size", "only Reshape targets may");
  return v->v;
}

void Reader::shape_op(int, const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (n.output_size() != 1) fail(n, "a shape computation must have one output");
  auto in = [&](int k) -> IntVal {
    if (k >= n.input_size() || n.input(k).empty()) fail(n, "missing input " + std::to_string(k));
    auto v = int_value(n.input(k));
    if (!v) fail(n, "input '" + n.input(k) + "' is not an int64 shape value");
    return *v;
  };
  auto list = [&](int k) {  // a 1-D input without the batch symbol
    const IntVal v = in(k);
    for (auto x : v.v)
      if (x == kBatch) fail(n, "input " + std::to_string(k) + " depends on the batch size");
    return v.v;
  };
  auto one_axis = [&](const std::vector<std::int64_t>& axes, std::int64_t rank) {
    if (axes.size() != 1 || (axes[0] != 0 && axes[0] != -rank)) fail(n, op + " of shape values is supported on axis 0 only");
  };
  IntVal r;
  if (op == "Shape") {
    const Node& x = out_.graph.node(value(n, 0));
    if (x.fold != 1) fail(n, "Shape of a tile-folded tensor is not supported");
    std::vector<std::int64_t> full{kBatch};
    full.insert(full.end(), x.shape.begin(), x.shape.end());
    const auto rank = static_cast<std::int64_t>(full.size());
    auto clampi = [&](std::int64_t v) { return std::clamp(v < 0 ? v + rank : v, std::int64_t{0}, rank); };
    const auto b = clampi(attr_i(n, "start", 0)), e = clampi(attr_i(n, "end", rank));
    if (b < e) r.v.assign(full.begin() + b, full.begin() + e);
  } else if (op == "Gather") {
    const IntVal data = in(0), idx = in(1);
    if (data.scalar) fail(n, "Gather from a scalar shape value");
    one_axis({attr_i(n, "axis", 0)}, 1);
    const auto size = static_cast<std::int64_t>(data.v.size());
    for (auto i : list(1)) {
      if (i < -size || i >= size) fail(n, "index " + std::to_string(i) + " out of range for a shape of " + std::to_string(size));
      r.v.push_back(data.v[static_cast<std::size_t>(i < 0 ? i + size : i)]);
    }
    r.scalar = idx.scalar;
  } else if (op == "Unsqueeze") {  // scalar -> [x]
    const IntVal x = in(0);
    const auto axes = n.input_size() > 1 ? list(1) : attr_is(n, "axes", {});  // input since opset 13
    if (!x.scalar) fail(n, "Unsqueeze of shape values is supported from a scalar to a 1-D list only");
    one_axis(axes, 1);
    r.v = x.v;
  } else if (op == "Concat") {
    one_axis({attr_i(n, "axis", 0)}, 1);
    for (int k = 0; k < n.input_size(); ++k) {
      const IntVal x = in(k);
      if (x.scalar) fail(n, "Concat of scalar shape values");
      r.v.insert(r.v.end(), x.v.begin(), x.v.end());
    }
  } else if (op == "Cast") {
    const auto to = attr_i(n, "to", 0);
    if (to != onnx::TensorProto::INT64 && to != onnx::TensorProto::INT32)
      fail(n, "Cast of shape values to ONNX type " + std::to_string(to) + " is not supported", "only int64/int32");
    r = in(0);
  } else if (op == "Slice") {
    const IntVal data = in(0);
    if (data.scalar) fail(n, "Slice of a scalar shape value");
    const auto starts = list(1), ends = list(2);
    const auto axes = n.input_size() > 3 && !n.input(3).empty() ? list(3) : std::vector<std::int64_t>{0};
    const auto steps = n.input_size() > 4 && !n.input(4).empty() ? list(4) : std::vector<std::int64_t>{1};
    one_axis(axes, 1);
    if (starts.size() != 1 || ends.size() != 1 || steps.size() != 1 || steps[0] != 1)
      fail(n, "Slice of shape values is supported with one start/end and step 1 only");
    const auto size = static_cast<std::int64_t>(data.v.size());
    auto clampi = [&](std::int64_t v) { return std::clamp(v < 0 ? v + size : v, std::int64_t{0}, size); };
    const auto b = clampi(starts[0]), e = clampi(ends[0]);
    if (b < e) r.v.assign(data.v.begin() + b, data.v.begin() + e);
  } else {  // Add, Sub, Mul, Div: elementwise, a one-element side broadcast
    const IntVal a = in(0), b = in(1);
    if (n.input_size() != 2) fail(n, op + " takes 2 inputs");
    const auto size = std::max(a.v.size(), b.v.size());
    if ((a.v.size() != size && a.v.size() != 1) || (b.v.size() != size && b.v.size() != 1))
      fail(n, op + " of shape values of sizes " + std::to_string(a.v.size()) + " and " + std::to_string(b.v.size()));
    r.scalar = a.scalar && b.scalar;
    for (std::size_t k = 0; k < size; ++k) {
      const auto x = a.v[a.v.size() == 1 ? 0 : k], y = b.v[b.v.size() == 1 ? 0 : k];
      std::int64_t z = 0;
      bool bad = false;
      if (x == kBatch || y == kBatch) {  // only the identities keep the symbolic batch
        const auto other = x == kBatch ? y : x;
        const bool keeps = (op == "Mul" && other == 1) || (op == "Add" && other == 0) ||
                           (x == kBatch && ((op == "Div" && y == 1) || (op == "Sub" && y == 0)));
        if (!keeps) fail(n, op + " of the batch size is not supported", "the Reshape/Slice this feeds must not depend on it");
        z = kBatch;
      } else if (op == "Add") {
        bad = __builtin_add_overflow(x, y, &z);
      } else if (op == "Sub") {
        bad = __builtin_sub_overflow(x, y, &z);
      } else if (op == "Mul") {
        bad = __builtin_mul_overflow(x, y, &z);
      } else {
        if (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1)) fail(n, "integer division by zero or overflow");
        z = x / y;  // ONNX integer Div truncates like C++
      }
      if (bad || z == kBatch) fail(n, op + " of shape values overflows int64");
      r.v.push_back(z);
    }
  }
  if (r.v.size() > kMaxShapeLen) fail(n, "shape value of " + std::to_string(r.v.size()) + " entries (over " + std::to_string(kMaxShapeLen) + ")");
  if (r.scalar && r.v.size() != 1) fail(n, "scalar shape value with " + std::to_string(r.v.size()) + " entries");
  ints_[n.output(0)] = std::move(r);
}

const std::map<std::string, Reader::Handler>& Reader::handlers() {
  static const std::map<std::string, Handler> table{
      {"Conv", &Reader::conv},
      {"ConvTranspose", &Reader::conv},
      {"BatchNormalization", &Reader::batchnorm},
      {"Relu", &Reader::unary},
      {"Sigmoid", &Reader::unary},
      {"Tanh", &Reader::unary},
      {"HardSwish", &Reader::unary},
      {"LeakyRelu", &Reader::leaky_relu},
      {"HardSigmoid", &Reader::hard_sigmoid},
      {"Clip", &Reader::clip},
      {"Softmax", &Reader::softmax},
      {"MaxPool", &Reader::pool},
      {"AveragePool", &Reader::pool},
      {"GlobalAveragePool", &Reader::global_avg_pool},
      {"Flatten", &Reader::flatten},
      {"Reshape", &Reader::reshape},
      {"Add", &Reader::add_sum},
      {"Sum", &Reader::add_sum},
      {"Mul", &Reader::mul},
      {"Concat", &Reader::concat},
      {"Slice", &Reader::slice},
      {"Pad", &Reader::pad},
      {"Gemm", &Reader::gemm},
      {"MatMul", &Reader::matmul},
      {"Dropout", &Reader::dropout},
      {"Identity", &Reader::identity},
      {"Resize", &Reader::resize},
      {"Constant", &Reader::constant_node},
      {"Gather", &Reader::gather},
      {"LayerNormalization", &Reader::layer_norm},
      {"Div", &Reader::div_gelu},
      {"ReduceMean", &Reader::reduce_mean},
      {"Transpose", &Reader::transpose},
      {"Split", &Reader::split},
      {"Shape", &Reader::shape_op},
  };
  return table;
}

OnnxImport Reader::run() {
  // Opset of the default domain.
  for (const auto& o : m_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") out_.opset = o.version();
  if (out_.opset <= 0) fail_file("declares no opset of the default ONNX domain", "is this an ONNX model?");
  if (out_.opset > kOnnxOpset)
    fail_file("uses opset " + std::to_string(out_.opset) + ", newer than the " + std::to_string(kOnnxOpset) +
              " this build's ONNX 1.12 knows", "export with opset <= 17");
  out_.producer = m_.producer_name();
  if (!m_.has_graph() || g_.node_size() == 0) fail_file("has no graph nodes", "is this an ONNX model?");
  inline_external_data();  // validated reads from the model's folder, before the checker looks at the file
  try {
    onnx::checker::check_model(m_);
  } catch (const std::exception& e) {
    fail_file(std::string("fails onnx::checker::check_model: ") + e.what());
  }

  for (const auto& t : g_.initializer()) inits_[t.name()] = &t;
  for (const auto& t : g_.sparse_initializer())
    fail_file("has a sparse initializer ('" + t.values().name() + "')", "sparse tensors are not supported");
  for (int i = 0; i < g_.node_size(); ++i)
    for (const auto& in : g_.node(i).input())
      if (!in.empty()) consumers_[in].push_back(i);
  for (const auto& o : g_.output()) graph_outputs_.insert(o.name());
  if (g_.output_size() != 1) fail_file("has " + std::to_string(g_.output_size()) + " outputs", "one output is supported");

  // The data input: the graph input that is neither an initializer nor a parameter slot.
  static const std::map<std::string, std::vector<int>> kParamSlots{
      {"Conv", {1, 2}}, {"ConvTranspose", {1, 2}}, {"BatchNormalization", {1, 2, 3, 4}}, {"Gemm", {1, 2}}, {"MatMul", {1}},
      {"Gather", {0}}, {"LayerNormalization", {1, 2}}};
  std::set<std::string> param_names;
  std::set<std::string> matmul_outputs;
  for (const auto& n : g_.node()) {
    const bool token_gather = n.op_type() == "Gather" && n.input_size() > 1 && inits_.count(n.input(1));  // SelectToken
    if (auto it = kParamSlots.find(n.op_type()); it != kParamSlots.end() && !token_gather)
      for (int k : it->second)
        if (k < n.input_size()) param_names.insert(n.input(k));
    if (n.op_type() == "MatMul" && n.output_size() > 0) matmul_outputs.insert(n.output(0));
    if (n.op_type() == "Add" && n.input_size() == 2 && matmul_outputs.count(n.input(0))) param_names.insert(n.input(1));  // bias
    for (const auto& p : marker_list(n, "params")) param_names.insert(p);
  }
  const onnx::ValueInfoProto* data_in = nullptr;
  for (const auto& v : g_.input()) {
    if (inits_.count(v.name())) continue;
    if (param_names.count(v.name())) {
      declared_[v.name()] = &v;
      continue;
    }
    if (data_in) fail_file("has several data inputs ('" + data_in->name() + "', '" + v.name() + "')", "one input is supported");
    data_in = &v;
  }
  if (!data_in) fail_file("has no data input");
  const auto& tt = data_in->type().tensor_type();
  const bool tokens = data_in->type().has_tensor_type() && tt.elem_type() == onnx::TensorProto::INT64;
  if (!data_in->type().has_tensor_type() || (tt.elem_type() != onnx::TensorProto::FLOAT && !tokens))
    fail_file("input '" + data_in->name() + "' is neither a float tensor nor int64 token ids");
  Shape declared;
  bool dynamic = !tt.has_shape() || tt.shape().dim_size() < 2;
  std::string shown = "[";
  if (tt.has_shape())
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto& dim = tt.shape().dim(d);
      if (d) shown += ',';
      shown += dim.has_dim_value() ? std::to_string(dim.dim_value()) : dim.dim_param().empty() ? std::string("?") : dim.dim_param();
      if (d == 0) continue;
      if (!dim.has_dim_value() || dim.dim_value() <= 0) dynamic = true;
      declared.push_back(dim.dim_value());
    }
  shown += "]";
  Shape in_shape;
  if (dynamic) {
    if (!opt_.input_shape)
      fail_file("input '" + data_in->name() + "' has a dynamic shape " + shown, "give the per-sample shape (--input-shape C,H,W)");
    in_shape = *opt_.input_shape;
    if (tt.has_shape() && tt.shape().dim_size() >= 2 && static_cast<std::size_t>(tt.shape().dim_size() - 1) != in_shape.size())
      fail_file("input '" + data_in->name() + "' has rank " + std::to_string(tt.shape().dim_size()) + ", the given shape " +
                shape_str(in_shape) + " needs rank " + std::to_string(in_shape.size() + 1));
    out_.dynamic_input = true;
  } else {
    in_shape = declared;
    if (opt_.input_shape && *opt_.input_shape != declared)
      fail_file("input '" + data_in->name() + "' has the fixed shape " + shown + "; the given shape " + shape_str(*opt_.input_shape) +
                " differs");
  }
  try {
    if (tokens) {
      if (in_shape.size() != 1) fail_file("int64 input '" + data_in->name() + "' must be token ids [N, T], got per-sample " + shape_str(in_shape));
      values_[data_in->name()] = out_.graph.token_input(in_shape[0], "input");
    } else {
      values_[data_in->name()] = out_.graph.input(in_shape, "input");
    }
  } catch (const Error& e) {
    fail_file(e.problem(), e.hint());
  }
  used_names_.insert("input");

  skip_.assign(static_cast<std::size_t>(g_.node_size()), false);
  const auto& table = handlers();
  for (int i = 0; i < g_.node_size(); ++i) {
    if (skip_[i]) continue;
    const auto& n = g_.node(i);
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(n, "op " + n.op_type() + " of domain '" + n.domain() + "' is not supported");
    if (n.doc_string().rfind(kPartMarker, 0) == 0) continue;  // inside a zcnas composite op: read at its last node
    if (n.doc_string().rfind(kOpMarker, 0) == 0) {
      marked_op(i, n);
      continue;
    }
    if (is_shape_computation(n)) {
      shape_op(i, n);
      continue;
    }
    auto it = table.find(n.op_type());
    if (it == table.end())
      fail(n, "unsupported ONNX op '" + n.op_type() + "'", "supported ops: see zcnas::spaces::onnx_supported_ops() / docs/onnx.md");
    (this->*(it->second))(i, n);
  }
  const auto& oname = g_.output(0).name();
  auto it = values_.find(oname);
  if (it == values_.end()) fail_file("output '" + oname + "' is not computed by a supported node");
  out_.graph.set_output(it->second);
  out_.complete_weights = param_slots_ == param_slots_with_data_;
  return std::move(out_);
}

OnnxImport read_model(const std::string& bytes, const std::string& label, std::optional<fs::path> dir, const OnnxReadOptions& o) {
  if (bytes.size() > o.max_file_bytes)
    throw Error(label, "is " + std::to_string(bytes.size()) + " bytes, over the limit of " + std::to_string(o.max_file_bytes));
  if (bytes.empty()) throw Error(label, "is empty", "expected an ONNX model");
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) throw Error(label, "is not a valid ONNX protobuf (truncated or not an ONNX file)");
  return Reader(m, label, std::move(dir), o).run();
}

}  // namespace

OnnxImport onnx_read_bytes(const std::string& bytes, const std::string& label, const OnnxReadOptions& options) {
  return read_model(bytes, label, std::nullopt, options);
}

OnnxImport onnx_read_file(const std::string& path, const OnnxReadOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path, "no such ONNX file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw Error(path, "cannot read the file size");
  if (size > options.max_file_bytes)
    throw Error(path, "is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) throw Error(path, "cannot read the file");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  return read_model(bytes, path, dir, options);
}

void onnx_load_params(TorchNetImpl& net, const OnnxImport& m) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : net.named_parameters(true)) tensors[p.key()] = p.value();
  for (const auto& b : net.named_buffers(true)) tensors[b.key()] = b.value();
  for (const auto& [name, p] : m.params) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw Error("onnx parameter '" + name + "'", "the network has no such tensor");
    auto& t = it->second;
    const std::vector<std::int64_t> dims(t.sizes().begin(), t.sizes().end());
    if (dims != p.dims || static_cast<std::size_t>(t.numel()) != p.data.size())
      throw Error("onnx parameter '" + name + "'", "has shape " + shape_str(p.dims) + ", the network expects " + shape_str(dims));
    auto src = torch::from_blob(const_cast<float*>(p.data.data()), p.dims, torch::kFloat32);
    t.copy_(src);
  }
}

std::vector<std::string> onnx_supported_ops() {
  static const std::vector<std::string> ops{"Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv",
                                            "ConvTranspose", "Dropout", "Flatten", "Gemm", "GlobalAveragePool", "HardSigmoid",
                                            "HardSwish", "Identity", "LeakyRelu", "MatMul", "MaxPool", "Mul", "Pad", "Relu",
                                            "Reshape", "Resize", "Sigmoid", "Slice", "Softmax", "Sum", "Tanh",
                                            "Expand (after Mul by 0)", "Gather", "LayerNormalization",
                                            "Div (GELU: Div-Erf-Add-Mul-Mul)", "ReduceMean (over tokens; over H, W)",
                                            "Transpose (channel shuffle)", "Split (channels)",
                                            "Shape, Gather, Unsqueeze, Concat, Cast, Slice, Add, Sub, Mul, Div on int64 shape values",
                                            "zcnas composite ops (attention, linear_transform, dynamic_conv, conv1d, "
                                            "patch_embed, cls_token, positional_embedding, adaptive_embedding, gelu tanh)"};
  return ops;
}

}  // namespace zcnas::spaces
