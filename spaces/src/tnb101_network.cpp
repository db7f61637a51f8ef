// TransNAS-Bench-101 micro networks compiled to the IR.
//
// Facts from the benchmark's model code as NASLib ships it
// (automl/NASLib naslib/search_spaces/transbench101/tnb101/: model_builder.py,
// models/net_infer/net_macro.py, models/net_infer/cell_micro.py, models/net_ops/cell_ops.py,
// models/decoder.py, models/siamese.py). NASLib's TransBench101SearchSpaceMicro (graph.py,
// create_graph=False, its default) wraps exactly this model, and NAS-Bench-Suite-Zero's
// params/flops were measured on it.
//
// Encoder = MacroNet("64-41414-<cell>", structure='backbone'):
//   stem: conv3x3(3->32, stride 2, pad 1, no bias) + BN(32) + ReLUConvBN(32->64, 3x3, stride 2)
//   5 stages from the macro code "41414": code 4 doubles the channels and strides by 2,
//   code 1 keeps both; each stage = 2 MicroCells (the first carries the stride/channel change).
//   64 -> 128/2 -> 128 -> 256/2 -> 256 -> 512/2: a 256x256 input leaves 512x8x8.
// MicroCell(C_in, C_out, stride): node j = sum over its edges (torch.stack(...).sum(0)),
// output node 3. Edges from node 0 get (C_in, C_out, stride), the others (C_out, C_out, 1):
//   0 Zero: x*0 when channels and stride stay, x[:, :, ::s, ::s]*0 when only the stride
//     changes, fresh zeros {C_out, (H+1)//s, (W+1)//s} when the channels change
//   1 Identity when stride 1 and C_in == C_out, else FactorizedReduce: ReLU, then
//     conv1x1/s on x (C_out/2) and conv1x1/s on pad(x, right 1, bottom 1)[:, :, 1:, 1:]
//     (C_out - C_out/2), concatenated, BN
//   2 ReLU -> conv1x1 (stride s, no bias) -> BN      3 same with conv3x3, pad 1
//   all BNs affine with running stats.
// Decoders (model_builder.create_model):
//   class_scene / class_object / room_layout: FFDecoder = AdaptiveAvgPool2d(1), linear to
//     63 / 100 / 9 outputs.
//   jigsaw: SiameseNet -- the encoder runs on each of 9 tiles (shared weights), outputs
//     concatenated on channels, SiameseDecoder = AdaptiveAvgPool2d(1), linear(9*512 -> 1000).
//     Here: FoldTiles(9) -> encoder -> UnfoldTiles(9). Tiles are 64x64 (NASLib's Suite-Zero
//     numbers match this size).
//   autoencoder / normal: GenerativeDecoder(in_dim=(512, 7, 7), target (256, 256)): the
//     decoder input dim is MacroNet's output_dim, computed for its default 224x224 input, so
//     num_upsample = int(log2(256/7)) = 5 whatever the real input. ConvLayer = conv3x3
//     (bias) + BN + LeakyReLU(0.2); DeconvLayer = ConvTranspose2d(3, stride 2, pad 1,
//     output_padding 1, bias) + BN + LeakyReLU(0.2); last layer conv3x3 -> 3 channels + Tanh,
//     no BN. The GAN's discriminator is never called in forward and is not part of the
//     network (NASLib's tensorwatch-based params do not count it either).
//   segmentsemantic: SegmentationDecoder(in_dim (512, 7, 7), target (256, 256), 17 classes):
//     ConvLayer(512->1024), 6-5 = 1 halving ConvLayer, 5-1 = 4 halving DeconvLayers, one
//     DeconvLayer keeping channels, final conv3x3 -> 17 (bias, no BN, no activation).
// Node names follow the reference modules' state_dict keys ("encoder.stem.0.weight",
// "encoder.layer0.0.edges.3.ops.1.weight", "decoder.conv1.norm.bias", "decoder.fc.weight").
#include <cmath>

#include "zcnas/common/error.hpp"
#include "cell6.hpp"
#include "zcnas/spaces/tnb101_micro.hpp"

