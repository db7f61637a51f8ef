// ONNX writer and reader (issue 8): every registered space exports models that pass the
// ONNX checker and strict shape inference; IR -> ONNX -> IR -> libtorch reproduces the
// outputs (eval mode = running statistics, the ONNX inference semantics; also train mode =
// batch statistics, since the reader restores the same batch norms); torchvision models
// exported by tools/reference/export_torchvision.py reproduce torch's recorded outputs;
// hostile files give clear errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <unistd.h>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
namespace fs = std::filesystem;

namespace {

// Running statistics set to random values, so eval-mode outputs depend on them.
void randomize_bn_stats(TorchNet& net, std::uint64_t seed) {
  torch::NoGradGuard g;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& b : net->named_buffers(true)) {
    const auto& k = b.key();
    if (k.size() > 12 && k.substr(k.size() - 12) == "running_mean") b.value().normal_(0.0, 0.1, gen);
    if (k.size() > 11 && k.substr(k.size() - 11) == "running_var") b.value().uniform_(0.5, 1.5, gen);
  }
  for (auto& p : net->named_parameters(true))
    if (p.key().find("weight") == std::string::npos || p.value().dim() == 1) p.value().uniform_(0.5, 1.5, gen);
}

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// The archs a test covers for a space: two seeded samples, plus a fixed all-ops cell where
// the space accepts six op digits (nb201, tnb101_micro: includes Zero and the convs).
std::vector<std::string> test_archs(const Space& space, int samples) {
  std::vector<std::string> archs;
  Rng rng(11);
  for (int i = 0; i < samples; ++i) archs.push_back(space.sample(rng));
  try {
    archs.push_back(space.canonical("012301"));
  } catch (const zcnas::Error&) {
  }
  return archs;
}

struct RoundTrip {
  double max_abs_eval = 0, max_abs_train = 0;
};

