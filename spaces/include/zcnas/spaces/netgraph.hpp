#pragma once
// NetGraph: the one network IR every candidate compiles to (see DESIGN.md).
//
// A DAG of typed nodes held in topological order (a node's inputs always have
// smaller ids). Shapes are per sample (no batch dimension): images are {C, H, W},
// flat features {F}, token sequences {T} (int64 ids: an Input with InputAttr{tokens}),
// hidden states of sequence models {T, D} (token-major; ops "over the last dim" act on D). Every add_* call infers the output shape from the inputs and
// the attributes and throws zcnas::Error on a mismatch, so a graph that exists is
// a graph whose shapes are consistent. No torch here: the executor (executor.hpp)
// turns a NetGraph into a libtorch module; counting.hpp counts params and FLOPs.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zcnas::spaces {

using NodeId = int;
using Shape = std::vector<std::int64_t>;
std::string shape_str(const Shape& s);

enum class OpKind {
  Input,
  Conv2d,
  BatchNorm2d,
  ReLU,
  AvgPool2d,
  MaxPool2d,
  GlobalAvgPool,  // {C,H,W} -> {C}
  Zero,           // output = 0 * input (kept in the autograd graph, as NAS-Bench-201 does)
  Identity,
  Add,            // sum of n >= 1 inputs of equal shape
  Concat,         // along the channel axis (axis 0 of the per-sample shape)
  Linear,
  Flatten,        // {C,H,W} -> {C*H*W}
  Pad2d,          // constant zero padding of H/W
  Slice2d,        // crop of H/W: rows [top, H-bottom), cols [left, W-right)
  Upsample2d,     // nearest-neighbour upsampling by an integer factor
  ConvTranspose2d,
  Sigmoid,
  Tanh,
  // Added with the NB201 / TransNAS-Bench-101 spaces (issue 4):
  LeakyReLU,      // LeakyReLUAttr
  FoldTiles,      // {n*C,H,W} per sample -> n samples of {C,H,W} (batch grows n-fold; shared-weight towers)
  UnfoldTiles,    // inverse: n consecutive samples of {C,H,W} -> one sample {n*C,H,W}, tile-major channels
  // Added with the ONNX reader (issue 8), for the CNN op set torchvision exports use:
  Mul,            // elementwise product of two inputs; per-sample shapes of equal rank, each dim equal or 1
                  // (broadcast), e.g. squeeze-excitation {C,H,W} * {C,1,1}
  HardSwish,      // x * relu6(x + 3) / 6 (torch.nn.Hardswish)
  HardSigmoid,    // relu6(x + 3) / 6 (torch.nn.Hardsigmoid; ONNX HardSigmoid alpha=1/6, beta=0.5)
  Clip,           // ClipAttr: min(max(x, lo), hi); ReLU6 = Clip(0, 6)
  Softmax,        // SoftmaxAttr: softmax over one per-sample axis
  // Added with the transformer spaces (issue 10); sequences are {T, D} per sample. Concat takes an
  // optional ConcatAttr{axis} (NoAttr = axis 0), Linear acts on the last dim of any rank.
  Embedding,            // EmbeddingAttr: {T} int64 ids -> {T, dim} (nn.Embedding)
  AdaptiveEmbedding,    // AdaptiveEmbeddingAttr: {T} ids -> {T, d_proj} (Transformer-XL / archai)
  PositionalEmbedding,  // PositionalEmbeddingAttr: {T, D} -> {T, D}, adds a learned/sinusoidal table
  PatchEmbed,           // PatchEmbedAttr: {C,H,W} -> {(H/p)*(W/p), dim} (conv stride p, flatten, transpose)
  ClsToken,             // ClsTokenAttr: {T, D} -> {T+1, D} (a learned token prepended)
  LayerNorm,            // LayerNormAttr: over the last dim
  GELU,                 // GeluAttr: x * Phi(x) (erf form) or torch's tanh approximation
  Attention,            // AttentionAttr: (q {T,A}, k {T,A}, v {T,Av}) -> {T,Av}; scaled dot-product, no params
  LinearTransform,      // LinearTransformAttr: per-head 2-D DFT (real part) / DCT-II over (T, head dim)
  Conv1d,               // Conv1dAttr: 1-D convolution along T of {T, C} (channels = last dim) -> {T', out}
  DynamicConv,          // DynamicConvAttr: (values {T,A}, kernel logits {T, heads*k}) -> {T,A} (ConvBERT)
  SelectToken,          // SelectTokenAttr: {T, D} -> {D} (e.g. the CLS token)
  MeanTokens,           // {T, D} -> {D}: mean over the tokens (MeanTokensAttr: over tokens [first, T))
  // Added with the ONNX reader for torchvision's shufflenet_v2 (issue 8); data movement only
  // (no parameters, 0 FLOPs, as NASLib's tensorwatch / fvcore count them):
  ChannelShuffle,       // ChannelShuffleAttr: {C,H,W} -> {C,H,W}, torch's channel_shuffle(x, groups)
  ChannelSlice,         // ChannelSliceAttr: {C,H,W} -> {end-start,H,W}, channels [start, end) (one Split output)
};
std::string_view op_name(OpKind k);

