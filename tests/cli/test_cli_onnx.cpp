// End-to-end tests of `zcnas export-onnx` and `zcnas score MODEL.onnx` (issue 8).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Ran {
  int code = -1;
  std::string out, err;
};

Ran zcnas(const std::string& args) {
  static int n = 0;
  const fs::path tmp = fs::temp_directory_path() / ("zcnas_cli_onnx_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  const std::string cmd = "'" + std::string(ZCNAS_CLI_PATH) + "' " + args + " >'" + tmp.string() + ".out' 2>'" + tmp.string() + ".err'";
  const int status = std::system(cmd.c_str());
  Ran r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  r.out = slurp(tmp.string() + ".out");
  r.err = slurp(tmp.string() + ".err");
  fs::remove(tmp.string() + ".out");
  fs::remove(tmp.string() + ".err");
  return r;
}

void one_line_error(const Ran& r, const std::string& needle) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.rfind("zcnas: error: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains(needle));
}

struct Dir {
  fs::path path;
  Dir() {
    path = fs::temp_directory_path() / ("zcnas_cli_onnx_dir_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

const std::string kArch = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";

}  // namespace

TEST_CASE("zcnas export-onnx writes checked models with and without weights", "[cli][onnx]") {
  Dir d;
  const auto with = zcnas("export-onnx --space nb201 --arch '" + kArch + "' -o '" + (d / "w.onnx") + "' --json");
  INFO(with.err);
  REQUIRE(with.code == 0);
  const auto jw = json::parse(with.out);
  CHECK(jw.at("weights") == true);
  CHECK(jw.at("opset") == 17);
  CHECK(jw.at("dataset") == "cifar10");
  CHECK(jw.at("bytes") == fs::file_size(d / "w.onnx"));
  const auto without = zcnas("export-onnx --space nb201 --arch '" + kArch + "' --no-weights -o '" + (d / "n.onnx") + "' --json");
  REQUIRE(without.code == 0);
  const auto jn = json::parse(without.out);
  CHECK(jn.at("weights") == false);
  CHECK(jn.at("params") == jw.at("params"));
  // Parameters are float32: the weighted file holds at least 4 bytes per parameter, the other far less.
  CHECK(jw.at("bytes").get<std::int64_t>() >= 4 * jw.at("params").get<std::int64_t>());
  CHECK(jn.at("bytes").get<std::int64_t>() * 20 < jw.at("bytes").get<std::int64_t>());
  one_line_error(zcnas("export-onnx --space nb201 --arch 999999 -o '" + (d / "x.onnx") + "'"), "999999");
}

TEST_CASE("zcnas score MODEL.onnx equals scoring the same arch from the space", "[cli][onnx]") {
  Dir d;
  REQUIRE(zcnas("export-onnx --space nb201 --arch '" + kArch + "' -o '" + (d / "m.onnx") + "'").code == 0);
  const auto a = zcnas("score '" + (d / "m.onnx") + "' --proxy synflow,params --json --seed 3");
  INFO(a.err);
  REQUIRE(a.code == 0);
  const auto b = zcnas("score --space nb201 --arch '" + kArch + "' --proxy synflow,params --json --seed 3");
  REQUIRE(b.code == 0);
  const auto ja = json::parse(a.out), jb = json::parse(b.out);
  CHECK(ja.at("space") == "onnx");
  // The reader gives back the same graph, so the seeded initialisation and the data-free
  // proxies agree exactly.
  CHECK(ja.at("scores").at("synflow").get<double>() == jb.at("scores").at("synflow").get<double>());
  CHECK(ja.at("scores").at("params").get<double>() == jb.at("scores").at("params").get<double>());
}

TEST_CASE("zcnas score MODEL.onnx: dynamic input shape, garbage files, bad flags", "[cli][onnx]") {
  Dir d;
  REQUIRE(zcnas("export-onnx --space nb201 --arch '" + kArch + "' --no-weights -o '" + (d / "m.onnx") + "'").code == 0);
  // Make H and W symbolic.
  onnx::ModelProto m;
  {
    std::ifstream in(d / "m.onnx", std::ios::binary);
    REQUIRE(m.ParseFromIstream(&in));
  }
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(2)->set_dim_param("H");
  shape->mutable_dim(3)->set_dim_param("W");
  {
    std::ofstream out(d / "dyn.onnx", std::ios::binary);
    REQUIRE(m.SerializeToOstream(&out));
  }
  one_line_error(zcnas("score '" + (d / "dyn.onnx") + "' --proxy synflow"), "--input-shape");
  const auto ok = zcnas("score '" + (d / "dyn.onnx") + "' --proxy synflow --input-shape 3,32,32 --json");
  INFO(ok.err);
  CHECK(ok.code == 0);
  one_line_error(zcnas("score '" + (d / "dyn.onnx") + "' --proxy synflow --input-shape 3,x,32"), "--input-shape");

  {
    std::ofstream junk(d / "junk.onnx", std::ios::binary);
    for (int i = 0; i < 4000; ++i) junk.put(static_cast<char>((i * 7919) % 251));
  }
  one_line_error(zcnas("score '" + (d / "junk.onnx") + "' --proxy synflow"), "junk.onnx");
  one_line_error(zcnas("score '" + (d / "missing.onnx") + "' --proxy synflow"), "no such ONNX file");
  one_line_error(zcnas("score '" + (d / "m.onnx") + "' --arch 432323 --proxy synflow"), "not both");
}