namespace zcnas::spaces::tnb101 {
namespace {

constexpr int kFrom[6] = {0, 0, 1, 0, 1, 2};
constexpr int kTo[6] = {1, 2, 2, 3, 3, 3};
constexpr std::int64_t kBaseChannels = 64;
constexpr std::string_view kMacroCode = "41414";
constexpr std::int64_t kResolution = 256;
constexpr std::int64_t kJigsawTiles = 9, kJigsawTile = 64;
// MacroNet.output_dim for its default input_dim (224, 224): 224/4 then /2 per striding stage.
constexpr std::int64_t kDecoderInputWidth = 7;

NodeId relu_conv_bn(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t k, std::int64_t stride, const std::string& p) {
  return cell6::relu_conv_bn(g, x, c_out, k, stride, p, "ops");
}

NodeId factorized_reduce(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t stride, const std::string& p) {
  const auto r = g.relu(x, p + ".relu");
  Conv2dAttr a;
  a.kernel = 1;
  a.stride = stride;
  a.out_channels = c_out / 2;
  const auto c0 = g.conv2d(r, a, p + ".convs.0");
  PadAttr pad;
  pad.right = 1;
  pad.bottom = 1;
  const auto padded = g.pad2d(r, pad, p + ".pad");
  SliceAttr crop;
  crop.left = 1;
  crop.top = 1;
  const auto shifted = g.slice2d(padded, crop, p + ".shift");
  a.out_channels = c_out - c_out / 2;
  const auto c1 = g.conv2d(shifted, a, p + ".convs.1");
  const auto cat = g.concat({c0, c1}, p + ".cat");
  return g.batchnorm(cat, BatchNormAttr{}, p + ".bn");
}

NodeId cell_edge(NetGraph& g, NodeId x, int op, std::int64_t c_in, std::int64_t c_out, std::int64_t stride,
                 const std::string& p) {
  switch (op) {
    case 0: {
      if (c_in == c_out && stride == 1) return g.zero(x, p);
      ZeroAttr z;
      z.out_channels = c_out;
      z.stride = stride;
      return g.zero(x, z, p);
    }
    case 1:
      if (stride == 1 && c_in == c_out) return g.identity(x, p);
      return factorized_reduce(g, x, c_out, stride, p);
    case 2: return relu_conv_bn(g, x, c_out, 1, stride, p);
    default: return relu_conv_bn(g, x, c_out, 3, stride, p);
  }
}

NodeId micro_cell(NetGraph& g, NodeId x, const Ops& ops, std::int64_t c_in, std::int64_t c_out, std::int64_t stride,
                  const std::string& p) {
  std::vector<NodeId> node{x};
  for (int j = 1; j <= 3; ++j) {
    std::vector<NodeId> terms;
    for (int k = 0; k < 6; ++k) {
      if (kTo[k] != j) continue;
      const bool from_input = kFrom[k] == 0;
      terms.push_back(cell_edge(g, node[kFrom[k]], ops[k], from_input ? c_in : c_out, c_out, from_input ? stride : 1,
                                p + ".edges." + std::to_string(k)));
    }
    node.push_back(g.add_n(terms, p + ".node" + std::to_string(j)));
  }
  return node[3];
}

// MacroNet backbone; returns the feature map node.
NodeId encoder(NetGraph& g, NodeId x, const Ops& ops) {
  const std::string p = "encoder";
  Conv2dAttr stem;
  stem.out_channels = kBaseChannels / 2;
  stem.kernel = 3;
  stem.stride = 2;
  stem.padding = 1;
  x = g.conv2d(x, stem, p + ".stem.0");
  x = g.batchnorm(x, BatchNormAttr{}, p + ".stem.1");
  x = relu_conv_bn(g, x, kBaseChannels, 3, 2, p + ".stem.2");
  std::int64_t c = kBaseChannels;
  for (std::size_t i = 0; i < kMacroCode.size(); ++i) {
    const int type = kMacroCode[i] - '0';
    const std::int64_t target = type % 2 == 0 ? 2 * c : c;
    const std::int64_t stride = type > 2 ? 2 : 1;
    const std::string layer = p + ".layer" + std::to_string(i);
    x = micro_cell(g, x, ops, c, target, stride, layer + ".0");
    x = micro_cell(g, x, ops, target, target, 1, layer + ".1");
    c = target;
  }
  return x;
}

NodeId linear_head(NetGraph& g, NodeId x, std::int64_t outputs) {
  x = g.global_avg_pool(x, "decoder.avgpool");
  LinearAttr fc;
  fc.out_features = outputs;
  return g.linear(x, fc, "decoder.fc");
}

// ConvLayer / DeconvLayer of decoder.py: (de)conv with bias, optional BN, optional activation.
enum class Act { None, Leaky, Tanh };
NodeId conv_layer(NetGraph& g, NodeId x, std::int64_t c_out, bool deconv, bool bn, Act act, const std::string& p) {
  Conv2dAttr a;
  a.out_channels = c_out;
  a.kernel = 3;
  a.padding = 1;
  a.bias = true;
  if (deconv) {
    a.stride = 2;
    a.output_padding = 1;
    x = g.conv_transpose2d(x, a, p + ".conv");
  } else {
    x = g.conv2d(x, a, p + ".conv");
  }
  if (bn) x = g.batchnorm(x, BatchNormAttr{}, p + ".norm");
  if (act == Act::Leaky) x = g.leaky_relu(x, LeakyReLUAttr{0.2}, p + ".activation");
  if (act == Act::Tanh) x = g.tanh(x, p + ".activation");
  return x;
}

int num_upsample() {
  return static_cast<int>(std::log2(static_cast<double>(kResolution) / static_cast<double>(kDecoderInputWidth)));
}

NodeId generative_decoder(NetGraph& g, NodeId x) {
  const int nu = num_upsample();
  auto layer = [&](int i, std::int64_t c_out, bool deconv, bool bn = true, Act act = Act::Leaky) {
    x = conv_layer(g, x, c_out, deconv, bn, act, "decoder.conv" + std::to_string(i));
  };
  layer(1, 1024, false);
  layer(2, 1024, false);
  layer(3, 512, nu == 6);
  layer(4, 512, false);
  layer(5, 256, nu >= 5);
  layer(6, 128, false);
  layer(7, 64, nu >= 4);
  layer(8, 64, false);
  layer(9, 32, nu >= 3);
  layer(10, 32, false);
  layer(11, 16, true);
  layer(12, 32, false);
  layer(13, 16, true);
  layer(14, 3, false, false, Act::Tanh);
  return x;
}

NodeId segmentation_decoder(NetGraph& g, NodeId x, std::int64_t classes) {
  const int nu = num_upsample();
  int i = 0;
  auto name = [&] { return "decoder.model." + std::to_string(i++); };
  x = conv_layer(g, x, 1024, false, true, Act::Leaky, name());
  std::int64_t c = 1024;
  for (int k = 0; k < 6 - nu; ++k, c /= 2) x = conv_layer(g, x, c / 2, false, true, Act::Leaky, name());
  for (int k = 0; k < nu - 1; ++k, c /= 2) x = conv_layer(g, x, c / 2, true, true, Act::Leaky, name());
  x = conv_layer(g, x, c, true, true, Act::Leaky, name());
  return conv_layer(g, x, classes, false, false, Act::None, name());
}

}  // namespace

Shape input_shape(std::string_view task) {
  if (task == "jigsaw") return {3 * kJigsawTiles, kJigsawTile, kJigsawTile};
  return {3, kResolution, kResolution};
}

NetGraph build(const Ops& ops, std::string_view task) {
  NetGraph g;
  const std::string t(task);
  auto x = g.input(input_shape(task));
  if (t == "jigsaw") {
    x = g.fold_tiles(x, TileAttr{kJigsawTiles}, "tiles");
    x = encoder(g, x, ops);
    x = g.unfold_tiles(x, TileAttr{kJigsawTiles}, "tile_concat");
    x = linear_head(g, x, 1000);
  } else {
    x = encoder(g, x, ops);
    if (t == "class_scene")
      x = linear_head(g, x, 63);
    else if (t == "class_object")
      x = linear_head(g, x, 100);
    else if (t == "room_layout")
      x = linear_head(g, x, 9);
    else if (t == "autoencoder" || t == "normal")
      x = generative_decoder(g, x);
    else if (t == "segmentsemantic")
      x = segmentation_decoder(g, x, 17);
    else
      throw Error("--dataset " + t, "unknown task for tnb101_micro",
                  "valid: class_scene, class_object, autoencoder, normal, jigsaw, room_layout, segmentsemantic");
  }
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::tnb101