struct Conv2dAttr {
  std::int64_t out_channels = 0, kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = false;
  std::int64_t output_padding = 0;  // ConvTranspose2d only
};
struct BatchNormAttr {
  bool affine = true;
  bool track_running_stats = true;
  double eps = 1e-5, momentum = 0.1;
};
struct PoolAttr {
  std::int64_t kernel = 3, stride = 1, padding = 0;
  bool count_include_pad = false;  // AvgPool2d only
  bool ceil_mode = false;          // output size rounded up, as torch's ceil_mode (last window starts inside input+pad)
};
// GlobalAvgPool with keepdims: {C,H,W} -> {C,1,1} (ONNX GlobalAveragePool); without (NoAttr) -> {C}.
struct GlobalPoolAttr {
  bool keepdims = true;
  // The reference network takes the mean with a function (torch.mean), not a module: same
  // output, but NASLib's FLOP count (tensorwatch hooks modules) gives it 0 (NAS-Bench-101).
  bool functional = false;
};
struct ClipAttr {
  double lo = 0.0, hi = 6.0;
};
struct SoftmaxAttr {
  std::int64_t axis = 0;  // per-sample axis (0 = first dimension after the batch)
};
struct LinearAttr {
  std::int64_t out_features = 0;
  bool bias = true;
};
struct PadAttr {
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;
};
struct SliceAttr {
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;  // amounts removed from each side
};
struct UpsampleAttr {
  std::int64_t factor = 2;
};
struct LeakyReLUAttr {
  double negative_slope = 0.01;
};
// Zero with an attribute may change the shape, as NAS-Bench-201 / TransNAS-Bench-101's Zero
// op does on reduction edges: {C,H,W} -> {out_channels, (H+stride-1)/stride, (W+stride-1)/stride}
// (out_channels 0 = keep C). Same channels: x[:, :, ::s, ::s] * 0; else fresh zeros.
struct ZeroAttr {
  std::int64_t out_channels = 0, stride = 1;
};
struct TileAttr {
  std::int64_t tiles = 1;
};
struct NoAttr {};

