#pragma once
// Progress line with rate and ETA for long runs. Draws on stderr only when it is a
// terminal (quiet otherwise, so logs and CI output stay clean). Thread-safe tick().
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace zcnas {

class Progress {
 public:
  Progress(std::string label, std::size_t total, bool enabled = true);
  ~Progress();
  void tick(std::size_t n = 1);
  void finish();
  std::size_t done() const { return done_.load(); }
  double seconds() const;
  static bool stderr_is_terminal();

 private:
  void draw(bool final_line);
  std::string label_;
  std::size_t total_;
  bool enabled_;
  std::atomic<std::size_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
  bool finished_ = false;
};

}  // namespace zcnas