// Token ids for a token-input graph: uniform below the smallest vocabulary of its embeddings.
torch::Tensor token_batch(const NetGraph& g, std::int64_t batch) {
  std::int64_t vocab = std::numeric_limits<std::int64_t>::max();
  for (const auto& n : g.nodes()) {
    if (n.op == OpKind::Embedding) vocab = std::min(vocab, n.as<EmbeddingAttr>().num_embeddings);
    if (n.op == OpKind::AdaptiveEmbedding) vocab = std::min(vocab, n.as<AdaptiveEmbeddingAttr>().n_token);
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
  return torch::randint(0, vocab, batched(g.input_shape(), batch), gen, torch::kLong);
}

RoundTrip round_trip(const NetGraph& g, const std::string& label, std::int64_t batch) {
  INFO(label);
  TorchNet net(g, 3);
  randomize_bn_stats(net, 5);
  const std::string bytes = onnx_export(g, net.get(), {});
  REQUIRE_NOTHROW(onnx_validate(bytes, label));
  OnnxImport imp = onnx_read_bytes(bytes, label);
  CHECK(imp.complete_weights);
  CHECK(imp.opset == kOnnxOpset);
  // Same graph back when every node is live (the writer drops dead nodes).
  const auto live = g.live_nodes();
  if (std::all_of(live.begin(), live.end(), [](bool b) { return b; })) CHECK(imp.graph.to_text() == g.to_text());
  CHECK(param_count(imp.graph) == param_count(g));
  CHECK(flops_naslib(imp.graph) == flops_naslib(g));
  TorchNet back(imp.graph, 99);
  onnx_load_params(*back, imp);
  auto x = g.has_token_input() ? token_batch(g, batch)
                                : torch::randn(batched(g.input_shape(), batch), torch::Generator(at::make_generator<at::CPUGeneratorImpl>(17)));
  RoundTrip r;
  torch::NoGradGuard ng;
  net->eval();
  back->eval();
  auto a = net->forward(x), b = back->forward(x);
  REQUIRE(a.sizes() == b.sizes());
  r.max_abs_eval = (a - b).abs().max().item<double>();
  net->train();
  back->train();
  a = net->forward(x);
  b = back->forward(x);
  r.max_abs_train = (a - b).abs().max().item<double>();
  CHECK(r.max_abs_eval == 0.0);
  CHECK(r.max_abs_train == 0.0);
  return r;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const zcnas::Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("zcnas_onnx_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A tiny conv net exported with weights, as a ModelProto to tamper with.
onnx::ModelProto small_model(NetGraph* out_graph = nullptr) {
  NetGraph g;
  auto x = g.input({3, 8, 8});
  Conv2dAttr c;
  c.out_channels = 4;
  c.kernel = 3;
  c.padding = 1;
  x = g.conv2d(x, c, "conv");
  x = g.relu(x, "relu");
  x = g.global_avg_pool(x, "gap");
  g.set_output(x);
  TorchNet net(g, 1);
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(onnx_export(g, net.get())));
  if (out_graph) *out_graph = g;
  return m;
}

}  // namespace

TEST_CASE("IR ops added for ONNX import: shapes and values", "[spaces][ir][onnx]") {
  NetGraph g;
  auto x = g.input({4, 7, 7});
  PoolAttr p;
  p.kernel = 3;
  p.stride = 2;
  p.ceil_mode = true;
  auto m = g.max_pool(x, p, "pool");
  CHECK(g.node(m).shape == Shape{4, 3, 3});
  auto s = g.add(OpKind::GlobalAvgPool, {m}, GlobalPoolAttr{true}, "se_pool");
  CHECK(g.node(s).shape == Shape{4, 1, 1});
  auto hs = g.hardsigmoid(s, "gate");
  auto y = g.mul(m, hs, "scale");
  CHECK(g.node(y).shape == Shape{4, 3, 3});
  y = g.hardswish(y, "hswish");
  y = g.clip(y, ClipAttr{0, 6}, "relu6");
  y = g.flatten(y, "flat");
  y = g.softmax(y, SoftmaxAttr{0}, "softmax");
  g.set_output(y);
  CHECK_THROWS_AS(g.mul(m, x, "bad"), zcnas::Error);  // {4,3,3} * {4,7,7} does not broadcast
  CHECK_THROWS_AS(g.softmax(y, SoftmaxAttr{1}, "bad2"), zcnas::Error);

  TorchNet net(g, 0);
  auto in = torch::randn({2, 4, 7, 7});
  auto out = net->forward(in);
  auto pooled = torch::max_pool2d(in, 3, 2, 0, 1, true);
  auto gate = torch::hardsigmoid(pooled.mean({2, 3}, true));
  auto want = torch::softmax(torch::clamp(torch::hardswish(pooled * gate), 0, 6).flatten(1), 1);
  CHECK(torch::allclose(out, want));
}

static bool builtin(const std::string& name) { return name.rfind("onnx_dir:", 0) != 0; }  // not the folder spaces

TEST_CASE("every registered space exports checker-valid ONNX and round-trips exactly", "[spaces][onnx]") {
  for (const auto& name : space_names()) {
    if (!builtin(name)) continue;
    const Space& space = get_space(name);
    const auto datasets = space.datasets();
    const auto archs = test_archs(space, 2);
    for (const auto& ds : datasets) {
      // Without weights, every arch and data set: the checker and shape inference accept it.
      for (const auto& arch : archs) {
        const std::string label = name + " " + arch + " " + ds;
        INFO(label);
        const NetGraph g = space.compile(arch, ds);
        OnnxWriteOptions o;
        o.weights = false;
        const std::string bytes = onnx_export(g, nullptr, o);
        REQUIRE_NOTHROW(onnx_validate(bytes, label));
        OnnxImport imp = onnx_read_bytes(bytes, label);
        CHECK_FALSE(imp.complete_weights);
        CHECK(imp.params.empty());
        CHECK(param_count(imp.graph) == param_count(g));
        CHECK(imp.graph.output_shape() == g.output_shape());
      }
    }
    // With weights and outputs: the all-ops arch on the first data set (all of them in [slow]).
    const NetGraph g = space.compile(archs.back(), datasets.front());
    round_trip(g, name + " " + archs.back() + " " + datasets.front(), 2);
  }
}

TEST_CASE("round trip with weights on every data set and several archs", "[spaces][onnx][slow]") {
  for (const auto& name : space_names()) {
    if (!builtin(name)) continue;
    const Space& space = get_space(name);
    for (const auto& ds : space.datasets())
      for (const auto& arch : test_archs(space, 3)) round_trip(space.compile(arch, ds), name + " " + arch + " " + ds, 2);
  }
}

TEST_CASE("torchvision models exported by PyTorch give torch's outputs", "[spaces][onnx]") {
  const fs::path dir = ZCNAS_ONNX_MODELS_DIR;
  if (fs::exists(dir / "SKIPPED")) {
    WARN("torchvision models skipped: " << read_all(dir / "SKIPPED"));
    return;
  }
  if (!fs::exists(dir / "models.json")) {
    WARN("torchvision models not generated: run `ctest -R onnx_torchvision_models` (the fixture) first, or "
         "/usr/bin/python3 tools/reference/export_torchvision.py --out " << dir.string());
    return;
  }
  const auto meta = nlohmann::json::parse(read_all(dir / "models.json"));
  REQUIRE(meta.at("models").size() == 4);
  for (const auto& m : meta.at("models")) {
    const std::string name = m.at("name");
    INFO(name);
    OnnxImport imp = onnx_read_file((dir / (name + ".onnx")).string());
    CHECK(imp.complete_weights);
    if (name == "shufflenet_v2_x0_5") {  // torch's shape chains read as 16 channel shuffles and 13 x 2 chunk halves
      std::map<OpKind, int> ops;
      for (const auto& n : imp.graph.nodes()) ++ops[n.op];
      CHECK(ops[OpKind::ChannelShuffle] == 16);
      CHECK(ops[OpKind::ChannelSlice] == 26);
    }
    TorchNet net(imp.graph, 0);
    onnx_load_params(*net, imp);
    net->eval();
    const auto in_shape = m.at("input_shape").get<std::vector<std::int64_t>>();
    const auto out_shape = m.at("output_shape").get<std::vector<std::int64_t>>();
    const std::string xin = read_all(dir / (name + ".input.bin"));
    const std::string yout = read_all(dir / (name + ".output.bin"));
    REQUIRE(xin.size() == static_cast<std::size_t>(numel(in_shape)) * 4);
    REQUIRE(yout.size() == static_cast<std::size_t>(numel(out_shape)) * 4);
    auto x = torch::from_blob(const_cast<char*>(xin.data()), in_shape, torch::kFloat32).clone();
    auto want = torch::from_blob(const_cast<char*>(yout.data()), out_shape, torch::kFloat32).clone();
    torch::NoGradGuard ng;
    auto got = net->forward(x);
    REQUIRE(got.sizes() == want.sizes());
    const double err = (got - want).abs().max().item<double>();
    const double scale = want.abs().max().item<double>();
    INFO("max abs error " << err << " of max |y| " << scale);
    CHECK(err <= 1e-4 * std::max(1.0, scale));
  }
}

TEST_CASE("hostile and unsupported ONNX files give clear errors", "[spaces][onnx]") {
  NetGraph g;
  onnx::ModelProto m = small_model(&g);
  std::string good;
  m.SerializeToString(&good);
  REQUIRE_NOTHROW(onnx_read_bytes(good, "good.onnx"));

  SECTION("truncated file") {
    for (std::size_t cut : {good.size() / 2, good.size() - 3, std::size_t{10}}) {
      INFO("cut at " << cut);
      CHECK_THAT(error_of([&] { onnx_read_bytes(good.substr(0, cut), "cut.onnx"); }), Catch::Contains("cut.onnx"));
    }
  }
  SECTION("random bytes and empty file") {
    std::mt19937 rng(3);
    for (int t = 0; t < 20; ++t) {
      std::string junk(1000 + static_cast<std::size_t>(t) * 37, '\0');
      for (auto& c : junk) c = static_cast<char>(rng());
      CHECK_THAT(error_of([&] { onnx_read_bytes(junk, "junk.onnx"); }), Catch::Contains("junk.onnx"));
    }
    CHECK_THAT(error_of([&] { onnx_read_bytes("", "empty.onnx"); }), Catch::Contains("is empty"));
    CHECK_THAT(error_of([&] { onnx_read_file("/nonexistent/x.onnx"); }), Catch::Contains("no such ONNX file"));
  }
  SECTION("unsupported op names the op and the node") {
    auto* n = m.mutable_graph()->mutable_node(1);  // the Relu
    n->set_op_type("Erf");
    n->set_name("my_erf");
    std::string bytes;
    m.SerializeToString(&bytes);
    const auto e = error_of([&] { onnx_read_bytes(bytes, "erf.onnx"); });
    CHECK_THAT(e, Catch::Contains("'Erf'") && Catch::Contains("my_erf"));
  }
  SECTION("dynamic input shape needs an explicit shape") {
    auto* dims = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    dims->mutable_dim(2)->set_dim_param("H");
    dims->mutable_dim(3)->set_dim_param("W");
    std::string bytes;
    m.SerializeToString(&bytes);
    CHECK_THAT(error_of([&] { onnx_read_bytes(bytes, "dyn.onnx"); }),
               Catch::Contains("dynamic shape") && Catch::Contains("--input-shape"));
    OnnxReadOptions o;
    o.input_shape = Shape{3, 16, 16};
    const auto imp = onnx_read_bytes(bytes, "dyn.onnx", o);
    CHECK(imp.dynamic_input);
    CHECK(imp.graph.input_shape() == Shape{3, 16, 16});
    o.input_shape = Shape{16, 16};
    CHECK_THAT(error_of([&] { onnx_read_bytes(bytes, "dyn.onnx", o); }), Catch::Contains("rank"));
  }
  SECTION("external data must stay inside the model's folder") {
    TempDir tmp("ext");
    const fs::path models = tmp.path / "models";
    fs::create_directories(models);
    // The conv weight moved to an external file.
    onnx::TensorProto* w = nullptr;
    for (auto& t : *m.mutable_graph()->mutable_initializer())
      if (t.name() == "conv.weight") w = &t;
    REQUIRE(w);
    const std::string data = w->raw_data();
    auto externalize = [&](const std::string& location, const std::string& length = "") {
      onnx::ModelProto copy = m;
      for (auto& t : *copy.mutable_graph()->mutable_initializer())
        if (t.name() == "conv.weight") {
          t.clear_raw_data();
          t.set_data_location(onnx::TensorProto::EXTERNAL);
          auto* kv = t.add_external_data();
          kv->set_key("location");
          kv->set_value(location);
          if (!length.empty()) {
            kv = t.add_external_data();
            kv->set_key("length");
            kv->set_value(length);
          }
        }
      std::string bytes;
      copy.SerializeToString(&bytes);
      std::ofstream(models / "m.onnx", std::ios::binary) << bytes;
      return (models / "m.onnx").string();
    };
    std::ofstream(models / "w.bin", std::ios::binary) << data;
    std::ofstream(tmp.path / "secret.bin", std::ios::binary) << data;
    // Inside the folder: accepted, same weights.
    {
      const auto imp = onnx_read_file(externalize("w.bin"));
      CHECK(imp.params.at("conv.weight").data.size() * 4 == data.size());
    }
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("../secret.bin")); }), Catch::Contains("'..'"));
    CHECK_THAT(error_of([&] { onnx_read_file(externalize((tmp.path / "secret.bin").string())); }), Catch::Contains("absolute"));
    fs::create_symlink(tmp.path / "secret.bin", models / "link.bin");
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("link.bin")); }), Catch::Contains("outside the model's folder"));
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("missing.bin")); }), Catch::Contains("does not exist"));
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("w.bin", "999999")); }), Catch::Contains("length"));
    std::ofstream(models / "short.bin", std::ios::binary) << data.substr(0, data.size() / 2);
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("short.bin")); }), Catch::Contains("beyond the end"));
    OnnxReadOptions small;
    small.max_external_bytes = 16;
    CHECK_THAT(error_of([&] { onnx_read_file(externalize("w.bin"), small); }), Catch::Contains("limit"));
    // From memory there is no folder: external data is refused.
    std::string bytes = read_all(externalize("w.bin"));
    CHECK_THAT(error_of([&] { onnx_read_bytes(bytes, "mem.onnx"); }), Catch::Contains("not read from a file"));
  }
  SECTION("inconsistent tensor sizes") {
    for (auto& t : *m.mutable_graph()->mutable_initializer())
      if (t.name() == "conv.weight") t.set_raw_data(t.raw_data().substr(0, 8));
    std::string bytes;
    m.SerializeToString(&bytes);
    CHECK_THAT(error_of([&] { onnx_read_bytes(bytes, "bad.onnx"); }), Catch::Contains("bad.onnx"));
  }
  SECTION("file size limit") {
    OnnxReadOptions o;
    o.max_file_bytes = 64;
    CHECK_THAT(error_of([&] { onnx_read_bytes(good, "big.onnx", o); }), Catch::Contains("over the limit"));
  }
}

