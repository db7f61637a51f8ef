// `zcnas export-onnx --space nb201 --arch A [--dataset cifar10] [--no-weights] -o net.onnx [--json]`:
// compiles one architecture and writes it as ONNX (opset 17, docs/onnx.md). Weights are the
// network's initialisation for --seed (PyTorch's default schemes, executor.hpp); the model is
// checked with onnx::checker and strict shape inference before it is written.
// JSON: {space, arch, dataset, path, bytes, weights, opset, params, seconds}.
#include <chrono>
#include <fstream>

#include "cli_common.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {

struct Args {
  std::string space = "nb201", arch, dataset, out;
  bool no_weights = false;
};

void setup(CLI::App& root) {
  auto a = std::make_shared<Args>();
  auto* cmd = root.add_subcommand("export-onnx", "write one architecture as an ONNX model");
  cmd->add_option("--space", a->space, "search space (zcnas spaces list)");
  cmd->add_option("--arch", a->arch, "architecture in any encoding the space accepts")->required();
  cmd->add_option("--dataset", a->dataset, "data set / task whose head is compiled (default: the space's first)");
  cmd->add_flag("--no-weights", a->no_weights, "declare parameters as graph inputs without data (tiny file)");
  cmd->add_option("-o,--output", a->out, "output .onnx path")->required();
  add_global_options(*cmd);
  cmd->callback([a] {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& space = spaces::get_space(a->space);
    const std::string dataset = a->dataset.empty() ? space.datasets().at(0) : space.resolve_dataset(a->dataset);
    const std::string arch = space.canonical(a->arch);
    const auto graph = space.compile(arch, dataset);
    spaces::OnnxWriteOptions o;
    o.weights = !a->no_weights;
    o.graph_name = space.name();
    o.doc = "zcnas " + space.name() + " arch " + arch + " dataset " + dataset +
            (o.weights ? " weights: initialisation seed " + std::to_string(globals().seed) : " (no weights)");
    std::string bytes;
    if (o.weights) {
      spaces::TorchNet net(graph, globals().seed);
      bytes = spaces::onnx_export(graph, net.get(), o);
    } else {
      bytes = spaces::onnx_export(graph, nullptr, o);
    }
    spaces::onnx_validate(bytes, "exported model");
    std::ofstream f(a->out, std::ios::binary);
    if (!f) throw Error("-o " + a->out, "cannot open for writing");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) throw Error("-o " + a->out, "write failed");
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json j{{"space", space.name()}, {"arch", arch},          {"dataset", dataset},
                     {"path", a->out},        {"bytes", bytes.size()}, {"weights", o.weights},
                     {"opset", spaces::kOnnxOpset}, {"params", spaces::param_count(graph)}, {"seconds", secs}};
    emit(j, "wrote " + a->out + " (" + std::to_string(bytes.size()) + " bytes, opset " + std::to_string(spaces::kOnnxOpset) +
                ", " + (o.weights ? "with weights" : "no weights") + ") for " + space.name() + " " + arch + " on " +
                dataset + "\n");
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
