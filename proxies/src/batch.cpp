#include "zcnas/proxies/batch.hpp"

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/proxies/tokens.hpp"

namespace zcnas::proxies {
namespace {

at::Generator batch_generator(std::uint64_t seed, const char* salt) {
  return at::make_generator<at::CPUGeneratorImpl>(seed ^ hash128(salt).lo);
}

// NASLib's training transform: RandomCrop(side, padding=side/8) on the zero-padded
// image, then RandomHorizontalFlip(0.5) (naslib/utils/dataset.py).
torch::Tensor augment(const torch::Tensor& imgs, at::Generator& gen) {
  const auto n = imgs.size(0), h = imgs.size(2), w = imgs.size(3);
  const auto ph = h / 8, pw = w / 8;
  auto padded = torch::constant_pad_nd(imgs, {pw, pw, ph, ph}, 0.0);
  auto dy = torch::randint(0, 2 * ph + 1, {n}, gen, torch::kInt64);
  auto dx = torch::randint(0, 2 * pw + 1, {n}, gen, torch::kInt64);
  auto flip = torch::rand({n}, gen);
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < n; ++i) {
    auto y0 = dy[i].item<std::int64_t>(), x0 = dx[i].item<std::int64_t>();
    auto img = padded[i].slice(1, y0, y0 + h).slice(2, x0, x0 + w);
    if (flip[i].item<float>() < 0.5f) img = img.flip({2});
    out.push_back(img);
  }
  return torch::stack(out, 0);
}

// Resize N x 3 x 32 x 32 float images to h x w: area averaging when shrinking
// (32 -> 16 is an exact 2x2 box filter, the way ImageNet16 was downsampled),
// bilinear when enlarging.
torch::Tensor resize(const torch::Tensor& x, std::int64_t h, std::int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  namespace F = torch::nn::functional;
  if (h <= x.size(2) && w <= x.size(3))
    return torch::adaptive_avg_pool2d(x, {h, w});
  return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
}

// TransNAS-Bench-101 jigsaw input {3*T, h, w}: the image resized to a g x g grid of
// h x w tiles (T = g*g), the tiles shuffled per sample by a seeded random
// permutation and stacked tile-major along the channels (tnb101_network.cpp's
// FoldTiles order). TNB-101 draws each permutation from a fixed set of K and the
// label is its index; that set is not shipped, so the label is drawn uniformly from
// the head's K classes instead (make_batch) -- at initialisation the mapping from
// permutations to classes carries no information, so the proxies see the same kind
// of input and target. Documented in docs/proxies.md (input protocol).
torch::Tensor jigsaw_tiles(const torch::Tensor& imgs, std::int64_t tiles, std::int64_t h, std::int64_t w,
                           at::Generator& gen) {
  std::int64_t g = 1;
  while (g * g < tiles) ++g;
  const auto n = imgs.size(0);
  auto big = resize(imgs, g * h, g * w);
  // [n, 3, g*h, g*w] -> [n, g*g, 3, h, w], row-major tile order
  auto t = big.view({n, 3, g, h, g, w}).permute({0, 2, 4, 1, 3, 5}).reshape({n, g * g, 3, h, w});
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < n; ++i) {
    auto perm = torch::randperm(g * g, gen, torch::kInt64);
    out.push_back(t[i].index_select(0, perm).reshape({g * g * 3, h, w}));
  }
  return torch::stack(out, 0).contiguous();
}

bool is_jigsaw_input(const spaces::Shape& in) {
  if (in.size() != 3 || in[0] <= 3 || in[0] % 3 != 0) return false;
  std::int64_t g = 1;
  while (g * g < in[0] / 3) ++g;
  return g * g == in[0] / 3;
}

}  // namespace

Normalisation normalisation_for(const std::string& dataset) {
  if (dataset == "cifar100") return {{0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}};
  if (dataset == "ImageNet16-120")
    return {{122.68 / 255, 116.66 / 255, 104.01 / 255}, {63.22 / 255, 61.26 / 255, 65.09 / 255}};
  return {{0.49139968, 0.48215827, 0.44653124}, {0.24703233, 0.24348505, 0.26158768}};
}