TEST_CASE("onnx_dir space: the .onnx files of a folder, re-exported identical graphs deduplicated", "[spaces][onnx]") {
  TempDir tmp("dir");
  const Space& nb201 = get_space("nb201");
  const std::string a = nb201.canonical("012301"), b = nb201.canonical("432323");
  auto save = [&](const std::string& arch, std::uint64_t seed, const std::string& file) {
    const NetGraph g = nb201.compile(arch, "cifar10");
    TorchNet net(g, seed);
    std::ofstream(tmp.path / file, std::ios::binary) << onnx_export(g, net.get());
    return g;
  };
  const NetGraph ga = save(a, 1, "a.onnx");
  save(a, 2, "c_reexport.onnx");  // same graph, other weights
  save(b, 1, "b.onnx");
  std::ofstream(tmp.path / "junk.onnx") << "not a model";
  std::ofstream(tmp.path / "notes.txt") << "ignored";

  const Space& s = get_space("onnx_dir:" + tmp.path.string());
  CHECK(s.name() == "onnx_dir:" + tmp.path.string());
  REQUIRE(s.size() == std::optional<std::uint64_t>(2));
  std::vector<std::string> all;
  s.enumerate([&](const std::string& f) { all.push_back(f); });
  CHECK(all == std::vector<std::string>{"a.onnx", "b.onnx"});
  CHECK(s.canonical("c_reexport.onnx") == "a.onnx");
  CHECK(s.structural_hash("c_reexport.onnx") == s.structural_hash("a.onnx"));
  CHECK(s.structural_hash("b.onnx") != s.structural_hash("a.onnx"));
  CHECK(s.compile("c_reexport.onnx", "onnx").to_text() == ga.to_text());
  CHECK(s.datasets() == std::vector<std::string>{"onnx"});
  Rng rng(1);
  CHECK(s.mutate("a.onnx", rng) == "b.onnx");
  CHECK(s.neighbours("b.onnx") == std::vector<std::string>{"a.onnx"});
  CHECK_THAT(error_of([&] { s.canonical("junk.onnx"); }), Catch::Contains("unreadable"));
  CHECK_THAT(error_of([&] { s.canonical("../a.onnx"); }), Catch::Contains("not a .onnx file of the folder"));
  CHECK_THAT(error_of([&] { get_space("onnx_dir:" + (tmp.path / "nope").string()); }), Catch::Contains("not a folder"));
}

