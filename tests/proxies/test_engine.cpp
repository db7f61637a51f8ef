// The proxy engine: CIFAR-10 reader, input batches, registry, Scorer (shared passes
// give the same value as running alone), parallel determinism, bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/nb201.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;

namespace {

const std::string kCifarDir = std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10";

const proxies::ImageSet& pool() {
  static const auto p = proxies::read_cifar10(kCifarDir);
  return p;
}

// A small NB201 TinyNetwork (C=4, one cell per stage) so the tests stay fast.
spaces::NetGraph small_nb201(const std::string& arch, int classes = 10, int resolution = 32) {
  spaces::nb201::NetConfig cfg;
  cfg.channels = 4;
  cfg.cells_per_stage = 1;
  cfg.num_classes = classes;
  cfg.resolution = resolution;
  return spaces::nb201::build(spaces::nb201::parse(arch), cfg);
}

std::string temp_file(const std::string& name, const std::vector<unsigned char>& bytes) {
  auto p = (std::filesystem::temp_directory_path() / ("zcnas_test_" + name)).string();
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p;
}

const std::vector<std::string> kSuiteZero = {"params", "flops", "synflow", "snip", "grasp", "fisher",
                                             "grad_norm", "jacov", "nwot", "plain", "l2_norm", "epe_nas"};

}  // namespace

TEST_CASE("CIFAR-10 reader: benchdata files", "[proxies][cifar]") {
  auto one = proxies::read_cifar10_file(kCifarDir + "/data_batch_1.bin");
  CHECK(one.size() == 932);
  CHECK(one.images.sizes() == std::vector<std::int64_t>{932, 3, 32, 32});
  CHECK(one.labels.min().item<std::int64_t>() >= 0);
  CHECK(one.labels.max().item<std::int64_t>() <= 9);
  // The directory form reads the five training batches (not test_batch).
  CHECK(pool().size() == 5 * 932);
  CHECK(pool().files.size() == 5);
  // First record of data_batch_1 as stored: label byte, then the first R pixel.
  std::ifstream in(kCifarDir + "/data_batch_1.bin", std::ios::binary);
  unsigned char head[2];
  in.read(reinterpret_cast<char*>(head), 2);
  CHECK(one.labels[0].item<std::int64_t>() == head[0]);
  CHECK(one.images[0][0][0][0].item<std::uint8_t>() == head[1]);
}

TEST_CASE("CIFAR-10 reader: corrupt, truncated, missing files are clear errors", "[proxies][cifar][errors]") {
  std::vector<unsigned char> rec(proxies::kCifarRecordBytes, 7);
  rec[0] = 3;
  std::vector<unsigned char> two(2 * rec.size());
  std::copy(rec.begin(), rec.end(), two.begin());
  std::copy(rec.begin(), rec.end(), two.begin() + static_cast<std::ptrdiff_t>(rec.size()));
  auto ok = temp_file("ok.bin", two);
  CHECK(proxies::read_cifar10_file(ok).size() == 2);

  auto truncated = two;
  truncated.resize(two.size() - 100);
  auto tpath = temp_file("truncated.bin", truncated);
  CHECK_THROWS_MATCHES(proxies::read_cifar10_file(tpath), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.problem().find("not a whole number of 3073-byte") != std::string::npos;
                       }));
  auto bad_label = two;
  bad_label[proxies::kCifarRecordBytes] = 200;
  auto bpath = temp_file("badlabel.bin", bad_label);
  CHECK_THROWS_MATCHES(proxies::read_cifar10_file(bpath), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.problem().find("record 1 has label byte 200") != std::string::npos;
                       }));
  auto epath = temp_file("empty.bin", {});
  CHECK_THROWS_AS(proxies::read_cifar10_file(epath), Error);
  CHECK_THROWS_AS(proxies::read_cifar10("/nonexistent/cifar"), Error);
  for (auto p : {ok, tpath, bpath, epath}) std::remove(p.c_str());
}

