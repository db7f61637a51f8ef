// Calling a zcnas search from C++ (e.g. inside a training pipeline):
//   find_package(zcnas) ... target_link_libraries(app zcnas::search)
// Usage: search_example [config.yaml] [database]
#include <iostream>

#include "zcnas/common/error.hpp"
#include "zcnas/search/driver.hpp"

int main(int argc, char** argv) {
  try {
    auto config = zcnas::search::load_config(argc > 1 ? argv[1] : "configs/nb201_cifar10_quick.yaml");
    zcnas::search::RunOptions options;
    options.database = argc > 2 ? argv[2] : "example.db";
    options.benchdata = "../shared/benchdata";
    auto result = zcnas::search::run(config, options);
    std::cout << zcnas::search::format_summary(result);
    if (!result.top.empty()) {
      const auto& best = result.candidates[result.top.front()];
      std::cout << "best by proxy: " << best.arch << " score " << *best.score << "\n";
    }
  } catch (const zcnas::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