// Transformer ops (issue 10): every op written, checker + strict shape inference pass, the reader
// gives the same graph back and the rebuilt net the same outputs; without weights the file
// declares every parameter (incl. those of composite ops) as an input and still reads back.
TEST_CASE("transformer ops round-trip through ONNX", "[spaces][onnx][transformer]") {
  std::vector<std::pair<std::string, NetGraph>> graphs;
  {
    NetGraph g;  // GPT-2-style decoder block with adaptive embedding
    auto x = g.token_input(6);
    x = g.adaptive_embedding(x, {40, 16, 8, adaptive_cutoffs(40, {10, 25}), 2}, "wte");
    x = g.positional_embedding(x, {8, PositionalKind::Learned}, "wpe");
    auto h = g.layer_norm(x, {}, "h.0.ln_1");
    auto q = g.linear(h, {8, true}, "h.0.q"), k = g.linear(h, {8, true}, "h.0.k"), v = g.linear(h, {8, false}, "h.0.v");
    x = g.add_n({x, g.linear(g.attention(q, k, v, {2, true, 0.0}, "h.0.attn"), {8, true}, "h.0.o")}, "h.0.res");
    auto m = g.gelu(g.linear(g.layer_norm(x, {1e-6, false}, "h.0.ln_2"), {12, true}, "h.0.fc"), "h.0.act", {true});
    x = g.add_n({x, g.linear(m, {8, true}, "h.0.proj")}, "h.0.res2");
    g.set_output(g.linear(g.layer_norm(x, {}, "ln_f"), {40, false}, "lm_head"));
    graphs.emplace_back("decoder", g);
  }
  {
    NetGraph g;  // adaptive embedding with div_val 1 and a projection; sinusoidal positions; mean pooling
    auto x = g.token_input(5);
    x = g.adaptive_embedding(x, {30, 8, 6, adaptive_cutoffs(30), 1}, "emb");
    x = g.positional_embedding(x, {0, PositionalKind::Sinusoidal}, "pos");
    g.set_output(g.mean_tokens(g.gelu(x, "act"), "mean"));
    graphs.emplace_back("adaptive div 1", g);
  }
  {
    NetGraph g;  // FlexiBERT-style encoder ops
    auto x = g.token_input(7);
    x = g.embedding(x, {30, 8}, "word");
    x = g.positional_embedding(x, {16, PositionalKind::Learned}, "pos");
    x = g.positional_embedding(x, {2, PositionalKind::Row0}, "token_type");
    x = g.layer_norm(x, {1e-12, true}, "emb_ln");
    auto dft = g.linear_transform(g.linear(x, {8, true}, "lt.in"), {TransformKind::DFT, 2}, "dft");
    auto dct = g.linear_transform(x, {TransformKind::DCT, 4}, "dct");
    auto dw = g.conv1d(x, {8, 5, 2, 8, false}, "dsc.depthwise");
    auto pw = g.linear(dw, {4, true}, "dsc.pointwise");
    auto logits = g.linear(g.mul(pw, g.linear(x, {4, true}, "dsc.q"), "dsc.mul"), {2 * 5, true}, "dsc.kernel");
    auto dyn = g.dynamic_conv(g.linear(x, {4, true}, "dsc.value"), logits, {2, 5}, "dsc.dynamic");
    auto wk = g.linear(g.linear(x, {4, true}, "wma.q"), {4, false}, "wma.weight");  // WMA: q W, then the core
    auto att = g.attention(wk, g.linear(x, {4, true}, "wma.k"), g.linear(x, {4, true}, "wma.v"), {2, false, 0.0}, "wma.core");
    auto cat = g.concat({dyn, att}, ConcatAttr{1}, "dsc.cat");
    auto y = g.add_n({dft, dct, cat}, "sum");
    g.set_output(g.select_token(y, {0}, "cls"));
    graphs.emplace_back("flexibert ops", g);
  }
  {
    NetGraph g;  // ViT-style
    auto x = g.input({3, 8, 8});
    x = g.patch_embed(x, {4, 12, true}, "patch_embed");
    x = g.cls_token(x, "cls_token");
    x = g.positional_embedding(x, {5, PositionalKind::Learned}, "pos_embed");
    auto q = g.linear(x, {8, true}, "q"), k = g.linear(x, {8, true}, "k"), v = g.linear(x, {8, true}, "v");
    x = g.linear(g.attention(q, k, v, {2, false, 0.2}, "attn"), {12, true}, "proj");
    x = g.gelu(g.layer_norm(x, {1e-6, true}, "norm"), "act");
    g.set_output(g.linear(g.select_token(x, {0}, "pool"), {10, true}, "head"));
    graphs.emplace_back("vit", g);
  }
  for (auto& [label, g] : graphs) {
    INFO(label);
    round_trip(g, label, 3);
    // without weights: parameters become declared inputs; the reader finds the one data input
    const std::string bytes = onnx_export(g, nullptr, OnnxWriteOptions{false, "zcnas", ""});
    REQUIRE_NOTHROW(onnx_validate(bytes, label + " (no weights)"));
    OnnxImport imp = onnx_read_bytes(bytes, label);
    CHECK_FALSE(imp.complete_weights);
    CHECK(imp.params.empty());
    CHECK(imp.graph.to_text() == g.to_text());
    CHECK(imp.graph.has_token_input() == g.has_token_input());
  }
}

