#pragma once
// Performance predictors: models trained on (feature record, ground truth) pairs
// that rank unseen architectures. One interface, kinds registered by name
// (`parzc` now; the ONNX-text surrogate of issue 8 and a one-hot baseline plug in
// the same way). A model file is a torch archive holding the weights and a JSON
// metadata document (kind, settings, seed, feature provenance, training keys).
//
// A predictor reads one feature record per arch, a JSON document whose layout its
// feature kind defines (proxies/features.hpp): cached in benchdb (`features`
// table) or computed by the proxy engine for a compiled network.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zcnas::predictors {

struct Prediction {
  double mean = 0;  // predicted score (higher = better arch)
  double std = 0;   // uncertainty: spread of the Monte-Carlo samples (0 for deterministic models)
};

// The cached feature records a predictor reads.
struct FeatureSpec {
  std::string kind;                                    // e.g. "node_stats"
  int version = 1;
  nlohmann::json settings = nlohmann::json::object();  // normalised JSON object
};

struct TrainingData {
  std::vector<std::string> keys;          // benchmark keys (recorded in the model's metadata)
  std::vector<nlohmann::json> features;   // one record per arch
  std::vector<double> targets;            // ground truth, higher is better
  nlohmann::json feature_provenance = nlohmann::json::object();  // seed, batch, device, space, dataset...
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual std::string kind() const = 0;
  virtual FeatureSpec feature_spec() const = 0;
  // Fits the model (seeded by the predictor's settings). Throws zcnas::Error on bad data.
  virtual void train(const TrainingData& data) = 0;
  virtual std::vector<Prediction> predict(const std::vector<nlohmann::json>& features) const = 0;
  // kind, settings, seed, feature provenance, trained keys, training summary.
  virtual nlohmann::json metadata() const = 0;
  virtual void save(const std::string& path) const = 0;
  // Restores weights and metadata saved by save() (called on a predictor made from
  // the file's kind and settings).
  virtual void load(const std::string& path) = 0;
};

using PredictorPtr = std::unique_ptr<Predictor>;
using PredictorFactory = std::function<PredictorPtr(const nlohmann::json& settings)>;

// Throws zcnas::Error listing the registered kinds when unknown.
PredictorPtr make_predictor(const std::string& kind, const nlohmann::json& settings = nlohmann::json::object());
std::vector<std::string> predictor_kinds();
void register_predictor(const std::string& kind, PredictorFactory factory);

// The metadata document of a model file (zcnas::Error naming the file when it is not one).
nlohmann::json read_model_metadata(const std::string& path);
// make_predictor(metadata.kind, metadata.settings) then load(path).
PredictorPtr load_predictor(const std::string& path);

// Registers `predictor:<model file>` as a proxy name (proxies cannot depend on
// predictors, so the CLI calls this at start-up; idempotent).
void register_predictor_proxies();

}  // namespace zcnas::predictors
