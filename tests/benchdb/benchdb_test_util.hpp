#pragma once
// Helpers shared by the benchdb tests.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "zcnas/common/error.hpp"

namespace zcnas::benchdb::testing {

// A fresh folder under the system temp dir, removed with the object.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "test") {
    path = std::filesystem::temp_directory_path() /
           ("zcnas_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// The message of the zcnas::Error f throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const zcnas::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace zcnas::benchdb::testing
