// End-to-end tests of `zcnas features` and `zcnas predictor train/eval` (issue 9),
// with a tiny ParZC network so they run in seconds.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
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
  const fs::path tmp = fs::temp_directory_path() / ("zcnas_cli_pred_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
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

std::string q(const std::string& s) { return "'" + s + "'"; }

void check_one_line_error(const Ran& r, const std::string& needle) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.rfind("zcnas: error: ", 0) == 0);
  CHECK_THAT(r.err, Catch::Contains(needle));
}

json ok_json(const Ran& r) {
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  return json::parse(r.out);
}
}  // namespace

TEST_CASE("features and predictor: cache, resume, train, eval, predictor: proxy", "[cli][predictor]") {
  const fs::path dir = fs::temp_directory_path() / ("zcnas_cli_pred_fx_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = q((dir / "z.db").string()), model = (dir / "m.pt").string();
  REQUIRE(zcnas("bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --db " + db).code == 0);
  const std::string small = q(R"({"dim":16,"depth":1,"sequence_length":32,"patch_size":8,"epochs":3,"batch_size":4})");

  auto f1 = ok_json(zcnas("features --space nb201 --dataset cifar10 --sample 6 --batch-size 8 --db " + db + " --json"));
  CHECK(f1["computed"] == 6);
  CHECK(f1["cached"] == 0);
  // A second run finds every record cached (resumable).
  auto f2 = ok_json(zcnas("features --space nb201 --dataset cifar10 --sample 6 --batch-size 8 --db " + db + " --json"));
  CHECK(f2["computed"] == 0);
  CHECK(f2["cached"] == 6);

  auto t = ok_json(zcnas("predictor train --kind parzc --space nb201 --dataset cifar10 --n-train 8 --seed 1 --batch-size 8 "
                         "--settings " + small + " -o " + q(model) + " --db " + db + " --json"));
  CHECK(t["n_train"] == 8);
  CHECK(t["settings"]["dim"] == 16);
  CHECK(fs::exists(model));

  auto e = ok_json(zcnas("predictor eval --model " + q(model) + " --space nb201 --sample 5 --seed 3 --db " + db + " --json"));
  CHECK(e["n"] == 5);
  CHECK(e["kendall"].is_number());
  CHECK(e["spearman"].is_number());
  CHECK(e["dataset"] == "cifar10");
  // Same command again: same numbers, features now read from the cache.
  auto e2 = ok_json(zcnas("predictor eval --model " + q(model) + " --space nb201 --sample 5 --seed 3 --db " + db + " --json"));
  CHECK(e2["kendall"] == e["kendall"]);
  CHECK(e2["features_computed"] == 0);

  // The model as a proxy: scores stored with the model hash in the provenance.
  auto s = ok_json(zcnas("score-space --space nb201 --dataset cifar10 --sample 2 --batch-size 8 --proxy " + q("predictor:" + model) +
                         " --db " + db + " --json"));
  CHECK(s["stored_rows"] == 2);

  check_one_line_error(zcnas("predictor eval --model " + q((dir / "none.pt").string()) + " --space nb201 --db " + db), "no such model file");
  check_one_line_error(zcnas("predictor train --space nb201 --n-train 4 --loss l1 -o " + q(model) + " --db " + db), "unknown loss");
  check_one_line_error(zcnas("predictor train --space nb201 --n-train 4 --settings '[1]' -o " + q(model) + " --db " + db), "not a JSON object");
  check_one_line_error(zcnas("features --space nb201 --db " + db), "give --sample N");
  fs::remove_all(dir);
}

// issue 8: the learned surrogates give the same model for the same seed in two separate
// processes (different heap contents: the GELU bug of spaces/gelu.hpp showed up here).
TEST_CASE("predictor train onnxtext/onehot: same seed in two processes, same model", "[cli][predictor][onnxtext][onehot]") {
  const fs::path dir = fs::temp_directory_path() / ("zcnas_cli_pred_text_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = q((dir / "z.db").string());
  REQUIRE(zcnas("bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --db " + db).code == 0);
  const std::string text = q(R"({"d_model":16,"layers":1,"heads":2,"ff":32,"epochs":4,"batch_size":8,"min_count":1})");
  const std::string onehot = q(R"({"hidden":16,"epochs":4,"batch_size":8})");
  for (const auto& [kind, settings] : {std::pair{std::string("onnxtext"), text}, std::pair{std::string("onehot"), onehot}}) {
    INFO(kind);
    json train[2], eval[2];
    for (int i = 0; i < 2; ++i) {
      const std::string model = q((dir / (kind + std::to_string(i) + ".pt")).string());
      train[i] = ok_json(zcnas("predictor train --kind " + kind + " --space nb201 --dataset cifar10 --n-train 24 --seed 5 --settings " +
                               settings + " -o " + model + " --db " + db + " --json"));
      eval[i] = ok_json(zcnas("predictor eval --model " + model + " --space nb201 --sample 40 --seed 3 --db " + db + " --json"));
    }
    CHECK(train[1]["training"]["final_train_loss"] == train[0]["training"]["final_train_loss"]);
    CHECK(train[1]["training"]["best_val_kendall"] == train[0]["training"]["best_val_kendall"]);
    CHECK(eval[1]["n"] == 40);
    CHECK(eval[1]["kendall"] == eval[0]["kendall"]);
    CHECK(eval[1]["spearman"] == eval[0]["spearman"]);
  }
  fs::remove_all(dir);
}