TEST_CASE("input batches: seeded, normalised, shaped by the network", "[proxies][batch]") {
  const auto g10 = small_nb201("432323");
  proxies::BatchOptions bo;
  bo.seed = 5;
  auto a = proxies::make_batch(pool(), g10, bo);
  auto b = proxies::make_batch(pool(), g10, bo);
  CHECK(a.inputs.sizes() == std::vector<std::int64_t>{32, 3, 32, 32});
  CHECK(a.inputs.equal(b.inputs));
  CHECK(a.labels.equal(b.labels));
  bo.seed = 6;
  CHECK_FALSE(proxies::make_batch(pool(), g10, bo).inputs.equal(a.inputs));
  // Normalised: roughly zero mean, unit spread (augmentation pads with black, so loose).
  CHECK(std::abs(a.inputs.mean().item<double>()) < 0.5);
  CHECK(a.inputs.std().item<double>() > 0.5);
  CHECK(a.inputs.std().item<double>() < 1.5);

  // Without augmentation the normalisation is exact: image 0 of the pool.
  bo.augment = false;
  bo.batch_size = 1;
  auto one = proxies::make_batch(pool(), g10, bo);
  CHECK(one.labels.scalar_type() == torch::kInt64);

  // ImageNet16-120: 16x16 inputs, labels from 120 classes.
  bo.batch_size = 64;
  bo.dataset = "ImageNet16-120";
  auto in16 = proxies::make_batch(pool(), small_nb201("432323", 120, 16), bo);
  CHECK(in16.inputs.sizes() == std::vector<std::int64_t>{64, 3, 16, 16});
  CHECK(in16.labels.max().item<std::int64_t>() < 120);
  CHECK(in16.labels.max().item<std::int64_t>() >= 10);  // drawn from 120 classes, not CIFAR's 10

  bo.dataset = "cifar10";
  bo.batch_size = 0;
  CHECK_THROWS_AS(proxies::make_batch(pool(), g10, bo), Error);
  bo.batch_size = 100000;
  CHECK_THROWS_AS(proxies::make_batch(pool(), g10, bo), Error);
}

TEST_CASE("input batches: TNB-101 jigsaw gets shuffled tiles of the resized image", "[proxies][batch][tnb]") {
  const auto& space = spaces::get_space("tnb101_micro");
  const auto g = space.compile(space.canonical("123012"), "jigsaw");
  REQUIRE(g.input_shape() == spaces::Shape{27, 64, 64});
  proxies::BatchOptions bo;
  bo.dataset = "jigsaw";
  bo.batch_size = 3;
  bo.augment = false;
  bo.seed = 11;
  const auto b = proxies::make_batch(pool(), g, bo);
  CHECK(b.inputs.sizes() == std::vector<std::int64_t>{3, 27, 64, 64});
  CHECK(b.labels.sizes() == std::vector<std::int64_t>{3});
  CHECK(b.labels.max().item<std::int64_t>() < g.output_shape()[0]);
  CHECK(proxies::make_batch(pool(), g, bo).inputs.equal(b.inputs));  // seeded
  // The same images as one 3-channel 192x192 picture, cut into 9 tiles: every sample's
  // tiles are exactly those, in some order, and not all samples keep the row-major order.
  spaces::NetGraph whole;
  whole.set_output(whole.global_avg_pool(whole.input({3, 192, 192}), "gap"));
  const auto ref = proxies::make_batch(pool(), whole, bo).inputs;  // [3, 3, 192, 192]
  auto ref_tiles = ref.view({3, 3, 3, 64, 3, 64}).permute({0, 2, 4, 1, 3, 5}).reshape({3, 9, 3, 64, 64});
  auto got_tiles = b.inputs.view({3, 9, 3, 64, 64});
  int reordered = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = std::get<0>(ref_tiles[i].sum({1, 2, 3}).sort());
    auto t = std::get<0>(got_tiles[i].sum({1, 2, 3}).sort());
    CHECK(torch::allclose(r, t, 1e-5, 1e-3));
    if (!got_tiles[i].equal(ref_tiles[i])) ++reordered;
  }
  CHECK(reordered > 0);
  // And a labelled proxy runs on it.
  bo.batch_size = 2;
  const auto v = proxies::Scorer({proxies::make_proxy("snip")}).score(g, proxies::make_batch(pool(), g, bo), 3);
  REQUIRE(v.scores.size() == 1);
  CHECK(v.scores[0].ok());
}