TEST_CASE("transformer ONNX: GELU from the Erf pattern, bad markers and stray ops are errors", "[spaces][onnx][transformer]") {
  NetGraph g;
  auto x = g.input({4, 6});
  g.set_output(g.gelu(g.layer_norm(x, {}, "ln"), "act"));
  TorchNet net(g, 1);
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(onnx_export(g, net.get())));
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  CHECK(ops == std::vector<std::string>({"LayerNormalization", "Div", "Erf", "Add", "Mul", "Mul"}));
  // The Erf chain without its Div: the Erf node is reported by name.
  {
    onnx::ModelProto bad = m;
    auto* nodes = bad.mutable_graph()->mutable_node();
    (*nodes)[2].set_input(0, "ln");
    nodes->erase(nodes->begin() + 1);
    std::string bytes;
    bad.SerializeToString(&bytes);
    const auto err = error_of([&] { onnx_read_bytes(bytes, "erf.onnx"); });
    CHECK_THAT(err, Catch::Contains("unsupported ONNX op 'Erf'"));
    CHECK_THAT(err, Catch::Contains("act/erf"));
  }
  // A Div that is not GELU's.
  {
    onnx::ModelProto bad = m;
    (*bad.mutable_graph()->mutable_node())[3].set_op_type("Sub");
    std::string bytes;
    bad.SerializeToString(&bytes);
    CHECK_THAT(error_of([&] { onnx_read_bytes(bytes, "div.onnx"); }), Catch::Contains("Div is supported only as the first node of GELU"));
  }
  // Composite-op markers: unknown op, garbage attribute.
  NetGraph g2;
  auto y = g2.input({4, 6});
  g2.set_output(g2.attention(y, y, y, {2, true, 0.0}, "att"));
  TorchNet net2(g2, 1);
  onnx::ModelProto m2;
  REQUIRE(m2.ParseFromString(onnx_export(g2, net2.get())));
  auto* last = &(*m2.mutable_graph()->mutable_node())[m2.graph().node_size() - 1];
  CHECK_THAT(last->doc_string(), Catch::StartsWith("zcnas:op attention in=input,input,input params= heads=2 causal=1"));
  for (const auto& [doc, needle] : std::vector<std::pair<std::string, std::string>>{
           {"zcnas:op warp in=input", "unknown zcnas composite op 'warp'"},
           {"zcnas:op attention in=input,input,input heads=two causal=1 scale=0", "'heads=two' is not an integer"},
           {"zcnas:op attention in=input,nowhere,input heads=2 causal=1 scale=0", "names input 'nowhere'"},
           {"zcnas:op attention in=input,input,input heads=4 causal=1 scale=0", "not divisible by 4 heads"}}) {
    last->set_doc_string(doc);
    std::string bytes;
    m2.SerializeToString(&bytes);
    const auto err = error_of([&] { onnx_read_bytes(bytes, "att.onnx"); });
    CHECK_THAT(err, Catch::Contains(needle));
    CHECK_THAT(err, Catch::Contains("node 'att'"));
  }
}

