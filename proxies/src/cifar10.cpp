#include "zcnas/proxies/cifar10.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "zcnas/common/error.hpp"

namespace zcnas::proxies {

ImageSet read_cifar10_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open the CIFAR-10 file", "check the path given with --data");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw Error(path, "the CIFAR-10 file is empty", "expected records of 3073 bytes (1 label + 3072 pixels)");
  const auto n_bytes = static_cast<std::int64_t>(bytes.size());
  if (n_bytes % kCifarRecordBytes != 0)
    throw Error(path,
                "size " + std::to_string(n_bytes) + " bytes is not a whole number of 3073-byte CIFAR-10 records (" +
                    std::to_string(n_bytes / kCifarRecordBytes) + " records + " + std::to_string(n_bytes % kCifarRecordBytes) +
                    " bytes): truncated or not the CIFAR-10 binary layout",
                "use the 'CIFAR-10 binary version' files (data_batch_*.bin)");
  const std::int64_t n = n_bytes / kCifarRecordBytes;
  ImageSet set;
  set.images = torch::empty({n, 3, 32, 32}, torch::kUInt8);
  set.labels = torch::empty({n}, torch::kInt64);
  auto* img = set.images.data_ptr<std::uint8_t>();
  auto* lab = set.labels.data_ptr<std::int64_t>();
  for (std::int64_t r = 0; r < n; ++r) {
    const unsigned char* rec = bytes.data() + r * kCifarRecordBytes;
    if (rec[0] > 9)
      throw Error(path, "record " + std::to_string(r) + " has label byte " + std::to_string(rec[0]) +
                            ", not a CIFAR-10 class 0-9: the file is corrupt or misaligned",
                  "re-extract the CIFAR-10 binary archive");
    lab[r] = rec[0];
    std::copy(rec + 1, rec + kCifarRecordBytes, img + r * (kCifarRecordBytes - 1));
  }
  set.files.push_back(path);
  return set;
}

ImageSet read_cifar10(const std::string& file_or_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(file_or_dir, ec)) throw Error(file_or_dir, "no such file or directory", "give a CIFAR-10 .bin file or a directory of them");
  if (!fs::is_directory(file_or_dir, ec)) return read_cifar10_file(file_or_dir);
  std::vector<std::string> train, all;
  for (const auto& e : fs::directory_iterator(file_or_dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".bin") continue;
    all.push_back(e.path().string());
    if (e.path().filename().string().rfind("data_batch_", 0) == 0) train.push_back(e.path().string());
  }
  auto& files = train.empty() ? all : train;
  if (files.empty()) throw Error(file_or_dir, "the directory holds no CIFAR-10 *.bin files", "give a .bin file or a directory of them");
  std::sort(files.begin(), files.end());
  std::vector<torch::Tensor> imgs, labs;
  ImageSet out;
  for (const auto& f : files) {
    auto s = read_cifar10_file(f);
    imgs.push_back(s.images);
    labs.push_back(s.labels);
    out.files.push_back(f);
  }
  out.images = torch::cat(imgs, 0);
  out.labels = torch::cat(labs, 0);
  return out;
}

}  // namespace zcnas::proxies
