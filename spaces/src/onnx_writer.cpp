// NetGraph -> ONNX ModelProto (opset 17). Op mapping (onnx.hpp, docs/onnx.md):
//   Conv2d -> Conv, ConvTranspose2d -> ConvTranspose, BatchNorm2d -> BatchNormalization
//   (momentum_onnx = 1 - momentum_torch, as torch.onnx exports it), ReLU/Sigmoid/Tanh/LeakyRelu/
//   HardSwish/Softmax -> same-named ops, HardSigmoid -> HardSigmoid(alpha=1/6, beta=0.5), Clip ->
//   Clip(min, max), AvgPool2d/MaxPool2d -> AveragePool/MaxPool, GlobalAvgPool -> GlobalAveragePool
//   (+ Flatten when the IR drops the 1x1), Add -> Add (2 inputs) / Sum (1 or >= 3), Mul -> Mul, Concat -> Concat(axis 1),
//   Linear -> Gemm(transB=1) on {F}, Flatten -> Flatten(axis 1), Pad2d -> Pad, Slice2d -> Slice,
//   Upsample2d -> Resize(nearest, asymmetric, floor) which is torch's upsample_nearest2d,
//   FoldTiles/UnfoldTiles -> Reshape to [-1, C, H, W] (the executor's own reshape), ChannelShuffle ->
//   marked Reshape [N,g,C/g,H,W] + Transpose(0,2,1,3,4) + Reshape [N,C,H,W], ChannelSlice -> Slice on
//   axis 1, Zero -> Mul by 0
//   (after Slice(steps=s) when it subsamples; a channel-changing Zero keeps channel 0 of the
//   subsampled input, multiplies by 0 and Expands to [1, C_out, 1, 1]: the same zeros as the
//   reference's fresh x.new_zeros, except that inf/NaN inputs would give NaN).
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include "onnx_common.hpp"
#include "transformer_tables.hpp"
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

  void add_value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& s, bool batch = true,
                      int elem = onnx::TensorProto::FLOAT) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem);
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
  std::string const_i64_scalar(const std::string& name, std::int64_t v) {
    auto* t = gp_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_int64_data(v);
    return name;
  }
  std::string const_f32_tensor(const std::string& name, const torch::Tensor& src) {
    auto t = src.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    auto* init = gp_->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : t.sizes()) init->add_dims(d);
    init->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * sizeof(float)));
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

  // A 2-D parameter {out, in} written transposed ({in, out}, MatMul's layout) under its torch name.
  std::string param_t(const std::string& full, std::int64_t out, std::int64_t in) {
    if (!opt_.weights) return param(full, {in, out});
    auto it = tensors_.find(full);
    if (it == tensors_.end()) throw Error("onnx export", "the network has no tensor '" + full + "'");
    if (it->second.sizes() != torch::IntArrayRef({out, in}))
      throw Error("onnx export", "tensor '" + full + "' has an unexpected shape");
    auto* init = gp_->add_initializer();
    auto t = it->second.detach().to(torch::kCPU, torch::kFloat32).t().contiguous();
    init->set_name(full);
    init->set_data_type(onnx::TensorProto::FLOAT);
    init->add_dims(in);
    init->add_dims(out);
    init->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * sizeof(float)));
    return full;
  }

  // ---- composite ops: inner nodes marked as parts of `owner_`, the last one with the op marker ----
  std::string owner_;
  onnx::NodeProto& part(const std::string& op, const std::string& out, std::vector<std::string> in) {
    auto& n = node(op, out, std::move(in), {out});
    n.set_doc_string(std::string(kPartMarker) + owner_);
    return n;
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
    return s;
  }
  static std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  void mark(onnx::NodeProto& n, const std::string& op, const std::vector<std::string>& ins, const std::vector<std::string>& params,
            const std::string& kv) {
    n.set_doc_string(std::string(kOpMarker) + op + " in=" + join(ins) + " params=" + join(params) + (kv.empty() ? "" : " " + kv));
  }
  // [N, T, A] -> [N, H, T, A/H] (perm 0213) or [N, H, A/H, T] (perm 0231, keys)
  std::string split_heads(const std::string& x, std::int64_t heads, std::int64_t width, const std::string& tag, bool keys) {
    part("Reshape", owner_ + "/" + tag + "_split", {x, const_i64(owner_ + "/" + tag + "_shape", {0, 0, heads, width / heads})});
    attr_ints(part("Transpose", owner_ + "/" + tag + "_heads", {owner_ + "/" + tag + "_split"}), "perm",
              keys ? std::vector<std::int64_t>{0, 2, 3, 1} : std::vector<std::int64_t>{0, 2, 1, 3});
    return owner_ + "/" + tag + "_heads";
  }
  // [N, H, T, dh] -> [N, T, H*dh], the last node named `out` (the caller marks it)
  onnx::NodeProto& merge_heads(const std::string& x, std::int64_t width, const std::string& out) {
    attr_ints(part("Transpose", owner_ + "/merge_t", {x}), "perm", {0, 2, 1, 3});
    return node("Reshape", out, {owner_ + "/merge_t", const_i64(owner_ + "/merge_shape", {0, 0, width})}, {out});
  }

  void emit_transformer(NodeId id);

  void emit(NodeId id) {
    const Node& n = g_.node(id);
    const std::string& nm = n.name;
    auto in = [&](std::size_t k) { return name_of(n.inputs[k]); };
    const auto in_shape = [&](std::size_t k) -> const Shape& { return g_.node(n.inputs[k]).shape; };
    switch (n.op) {
      case OpKind::Input:
        if (g_.has_token_input()) {
          add_value_info(gp_->add_input(), nm, n.shape, true, onnx::TensorProto::INT64);
          return;
        }
        if (n.shape.size() < 1 || n.shape.size() > 3)
          throw Error("onnx export", "input shape " + shape_str(n.shape) + " is neither {C,H,W}, {T,D} nor {F}");
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
        const auto* a = std::get_if<ConcatAttr>(&n.attr);
        attr_int(node("Concat", nm, ins, {nm}), "axis", a ? a->axis + 1 : 1);
        return;
      }
      case OpKind::Linear: {
        const auto& a = n.as<LinearAttr>();
        const auto& s = in_shape(0);
        if (s.size() != 1) {  // on the last dim of {T, D}: MatMul by the transposed weight (+ Add bias)
          const auto w = param_t(nm + ".weight", a.out_features, s.back());
          if (!a.bias) {
            node("MatMul", nm, {in(0), w}, {nm});
          } else {
            node("MatMul", nm + "/matmul", {in(0), w}, {nm + "/matmul"});
            node("Add", nm, {nm + "/matmul", param(nm + ".bias", {a.out_features})}, {nm});
          }
          return;
        }
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
      case OpKind::ChannelShuffle: {  // composite: Reshape [N,g,C/g,H,W] -> Transpose(0,2,1,3,4) -> Reshape [N,C,H,W]
        const auto g = n.as<ChannelShuffleAttr>().groups;
        const auto& s = n.shape;
        owner_ = nm;
        part("Reshape", nm + "/groups", {in(0), const_i64(nm + "/group_shape", {0, g, s[0] / g, s[1], s[2]})});
        attr_ints(part("Transpose", nm + "/transpose", {nm + "/groups"}), "perm", {0, 2, 1, 3, 4});
        mark(node("Reshape", nm, {nm + "/transpose", const_i64(nm + "/shape", {0, s[0], s[1], s[2]})}, {nm}), "channel_shuffle",
             {in(0)}, {}, "groups=" + std::to_string(g));
        return;
      }
      case OpKind::ChannelSlice: {  // a single standard op: Slice on axis 1
        const auto& a = n.as<ChannelSliceAttr>();
        node("Slice", nm,
             {in(0), const_i64(nm + "/starts", {a.start}), const_i64(nm + "/ends", {a.end}), const_i64(nm + "/axes", {1})}, {nm});
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
        emit_transformer(id);
        return;
    }
    throw Error("onnx export", "node '" + nm + "': op " + std::string(op_name(n.op)) + " has no ONNX mapping");
  }
};

