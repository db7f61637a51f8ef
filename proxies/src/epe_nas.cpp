// epe_nas (Lopes et al. 2021) as NASLib (measures/epe_nas.py): the input
// Jacobians (shared pass) grouped by label; per class c, s_c = sum over the
// class's corrcoef matrix of log(|r| + k), k = 1e-5, divided by its size when the
// network has more than 100 outputs. Score: sum_c |s_c| for <= 100 outputs, else
// sum_{c,c'} |s_c - s_c'| / (number of classes seen).
// NASLib quirks kept: "classes" = y.shape[-1] (the output width); a class with a
// single sample has corrcoef 1.0 (contributes log(1 + k)) with <= 100 outputs and
// is skipped with > 100 (len() of numpy's 0-d result raises, caught and skipped).
#include <cmath>
#include <map>

#include "simple_proxy.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {

torch::Tensor corrcoef_rows(const torch::Tensor& x);  // jacov.cpp

ProxyPtr make_epe_nas(const nlohmann::json& s) {
  check_settings("epe_nas", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "epe_nas", .version = 1, .description = "per-class correlation of input Jacobians (EPE-NAS)",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& labels = ctx.batch().labels;
        if (!labels.defined() || labels.scalar_type() != torch::kInt64 || labels.dim() != 1)
          throw Error("epe_nas", "needs one class label per sample", "use a classification head");
        const auto& j = input_jacobian(ctx);
        const double k = 1e-5;
        const bool many = j.n_outputs > 100;
        std::map<std::int64_t, std::vector<std::int64_t>> rows;  // label -> sample indices
        auto lab = labels.contiguous();
        for (std::int64_t i = 0; i < lab.size(0); ++i) rows[lab[i].item<std::int64_t>()].push_back(i);
        std::vector<double> per_class;
        for (const auto& [c, idx] : rows) {
          if (idx.size() == 1) {
            if (!many) per_class.push_back(std::log(1.0 + k));
            continue;
          }
          auto sub = j.jacobian.index_select(0, torch::tensor(idx, torch::kInt64).to(j.jacobian.device()));
          auto corr = corrcoef_rows(sub);
          double sc = (corr.abs() + k).log().sum().item<double>();
          if (many) sc /= static_cast<double>(idx.size());
          per_class.push_back(sc);
        }
        double score = 0;
        if (!many) {
          for (double v : per_class) score += std::abs(v);
        } else {
          for (double a : per_class)
            for (double b : per_class) score += std::abs(a - b);
          if (!per_class.empty()) score /= static_cast<double>(per_class.size());
        }
        return score;
      });
}
}  // namespace zcnas::proxies