Batch make_batch(const ImageSet& pool, const spaces::NetGraph& graph, const BatchOptions& opt) {
  if (graph.has_token_input()) {  // transformer language networks: real text (tokens.hpp), not images
    TokenBatchOptions t;
    t.batch_size = opt.batch_size;
    t.seed = opt.seed;
    return make_token_batch(*TokenCorpus::shared(), graph, t);
  }
  const auto& in = graph.input_shape();
  const bool jigsaw = is_jigsaw_input(in);
  if (in.size() != 3 || (in[0] != 3 && !jigsaw))
    throw Error("input batch",
                "the network takes input " + spaces::shape_str(in) + ", not an RGB image {3,H,W} or a grid of tiles {3*g*g,H,W}",
                "image batches fit image networks only");
  if (opt.batch_size < 1) throw Error("--batch-size", "must be at least 1");
  if (opt.batch_size > pool.size())
    throw Error("--batch-size", std::to_string(opt.batch_size) + " is more than the " + std::to_string(pool.size()) +
                                    " images available", "use a smaller batch or more data (--data)");
  auto gen = batch_generator(opt.seed, "batch.select");
  auto idx = torch::randperm(pool.size(), gen, torch::kInt64).slice(0, 0, opt.batch_size);
  auto imgs = pool.images.index_select(0, idx).to(torch::kFloat32).div(255.0);
  if (opt.augment) {
    auto agen = batch_generator(opt.seed, "batch.augment");
    imgs = augment(imgs, agen);
  }
  const auto norm = normalisation_for(opt.dataset);
  auto mean = torch::tensor({norm.mean[0], norm.mean[1], norm.mean[2]}, torch::kFloat32).view({1, 3, 1, 1});
  auto stdv = torch::tensor({norm.std[0], norm.std[1], norm.std[2]}, torch::kFloat32).view({1, 3, 1, 1});
  imgs = (imgs - mean) / stdv;
  if (jigsaw) {
    auto tgen = batch_generator(opt.seed, "batch.jigsaw");
    imgs = jigsaw_tiles(imgs, in[0] / 3, in[1], in[2], tgen);
  } else {
    imgs = resize(imgs, in[1], in[2]).contiguous();
  }

  Batch b;
  b.inputs = imgs;
  const auto& out = graph.output_shape();
  std::string target;
  auto lgen = batch_generator(opt.seed, "batch.labels");
  if (out.size() == 1) {
    const auto k = out[0];
    if (k == 10 && (opt.dataset == "cifar10" || opt.dataset.empty())) {
      b.labels = pool.labels.index_select(0, idx).clone();
      target = "CIFAR-10 labels";
    } else {
      b.labels = torch::randint(0, k, {opt.batch_size}, lgen, torch::kInt64);
      target = "labels drawn from " + std::to_string(k) + " classes";
    }
  } else if (out.size() == 3 && out[0] == 3) {
    b.labels = resize(imgs, out[1], out[2]).contiguous();
    target = "the input image at " + std::to_string(out[1]) + "x" + std::to_string(out[2]);
  } else if (out.size() == 3) {
    b.labels = torch::randint(0, out[0], {opt.batch_size, out[1], out[2]}, lgen, torch::kInt64);
    target = "per-pixel labels drawn from " + std::to_string(out[0]) + " classes";
  } else {
    throw Error("input batch", "no target protocol for a network output of shape " + spaces::shape_str(out),
                "proxies that need labels support outputs {K}, {3,H,W} and {C,H,W}");
  }
  b.description = opt.dataset + ": " + std::to_string(opt.batch_size) + " CIFAR-10 images (seed " + std::to_string(opt.seed) +
                  (opt.augment ? ", augmented" : "") + ") at " + std::to_string(in[1]) + "x" + std::to_string(in[2]) +
                  (jigsaw ? " as " + std::to_string(in[0] / 3) + " shuffled tiles" : "") + ", " + target;
  return b;
}

torch::Tensor batch_loss(const torch::Tensor& output, const Batch& batch) {
  const auto& y = batch.labels;
  if (!y.defined()) throw Error("batch", "the batch has no labels", "a labelled proxy needs a batch with targets");
  if (y.scalar_type() == torch::kInt64) {
    if (output.dim() == 2 && y.dim() == 1 && y.size(0) == output.size(0)) return torch::nn::functional::cross_entropy(output, y);
    if (output.dim() == 4 && y.dim() == 3 && y.size(1) == output.size(2) && y.size(2) == output.size(3))
      return torch::nn::functional::cross_entropy(output, y);
    // language-model logits [N, T, V] against next-token ids [N, T] (token batches)
    if (output.dim() == 3 && y.dim() == 2 && y.size(0) == output.size(0) && y.size(1) == output.size(1))
      return torch::nn::functional::cross_entropy(output.reshape({-1, output.size(2)}), y.reshape({-1}));
  } else if (y.sizes() == output.sizes()) {
    return torch::l1_loss(output, y.to(output.scalar_type()));
  }
  std::string ys, os;
  for (auto s : y.sizes()) ys += std::to_string(s) + " ";
  for (auto s : output.sizes()) os += std::to_string(s) + " ";
  throw Error("batch", "targets of shape [ " + ys + "] do not fit a network output of shape [ " + os + "]",
              "build the batch with make_batch for this network");
}

}  // namespace zcnas::proxies