// Transformer ops (issue 10); docs/onnx.md lists the expansions.
void Writer::emit_transformer(NodeId id) {
  const Node& n = g_.node(id);
  const std::string& nm = n.name;
  owner_ = nm;
  auto in = [&](std::size_t k) { return name_of(n.inputs[k]); };
  const auto in_shape = [&](std::size_t k) -> const Shape& { return g_.node(n.inputs[k]).shape; };
  switch (n.op) {
    case OpKind::Embedding: {  // Gather(table, ids): a single standard op
      const auto& a = n.as<EmbeddingAttr>();
      attr_int(node("Gather", nm, {param(nm + ".weight", {a.num_embeddings, a.dim}), in(0)}, {nm}), "axis", 0);
      return;
    }
    case OpKind::SelectToken:  // Gather(x, index, axis=1)
      attr_int(node("Gather", nm, {in(0), const_i64_scalar(nm + "/index", n.as<SelectTokenAttr>().index)}, {nm}), "axis", 1);
      return;
    case OpKind::MeanTokens: {  // ReduceMean over axis 1; over tokens [first, T): Slice first, a composite op
      const auto* m = std::get_if<MeanTokensAttr>(&n.attr);
      std::string x = in(0);
      if (m) {
        x = nm + "/tokens";
        part("Slice", x, {in(0), const_i64(nm + "/start", {m->first}), const_i64(nm + "/end", {in_shape(0)[0]}),
                          const_i64(nm + "/axis", {1})});
      }
      auto& o = node("ReduceMean", nm, {x}, {nm});
      attr_ints(o, "axes", {1});
      attr_int(o, "keepdims", 0);
      if (m) mark(o, "mean_tokens", {in(0)}, {}, "first=" + std::to_string(m->first));
      return;
    }
    case OpKind::LayerNorm: {  // LayerNormalization (opset 17) over the last axis
      const auto& a = n.as<LayerNormAttr>();
      const auto d = n.shape.back();
      std::vector<std::string> ins{in(0)};
      if (a.affine) {
        ins.push_back(param(nm + ".weight", {d}));
        ins.push_back(param(nm + ".bias", {d}));
      } else {
        ins.push_back(const_f32(nm + ".const_scale", std::vector<float>(static_cast<std::size_t>(d), 1.0f), {d}));
        ins.push_back(const_f32(nm + ".const_bias", std::vector<float>(static_cast<std::size_t>(d), 0.0f), {d}));
      }
      auto& o = node("LayerNormalization", nm, ins, {nm});
      attr_int(o, "axis", -1);
      attr_float(o, "epsilon", static_cast<float>(a.eps));
      if (!a.affine) o.set_doc_string(kNonAffineLayerNormMarker);
      return;
    }
    case OpKind::GELU: {
      const auto* ga = std::get_if<GeluAttr>(&n.attr);
      const std::string x = in(0);
      if (!ga || !ga->tanh) {  // x * 0.5 * (1 + erf(x / sqrt 2)) as torch.onnx exports F.gelu: Div Erf Add Mul Mul
        node("Div", nm + "/div", {x, const_f32(nm + "/sqrt2", {static_cast<float>(std::sqrt(2.0))}, {})}, {nm + "/div"});
        node("Erf", nm + "/erf", {nm + "/div"}, {nm + "/erf"});
        node("Add", nm + "/add", {nm + "/erf", const_f32(nm + "/one", {1.0f}, {})}, {nm + "/add"});
        node("Mul", nm + "/mul", {x, nm + "/add"}, {nm + "/mul"});
        node("Mul", nm, {nm + "/mul", const_f32(nm + "/half", {0.5f}, {})}, {nm});
        return;
      }
      // tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      part("Mul", nm + "/x2", {x, x});
      part("Mul", nm + "/x3", {nm + "/x2", x});
      part("Mul", nm + "/cx3", {nm + "/x3", const_f32(nm + "/c", {0.044715f}, {})});
      part("Add", nm + "/inner", {x, nm + "/cx3"});
      part("Mul", nm + "/scaled", {nm + "/inner", const_f32(nm + "/k", {static_cast<float>(std::sqrt(2.0 / std::acos(-1.0)))}, {})});
      part("Tanh", nm + "/tanh", {nm + "/scaled"});
      part("Add", nm + "/add", {nm + "/tanh", const_f32(nm + "/one", {1.0f}, {})});
      part("Mul", nm + "/mul", {x, nm + "/add"});
      mark(node("Mul", nm, {nm + "/mul", const_f32(nm + "/half", {0.5f}, {})}, {nm}), "gelu", {x}, {}, "tanh=1");
      return;
    }
    case OpKind::Attention: {
      const auto& a = n.as<AttentionAttr>();
      const auto t = in_shape(0)[0], w = in_shape(0)[1], wv = in_shape(2)[1];
      const double scale = a.scale > 0 ? a.scale : 1.0 / std::sqrt(static_cast<double>(w / a.heads));
      const auto q = split_heads(in(0), a.heads, w, "q", false);
      const auto k = split_heads(in(1), a.heads, w, "k", true);
      const auto v = split_heads(in(2), a.heads, wv, "v", false);
      part("MatMul", nm + "/scores", {q, k});
      std::string s = nm + "/scaled";
      part("Mul", s, {nm + "/scores", const_f32(nm + "/scale", {static_cast<float>(scale)}, {})});
      if (a.causal) {  // -inf above the diagonal: the same probabilities as masked_fill
        std::vector<float> mask(static_cast<std::size_t>(t * t), 0.0f);
        for (std::int64_t i = 0; i < t; ++i)
          for (std::int64_t j = i + 1; j < t; ++j) mask[static_cast<std::size_t>(i * t + j)] = -std::numeric_limits<float>::infinity();
        part("Add", nm + "/masked", {s, const_f32(nm + "/causal_mask", mask, {t, t})});
        s = nm + "/masked";
      }
      attr_int(part("Softmax", nm + "/probs", {s}), "axis", -1);
      part("MatMul", nm + "/context", {nm + "/probs", v});
      mark(merge_heads(nm + "/context", wv, nm), "attention", {in(0), in(1), in(2)}, {},
           "heads=" + std::to_string(a.heads) + " causal=" + std::to_string(a.causal ? 1 : 0) + " scale=" + num(a.scale));
      return;
    }
    case OpKind::LinearTransform: {  // constant matrices: fft2's real part = C X C - S X S; DCT = D X D^T
      const auto& a = n.as<LinearTransformAttr>();
      const auto t = in_shape(0)[0], w = in_shape(0)[1], dh = w / a.heads;
      const auto xh = split_heads(in(0), a.heads, w, "x", false);
      auto mat = [](std::int64_t size, int which) { return detail::transform_matrix(size, which); };
      std::string y;
      if (a.kind == TransformKind::DFT) {
        part("MatMul", nm + "/cx", {const_f32_tensor(nm + "/cos_t", mat(t, 0)), xh});
        part("MatMul", nm + "/cxc", {nm + "/cx", const_f32_tensor(nm + "/cos_d", mat(dh, 0))});
        part("MatMul", nm + "/sx", {const_f32_tensor(nm + "/sin_t", mat(t, 1)), xh});
        part("MatMul", nm + "/sxs", {nm + "/sx", const_f32_tensor(nm + "/sin_d", mat(dh, 1))});
        part("Sub", nm + "/re", {nm + "/cxc", nm + "/sxs"});
        y = nm + "/re";
      } else {
        part("MatMul", nm + "/dx", {const_f32_tensor(nm + "/dct_t", mat(t, 2)), xh});
        part("MatMul", nm + "/dxd", {nm + "/dx", const_f32_tensor(nm + "/dct_d_t", mat(dh, 2).t())});
        y = nm + "/dxd";
      }
      mark(merge_heads(y, w, nm), "linear_transform", {in(0)}, {},
           std::string("kind=") + (a.kind == TransformKind::DFT ? "dft" : "dct") + " heads=" + std::to_string(a.heads));
      return;
    }
    case OpKind::Conv1d: {  // Transpose, Conv (1-D), Transpose
      const auto& a = n.as<Conv1dAttr>();
      const auto c = in_shape(0)[1];
      std::vector<std::string> params{param(nm + ".weight", {a.out_channels, c / a.groups, a.kernel})};
      if (a.bias) params.push_back(param(nm + ".bias", {a.out_channels}));
      attr_ints(part("Transpose", nm + "/ncl", {in(0)}), "perm", {0, 2, 1});
      std::vector<std::string> ins{nm + "/ncl"};
      ins.insert(ins.end(), params.begin(), params.end());
      auto& cv = part("Conv", nm + "/conv", ins);
      attr_ints(cv, "kernel_shape", {a.kernel});
      attr_ints(cv, "pads", {a.padding, a.padding});
      attr_ints(cv, "strides", {1});
      attr_int(cv, "group", a.groups);
      auto& o = node("Transpose", nm, {nm + "/conv"}, {nm});
      attr_ints(o, "perm", {0, 2, 1});
      mark(o, "conv1d", {in(0)}, params,
           "out=" + std::to_string(a.out_channels) + " k=" + std::to_string(a.kernel) + " p=" + std::to_string(a.padding) +
               " g=" + std::to_string(a.groups) + " bias=" + std::to_string(a.bias ? 1 : 0));
      return;
    }
    case OpKind::PatchEmbed: {  // Conv(stride p), Reshape [N, D, h*w], Transpose
      const auto& a = n.as<PatchEmbedAttr>();
      const auto c = in_shape(0)[0];
      std::vector<std::string> params{param(nm + ".weight", {a.dim, c, a.patch, a.patch})};
      if (a.bias) params.push_back(param(nm + ".bias", {a.dim}));
      std::vector<std::string> ins{in(0)};
      ins.insert(ins.end(), params.begin(), params.end());
      auto& cv = part("Conv", nm + "/conv", ins);
      attr_ints(cv, "kernel_shape", {a.patch, a.patch});
      attr_ints(cv, "strides", {a.patch, a.patch});
      part("Reshape", nm + "/flat", {nm + "/conv", const_i64(nm + "/flat_shape", {0, a.dim, -1})});
      auto& o = node("Transpose", nm, {nm + "/flat"}, {nm});
      attr_ints(o, "perm", {0, 2, 1});
      mark(o, "patch_embed", {in(0)}, params,
           "patch=" + std::to_string(a.patch) + " dim=" + std::to_string(a.dim) + " bias=" + std::to_string(a.bias ? 1 : 0));
      return;
    }
    case OpKind::ClsToken: {  // Expand the {1,1,D} token to [N,1,D] (N from Shape(x)), Concat on axis 1
      const auto d = n.shape.back();
      const auto w = param(nm + ".weight", {1, 1, d});
      part("Shape", nm + "/shape", {in(0)});
      part("Slice", nm + "/batch", {nm + "/shape", const_i64(nm + "/b0", {0}), const_i64(nm + "/b1", {1})});
      attr_int(part("Concat", nm + "/target", {nm + "/batch", const_i64(nm + "/rest", {1, d})}), "axis", 0);
      part("Expand", nm + "/tokens", {w, nm + "/target"});
      auto& o = node("Concat", nm, {nm + "/tokens", in(0)}, {nm});
      attr_int(o, "axis", 1);
      mark(o, "cls_token", {in(0)}, {w}, "");
      return;
    }
    case OpKind::PositionalEmbedding: {
      const auto& a = n.as<PositionalEmbeddingAttr>();
      const auto t = n.shape[0], d = n.shape[1];
      std::vector<std::string> params;
      std::string table;
      if (a.kind == PositionalKind::Learned) {  // rows [0, T) of the table
        params.push_back(param(nm + ".weight", {a.rows, d}));
        part("Slice", nm + "/rows", {params[0], const_i64(nm + "/r0", {0}), const_i64(nm + "/r1", {t}), const_i64(nm + "/ax", {0})});
        table = nm + "/rows";
      } else if (a.kind == PositionalKind::Row0) {
        params.push_back(param(nm + ".weight", {a.rows, d}));
        attr_int(part("Gather", nm + "/row0", {params[0], const_i64_scalar(nm + "/zero_index", 0)}), "axis", 0);
        table = nm + "/row0";
      } else {  // the sinusoid table as a constant
        table = const_f32_tensor(nm + "/sinusoid", detail::sinusoid_table(t, d));
      }
      const char* kind = a.kind == PositionalKind::Learned ? "learned" : a.kind == PositionalKind::Row0 ? "row0" : "sinusoidal";
      mark(node("Add", nm, {in(0), table}, {nm}), "positional_embedding", {in(0)}, params,
           "rows=" + std::to_string(a.rows) + " kind=" + kind);
      return;
    }
    case OpKind::AdaptiveEmbedding: {
      // Per cluster: mask = lo <= id < hi; Gather(table, Where(mask, id - lo, 0)); MatMul(., proj^T);
      // times the mask; clusters summed; times sqrt(d_proj).
      const auto& a = n.as<AdaptiveEmbeddingAttr>();
      const std::string ids = in(0);
      std::vector<std::string> params;
      std::vector<std::string> parts;
      std::int64_t lo = 0, div = 1;
      const std::size_t clusters = a.div_val == 1 ? 1 : a.cutoffs.size();
      for (std::size_t i = 0; i < clusters; ++i) {
        const std::string c = nm + "/c" + std::to_string(i);
        const auto hi = a.div_val == 1 ? a.n_token : a.cutoffs[i];
        const auto d = a.div_val == 1 ? a.d_embed : a.d_embed / div;
        const auto table = param(nm + ".emb_layers." + std::to_string(i) + ".weight", {hi - lo, d});
        params.push_back(table);
        std::string e;
        if (a.div_val == 1) {
          attr_int(part("Gather", c + "/emb", {table, ids}), "axis", 0);
          e = c + "/emb";
        } else {
          part("GreaterOrEqual", c + "/ge", {ids, const_i64_scalar(c + "/lo", lo)});
          part("Less", c + "/lt", {ids, const_i64_scalar(c + "/hi", hi)});
          part("And", c + "/in", {c + "/ge", c + "/lt"});
          part("Sub", c + "/shifted", {ids, c + "/lo"});
          part("Where", c + "/local", {c + "/in", c + "/shifted", const_i64_scalar(c + "/zero", 0)});
          attr_int(part("Gather", c + "/emb", {table, c + "/local"}), "axis", 0);
          e = c + "/emb";
        }
        if (a.div_val != 1 || a.d_proj != a.d_embed) {
          const auto proj = param(nm + ".emb_projs." + std::to_string(i), {a.d_proj, d});
          params.push_back(proj);
          attr_ints(part("Transpose", c + "/proj_t", {proj}), "perm", {1, 0});
          part("MatMul", c + "/proj", {e, c + "/proj_t"});
          e = c + "/proj";
        }
        if (a.div_val != 1) {
          attr_int(part("Cast", c + "/mask", {c + "/in"}), "to", onnx::TensorProto::FLOAT);
          part("Unsqueeze", c + "/mask3", {c + "/mask", const_i64(c + "/axes", {-1})});
          part("Mul", c + "/out", {e, c + "/mask3"});
          e = c + "/out";
        }
        parts.push_back(e);
        lo = hi;
        div *= a.div_val;
      }
      std::string sum = parts[0];
      if (parts.size() > 1) {
        part("Sum", nm + "/sum", parts);
        sum = nm + "/sum";
      }
      std::string cut;
      for (std::size_t i = 0; i < a.cutoffs.size(); ++i) cut += (i ? "," : "") + std::to_string(a.cutoffs[i]);
      mark(node("Mul", nm, {sum, const_f32(nm + "/scale", {static_cast<float>(std::sqrt(static_cast<double>(a.d_proj)))}, {})}, {nm}),
           "adaptive_embedding", {ids}, params,
           "n_token=" + std::to_string(a.n_token) + " d_embed=" + std::to_string(a.d_embed) + " d_proj=" + std::to_string(a.d_proj) +
               " div_val=" + std::to_string(a.div_val) + " cutoffs=" + cut);
      return;
    }
    case OpKind::DynamicConv: {
      // softmax over k of logits [N,T,H,1,k]; the k shifted windows of the zero-padded values
      // (Slice + Unsqueeze + Concat -> [N,T,W,k], reshaped to [N,T,H,W/H,k]); product summed over k.
      const auto& a = n.as<DynamicConvAttr>();
      const auto t = in_shape(0)[0], w = in_shape(0)[1], k = a.kernel, pad = (a.kernel - 1) / 2;
      part("Reshape", nm + "/logits5", {in(1), const_i64(nm + "/logits_shape", {0, 0, a.heads, 1, k})});
      attr_int(part("Softmax", nm + "/weights", {nm + "/logits5"}), "axis", -1);
      part("Pad", nm + "/padded", {in(0), const_i64(nm + "/pads", {0, pad, 0, 0, pad, 0})});
      std::vector<std::string> wins;
      for (std::int64_t j = 0; j < k; ++j) {
        const std::string s = nm + "/win" + std::to_string(j);
        part("Slice", s, {nm + "/padded", const_i64(s + "_b", {j}), const_i64(s + "_e", {j + t}), const_i64(s + "_ax", {1})});
        part("Unsqueeze", s + "_u", {s, const_i64(s + "_axes", {-1})});
        wins.push_back(s + "_u");
      }
      attr_int(part("Concat", nm + "/windows", wins), "axis", -1);
      part("Reshape", nm + "/windows5", {nm + "/windows", const_i64(nm + "/win_shape", {0, 0, a.heads, w / a.heads, k})});
      part("Mul", nm + "/weighted", {nm + "/windows5", nm + "/weights"});
      auto& rs = part("ReduceSum", nm + "/sum", {nm + "/weighted", const_i64(nm + "/sum_axes", {-1})});
      attr_int(rs, "keepdims", 0);
      mark(node("Reshape", nm, {nm + "/sum", const_i64(nm + "/out_shape", {0, 0, w})}, {nm}), "dynamic_conv", {in(0), in(1)}, {},
           "heads=" + std::to_string(a.heads) + " k=" + std::to_string(a.kernel));
      return;
    }
    default:
      throw Error("onnx export", "node '" + nm + "': op " + std::string(op_name(n.op)) + " has no ONNX mapping");
  }
}

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