// ---- channel shuffle / channel slice (torchvision shufflenet_v2, issue 8) --------------------
namespace {

// A ShuffleNetV2 unit (stride 1) as the IR writes it: x.chunk(2, dim=1), branch on the second
// half, concat, channel_shuffle(2); then a 4-group shuffle and a pooled head.
NetGraph shuffle_unit() {
  NetGraph g;
  auto x = g.input({8, 6, 6});
  auto a = g.channel_slice(x, {0, 4}, "split_a");
  auto b = g.channel_slice(x, {4, 8}, "split_b");
  Conv2dAttr c;
  c.out_channels = 4;
  b = g.relu(g.batchnorm(g.conv2d(b, c, "branch.conv"), {}, "branch.bn"), "branch.relu");
  auto y = g.channel_shuffle(g.concat({a, b}, "cat"), {2}, "shuffle");
  y = g.channel_shuffle(y, {4}, "shuffle4");
  g.set_output(g.linear(g.global_avg_pool(g.channel_slice(y, {2, 7}, "tail"), "gap"), {3, true}, "fc"));
  return g;
}

// The node list with `extra` inserted before node `at` (ONNX graphs are topologically sorted).
void insert_nodes(onnx::ModelProto& m, int at, const std::vector<onnx::NodeProto>& extra) {
  std::vector<onnx::NodeProto> all(m.graph().node().begin(), m.graph().node().end());
  all.insert(all.begin() + at, extra.begin(), extra.end());
  auto* nodes = m.mutable_graph()->mutable_node();
  nodes->Clear();
  for (auto& n : all) *nodes->Add() = n;
}

int node_index(const onnx::ModelProto& m, const std::string& name) {
  for (int i = 0; i < m.graph().node_size(); ++i)
    if (m.graph().node(i).name() == name) return i;
  FAIL("no node " << name);
  return -1;
}

onnx::NodeProto make_node(const std::string& op, std::vector<std::string> in, const std::string& out) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(out);
  for (auto& s : in) n.add_input(s);
  n.add_output(out);
  return n;
}

void set_int_attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

onnx::NodeProto int_constant(const std::string& out, std::vector<std::int64_t> v, bool scalar = false) {
  onnx::NodeProto n = make_node("Constant", {}, out);
  auto* a = n.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  auto* t = a->mutable_t();
  t->set_data_type(onnx::TensorProto::INT64);
  if (!scalar) t->add_dims(static_cast<std::int64_t>(v.size()));
  for (auto x : v) t->add_int64_data(x);
  return n;
}

