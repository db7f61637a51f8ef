// Cache and resume of `zcnas search`, end to end through the real binary:
// SIGKILL at random points + --resume gives exactly the uninterrupted results and
// database rows; two processes on one database both finish correctly.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "zcnas/benchdb/database.hpp"

namespace fs = std::filesystem;

namespace {

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

const std::string kCli = ZCNAS_CLI_PATH;

// A template database with the benchmark tables imported once for all tests.
const fs::path& template_db() {
  static fs::path db = [] {
    fs::path dir = fs::temp_directory_path() / ("zcnas_resume_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::path p = dir / "template.db";
    REQUIRE(sh(kCli + " bench import --db " + p.string() + " >/dev/null 2>&1") == 0);
    return p;
  }();
  return db;
}

fs::path fresh_db(const std::string& name) {
  fs::path p = template_db().parent_path() / (name + ".db");
  for (auto ext : {"", "-wal", "-shm"}) fs::remove(p.string() + ext);
  // The template was closed cleanly, so the main file is the whole database.
  fs::copy_file(template_db(), p);
  return p;
}

fs::path write_config(const std::string& name, int seed) {
  fs::path p = template_db().parent_path() / (name + ".yaml");
  std::ofstream(p) << "name: " << name << "\nspace: nb201\ndataset: cifar10\nproxies: [synflow]\n"
                   << "strategy: {name: zc_warmstart, pool: 48, chunk: 4}\nbudget: {queries: 8}\n"
                   << "seed: " << seed << "\nthreads: 2\nbatch_size: 8\n";
  return p;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// The score rows of the run as (arch, value, status), sorted: what must match.
// Rows are "key|value|status" strings with the value to full precision.
std::vector<std::string> score_rows(const fs::path& db) {
  auto d = zcnas::benchdb::Database::open(db.string(), zcnas::benchdb::OpenMode::ReadOnly);
  std::vector<std::string> rows;
  for (const auto& r : d.scores("nb201", "cifar10", "zcnas", "synflow")) {
    char v[64];
    std::snprintf(v, sizeof v, "%.17g", r.value.value_or(-1));
    rows.push_back(r.arch_key + "|" + v + "|" + r.status);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

nlohmann::json result_of(const nlohmann::json& j) {
  // Everything that must be equal between runs (not timings, not cache counters).
  return {{"top", j["top"]}, {"trajectory", j["trajectory"]}, {"best", j["best_truth"]}};
}

nlohmann::json strip_timing(nlohmann::json j) {
  for (auto& c : j["top"]) {
    c.erase("seconds");
    c.erase("cache_hit");
  }
  return j;
}

}  // namespace

TEST_CASE("search killed with SIGKILL at random points resumes to the uninterrupted result", "[search][resume]") {
  auto cfg = write_config("killme", 7);
  auto ref_db = fresh_db("reference");
  auto out = template_db().parent_path();
  REQUIRE(sh(kCli + " search --config " + cfg.string() + " --db " + ref_db.string() + " --json --no-report > " +
             (out / "ref.json").string() + " 2>/dev/null") == 0);
  const auto reference = strip_timing(result_of(read_json(out / "ref.json")));
  const auto reference_rows = score_rows(ref_db);
  REQUIRE(reference_rows.size() == 48);

  // Kill points: as soon as k score rows are visible in the database (k drawn at
  // random, rising), so every kill lands mid-run -- while the next batch is being
  // scored or written -- whatever the machine's speed.
  auto db = fresh_db("killed");
  std::mt19937 rng(12345);
  int kills = 0, rc = -1;
  std::size_t floor_rows = 0;
  for (int attempt = 0; attempt < 40 && rc != 0; ++attempt) {
    const std::size_t target = floor_rows + 1 + rng() % 12;
    const std::string out_json = (out / "killed.json").string();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::freopen(out_json.c_str(), "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execl(kCli.c_str(), kCli.c_str(), "search", "--config", cfg.c_str(), "--db", db.c_str(), "--resume", "--json",
              "--no-report", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    for (;;) {
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      if (score_rows(db).size() >= target) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (rc != 0) {
      REQUIRE(rc == 137);  // killed, not failed
      ++kills;
    }
    floor_rows = score_rows(db).size();
  }
  REQUIRE(rc == 0);
  INFO("killed " << kills << " times before the run finished");
  CHECK(kills >= 1);
  CHECK(strip_timing(result_of(read_json(out / "killed.json"))) == reference);
  CHECK(score_rows(db) == reference_rows);  // no duplicated, lost or different rows
}

TEST_CASE("a rerun of the same config costs only cache lookups", "[search][cache]") {
  auto cfg = write_config("rerun", 3);
  auto db = fresh_db("rerun");
  auto out = template_db().parent_path();
  REQUIRE(sh(kCli + " search --config " + cfg.string() + " --db " + db.string() + " --json --no-report > " +
             (out / "r1.json").string() + " 2>/dev/null") == 0);
  REQUIRE(sh(kCli + " search --config " + cfg.string() + " --db " + db.string() + " --json --no-report > " +
             (out / "r2.json").string() + " 2>/dev/null") == 0);
  auto a = read_json(out / "r1.json"), b = read_json(out / "r2.json");
  CHECK(a["stats"]["computed"] == 48);
  CHECK(b["stats"]["computed"] == 0);
  CHECK(b["stats"]["cache_hits"] == 48);
  CHECK(strip_timing(result_of(a)) == strip_timing(result_of(b)));
}

TEST_CASE("two search processes on one database both finish correctly", "[search][concurrency]") {
  auto c1 = write_config("concurrent_a", 11), c2 = write_config("concurrent_b", 12);
  auto out = template_db().parent_path();
  // Solo references, each in its own database.
  auto s1 = fresh_db("solo_a"), s2 = fresh_db("solo_b");
  REQUIRE(sh(kCli + " search --config " + c1.string() + " --db " + s1.string() + " --json --no-report > " +
             (out / "solo_a.json").string() + " 2>/dev/null") == 0);
  REQUIRE(sh(kCli + " search --config " + c2.string() + " --db " + s2.string() + " --json --no-report > " +
             (out / "solo_b.json").string() + " 2>/dev/null") == 0);
  auto shared = fresh_db("shared");
  std::string both = "(" + kCli + " search --config " + c1.string() + " --db " + shared.string() +
                     " --json --no-report > " + (out / "par_a.json").string() + " 2>/dev/null & pa=$!; " + kCli +
                     " search --config " + c2.string() + " --db " + shared.string() + " --json --no-report > " +
                     (out / "par_b.json").string() + " 2>/dev/null & pb=$!; wait $pa; ra=$?; wait $pb; rb=$?; exit $((ra|rb)))";
  REQUIRE(sh(both) == 0);
  CHECK(strip_timing(result_of(read_json(out / "par_a.json"))) == strip_timing(result_of(read_json(out / "solo_a.json"))));
  CHECK(strip_timing(result_of(read_json(out / "par_b.json"))) == strip_timing(result_of(read_json(out / "solo_b.json"))));
  // The shared database holds the union of both runs' scores, each once.
  auto rows = score_rows(shared);
  auto ra = score_rows(s1), rb = score_rows(s2);
  std::vector<std::string> uni;
  std::set_union(ra.begin(), ra.end(), rb.begin(), rb.end(), std::back_inserter(uni));
  CHECK(rows == uni);
}