// ---- transformer ops (issue 10) -----------------------------------------------------------
// Input of a token model: per-sample shape {T} of int64 ids. (A float input has NoAttr.)
struct InputAttr {
  bool tokens = true;
};
// Concat along a per-sample axis other than 0, e.g. the feature axis of {T, D} (ConvBERT's
// [attention heads, convolution heads]).
struct ConcatAttr {
  std::int64_t axis = 0;
};
struct EmbeddingAttr {
  std::int64_t num_embeddings = 0, dim = 0;
};
// Adaptive input embedding (Baevski & Auli 2019) as Transformer-XL / archai implement it
// (microsoft/archai archai/nlp/models/model_utils/adaptive_embedding.py): the vocabulary is split
// at `cutoffs` (increasing, last == n_token) into clusters; cluster i has a table of
// d_embed / div_val^i dims and a projection {d_proj, d_i} to d_proj; the output is scaled by
// sqrt(d_proj). div_val == 1: one table {n_token, d_embed} (cutoffs ignored), projected only when
// d_proj != d_embed. Parameters: "<node>.emb_layers.<i>.weight", "<node>.emb_projs.<i>".
struct AdaptiveEmbeddingAttr {
  std::int64_t n_token = 0, d_embed = 0, d_proj = 0;
  std::vector<std::int64_t> cutoffs;  // see adaptive_cutoffs()
  std::int64_t div_val = 1;
};
// archai's clean_cutoffs: default {19997, 39997, 199997} when empty; entries past n_token are
// dropped and n_token is appended, so the result is increasing and ends with n_token.
std::vector<std::int64_t> adaptive_cutoffs(std::int64_t n_token, std::vector<std::int64_t> cutoffs = {});
// What is added to {T, D}: Learned = rows [0, T) of a {rows, D} table (GPT-2 wpe, BERT position
// embeddings, ViT pos_embed; T <= rows); Sinusoidal = sin/cos table of Vaswani et al. (no params;
// PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(same)); Row0 = row 0 of a {rows, D} table
// added to every token (BERT/ELECTRA token-type embeddings with all token_type_ids 0).
enum class PositionalKind { Learned, Sinusoidal, Row0 };
struct PositionalEmbeddingAttr {
  std::int64_t rows = 0;
  PositionalKind kind = PositionalKind::Learned;
};
struct PatchEmbedAttr {
  std::int64_t patch = 16, dim = 0;
  bool bias = true;
};
struct ClsTokenAttr {};  // the token's width is the input's D
struct LayerNormAttr {
  double eps = 1e-5;
  bool affine = true;
};
struct GeluAttr {
  bool tanh = false;  // torch.nn.functional.gelu(approximate="tanh") (HF "gelu_new"); false: exact erf form
};
// Multi-head scaled dot-product attention without projections (those are Linear nodes):
// per head h, softmax(q_h k_h^T * scale [+ causal mask]) v_h, heads concatenated.
struct AttentionAttr {
  std::int64_t heads = 1;
  bool causal = false;  // position t attends to positions <= t only
  double scale = 0.0;   // 0: 1/sqrt(head dim of q/k)
};
// FlexiBERT's linear-transform token mixing (aaronserianni/training-free-nas modeling_electra.py,
// ElectraDiscreteFourierTransform / ElectraDiscreteCosineTransform): the input {T, A} is split into
// `heads` heads {T, A/heads} and each gets a 2-D transform over (sequence, head dim):
// DFT = real part of torch.fft.fft2; DCT = torch-dct's dct_2d with norm=None, i.e. the unnormalized
// DCT-II X_k = 2 sum_n x_n cos(pi k (2n+1) / 2N) along both axes. No parameters.
enum class TransformKind { DFT, DCT };
struct LinearTransformAttr {
  TransformKind kind = TransformKind::DFT;
  std::int64_t heads = 1;
};
// nn.Conv1d over the sequence: {T, C} is run as [N, C, T]; weight {out, C/groups, k}.
struct Conv1dAttr {
  std::int64_t out_channels = 0, kernel = 1, padding = 0, groups = 1;
  bool bias = true;
};
// ConvBERT's span-based dynamic convolution (the conv half of FlexiBERT's DSC op, modeling_electra.py
// ElectraConvSelfAttention): per token t and head h, w = softmax over k of logits[t, h*k:(h+1)*k];
// out[t, c] = sum_j w[j] * values[t + j - (k-1)/2, c] (zero outside [0, T)), c in head h. No params.
struct DynamicConvAttr {
  std::int64_t heads = 1, kernel = 1;
};
struct SelectTokenAttr {
  std::int64_t index = 0;
};
// MeanTokens over tokens [first, T) only, e.g. first = 1: the patch tokens after a cls token
// (Auto-Prox's AutoFormerSub pools torch.mean(x[:, 1:], dim=1)). NoAttr = all tokens (first 0);
// mean_tokens() stores first == 0 as NoAttr, so such graphs are unchanged.
struct MeanTokensAttr {
  std::int64_t first = 0;
};

// torchvision's shufflenetv2.channel_shuffle: view {C,H,W} as {groups, C/groups, H, W}, swap the
// first two axes, flatten back, so output channel j*groups + i is input channel i*(C/groups) + j.
struct ChannelShuffleAttr {
  std::int64_t groups = 2;
};
// Channels [start, end) of {C,H,W}, e.g. one half of x.chunk(2, dim=1) (an ONNX Split output).
struct ChannelSliceAttr {
  std::int64_t start = 0, end = 0;
};

using Attr = std::variant<NoAttr, Conv2dAttr, BatchNormAttr, PoolAttr, LinearAttr, PadAttr, SliceAttr, UpsampleAttr,
                          LeakyReLUAttr, ZeroAttr, TileAttr, GlobalPoolAttr, ClipAttr, SoftmaxAttr, InputAttr, ConcatAttr,
                          EmbeddingAttr, AdaptiveEmbeddingAttr, PositionalEmbeddingAttr, PatchEmbedAttr, ClsTokenAttr,
                          LayerNormAttr, GeluAttr, AttentionAttr, LinearTransformAttr, Conv1dAttr, DynamicConvAttr,
                          SelectTokenAttr, MeanTokensAttr, ChannelShuffleAttr, ChannelSliceAttr>;

struct Node {
  OpKind op = OpKind::Input;
  std::string name;           // unique, dotted path ("cells.3.edge_2_1.conv"); parameters are "<name>.weight"
  std::vector<NodeId> inputs;
  Attr attr;
  Shape shape;                // output shape per sample
  // How many rows of the executed batch one input sample has become at this node
  // (1 except between FoldTiles and UnfoldTiles, where it is the number of tiles).
  std::int64_t fold = 1;

  template <class T> const T& as() const { return std::get<T>(attr); }
  bool has_params() const;    // conv, linear, affine batchnorm/layernorm, embeddings, patch embed, cls token
  // Embedding parameters in the language-model sense (LTS / archai's "non-embedding" count excludes
  // them): Embedding, AdaptiveEmbedding (tables and projections), learned/Row0 PositionalEmbedding.
  bool is_embedding() const;
};