TEST_CASE("registry: names, unknown proxy, bad settings", "[proxies][registry][errors]") {
  auto names = proxies::proxy_names();
  for (const auto& n : kSuiteZero) CHECK(std::find(names.begin(), names.end(), n) != names.end());
  CHECK_THROWS_MATCHES(proxies::make_proxy("synfloww"), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.problem() == "unknown proxy" && e.hint().find("synflow") != std::string::npos;
                       }));
  CHECK_THROWS_MATCHES(proxies::make_proxy("snip", {{"batch", 3}}), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.problem().find("unknown setting 'batch'") != std::string::npos;
                       }));
  CHECK_THROWS_AS(proxies::make_proxy("synflow", {{"bn", "yes"}}), Error);
  CHECK_THROWS_AS(proxies::make_proxy("nwot", nlohmann::json::array()), Error);
  CHECK(proxies::make_proxies("synflow, nwot").size() == 2);
  CHECK_THROWS_AS(proxies::make_proxies("synflow,bogus"), Error);
  CHECK_THROWS_AS(proxies::make_proxies(" , "), Error);
}

TEST_CASE("scorer: fused passes give exactly the values of proxies run alone", "[proxies][scorer]") {
  const auto g = small_nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|");
  proxies::BatchOptions bo;
  bo.batch_size = 16;
  bo.seed = 1;
  const auto batch = proxies::make_batch(pool(), g, bo);
  std::vector<proxies::ProxyPtr> all;
  for (const auto& n : kSuiteZero) all.push_back(proxies::make_proxy(n));
  const auto fused = proxies::Scorer(all).score(g, batch, 11);
  REQUIRE(fused.scores.size() == kSuiteZero.size());
  for (std::size_t i = 0; i < kSuiteZero.size(); ++i) {
    INFO(kSuiteZero[i]);
    const auto alone = proxies::Scorer({proxies::make_proxy(kSuiteZero[i])}).score(g, batch, 11);
    CHECK(fused.scores[i].proxy == kSuiteZero[i]);
    CHECK(fused.scores[i].ok());
    CHECK(alone.scores[0].value == fused.scores[i].value);  // bit-identical
    CHECK(fused.scores[i].seconds >= 0);
  }
  // Fused order does not matter either (the pass is paid by whoever asks first).
  std::vector<proxies::ProxyPtr> rev(all.rbegin(), all.rend());
  const auto reversed = proxies::Scorer(rev).score(g, batch, 11);
  for (std::size_t i = 0; i < kSuiteZero.size(); ++i) CHECK(reversed.scores[kSuiteZero.size() - 1 - i].value == fused.scores[i].value);
  // A different weight seed changes the initialisation-dependent proxies.
  const auto other = proxies::Scorer(all).score(g, batch, 12);
  CHECK(other.scores[0].value == fused.scores[0].value);  // params: structural
  CHECK(other.scores[3].value != fused.scores[3].value);  // snip
}

TEST_CASE("scorer: wrong input shape is an error", "[proxies][scorer][errors]") {
  const auto g32 = small_nb201("432323");
  const auto g16 = small_nb201("432323", 120, 16);
  proxies::BatchOptions bo;
  bo.batch_size = 4;
  const auto b16 = proxies::make_batch(pool(), g16, bo);
  proxies::Scorer s({proxies::make_proxy("nwot")});
  CHECK_THROWS_MATCHES(s.score(g32, b16, 0), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.problem().find("does not fit the network input") != std::string::npos;
                       }));
  CHECK_THROWS_AS(s.score(g32, proxies::Batch{}, 0), Error);
  // Data-free proxies need no batch.
  CHECK(proxies::Scorer({proxies::make_proxy("synflow")}).score(g32, proxies::Batch{}, 0).scores[0].ok());
  // A label-needing proxy on a 120-class batch with 10-class network: labels out of range.
  const auto b120 = proxies::make_batch(pool(), small_nb201("432323", 120, 32), bo);
  auto r = proxies::Scorer({proxies::make_proxy("snip")}).score(g32, b120, 0);
  if (b120.labels.max().item<std::int64_t>() >= 10) CHECK(r.scores[0].status == proxies::ScoreStatus::Error);
}

