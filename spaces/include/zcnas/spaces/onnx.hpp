#pragma once
// ONNX export and import of the IR (issue 8). Implementation: spaces/src/onnx_*.cpp.
//
// Writer: NetGraph (+ the weights of a TorchNet built from it) -> a serialized
// onnx::ModelProto, ONNX IR version 8, default-domain opset 17 (the newest ONNX 1.12
// knows). The data input is "input" with a symbolic batch dimension "N"; every IR op has
// an ONNX expression (docs/onnx.md lists them), e.g. FoldTiles/UnfoldTiles become Reshape
// to [-1, C, H, W] and Zero becomes Mul by 0 (after a strided Slice when it subsamples,
// followed by Expand when it changes the channel count). Batch norms are written with
// inference semantics (running statistics) unless they track no running statistics
// (training_mode=1, batch statistics). Only nodes that reach the output are written.
// Without weights, every parameter becomes a declared graph input (name, type and shape,
// no data), so the file stays tiny and still passes the checker and shape inference.
//
// Reader: an ONNX file -> NetGraph + parameter tensors for the CNN op set (see
// onnx_supported_ops()). Anything else is a zcnas::Error naming the op and the node.
// Files are untrusted: size limits, protobuf parse errors, external-data locations that
// are absolute, contain "..", or resolve outside the model's folder, and external data
// beyond the limits all give a clear zcnas::Error.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces {

class TorchNetImpl;

inline constexpr std::int64_t kOnnxOpset = 17;
inline constexpr std::int64_t kOnnxIrVersion = 8;

struct OnnxWriteOptions {
  bool weights = true;          // false: parameters are declared graph inputs without data
  std::string graph_name = "zcnas";
  std::string doc;              // stored as the model's doc_string (e.g. "nb201 <arch> cifar10")
};

// Serialized onnx::ModelProto. `net` (built from `g`) supplies weights and batch-norm
// buffers; it may be null only when options.weights is false.
std::string onnx_export(const NetGraph& g, const TorchNetImpl* net, const OnnxWriteOptions& options = {});

// onnx::checker::check_model + strict shape inference (onnx 1.12); throws zcnas::Error(label, ...).
void onnx_validate(const std::string& model_bytes, const std::string& label);

struct OnnxParam {
  std::vector<std::int64_t> dims;
  std::vector<float> data;
};

struct OnnxImport {
  NetGraph graph;
  // Parameter and buffer tensors by their TorchNet name ("<node>.weight", "<node>.bias",
  // "<node>.running_mean", "<node>.running_var"). Parameters declared without data are absent.
  std::map<std::string, OnnxParam> params;
  bool complete_weights = false;  // every parameter of the graph had data
  std::int64_t opset = 0;
  std::string producer;
  bool dynamic_input = false;     // the file's per-sample input shape was symbolic (taken from options)
};

struct OnnxReadOptions {
  // Per-sample input shape {C,H,W} used when the file's input dims (besides the batch) are
  // symbolic; when they are fixed, a different value here is an error.
  std::optional<Shape> input_shape;
  std::uint64_t max_file_bytes = 1ull << 30;          // the .onnx file itself (protobuf limit is 2 GiB)
  std::uint64_t max_external_bytes = 4ull << 30;      // all external-data tensors together
  std::uint64_t max_params = 1ull << 28;              // parameters the built network may allocate (1 GiB of floats)
};

// Reads a .onnx file (external data only from inside the file's folder).
OnnxImport onnx_read_file(const std::string& path, const OnnxReadOptions& options = {});
// Reads a serialized model held in memory; external data is refused (no folder to read from).
OnnxImport onnx_read_bytes(const std::string& bytes, const std::string& label, const OnnxReadOptions& options = {});

// Copies imported parameters into a net built from import.graph (eval/train mode untouched).
// Throws zcnas::Error when a name is unknown or a shape differs.
void onnx_load_params(TorchNetImpl& net, const OnnxImport& m);

// ONNX op types the reader accepts.
std::vector<std::string> onnx_supported_ops();

}  // namespace zcnas::spaces