// torch.onnx's form of `x.view(n, 2, c // 2, h, w)` with a dynamic batch: Shape, Gather,
// Div, Cast, Unsqueeze, Concat computing the Reshape target (`batch_op` tampers with N).
std::vector<onnx::NodeProto> torch_shape_chain(const std::string& x, const std::string& out, const std::string& batch_op = "") {
  std::vector<onnx::NodeProto> v;
  v.push_back(make_node("Shape", {x}, out + "/shape"));
  const char* dims[] = {"n", "c", "h", "w"};
  for (int d = 0; d < 4; ++d) {
    v.push_back(int_constant(out + "/i" + dims[d], {d}, true));
    auto gth = make_node("Gather", {out + "/shape", out + "/i" + dims[d]}, out + "/" + dims[d]);
    v.push_back(gth);
  }
  v.push_back(int_constant(out + "/two", {2}, true));
  v.push_back(make_node("Div", {out + "/c", out + "/two"}, out + "/cg"));
  auto cast = make_node("Cast", {out + "/cg"}, out + "/cg64");
  set_int_attr(cast, "to", onnx::TensorProto::INT64);
  v.push_back(cast);
  std::string n_src = out + "/n";
  if (!batch_op.empty()) {
    v.push_back(make_node(batch_op, {out + "/n", out + "/two"}, out + "/n2"));
    n_src = out + "/n2";
  }
  v.push_back(int_constant(out + "/axes", {0}));
  std::vector<std::string> parts;
  for (const std::string& s : {n_src, out + "/cg64", out + "/h", out + "/w"}) {
    v.push_back(make_node("Unsqueeze", {s, out + "/axes"}, s + "/u"));
    parts.push_back(s + "/u");
  }
  v.push_back(int_constant(out + "/g", {2}));
  parts.insert(parts.begin() + 1, out + "/g");
  auto cat = make_node("Concat", parts, out);
  set_int_attr(cat, "axis", 0);
  v.push_back(cat);
  return v;
}

std::string serialize(const onnx::ModelProto& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

// Outputs of the graph read from `bytes` (weights from the file) on x.
torch::Tensor forward_read(const std::string& bytes, const torch::Tensor& x, OnnxImport* out = nullptr) {
  OnnxImport imp = onnx_read_bytes(bytes, "model.onnx");
  TorchNet net(imp.graph, 0);
  onnx_load_params(*net, imp);
  net->eval();
  torch::NoGradGuard ng;
  auto y = net->forward(x);
  if (out) *out = std::move(imp);
  return y;
}

}  // namespace

TEST_CASE("channel shuffle and channel slice: IR shapes, values, counts", "[spaces][ir][onnx][shuffle]") {
  NetGraph g;
  auto x = g.input({6, 3, 2});
  auto s = g.channel_shuffle(x, {3}, "shuffle");
  auto c = g.channel_slice(s, {1, 4}, "slice");
  CHECK(g.node(s).shape == Shape{6, 3, 2});
  CHECK(g.node(c).shape == Shape{3, 3, 2});
  g.set_output(c);
  CHECK_THAT(g.to_text(), Catch::Contains("channel_shuffle shuffle in=[0] out=[6,3,2] groups=3"));
  CHECK_THAT(g.to_text(), Catch::Contains("channel_slice slice in=[1] out=[3,3,2] start=1 end=4"));
  CHECK(param_count(g) == 0);
  CHECK(flops_naslib(g) == 0.0);  // data movement: 0 FLOPs, as NASLib's module hooks / fvcore count it
  CHECK_THROWS_AS(g.channel_shuffle(x, {4}, "bad_groups"), zcnas::Error);  // 6 channels, 4 groups
  CHECK_THROWS_AS(g.channel_shuffle(x, {0}, "zero_groups"), zcnas::Error);
  for (auto [b, e] : std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 2}, {-1, 3}, {0, 7}, {4, 3}})
    CHECK_THROWS_AS(g.channel_slice(x, {b, e}, "bad_slice"), zcnas::Error);
  NetGraph flat;
  CHECK_THROWS_AS(flat.channel_shuffle(flat.input({6}), {2}, "flat"), zcnas::Error);  // needs {C,H,W}

  TorchNet net(g, 0);
  auto in = torch::randn({2, 6, 3, 2});
  auto got = net->forward(in);
  // torch's channel_shuffle by its definition: output channel j*g + i is input channel i*(C/g) + j
  auto shuffled = torch::empty_like(in);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) shuffled.select(1, j * 3 + i).copy_(in.select(1, i * 2 + j));
  CHECK(torch::equal(got, shuffled.slice(1, 1, 4)));
}