TEST_CASE("parallel scoring: bit-identical with 1 and 2 oneTBB workers", "[proxies][parallel]") {
  const std::vector<std::string> archs = {"432323", "000000", "222222", "111111", "401230", "343434", "123401", "240312"};
  std::vector<spaces::NetGraph> graphs;
  for (const auto& a : archs) graphs.push_back(small_nb201(a));
  proxies::BatchOptions bo;
  bo.batch_size = 8;
  const auto batch = proxies::make_batch(pool(), graphs[0], bo);
  std::vector<proxies::ProxyPtr> all;
  for (const auto& n : kSuiteZero) all.push_back(proxies::make_proxy(n));
  const proxies::Scorer scorer(all);
  auto run = [&](int workers) {
    std::vector<proxies::NetworkScores> out(graphs.size());
    proxies::parallel_for_candidates(graphs.size(), {workers, 1}, [&](std::size_t i) { out[i] = scorer.score(graphs[i], batch, 7); });
    return out;
  };
  const auto one = run(1), two = run(2);
  for (std::size_t i = 0; i < graphs.size(); ++i)
    for (std::size_t k = 0; k < all.size(); ++k) {
      INFO(archs[i] << " " << kSuiteZero[k]);
      CHECK(one[i].scores[k].status == two[i].scores[k].status);
      if (one[i].scores[k].ok()) CHECK(one[i].scores[k].value == two[i].scores[k].value);
    }
  // Exceptions from a task reach the caller.
  CHECK_THROWS_AS(proxies::parallel_for_candidates(4, {2, 1}, [](std::size_t i) {
                    if (i == 2) throw Error("task", "boom");
                  }),
                  Error);
}

TEST_CASE("ProxyContext::fresh_net: one module per context, restored to its initial state", "[proxies][engine]") {
  const auto g = small_nb201("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|");
  proxies::ProxyContext ctx(g, proxies::Batch{}, 7);
  const spaces::TorchNet reference(g, 7);  // a module built the plain way, never touched
  auto same_as_reference = [&](spaces::TorchNet& net) {
    const auto a = net->parameters();
    const auto b = reference->parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!torch::equal(a[i].to(torch::kFloat32), b[i])) return false;
    return true;
  };
  const auto x = torch::randn({3, 3, 32, 32}, torch::TensorOptions().dtype(torch::kFloat64));
  torch::Tensor first_out;
  const spaces::TorchNetImpl* first = nullptr;
  {
    auto net = ctx.fresh_net();
    first = net.get();
    CHECK(same_as_reference(net));
    first_out = net->forward(x.to(torch::kFloat32)).detach();
    net->forward(x.to(torch::kFloat32)).sum().backward();  // gradients + batchnorm running stats
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.mul_(-3.0);  // a proxy that mutates weights (synflow's abs_, zen's init)
    net->eval();
  }
  {
    auto net = ctx.fresh_net(torch::kFloat64);  // same module, converted, weights and buffers restored
    CHECK(net.get() == first);
    CHECK(net->is_training());
    CHECK(same_as_reference(net));
    for (const auto& p : net->parameters()) {
      CHECK(p.scalar_type() == torch::kFloat64);
      CHECK_FALSE(p.grad().defined());
    }
    const auto buffers = net->buffers(), reference_buffers = reference->buffers();
    REQUIRE(buffers.size() == reference_buffers.size());
    for (std::size_t i = 0; i < buffers.size(); ++i)
      CHECK(torch::equal(buffers[i].to(reference_buffers[i].scalar_type()), reference_buffers[i]));
    // a caller still holding the module gets its own: the second is a new build with the same weights
    auto other = ctx.fresh_net();
    CHECK(other.get() != first);
    CHECK(same_as_reference(other));
    CHECK(torch::equal(other->forward(x.to(torch::kFloat32)), first_out));
  }
  // Without batchnorm: the same outputs as a graph whose batchnorm nodes are identity.
  spaces::NetGraph plain;
  for (const auto& n : g.nodes()) {
    if (n.op == spaces::OpKind::Input) plain.input(n.shape, n.name);
    else if (n.op == spaces::OpKind::BatchNorm2d) plain.add(spaces::OpKind::Identity, n.inputs, spaces::NoAttr{}, n.name);
    else plain.add(n.op, n.inputs, n.attr, n.name);
  }
  plain.set_output(g.output());
  spaces::TorchNet identity_bn(plain, 7);
  identity_bn->to(torch::kFloat64);
  auto bypass = ctx.fresh_net_without_batchnorm(torch::kFloat64);
  CHECK(bypass->batchnorm_bypass());
  CHECK(torch::equal(bypass->forward(x), identity_bn->forward(x)));
  CHECK_FALSE(torch::equal(bypass->forward(x), ctx.fresh_net(torch::kFloat64)->forward(x)));  // held: a second module, BN on
}
