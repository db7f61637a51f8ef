// Acceptance (issue 5): zcnas's Zen against NASLib's Zen for NB201 CIFAR-10
// (`zen_cifar10` column of ../shared/benchdata/nasbench201.csv), Spearman rho
// >= 0.95 on a seeded sample of 1,000 cells. [slow]: ~1,000 networks, each two
// forward passes of a batch of 32 (NASLib's default zero-cost batch).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return r;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ra = ranks(a), rb = ranks(b);
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / ra.size();
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / rb.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

TEST_CASE("zen agrees with NASLib's NB201 CIFAR-10 Zen (rho >= 0.95, 1000 cells)", "[proxies][zen][slow]") {
  std::ifstream in(std::string(ZCNAS_BENCHDATA_DIR) + "/nasbench201.csv");
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);  // header: op_indices,arch_str,val_acc x3,zen_cifar10,...
  std::vector<std::pair<std::string, double>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    REQUIRE(f.size() >= 6);
    const double z = std::stod(f[5]);
    if (z <= -1e7) continue;  // NASLib's failure sentinel (-1e8): cells with no path to the output
    rows.emplace_back(f[1], z);
  }
  REQUIRE(rows.size() > 15000);
  std::mt19937_64 rng(20261125);
  std::shuffle(rows.begin(), rows.end(), rng);
  rows.resize(1000);

  const auto zen = proxies::make_proxy("zen");
  const auto& space = spaces::get_space("nb201");
  std::vector<double> ours(rows.size());
  proxies::ParallelOptions po;
  po.workers = 2;
  proxies::parallel_for_candidates(rows.size(), po, [&](std::size_t i) {
    const auto g = space.compile(rows[i].first, "cifar10");
    proxies::Batch batch{torch::zeros(spaces::batched(g.input_shape(), 32)), torch::zeros({32}, torch::kInt64), "zen: shape only"};
    proxies::ProxyContext ctx(g, batch, 1000 + i);
    ours[i] = zen->score(ctx);
  });
  std::vector<double> a, b;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (std::isfinite(ours[i])) {
      a.push_back(ours[i]);
      b.push_back(rows[i].second);
    }
  const double rho = spearman(a, b);
  WARN("zen vs NASLib zen_cifar10: Spearman rho = " << rho << " over " << a.size() << " of " << rows.size() << " cells");
  CHECK(a.size() >= 990);
  CHECK(rho >= 0.95);
}