TEST_CASE("channel shuffle / slice round-trip through ONNX, also as torch.onnx writes them", "[spaces][onnx][shuffle]") {
  const NetGraph g = shuffle_unit();
  round_trip(g, "shuffle unit", 3);  // checker + strict shape inference, same text, bit-identical outputs
  TorchNet net(g, 4);
  randomize_bn_stats(net, 6);
  net->eval();
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(onnx_export(g, net.get())));
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  CHECK(std::count(ops.begin(), ops.end(), "Transpose") == 2);
  CHECK(std::count(ops.begin(), ops.end(), "Slice") == 3);
  auto x = torch::randn({3, 8, 6, 6}, torch::Generator(at::make_generator<at::CPUGeneratorImpl>(8)));
  torch::Tensor want;
  {
    torch::NoGradGuard ng;
    want = net->forward(x);
  }

  // Without the zcnas markers the reader matches Reshape -> Transpose(0,2,1,3,4) -> Reshape itself.
  onnx::ModelProto plain = m;
  for (auto& n : *plain.mutable_graph()->mutable_node()) n.clear_doc_string();
  OnnxImport imp;
  CHECK(torch::equal(forward_read(serialize(plain), x, &imp), want));
  CHECK(imp.graph.to_text() == g.to_text());

  // torch.onnx's dynamic-batch form: the first Reshape's target computed by a Shape chain;
  // x.chunk(2, dim=1) as one Split (with sizes, and without: equal halves).
  onnx::ModelProto torchish = plain;
  insert_nodes(torchish, node_index(torchish, "shuffle/groups"), torch_shape_chain("cat", "shuffle/computed_shape"));
  (*torchish.mutable_graph()->mutable_node())[node_index(torchish, "shuffle/groups")].set_input(1, "shuffle/computed_shape");
  const int sa = node_index(torchish, "split_a");
  auto split = make_node("Split", {"input"}, "split_a");
  split.set_name("chunk");
  split.add_output("split_b");
  set_int_attr(split, "axis", 1);
  const auto with_split = [&](bool sizes) {
    onnx::ModelProto t = torchish;
    auto* nodes = t.mutable_graph()->mutable_node();
    nodes->erase(nodes->begin() + node_index(t, "split_b"));
    (*nodes)[sa] = split;
    if (sizes) {
      *t.mutable_graph()->add_initializer() = [] {
        onnx::TensorProto c;
        c.set_name("chunk/sizes");
        c.set_data_type(onnx::TensorProto::INT64);
        c.add_dims(2);
        c.add_int64_data(4);
        c.add_int64_data(4);
        return c;
      }();
      (*nodes)[sa].add_input("chunk/sizes");
    }
    return t;
  };
  {  // opset 11: Split's sizes as the `split` attribute (an input since opset 13)
    onnx::ModelProto old = plain;
    old.mutable_opset_import(0)->set_version(11);
    auto* nodes = old.mutable_graph()->mutable_node();
    nodes->erase(nodes->begin() + node_index(old, "split_b"));
    auto attr_split = split;
    auto* a = attr_split.add_attribute();
    a->set_name("split");
    a->set_type(onnx::AttributeProto::INTS);
    a->add_ints(4);
    a->add_ints(4);
    (*nodes)[node_index(old, "split_a")] = attr_split;
    OnnxImport t;
    CHECK(torch::equal(forward_read(serialize(old), x, &t), want));
    CHECK(t.opset == 11);
    CHECK(t.graph.node(2).op == OpKind::ChannelSlice);
    CHECK(t.graph.node(2).as<ChannelSliceAttr>().start == 4);
  }
  for (bool sizes : {true, false}) {
    INFO("split sizes given: " << sizes);
    OnnxImport t;
    CHECK(torch::equal(forward_read(serialize(with_split(sizes)), x, &t), want));
    std::map<OpKind, int> count;
    for (const auto& n : t.graph.nodes()) ++count[n.op];
    CHECK(count[OpKind::ChannelShuffle] == 2);
    CHECK(count[OpKind::ChannelSlice] == 3);
    CHECK(t.graph.node(1).name == "chunk_0");
  }

  SECTION("patterns that do not fit are errors naming the node") {
    auto err = [&](const onnx::ModelProto& bad) { return error_of([&] { onnx_read_bytes(serialize(bad), "bad.onnx"); }); };
    onnx::ModelProto bad = plain;
    auto& tr = (*bad.mutable_graph()->mutable_node())[node_index(bad, "shuffle/transpose")];
    tr.mutable_attribute(0)->set_ints(1, 1);  // perm 0,1,1,3,4
    CHECK_THAT(err(bad), Catch::Contains("node 'shuffle/groups' (Reshape)") && Catch::Contains("channel shuffle"));
    bad = plain;  // a Transpose on its own (the Reshape before it removed)
    (*bad.mutable_graph()->mutable_node())[node_index(bad, "shuffle/transpose")].set_input(0, "cat");
    bad.mutable_graph()->mutable_node()->erase(bad.mutable_graph()->mutable_node()->begin() + node_index(bad, "shuffle/groups"));
    CHECK_THAT(err(bad), Catch::Contains("node 'shuffle/transpose' (Transpose)") &&
                             Catch::Contains("Transpose is supported only inside a channel shuffle"));
    bad = plain;  // the computed shape multiplies the batch size
    insert_nodes(bad, node_index(bad, "shuffle/groups"), torch_shape_chain("cat", "shuffle/computed_shape", "Mul"));
    (*bad.mutable_graph()->mutable_node())[node_index(bad, "shuffle/groups")].set_input(1, "shuffle/computed_shape");
    CHECK_THAT(err(bad), Catch::Contains("(Mul)") && Catch::Contains("Mul of the batch size is not supported"));
    bad = with_split(false);  // Split on H
    (*bad.mutable_graph()->mutable_node())[sa].mutable_attribute(0)->set_i(2);
    CHECK_THAT(err(bad), Catch::Contains("node 'chunk' (Split)") && Catch::Contains("channel axis"));
    bad = with_split(false);  // 3 unequal outputs without sizes
    (*bad.mutable_graph()->mutable_node())[sa].add_output("extra");
    CHECK_THAT(err(bad), Catch::Contains("cannot split 8 channels into 3 equal parts"));
  }
}
