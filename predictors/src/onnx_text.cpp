// ONNX-Net-style text encoding of ONNX graphs (format and citation: onnx_text.hpp).
#include "zcnas/predictors/onnx_text.hpp"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/onnx.hpp"

namespace zcnas::predictors {
namespace {

// (Strings are appended piecewise: GCC 12 gives a false -Wstringop-overflow for ("," or "") + string.)
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

std::string shape_of(const onnx::TypeProto& t) {
  if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return "[?]";
  std::string s = "[";
  const auto& sh = t.tensor_type().shape();
  for (int i = 0; i < sh.dim_size(); ++i) {
    if (i) s += ',';
    const auto& d = sh.dim(i);
    s += d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param().empty() ? "?" : "N";
  }
  return s + "]";
}

std::string dims_of(const onnx::TensorProto& t) {
  std::string s = "[";
  for (int i = 0; i < t.dims_size(); ++i) {
    if (i) s += ',';
    s += std::to_string(t.dims(i));
  }
  return s + "]";
}

// Values of a small integer constant ({-1,16,8,8}); float/large tensors give their shape.
std::string const_text(const onnx::TensorProto& t) {
  std::int64_t n = 1;
  for (auto d : t.dims()) n *= d;
  const bool i64 = t.data_type() == onnx::TensorProto::INT64, i32 = t.data_type() == onnx::TensorProto::INT32;
  if ((!i64 && !i32) || n > 16 || t.data_location() == onnx::TensorProto::EXTERNAL) return dims_of(t);
  std::vector<std::int64_t> v;
  if (t.has_raw_data()) {
    const auto w = i64 ? 8u : 4u;
    if (t.raw_data().size() != static_cast<std::size_t>(n) * w) return dims_of(t);
    for (std::int64_t k = 0; k < n; ++k) {
      if (i64) {
        std::int64_t x;
        std::memcpy(&x, t.raw_data().data() + 8 * k, 8);
        v.push_back(x);
      } else {
        std::int32_t x;
        std::memcpy(&x, t.raw_data().data() + 4 * k, 4);
        v.push_back(x);
      }
    }
  } else if (i64) {
    v.assign(t.int64_data().begin(), t.int64_data().end());
  } else {
    v.assign(t.int32_data().begin(), t.int32_data().end());
  }
  std::string s = "{";
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k) s += ',';
    s += std::to_string(v[k]);
  }
  return s + "}";
}

std::string attr_text(const onnx::AttributeProto& a) {
  std::string s = a.name() + "=";
  switch (a.type()) {
    case onnx::AttributeProto::INT: return s + std::to_string(a.i());
    case onnx::AttributeProto::FLOAT: return s + num(a.f());
    case onnx::AttributeProto::STRING: return s + a.s();
    case onnx::AttributeProto::INTS:
      for (int k = 0; k < a.ints_size(); ++k) {
        if (k) s += ',';
        s += std::to_string(a.ints(k));
      }
      return s;
    case onnx::AttributeProto::FLOATS:
      for (int k = 0; k < a.floats_size(); ++k) {
        if (k) s += ',';
        s += num(a.floats(k));
      }
      return s;
    case onnx::AttributeProto::TENSOR: return s + const_text(a.t());
    default: return s + "<" + std::to_string(a.type()) + ">";
  }
}

}  // namespace

std::string onnx_text(const std::string& model_bytes) {
  onnx::ModelProto m;
  if (!m.ParseFromString(model_bytes)) throw Error("onnx text", "the model is not a valid ONNX protobuf");
  try {  // output shapes for the text; a model the inference rejects is encoded without them
    onnx::ShapeInferenceOptions o;
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), o);
  } catch (const std::exception&) {
  }
  const auto& g = m.graph();
  std::map<std::string, const onnx::TensorProto*> consts;
  for (const auto& t : g.initializer()) consts[t.name()] = &t;
  std::map<std::string, const onnx::ValueInfoProto*> declared, infos;
  for (const auto& v : g.input())
    if (!consts.count(v.name())) declared[v.name()] = &v;
  for (const auto& v : g.value_info()) infos[v.name()] = &v;
  for (const auto& v : g.output()) infos[v.name()] = &v;
  // The data input: the declared input no node reads as a parameter-like (non-first) input.
  std::set<std::string> non_first;
  for (const auto& n : g.node())
    for (int k = 1; k < n.input_size(); ++k) non_first.insert(n.input(k));
  std::string data_input;
  for (const auto& v : g.input())
    if (!consts.count(v.name()) && !non_first.count(v.name())) {
      data_input = v.name();
      break;
    }
  std::map<std::string, std::string> producer;  // tensor -> "7" / "7:1" / "x"
  std::string out;
  if (!data_input.empty()) {
    producer[data_input] = "x";
    out += "input " + shape_of(declared.at(data_input)->type()) + "\n";
  }
  int idx = 0;
  for (const auto& n : g.node()) {
    const std::string id = std::to_string(idx++);
    if (n.op_type() == "Constant" && n.output_size() == 1) {  // folded into its readers
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) consts[n.output(0)] = &a.t();
      if (consts.count(n.output(0))) continue;
    }
    const auto* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), 17, n.domain());
    std::string line = id + " " + (n.domain().empty() ? "" : n.domain() + ".") + n.op_type() + " in=";
    std::string refs, params;
    for (int k = 0; k < n.input_size(); ++k) {
      const auto& t = n.input(k);
      if (t.empty()) continue;
      std::string slot = schema && k < static_cast<int>(schema->inputs().size()) ? schema->inputs()[k].GetName()
                                                                                  : "in" + std::to_string(k);
      if (auto it = producer.find(t); it != producer.end()) {
        if (!refs.empty()) refs += ',';
        refs += it->second;
      } else if (auto c = consts.find(t); c != consts.end()) {
        params += " " + slot + const_text(*c->second);
      } else if (auto d = declared.find(t); d != declared.end()) {
        params += " " + slot + shape_of(d->second->type());
      } else {
        if (!refs.empty()) refs += ',';
        refs += '?';
      }
    }
    line += (refs.empty() ? "-" : refs) + params;
    std::vector<std::string> attrs;
    for (const auto& a : n.attribute()) attrs.push_back(attr_text(a));
    std::sort(attrs.begin(), attrs.end());
    for (const auto& a : attrs) line += " " + a;
    for (int k = 0; k < n.output_size(); ++k) {
      if (n.output(k).empty()) continue;
      producer[n.output(k)] = k ? id + ":" + std::to_string(k) : id;
      if (auto it = infos.find(n.output(k)); it != infos.end())
        line += std::string(k ? " out" + std::to_string(k) : " out") + "=" + shape_of(it->second->type());
    }
    out += line + "\n";
  }
  for (const auto& o : g.output()) out += "output " + (producer.count(o.name()) ? producer[o.name()] : "?") + "\n";
  return out;
}

std::string onnx_text(const spaces::NetGraph& graph) {
  spaces::OnnxWriteOptions o;
  o.weights = false;
  return onnx_text(spaces::onnx_export(graph, nullptr, o));
}

}  // namespace zcnas::predictors
