// End-to-end tests of the `zcnas` binary (ZCNAS_CLI_PATH): import, query, correlate,
// the global-option contract, and one-line errors with non-zero exit codes.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
struct Result {
  int code = -1;
  std::string out, err;
};

// Runs the CLI with `args` (already shell-quoted) and optional env assignments.
Result run(const std::string& args, const std::string& env = "") {
  static int n = 0;
  const fs::path tmp = fs::temp_directory_path() / ("zcnas_cli_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  const std::string cmd = env + (env.empty() ? "" : " ") + "'" + std::string(ZCNAS_CLI_PATH) + "' " + args + " >'" +
                          tmp.string() + ".out' 2>'" + tmp.string() + ".err'";
  const int status = std::system(cmd.c_str());
  Result r;
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

// The error contract: exactly one line "zcnas: error: <input>: <problem> (<hint>)", exit code != 0.
void check_one_line_error(const Result& r, const std::string& needle) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.rfind("zcnas: error: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains(needle));
}

struct Fixture {
  fs::path dir;
  std::string db;
  Fixture() {
    static int counter = 0;  // one folder per fixture: the shared imported DB must outlive the others
    dir = fs::temp_directory_path() / ("zcnas_cli_fx_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    db = (dir / "zcnas.db").string();
  }
  ~Fixture() { fs::remove_all(dir); }
};

// One imported database shared by the read-only tests (import takes a few seconds).
const std::string& imported_db() {
  static Fixture fx;
  static bool done = false;
  if (!done) {
    const auto r = run("bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --db " + q(fx.db));
    INFO(r.err);
    REQUIRE(r.code == 0);
    done = true;
  }
  return fx.db;
}

std::string fingerprint(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  return raw.execAndGet("SELECT (SELECT count(*) FROM archs) || '/' || (SELECT count(*) || ':' || total(value) FROM scores) "
                        "|| '/' || (SELECT count(*) || ':' || total(value) FROM truth)").getString();
}
}  // namespace

TEST_CASE("bench import: report, idempotent second run, JSON report", "[cli]") {
  Fixture fx;
  auto r = run("bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --db " + q(fx.db));
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("rows inserted or changed"));
  CHECK_THAT(r.out, Catch::Contains("sentinel"));
  const auto before = fingerprint(fx.db);
  // Global option before the subcommand, --json after it.
  r = run("--db " + q(fx.db) + " bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --json");
  REQUIRE(r.code == 0);
  const auto j = json::parse(r.out);
  CHECK(j["changed"] == 0);
  CHECK(j["files"].size() == 9);
  CHECK(j["quirks"].size() > 0);
  CHECK(fingerprint(fx.db) == before);
}

TEST_CASE("bench query accepts the NB201 encodings and prints truth and scores", "[cli]") {
  const auto& db = imported_db();
  // An arch of the Suite-Zero sample, named by its JSON tuple key.
  const auto a = run("bench query --space nb201 --arch '(0, 2, 3, 2, 3, 1)' --dataset CIFAR10 --json --db " + q(db));
  INFO(a.err);
  REQUIRE(a.code == 0);
  const auto ja = json::parse(a.out);
  CHECK(ja["key"] == "023231");
  CHECK(!ja["truth"].empty());
  for (const auto& t : ja["truth"]) CHECK(t["dataset"] == "cifar10");
  CHECK(ja["scores"].size() >= 10);
  // op_indices and the arch_str name the same arch.
  const std::string arch_str = ja["encoding"].get<std::string>();
  CHECK(arch_str.rfind("|skip_connect~0|+", 0) == 0);  // first digit: op 0 (skip_connect) on edge 1->2
  const auto b = run("bench query --space nb201 --arch 023231 --dataset cifar10 --json --db " + q(db));
  const auto c = run("bench query --space nb201 --arch " + q(arch_str) + " --dataset cifar10 --json --db " + q(db));
  REQUIRE(b.code == 0);
  REQUIRE(c.code == 0);
  CHECK(json::parse(b.out)["truth"] == ja["truth"]);
  CHECK(json::parse(c.out)["scores"] == ja["scores"]);
  // Human output lists the stored proxies.
  const auto h = run("bench query --space nb201 --arch 023231 --db " + q(db));
  CHECK_THAT(h.out, Catch::Contains("naslib:synflow"));
}

TEST_CASE("bench query: transformer JSON arch", "[cli]") {
  const auto& db = imported_db();
  const auto r = run("bench query --space autoformer --arch 0 --json --db " + q(db));
  REQUIRE(r.code == 0);
  const auto enc = json::parse(r.out)["encoding"].get<std::string>();
  const auto r2 = run("bench query --space autoformer --arch " + q(enc) + " --json --db " + q(db));
  INFO(r2.err);
  REQUIRE(r2.code == 0);
  CHECK(json::parse(r2.out)["key"] == "0");
}

TEST_CASE("correlate: JSON keys, --proxy all sorted by spearman, env and flag precedence", "[cli]") {
  const auto& db = imported_db();
  auto r = run("correlate --space nb201 --dataset cifar10 --proxy naslib:synflow --json", "ZCNAS_DB=" + q(db));
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out);
  for (const char* k : {"n", "kendall", "spearman", "pearson", "top_k_precision"}) CHECK(j.contains(k));
  for (const char* k : {"1", "5", "10"}) CHECK(j["top_k_precision"].contains(k));
  CHECK(j["n"].get<int>() > 100);
  CHECK(j["spearman"].get<double>() > 0);  // synflow is a positive predictor on NB201

  // --db beats ZCNAS_DB.
  r = run("--json correlate --space nb201 --dataset cifar10 --proxy naslib:synflow --db " + q(db), "ZCNAS_DB=/nonexistent/x.db");
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out) == j);

  r = run("correlate --space nb201 --dataset cifar10 --proxy all --json --db " + q(db));
  REQUIRE(r.code == 0);
  j = json::parse(r.out);
  REQUIRE(j.is_array());
  CHECK(j.size() >= 12);
  for (std::size_t i = 1; i < j.size(); ++i)
    if (!j[i]["spearman"].is_null()) CHECK(j[i - 1]["spearman"].get<double>() >= j[i]["spearman"].get<double>());

  // The naslib ground truth is another option; a comma list returns an array.
  r = run("correlate --space nb201 --dataset cifar10 --proxy naslib:nwot,naslib:snip --truth naslib --json --db " + q(db));
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out).size() == 2);
  // Lower-is-better truth is negated: GPT decoder parameter count vs perplexity is a positive correlation.
  r = run("correlate --space gpt --dataset WT103 --proxy bench:params_nonembedding --json --db " + q(db));
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out)["spearman"].get<double>() > 0);
}

