#include "zcnas/common/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace zcnas {

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, std::size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::tick(std::size_t n) {
  done_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (now - last_draw_ < std::chrono::milliseconds(200) && done_.load() < total_) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard lock(mu_);
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  const double el = seconds();
  const std::size_t d = done_.load();
  const double rate = el > 0 ? d / el : 0.0;
  char buf[256];
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - std::min(d, total_)) / rate : 0.0;
    std::snprintf(buf, sizeof buf, "\r%s %zu/%zu (%.0f%%) %.1f/s ETA %.0fs   ", label_.c_str(), d, total_,
                  100.0 * d / total_, rate, eta);
  } else {
    std::snprintf(buf, sizeof buf, "\r%s %zu %.1f/s   ", label_.c_str(), d, rate);
  }
  std::fputs(buf, stderr);
  if (final_line) std::fputs("\n", stderr);
  std::fflush(stderr);
}

}  // namespace zcnas
