#pragma once
// Helpers shared by the ONNX writer and reader (private to spaces/).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace zcnas::spaces::onnxio {

inline constexpr const char* kBatchDim = "N";
// Doc-string marker of a batch norm without learnable scale/shift (the ONNX op always
// takes scale and B inputs; the writer passes constant ones/zeros and marks the node).
inline constexpr const char* kNonAffineMarker = "zcnas:batchnorm affine=0";
// Doc-string marker of a GlobalAvgPool written from a GlobalPoolAttr, + "0"/"1" for `functional`.
inline constexpr const char* kGlobalPoolMarker = "zcnas:global_avgpool attr functional=";
// Transformer ops (issue 10). Composite IR ops are written as several ONNX nodes: the inner ones
// carry kPartMarker + the IR node's name, the last one (whose output is the IR node's name)
// kOpMarker + "<op> in=<input tensors> params=<parameter tensors> key=value ...", which the reader
// turns back into the IR op (markers are trusted: the nodes between are not re-derived).
inline constexpr const char* kPartMarker = "zcnas:part ";
inline constexpr const char* kOpMarker = "zcnas:op ";
// Doc-string marker of a LayerNormalization without learnable scale/shift (constant 1/0 inputs).
inline constexpr const char* kNonAffineLayerNormMarker = "zcnas:layernorm affine=0";
// Name of the shared scalar 0 the writer multiplies by for Zero.
inline constexpr const char* kZeroConst = "zcnas.zero";

inline onnx::AttributeProto* attr_ints(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
  return a;
}
inline onnx::AttributeProto* attr_int(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
  return a;
}
inline onnx::AttributeProto* attr_float(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
  return a;
}
inline onnx::AttributeProto* attr_string(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
  return a;
}

}  // namespace zcnas::spaces::onnxio