TEST_CASE("bad input: one-line errors, non-zero exit", "[cli]") {
  const auto& db = imported_db();
  SECTION("unknown space") {
    check_one_line_error(run("correlate --space nb999 --dataset cifar10 --proxy naslib:synflow --db " + q(db)), "unknown space");
  }
  SECTION("unknown dataset") {
    check_one_line_error(run("correlate --space nb201 --dataset cifar11 --proxy naslib:synflow --db " + q(db)),
                         "unknown data set");
  }
  SECTION("unknown proxy") {
    check_one_line_error(run("correlate --space nb201 --dataset cifar10 --proxy naslib:nope --db " + q(db)),
                         "no stored scores of naslib:nope");
  }
  SECTION("unknown arch") {
    check_one_line_error(run("bench query --space nb201 --arch 999999 --db " + q(db)), "arch '999999'");
  }
  SECTION("missing database for a read command") {
    check_one_line_error(run("correlate --space nb201 --dataset cifar10 --proxy all --db /nonexistent/dir/z.db"),
                         "no such file");
  }
  SECTION("missing data dir") {
    Fixture fx;
    check_one_line_error(run("bench import --from /nonexistent/benchdata --db " + q(fx.db)), "no such folder");
  }
}

TEST_CASE("bad database files and corrupt data leave the database unchanged", "[cli]") {
  Fixture fx;
  auto r = run("bench import --from " + q(ZCNAS_BENCHDATA_DIR) + " --db " + q(fx.db));
  REQUIRE(r.code == 0);
  const auto before = fingerprint(fx.db);

  SECTION("corrupt JSON in a copy of the data") {
    const fs::path data = fx.dir / "data";
    fs::create_directories(data / "naslib_zc");
    for (const auto& e : fs::recursive_directory_iterator(ZCNAS_BENCHDATA_DIR)) {
      if (!e.is_regular_file()) continue;
      const auto rel = fs::relative(e.path(), ZCNAS_BENCHDATA_DIR);
      if (rel.string().find("cifar10") == 0) continue;
      fs::create_directories((data / rel).parent_path());
      fs::copy_file(e.path(), data / rel);
      fs::permissions(data / rel, fs::perms::owner_read | fs::perms::owner_write);
    }
    {
      std::ifstream in(data / "naslib_zc/zc_transbench101_micro.json");
      std::string text((std::istreambuf_iterator<char>(in)), {});
      text[text.size() / 2] = '@';
      std::ofstream(data / "naslib_zc/zc_transbench101_micro.json", std::ios::trunc) << text;
    }
    check_one_line_error(run("bench import --from " + q(data.string()) + " --db " + q(fx.db)),
                         "zc_transbench101_micro.json line");
  }
  SECTION("newer schema") {
    { SQLite::Database raw(fx.db, SQLite::OPEN_READWRITE); raw.exec("PRAGMA user_version = 42"); }
    check_one_line_error(run("bench import --db " + q(fx.db) + " --from " + q(ZCNAS_BENCHDATA_DIR)), "newer than this zcnas");
    check_one_line_error(run("correlate --space nb201 --dataset cifar10 --proxy all --db " + q(fx.db)), "newer");
    { SQLite::Database raw(fx.db, SQLite::OPEN_READWRITE); raw.exec("PRAGMA user_version = 1"); }
  }
  SECTION("read-only database file") {
    fs::permissions(fx.db, fs::perms::owner_read | fs::perms::group_read);
    check_one_line_error(run("bench import --db " + q(fx.db) + " --from " + q(ZCNAS_BENCHDATA_DIR)), "read-only");
    // Reading still works.
    CHECK(run("correlate --space nb201 --dataset cifar10 --proxy naslib:snip --db " + q(fx.db)).code == 0);
    fs::permissions(fx.db, fs::perms::owner_read | fs::perms::owner_write);
  }
  SECTION("database locked by another process") {
    SQLite::Database other(fx.db, SQLite::OPEN_READWRITE);
    other.exec("BEGIN EXCLUSIVE");
    other.exec("DELETE FROM runs");  // take the write lock
    check_one_line_error(run("bench import --db " + q(fx.db) + " --from " + q(ZCNAS_BENCHDATA_DIR), "ZCNAS_BUSY_TIMEOUT_MS=200"),
                         "locked");
    other.exec("ROLLBACK");
  }
  CHECK(fingerprint(fx.db) == before);
}

