#pragma once
// Deterministic text encoding of an ONNX graph, in the style of ONNX-Net (S. Qin, A. Auras,
// S. B. Cohen, E. J. Crowley, M. Moeller, L. Ericsson, J. Lukasik, "ONNX-Net: Towards
// Universal Representations and Instant Performance Prediction for Neural Architectures",
// arXiv:2510.04938, 2025): one line per node in the file's (topological) node order, with
// the op type, where its inputs come from, compact attributes and parameter shapes, so one
// text predictor can read networks of any search space. The exact format is ours (not the
// paper's wording):
//
//   input [N,3,32,32]
//   0 Conv in=x W[16,3,3,3] dilations=1,1 group=1 kernel_shape=3,3 pads=1,1,1,1 strides=1,1 out=[N,16,32,32]
//   1 BatchNormalization in=0 scale[16] B[16] input_mean[16] input_var[16] epsilon=1e-05 momentum=0.9 out=[N,16,32,32]
//   ...
//   output 57
//
// Inputs: `x` is the graph input, a number is the node that produced the tensor (`7:1` for its
// second output); constant inputs are written as NAME[shape] (NAME from the op schema) for
// float tensors and NAME{values} for small integer tensors (Reshape shapes, Slice bounds).
// Attributes are sorted by name; floats use 7 significant digits. Output shapes come from
// ONNX shape inference. Names of nodes and tensors, doc strings and weight values never enter
// the text, so equal graphs give equal text; whitespace carries no meaning (the
// normalized_hash of common/text_hash.hpp applies).
#include <string>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::predictors {

// Encodes a serialized ONNX ModelProto. Throws zcnas::Error when it does not parse.
std::string onnx_text(const std::string& model_bytes);

// Encodes an IR graph through the ONNX writer (without weights).
std::string onnx_text(const spaces::NetGraph& graph);

}  // namespace zcnas::predictors
