// The "onnx_dir:<folder>" space: the candidates are the .onnx files of one folder, so users
// rank their own models with `zcnas search` (docs/spaces.md).
//
// The folder is part of the space name (`space: onnx_dir:/data/my_models` in a config,
// `--space onnx_dir:models` on the command line); get_space() builds the space on first use
// (registry.cpp). At construction every regular *.onnx file directly in the folder (sorted
// by name, no recursion) is read with the ONNX reader; files that fail to read are listed
// with their error (canonical()/compile() of them throw it) and are not candidates.
// Dedup: a file's structural hash is the whitespace-normalized hash of a name-free text of
// its graph (per node: op, inputs, output shape, attributes -- NetGraph::to_text without the
// node names), so a re-exported identical model maps to the same canonical arch (the first
// file in name order with that graph) and the search driver scores it once. Weights do not
// enter the hash: proxies score networks at initialisation.
// Data set: the single tag "onnx" (CIFAR-10 images resized to the model's input, labels
// drawn from its output size). Models need a static per-sample input shape.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {
namespace {

namespace fs = std::filesystem;

// NetGraph::to_text() without the node names (third field of every node line).
std::string name_free_text(const NetGraph& g) {
  std::istringstream in(g.to_text());
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("output ", 0) != 0) {
      const auto a = line.find(' ');
      const auto b = a == std::string::npos ? a : line.find(' ', a + 1);
      const auto c = b == std::string::npos ? b : line.find(' ', b + 1);
      if (c != std::string::npos) line = line.substr(0, b) + line.substr(c);
    }
    out += line + '\n';
  }
  return out;
}

class OnnxDirSpace final : public Space {
 public:
  explicit OnnxDirSpace(std::string folder) : folder_(std::move(folder)) {
    std::error_code ec;
    if (folder_.empty()) throw Error("space onnx_dir:", "no folder given", "write onnx_dir:<folder>");
    if (!fs::is_directory(folder_, ec)) throw Error("space onnx_dir:" + folder_, "is not a folder");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(folder_, ec))
      if (e.is_regular_file() && e.path().extension() == ".onnx") files.push_back(e.path().filename().string());
    if (ec) throw Error("space onnx_dir:" + folder_, "cannot list the folder: " + ec.message());
    std::sort(files.begin(), files.end());
    std::map<std::string, std::string> first_of_hash;
    for (const auto& f : files) {
      try {
        const auto imp = onnx_read_file((fs::path(folder_) / f).string());
        const std::string h = "onnx:" + normalized_hash(name_free_text(imp.graph)).hex();
        hash_[f] = h;
        auto [it, fresh] = first_of_hash.emplace(h, f);
        canonical_[f] = it->second;
        if (fresh) unique_.push_back(f);
      } catch (const Error& e) {
        broken_[f] = e.what();
      }
    }
    if (unique_.empty())
      throw Error("space onnx_dir:" + folder_, "has no readable .onnx file (" + std::to_string(files.size()) + " found)",
                  broken_.empty() ? "put .onnx models in the folder" : "first error: " + broken_.begin()->second);
  }

  std::string name() const override { return "onnx_dir:" + folder_; }
  std::string description() const override {
    return std::to_string(unique_.size()) + " distinct ONNX models (" + std::to_string(canonical_.size()) + " readable files) in " +
           folder_;
  }
  std::vector<std::string> datasets() const override { return {"onnx"}; }

  // A file name in the folder -> the first file (by name) with the same graph.
  std::string canonical(std::string_view arch) const override {
    const std::string f(arch);
    if (auto it = canonical_.find(f); it != canonical_.end()) return it->second;
    if (auto it = broken_.find(f); it != broken_.end()) throw Error(name() + " arch '" + f + "'", "unreadable: " + it->second);
    throw Error(name() + " arch '" + f + "'", "is not a .onnx file of the folder", "give a file name such as '" + unique_.front() + "'");
  }
  std::string benchmark_key(std::string_view canonical) const override { return std::string(canonical); }

  std::optional<std::uint64_t> size() const override { return unique_.size(); }
  void enumerate(const std::function<void(const std::string&)>& fn) const override {
    for (const auto& f : unique_) fn(f);
  }
  std::string sample(Rng& rng) const override { return unique_[rng() % unique_.size()]; }
  // No structure between files: a mutation is another file, the neighbours are all others.
  std::string mutate(std::string_view canonical, Rng& rng) const override {
    if (unique_.size() == 1) return unique_.front();
    const auto self = std::find(unique_.begin(), unique_.end(), std::string(canonical)) - unique_.begin();
    auto k = static_cast<std::ptrdiff_t>(rng() % (unique_.size() - 1));
    if (k >= self) ++k;
    return unique_[static_cast<std::size_t>(k)];
  }
  std::vector<std::string> neighbours(std::string_view canonical) const override {
    std::vector<std::string> out;
    for (const auto& f : unique_)
      if (f != canonical) out.push_back(f);
    return out;
  }
  std::string structural_hash(std::string_view canonical) const override { return hash_.at(this->canonical(canonical)); }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    resolve_dataset(dataset);
    return onnx_read_file((fs::path(folder_) / this->canonical(canonical)).string()).graph;
  }

 private:
  std::string folder_;
  std::map<std::string, std::string> canonical_, hash_, broken_;
  std::vector<std::string> unique_;
};

}  // namespace

std::unique_ptr<Space> make_onnx_dir_space(const std::string& folder) { return std::make_unique<OnnxDirSpace>(folder); }

}  // namespace zcnas::spaces
