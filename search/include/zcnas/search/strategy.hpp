#pragma once
// Search strategies and the context they run in.
//
// A strategy only decides *which* architectures to look at next. The context
// (the driver, driver.hpp) does the work: dedup, cache lookup, parallel proxy
// scoring, storing, ground-truth queries and budgets. So every strategy reads as
// the textbook algorithm, and the same strategy runs on any space.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/spaces/space.hpp"

namespace zcnas::search {

class SearchContext {
 public:
  virtual ~SearchContext() = default;
  virtual const spaces::Space& space() const = 0;
  virtual spaces::Rng& rng() = 0;

  // Combined proxy score of each arch (higher is better); nullopt when the
  // candidate failed, violates a constraint, or the candidate budget ran out
  // before it was scored. Duplicates cost nothing. Scores in parallel.
  virtual std::vector<std::optional<double>> score(const std::vector<std::string>& archs) = 0;

  // Ground truth of one arch (counts against budget.queries; a repeated query of
  // the same arch is free). nullopt when the budget is spent or the benchmark has
  // no value for it.
  virtual std::optional<double> query(const std::string& arch) = 0;

  virtual bool queries_left() const = 0;     // false once budget.queries are spent
  virtual bool candidates_left() const = 0;  // false once budget.candidates / seconds are spent
  virtual bool has_query_budget() const = 0; // a query budget was configured
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  virtual void run(SearchContext& ctx) const = 0;
};

using StrategyPtr = std::unique_ptr<Strategy>;
using StrategyFactory = std::function<StrategyPtr(const nlohmann::json& settings)>;

// Throws zcnas::Error listing the registered names, or naming a bad setting.
StrategyPtr make_strategy(std::string_view name, const nlohmann::json& settings);
std::vector<std::string> strategy_names();
void register_strategy(const std::string& name, StrategyFactory factory);

// Settings helper for factories: reads optional keys and rejects unknown ones.
class Settings {
 public:
  Settings(std::string owner, const nlohmann::json& j);
  std::int64_t integer(const std::string& key, std::int64_t def, std::int64_t min = 0);
  double number(const std::string& key, double def);
  std::string text(const std::string& key, const std::string& def, const std::vector<std::string>& allowed = {});
  void done() const;  // throws on keys never read

 private:
  std::string owner_;
  nlohmann::json j_;
  std::vector<std::string> read_;
};

}  // namespace zcnas::search