TEST_CASE("correlate --bootstrap: seeded intervals around the estimate", "[cli]") {
  const auto& db = imported_db();
  const std::string cmd = "correlate --space nb201 --dataset cifar10 --proxy naslib:synflow --bootstrap 200 --json --db " + q(db);
  const auto a = run(cmd + " --seed 5"), b = run(cmd + " --seed 5"), c = run(cmd + " --seed 6");
  REQUIRE(a.code == 0);
  const auto ja = json::parse(a.out);
  CHECK(ja == json::parse(b.out));
  CHECK(ja["spearman_ci95"] != json::parse(c.out)["spearman_ci95"]);
  CHECK(ja["spearman_ci95"][0].get<double>() < ja["spearman"].get<double>());
  CHECK(ja["spearman"].get<double>() < ja["spearman_ci95"][1].get<double>());
  CHECK(ja["kendall_ci95"][0].get<double>() < ja["kendall"].get<double>());
}

TEST_CASE("score-space: Ctrl-C stores the archs already scored, whole, and a rerun resumes", "[cli]") {
  Fixture fx;
  const std::string out = (fx.dir / "out").string(), err = (fx.dir / "err").string();
  const std::vector<std::string> args = {
      ZCNAS_CLI_PATH, "--db", fx.db, "score-space", "--space", "nb201", "--dataset", "cifar10", "--sample", "200",
      "--seed", "3", "--proxy", "synflow,snip", "--threads", "2", "--chunk", "200", "--batch-size", "8",
      "--data", std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10", "--json"};
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  // One chunk holds all 200 archs, so without the interrupt nothing would be stored before the
  // end. Interrupt once the run is past its cache lookup and scoring (the log says so first).
  for (int i = 0; i < 600 && slurp(err).find("archs to score") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  REQUIRE(::kill(pid, SIGINT) == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO(slurp(err));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const auto first = json::parse(slurp(out));
  CHECK(first["interrupted"] == true);
  const int scored = first["scored_archs"];
  CHECK(scored < 200);
  CHECK(first["stored_rows"] == 2 * scored);
  {  // every stored arch has both proxies: nothing half-scored
    SQLite::Database raw(fx.db, SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("SELECT count(*) FROM scores WHERE proxy = 'synflow'").getInt() == scored);
    CHECK(raw.execAndGet("SELECT count(*) FROM scores WHERE proxy = 'snip'").getInt() == scored);
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  std::string again;
  for (const auto& a : rest) again += q(a) + " ";
  const auto r = run(again);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto second = json::parse(r.out);
  CHECK(second["interrupted"] == false);
  CHECK(second["cached"] == 2 * scored);
  CHECK(second["scored_archs"] == 200 - scored);
  SQLite::Database raw(fx.db, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT count(*) FROM scores").getInt() == 400);
}
