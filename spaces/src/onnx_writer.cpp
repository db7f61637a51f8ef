// NetGraph -> ONNX ModelProto (opset 17). Op mapping (onnx.hpp, docs/onnx.md):
//   Conv2d -> Conv, ConvTranspose2d -> ConvTranspose, BatchNorm2d -> BatchNormalization
//   (momentum_onnx = 1 - momentum_torch, as torch.onnx exports it), ReLU/Sigmoid/Tanh/LeakyRelu/
//   HardSwish/Softmax -> same-named ops, HardSigmoid -> HardSigmoid(alpha=1/6, beta=0.5), Clip ->
//   Clip(min, max), AvgPool2d/MaxPool2d -> AveragePool/MaxPool, GlobalAvgPool -> GlobalAveragePool
//   (+ Flatten when the IR drops the 1x1), Add -> Add (2 inputs) / Sum (1 or >= 3), Mul -> Mul, Concat -> Concat(axis 1),
//   Linear -> Gemm(transB=1) on {F}, Flatten -> Flatten(axis 1), Pad2d -> Pad, Slice2d -> Slice,
//   Upsample2d -> Resize(nearest, asymmetric, floor) which is torch's upsample_nearest2d,
//   FoldTiles/UnfoldTiles -> Reshape to [-1, C, H, W] (the executor's own reshape), Zero -> Mul by 0
//   (after Slice(steps=s) when it subsamples; a channel-changing Zero keeps channel 0 of the
//   subsampled input, multiplies by 0 and Expands to [1, C_out, 1, 1]: the same zeros as the
//   reference's fresh x.new_zeros, except that inf/NaN inputs would give NaN).
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include "onnx_common.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"

namespace zcnas::spaces {
namespace {

using namespace onnxio;

class Writer {
 public:
  Writer(const NetGraph& g, const TorchNetImpl* net, const OnnxWriteOptions& o) : g_(g), net_(net), opt_(o) {
    if (opt_.weights && !net_) throw Error("onnx export", "weights requested but no network given");
    if (net_) {
      for (const auto& p : net_->named_parameters(true)) tensors_[p.key()] = p.value();
      for (const auto& b : net_->named_buffers(true)) tensors_[b.key()] = b.value();
    }
  }

  std::string run() {
    onnx::ModelProto m;
    m.set_ir_version(kOnnxIrVersion);
    m.set_producer_name("zcnas");
    m.set_producer_version("0.1.0");
    m.set_doc_string(opt_.doc);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(kOnnxOpset);
    gp_ = m.mutable_graph();
    gp_->set_name(opt_.graph_name);

    const auto live = g_.live_nodes();
    for (NodeId id = 0; id < static_cast<NodeId>(g_.size()); ++id)
      if (live[id]) emit(id);
    // Graph output: float, [N, per-sample shape] (batch of a folded output would be N*tiles).
    const Node& out = g_.node(g_.output());
    if (out.fold != 1) throw Error("onnx export", "the output node '" + out.name + "' is tile-folded");
    add_value_info(gp_->add_output(), name_of(g_.output()), out.shape);
    std::string bytes;
    if (!m.SerializeToString(&bytes)) throw Error("onnx export", "protobuf serialization failed (model over 2 GiB?)");
    return bytes;
  }

 private:
  const NetGraph& g_;
  const TorchNetImpl* net_;
  OnnxWriteOptions opt_;
  onnx::GraphProto* gp_ = nullptr;
  std::map<std::string, torch::Tensor> tensors_;
  bool zero_const_ = false;

  std::string name_of(NodeId id) const { return g_.node(id).name; }

  void add_value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& s, bool batch = true) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* sh = t->mutable_shape();
    if (batch) sh->add_dim()->set_dim_param(kBatchDim);
    for (auto d : s) sh->add_dim()->set_dim_value(d);
  }

  onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> in,
                        std::vector<std::string> out) {
    auto* n = gp_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return *n;
  }

  std::string const_i64(const std::string& name, const std::vector<std::int64_t>& v) {
    auto* t = gp_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(v.size()));
    for (auto x : v) t->add_int64_data(x);
    return name;
  }
  std::string const_f32(const std::string& name, const std::vector<float>& v, std::vector<std::int64_t> dims) {
    auto* t = gp_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (auto x : v) t->add_float_data(x);
    return name;
  }
  std::string zero_scalar() {
    if (!zero_const_) const_f32(kZeroConst, {0.0f}, {});
    zero_const_ = true;
    return kZeroConst;
  }

  // A parameter or buffer: an initializer with the TorchNet's values, or a declared input.
  std::string param(const std::string& full, const std::vector<std::int64_t>& dims) {
    if (!opt_.weights) {
      auto* v = gp_->add_input();
      v->set_name(full);
      auto* t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(onnx::TensorProto::FLOAT);
      for (auto d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
      return full;
    }
    auto it = tensors_.find(full);
    if (it == tensors_.end()) throw Error("onnx export", "the network has no tensor '" + full + "'");
    auto t = it->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    std::vector<std::int64_t> tdims(t.sizes().begin(), t.sizes().end());
    if (tdims != dims) throw Error("onnx export", "tensor '" + full + "' has shape " + shape_str(tdims) + ", expected " + shape_str(dims));
    auto* init = gp_->add_initializer();
    init->set_name(full);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) init->add_dims(d);
    init->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * sizeof(float)));
    return full;
  }

  void emit(NodeId id) {
    const Node& n = g_.node(id);
    const std::string& nm = n.name;
    auto in = [&](std::size_t k) { return name_of(n.inputs[k]); };
    const auto in_shape = [&](std::size_t k) -> const Shape& { return g_.node(n.inputs[k]).shape; };
    switch (n.op) {
      case OpKind::Input:
        if (n.shape.size() != 3 && n.shape.size() != 1)
          throw Error("onnx export", "input shape " + shape_str(n.shape) + " is neither {C,H,W} nor {F}");
        add_value_info(gp_->add_input(), nm, n.shape);
        return;
      case OpKind::Conv2d:
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto c_in = in_shape(0)[0];
        const bool t = n.op == OpKind::ConvTranspose2d;
        std::vector<std::int64_t> wd = t ? std::vector<std::int64_t>{c_in, a.out_channels / a.groups, a.kernel, a.kernel}
                                         : std::vector<std::int64_t>{a.out_channels, c_in / a.groups, a.kernel, a.kernel};
        std::vector<std::string> ins{in(0), param(nm + ".weight", wd)};
        if (a.bias) ins.push_back(param(nm + ".bias", {a.out_channels}));
        auto& o = node(t ? "ConvTranspose" : "Conv", nm, ins, {nm});
        attr_ints(o, "kernel_shape", {a.kernel, a.kernel});
        attr_ints(o, "strides", {a.stride, a.stride});
        attr_ints(o, "pads", {a.padding, a.padding, a.padding, a.padding});
        attr_ints(o, "dilations", {a.dilation, a.dilation});
        attr_int(o, "group", a.groups);
        if (t) attr_ints(o, "output_padding", {a.output_padding, a.output_padding});
        return;
      }
      case OpKind::BatchNorm2d: {
        const auto& a = n.as<BatchNormAttr>();
        const auto c = n.shape[0];
        std::vector<std::string> ins{in(0)};
        if (a.affine) {
          ins.push_back(param(nm + ".weight", {c}));
          ins.push_back(param(nm + ".bias", {c}));
        } else {
          ins.push_back(const_f32(nm + ".const_scale", std::vector<float>(c, 1.0f), {c}));
          ins.push_back(const_f32(nm + ".const_bias", std::vector<float>(c, 0.0f), {c}));
        }
        if (a.track_running_stats) {
          ins.push_back(param(nm + ".running_mean", {c}));
          ins.push_back(param(nm + ".running_var", {c}));
        } else {  // inputs required by the schema; unused with training_mode=1
          ins.push_back(const_f32(nm + ".const_mean", std::vector<float>(c, 0.0f), {c}));
          ins.push_back(const_f32(nm + ".const_var", std::vector<float>(c, 1.0f), {c}));
        }
        auto& o = node("BatchNormalization", nm, ins, {nm});
        attr_float(o, "epsilon", static_cast<float>(a.eps));
        attr_float(o, "momentum", static_cast<float>(1.0 - a.momentum));
        if (!a.track_running_stats) attr_int(o, "training_mode", 1);
        if (!a.affine) o.set_doc_string(kNonAffineMarker);
        return;
      }
      case OpKind::ReLU: node("Relu", nm, {in(0)}, {nm}); return;
      case OpKind::Sigmoid: node("Sigmoid", nm, {in(0)}, {nm}); return;
      case OpKind::Tanh: node("Tanh", nm, {in(0)}, {nm}); return;
      case OpKind::HardSwish: node("HardSwish", nm, {in(0)}, {nm}); return;
      case OpKind::HardSigmoid: {
        auto& o = node("HardSigmoid", nm, {in(0)}, {nm});
        attr_float(o, "alpha", 1.0f / 6.0f);
        attr_float(o, "beta", 0.5f);
        return;
      }
      case OpKind::LeakyReLU: {
        auto& o = node("LeakyRelu", nm, {in(0)}, {nm});
        attr_float(o, "alpha", static_cast<float>(n.as<LeakyReLUAttr>().negative_slope));
        return;
      }
      case OpKind::Clip: {
        const auto& a = n.as<ClipAttr>();
        node("Clip", nm,
             {in(0), const_f32(nm + "/min", {static_cast<float>(a.lo)}, {}), const_f32(nm + "/max", {static_cast<float>(a.hi)}, {})},
             {nm});
        return;
      }
      case OpKind::Softmax: {
        auto& o = node("Softmax", nm, {in(0)}, {nm});
        attr_int(o, "axis", n.as<SoftmaxAttr>().axis + 1);
        return;
      }
      case OpKind::AvgPool2d:
      case OpKind::MaxPool2d: {
        const auto& a = n.as<PoolAttr>();
        if (a.ceil_mode) {
          // ONNX 1.12 sizes ceil-mode pools as ceil((in + 2p - k) / s) + 1, without torch's rule that
          // the last window must start inside the input; refuse the cases where the two differ.
          for (int d = 1; d <= 2; ++d) {
            const auto span = in_shape(0)[d] + 2 * a.padding - a.kernel;
            const auto onnx_out = (span + a.stride - 1) / a.stride + 1;
            if (onnx_out != n.shape[d])
              throw Error("onnx export", "ceil-mode pool '" + nm + "' has no ONNX equivalent (torch size " +
                                             std::to_string(n.shape[d]) + ", ONNX size " + std::to_string(onnx_out) + ")");
          }
        }
        const bool avg = n.op == OpKind::AvgPool2d;
        auto& o = node(avg ? "AveragePool" : "MaxPool", nm, {in(0)}, {nm});
        attr_ints(o, "kernel_shape", {a.kernel, a.kernel});
        attr_ints(o, "strides", {a.stride, a.stride});
        attr_ints(o, "pads", {a.padding, a.padding, a.padding, a.padding});
        if (a.ceil_mode) attr_int(o, "ceil_mode", 1);
        if (avg) attr_int(o, "count_include_pad", a.count_include_pad ? 1 : 0);
        return;
      }
      case OpKind::GlobalAvgPool: {
        onnx::NodeProto* last;
        if (n.shape.size() == 3) {
          last = &node("GlobalAveragePool", nm, {in(0)}, {nm});
        } else {
          node("GlobalAveragePool", nm + "/gap", {in(0)}, {nm + "/gap"});
          last = &node("Flatten", nm, {nm + "/gap"}, {nm});
          attr_int(*last, "axis", 1);
        }
        // The IR's attribute form (vs NoAttr) and `functional` only matter for FLOP counting;
        // the doc-string marker lets the reader restore them.
        if (const auto* a = std::get_if<GlobalPoolAttr>(&n.attr))
          last->set_doc_string(std::string(kGlobalPoolMarker) + (a->functional ? "1" : "0"));
        return;
      }
      case OpKind::Zero: {
        std::string x = in(0);
        const auto& s = in_shape(0);
        std::int64_t stride = 1, c_out = s[0];
        if (const auto* z = std::get_if<ZeroAttr>(&n.attr)) {
          stride = z->stride;
          if (z->out_channels) c_out = z->out_channels;
        }
        const bool new_c = c_out != s[0];
        if (stride != 1 || new_c) {
          const auto big = std::numeric_limits<std::int64_t>::max();
          std::vector<std::string> ins{x};
          if (new_c) {
            ins.push_back(const_i64(nm + "/starts", {0, 0, 0}));
            ins.push_back(const_i64(nm + "/ends", {1, big, big}));
            ins.push_back(const_i64(nm + "/axes", {1, 2, 3}));
            ins.push_back(const_i64(nm + "/steps", {1, stride, stride}));
          } else {
            ins.push_back(const_i64(nm + "/starts", {0, 0}));
            ins.push_back(const_i64(nm + "/ends", {big, big}));
            ins.push_back(const_i64(nm + "/axes", {2, 3}));
            ins.push_back(const_i64(nm + "/steps", {stride, stride}));
          }
          node("Slice", nm + "/subsample", ins, {nm + "/subsample"});
          x = nm + "/subsample";
        }
        if (!new_c) {
          node("Mul", nm, {x, zero_scalar()}, {nm});
        } else {
          node("Mul", nm + "/mul", {x, zero_scalar()}, {nm + "/mul"});
          node("Expand", nm, {nm + "/mul", const_i64(nm + "/shape", {1, c_out, 1, 1})}, {nm});
        }
        return;
      }
      case OpKind::Identity: node("Identity", nm, {in(0)}, {nm}); return;
      case OpKind::Add: {
        std::vector<std::string> ins;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) ins.push_back(in(k));
        node(ins.size() == 2 ? "Add" : "Sum", nm, ins, {nm});  // Sum also takes 1 input: the reader gets Add back
        return;
      }
      case OpKind::Mul: node("Mul", nm, {in(0), in(1)}, {nm}); return;
      case OpKind::Concat: {
        std::vector<std::string> ins;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) ins.push_back(in(k));
        attr_int(node("Concat", nm, ins, {nm}), "axis", 1);
        return;
      }
      case OpKind::Linear: {
        const auto& a = n.as<LinearAttr>();
        const auto& s = in_shape(0);
        if (s.size() != 1)
          throw Error("onnx export", "linear node '" + nm + "' acts on " + shape_str(s) + "; the writer supports {F} inputs (Gemm)");
        std::vector<std::string> ins{in(0), param(nm + ".weight", {a.out_features, s[0]})};
        if (a.bias) ins.push_back(param(nm + ".bias", {a.out_features}));
        attr_int(node("Gemm", nm, ins, {nm}), "transB", 1);
        return;
      }
      case OpKind::Flatten: attr_int(node("Flatten", nm, {in(0)}, {nm}), "axis", 1); return;
      case OpKind::Pad2d: {
        const auto& a = n.as<PadAttr>();
        node("Pad", nm, {in(0), const_i64(nm + "/pads", {0, 0, a.top, a.left, 0, 0, a.bottom, a.right})}, {nm});
        return;
      }
      case OpKind::Slice2d: {
        const auto& a = n.as<SliceAttr>();
        const auto& s = in_shape(0);
        node("Slice", nm,
             {in(0), const_i64(nm + "/starts", {a.top, a.left}), const_i64(nm + "/ends", {s[1] - a.bottom, s[2] - a.right}),
              const_i64(nm + "/axes", {2, 3})},
             {nm});
        return;
      }
      case OpKind::Upsample2d: {
        const auto f = static_cast<float>(n.as<UpsampleAttr>().factor);
        auto& o = node("Resize", nm, {in(0), "", const_f32(nm + "/scales", {1.0f, 1.0f, f, f}, {4})}, {nm});
        attr_string(o, "mode", "nearest");
        attr_string(o, "coordinate_transformation_mode", "asymmetric");
        attr_string(o, "nearest_mode", "floor");
        return;
      }
      case OpKind::FoldTiles:
      case OpKind::UnfoldTiles: {
        const auto& s = n.shape;
        node("Reshape", nm, {in(0), const_i64(nm + "/shape", {-1, s[0], s[1], s[2]})}, {nm});
        return;
      }
      case OpKind::Embedding:
      case OpKind::AdaptiveEmbedding:
      case OpKind::PositionalEmbedding:
      case OpKind::PatchEmbed:
      case OpKind::ClsToken:
      case OpKind::LayerNorm:
      case OpKind::GELU:
      case OpKind::Attention:
      case OpKind::LinearTransform:
      case OpKind::Conv1d:
      case OpKind::DynamicConv:
      case OpKind::SelectToken:
      case OpKind::MeanTokens:
        break;  // transformer ops: not yet written (issue 10, step 3)
    }
    throw Error("onnx export", "node '" + nm + "': op " + std::string(op_name(n.op)) + " has no ONNX mapping");
  }
};

}  // namespace

std::string onnx_export(const NetGraph& g, const TorchNetImpl* net, const OnnxWriteOptions& options) {
  return Writer(g, net, options).run();
}

void onnx_validate(const std::string& model_bytes, const std::string& label) {
  onnx::ModelProto m;
  if (!m.ParseFromString(model_bytes)) throw Error(label, "is not a valid ONNX protobuf");
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(label, std::string("fails onnx::checker::check_model: ") + e.what());
  }
  try {
    onnx::ShapeInferenceOptions o;
    o.check_type = true;
    o.error_mode = 1;  // strict: inference errors throw
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), o);
  } catch (const std::exception& e) {
    throw Error(label, std::string("fails ONNX shape inference: ") + e.what());
  }
}

}  // namespace zcnas::spaces