class NetGraph {
 public:
  // Generic builder: checks inputs exist and shapes agree; infers the output shape.
  NodeId add(OpKind op, std::vector<NodeId> inputs, Attr attr, std::string name);

  // Convenience builders (same checks).
  NodeId input(Shape shape, std::string name = "input");
  NodeId token_input(std::int64_t seq_len, std::string name = "input");  // {T} int64 ids
  NodeId conv2d(NodeId x, Conv2dAttr a, std::string name);
  NodeId conv_transpose2d(NodeId x, Conv2dAttr a, std::string name);
  NodeId batchnorm(NodeId x, BatchNormAttr a, std::string name);
  NodeId relu(NodeId x, std::string name);
  NodeId avg_pool(NodeId x, PoolAttr a, std::string name);
  NodeId max_pool(NodeId x, PoolAttr a, std::string name);
  NodeId global_avg_pool(NodeId x, std::string name);
  NodeId zero(NodeId x, std::string name);
  NodeId identity(NodeId x, std::string name);
  NodeId add_n(std::vector<NodeId> xs, std::string name);
  NodeId concat(std::vector<NodeId> xs, std::string name);
  NodeId linear(NodeId x, LinearAttr a, std::string name);
  NodeId flatten(NodeId x, std::string name);
  NodeId pad2d(NodeId x, PadAttr a, std::string name);
  NodeId slice2d(NodeId x, SliceAttr a, std::string name);
  NodeId upsample2d(NodeId x, UpsampleAttr a, std::string name);
  NodeId sigmoid(NodeId x, std::string name);
  NodeId tanh(NodeId x, std::string name);
  NodeId leaky_relu(NodeId x, LeakyReLUAttr a, std::string name);
  NodeId zero(NodeId x, ZeroAttr a, std::string name);
  NodeId fold_tiles(NodeId x, TileAttr a, std::string name);
  NodeId unfold_tiles(NodeId x, TileAttr a, std::string name);
  NodeId mul(NodeId a, NodeId b, std::string name);
  NodeId hardswish(NodeId x, std::string name);
  NodeId hardsigmoid(NodeId x, std::string name);
  NodeId clip(NodeId x, ClipAttr a, std::string name);
  NodeId softmax(NodeId x, SoftmaxAttr a, std::string name);
  // transformer ops (issue 10)
  NodeId concat(std::vector<NodeId> xs, ConcatAttr a, std::string name);
  NodeId embedding(NodeId ids, EmbeddingAttr a, std::string name);
  NodeId adaptive_embedding(NodeId ids, AdaptiveEmbeddingAttr a, std::string name);
  NodeId positional_embedding(NodeId x, PositionalEmbeddingAttr a, std::string name);
  NodeId patch_embed(NodeId x, PatchEmbedAttr a, std::string name);
  NodeId cls_token(NodeId x, std::string name);
  NodeId layer_norm(NodeId x, LayerNormAttr a, std::string name);
  NodeId gelu(NodeId x, std::string name, GeluAttr a = {});
  NodeId attention(NodeId q, NodeId k, NodeId v, AttentionAttr a, std::string name);
  NodeId linear_transform(NodeId x, LinearTransformAttr a, std::string name);
  NodeId conv1d(NodeId x, Conv1dAttr a, std::string name);
  NodeId dynamic_conv(NodeId values, NodeId kernel_logits, DynamicConvAttr a, std::string name);
  NodeId select_token(NodeId x, SelectTokenAttr a, std::string name);
  NodeId mean_tokens(NodeId x, std::string name, MeanTokensAttr a = {});
  // shufflenet_v2 ops (issue 8)
  NodeId channel_shuffle(NodeId x, ChannelShuffleAttr a, std::string name);
  NodeId channel_slice(NodeId x, ChannelSliceAttr a, std::string name);

  void set_output(NodeId id);
  NodeId output() const;                 // throws if unset
  NodeId input_id() const { return 0; }  // node 0 is always the input

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(NodeId id) const;
  std::size_t size() const { return nodes_.size(); }
  const Shape& input_shape() const;
  bool has_token_input() const;  // the input is {T} int64 token ids (InputAttr)
  const Shape& output_shape() const { return node(output()).shape; }

  // Nodes that can reach the output (others are dead and skipped by the executor).
  std::vector<bool> live_nodes() const;

  // Deterministic, human-readable listing (one node a line), also the basis of
  // graph equality in tests.
  std::string to_text() const;

 private:
  std::vector<Node> nodes_;
  NodeId output_ = -1;
};

}  // namespace zcnas::spaces
