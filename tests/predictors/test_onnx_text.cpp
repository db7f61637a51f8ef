// ONNX-Net-style text encoding (predictors/onnx_text.hpp): deterministic, independent of
// weights and names, different for different graphs, whitespace-insensitive hash.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/predictors/onnx_text.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;

TEST_CASE("onnx_text: equal graphs give equal text, whatever the weights", "[predictors][onnx_text]") {
  const auto& nb201 = spaces::get_space("nb201");
  const auto g = nb201.compile(nb201.canonical("012301"), "cifar10");
  const std::string t = predictors::onnx_text(g);
  CHECK(t == predictors::onnx_text(g));
  spaces::TorchNet n1(g, 1), n2(g, 2);
  const std::string b1 = spaces::onnx_export(g, n1.get()), b2 = spaces::onnx_export(g, n2.get());
  REQUIRE(b1 != b2);  // different weights in the files
  CHECK(predictors::onnx_text(b1) == t);
  CHECK(predictors::onnx_text(b2) == t);
  CHECK_THAT(t, Catch::StartsWith("input [N,3,32,32]\n"));
  CHECK_THAT(t, Catch::Contains(" Conv in=x W[16,3,3,3]"));
  CHECK_THAT(t, Catch::Contains(" Gemm in="));
  CHECK_THAT(t, Catch::Contains("out=[N,10]"));
  CHECK(t.find("stem") == std::string::npos);  // no node names

  const auto other = nb201.compile(nb201.canonical("432323"), "cifar10");
  CHECK(predictors::onnx_text(other) != t);
  // Whitespace carries no meaning for the dedup hash.
  std::string spaced;
  for (char c : t) spaced += c == ' ' ? std::string("   ") : std::string(1, c);
  CHECK(normalized_hash(spaced) == normalized_hash(t));
  CHECK_THROWS_AS(predictors::onnx_text(std::string("garbage bytes")), zcnas::Error);
}
