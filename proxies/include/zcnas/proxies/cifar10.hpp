#pragma once
// Reader for the CIFAR-10 binary layout (Krizhevsky 2009, "binary version"):
// records of 1 label byte (0-9) followed by 3072 image bytes, the R, G and B
// planes of a 32x32 image, each row-major. ../shared/benchdata/cifar10/*.bin
// hold the first 932 records of each official batch; users pass their own files
// of the same layout with `--data PATH`.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace zcnas::proxies {

struct ImageSet {
  torch::Tensor images;  // uint8, N x 3 x 32 x 32
  torch::Tensor labels;  // int64, N (0-9)
  std::vector<std::string> files;
  std::int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

inline constexpr std::int64_t kCifarRecordBytes = 1 + 3 * 32 * 32;

// One file. Throws zcnas::Error naming the file when it is missing, empty, not a
// whole number of 3073-byte records (truncated or not CIFAR), or has a label
// byte outside 0-9 (corrupt or misaligned).
ImageSet read_cifar10_file(const std::string& path);

// A file, or a directory: its `data_batch_*.bin` files (the training batches,
// what NASLib's zero-cost loader samples from) when there are any, else every
// `*.bin`, in name order.
ImageSet read_cifar10(const std::string& file_or_dir);

}  // namespace zcnas::proxies
