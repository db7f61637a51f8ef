// `zcnas score --space nb201 --arch A --proxy synflow,nwot [--dataset cifar10]
// [--batch-size 32] [--data PATH] [--json]`: score one architecture.
// `zcnas score model.onnx --proxy ... [--input-shape C,H,W]`: score an ONNX file instead
// (spaces/onnx.hpp reader; the input shape comes from the model's declared input, or
// --input-shape when it is dynamic; labels are drawn from the output size; proxies score
// the network at initialisation for --seed, as for space archs: the file's weights are not used).
// JSON: {arch, space, dataset, scores: {proxy: value|null}, seconds: {proxy: s},
// status: {proxy: ok|nan|inf|error}, total_seconds, batch}. A proxy that did not
// give a finite value makes the command exit non-zero after printing.
#include "score_common.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/registry.hpp"

#include <ATen/Parallel.h>

#include <sstream>

namespace zcnas::cli {
namespace {

struct Args {
  std::string space = "nb201", arch, proxy, dataset, model, input_shape;
  int intra_op_threads = 1;
  BatchArgs batch;
};

void setup(CLI::App& root) {
  auto a = std::make_shared<Args>();
  auto* cmd = root.add_subcommand("score", "score one architecture with zero-cost proxies");
  cmd->add_option("--space", a->space, "search space (zcnas spaces list)");
  cmd->add_option("model", a->model, "an .onnx file to score instead of --space/--arch");
  cmd->add_option("--arch", a->arch, "architecture in any encoding the space accepts");
  cmd->add_option("--input-shape", a->input_shape, "C,H,W for an ONNX model whose input shape is dynamic");
  cmd->add_option("--proxy", a->proxy, "comma-separated proxies (zcnas proxies list)")->required();
  cmd->add_option("--dataset", a->dataset, "data set / task (default: the space's first)");
  cmd->add_option("--intra-op-threads", a->intra_op_threads, "libtorch threads")->check(CLI::PositiveNumber);
  add_batch_options(*cmd, a->batch);
  add_global_options(*cmd);
  cmd->callback([a] {
    if (a->model.empty() == a->arch.empty())
      throw Error("zcnas score", a->model.empty() ? "needs --arch or an .onnx file" : "takes --arch or an .onnx file, not both");
    std::string space_name, dataset, arch;
    spaces::NetGraph graph;
    if (!a->model.empty()) {
      spaces::OnnxReadOptions ro;
      if (!a->input_shape.empty()) {
        spaces::Shape s;
        std::stringstream ss(a->input_shape);
        std::string tok;
        while (std::getline(ss, tok, ',')) {
          if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos || tok.size() > 9)
            throw Error("--input-shape " + a->input_shape, "is not a list of positive integers", "write C,H,W, e.g. 3,224,224");
          s.push_back(std::stoll(tok));
        }
        ro.input_shape = s;
      }
      graph = spaces::onnx_read_file(a->model, ro).graph;
      space_name = "onnx";
      arch = a->model;
      dataset = a->dataset.empty() ? "onnx" : a->dataset;  // "onnx": CIFAR-10 normalisation, labels drawn from the output size
    } else {
      const auto& space = spaces::get_space(a->space);
      space_name = space.name();
      dataset = a->dataset.empty() ? space.datasets().at(0) : space.resolve_dataset(a->dataset);
      arch = space.canonical(a->arch);
      graph = space.compile(arch, dataset);
    }
    const proxies::Scorer scorer(proxies::make_proxies(a->proxy));
    const std::uint64_t seed = globals().seed;
    proxies::Batch batch;
    if (scorer.needs_data()) batch = proxies::make_batch(load_pool(a->batch), graph, batch_options(a->batch, dataset, seed));
    at::set_num_threads(a->intra_op_threads);
    const auto r = scorer.score(graph, batch, seed, parse_device(a->batch.device));

    nlohmann::json j{{"arch", arch}, {"space", space_name}, {"dataset", dataset}, {"seed", seed},
                     {"batch", batch.description}, {"total_seconds", r.total_seconds}};
    j["scores"] = nlohmann::json::object();
    j["seconds"] = nlohmann::json::object();
    j["status"] = nlohmann::json::object();
    std::vector<std::vector<std::string>> rows;
    std::string failed;
    for (const auto& s : r.scores) {
      j["scores"][s.proxy] = s.ok() ? nlohmann::json(s.value) : nlohmann::json(nullptr);
      j["seconds"][s.proxy] = s.seconds;
      j["status"][s.proxy] = proxies::status_name(s.status);
      if (!s.message.empty()) j["messages"][s.proxy] = s.message;
      rows.push_back({s.proxy, s.ok() ? fmt_num(s.value, 6) : proxies::status_name(s.status), fmt_num(s.seconds, 3),
                      s.message});
      if (!s.ok()) failed += (failed.empty() ? "" : ", ") + s.proxy + " (" + proxies::status_name(s.status) + ")";
    }
    std::string human = space_name + " " + arch + " on " + dataset + "\n" +
                        (batch.description.empty() ? "" : "batch: " + batch.description + "\n") +
                        format_table({"proxy", "value", "seconds", "note"}, rows) + "total " + fmt_num(r.total_seconds, 3) + " s\n";
    emit(j, human);
    if (!failed.empty()) throw Error("score " + arch, "no finite value from: " + failed, "see the status/messages fields");
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
