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
