#!/usr/bin/env bash
# Run on the GPU host: unpacks gpu-debs/*.deb into a private sysroot and builds
# zcnas against the CUDA libtorch of the host's PyTorch venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
SYSROOT=/tmp/zcnas-gpu-sysroot  # outside the tree: install rules reject in-source include dirs
if [ ! -d "$SYSROOT/usr/include/tbb" ]; then
  mkdir -p "$SYSROOT"
  for d in gpu-debs/*.deb; do dpkg -x "$d" "$SYSROOT"; done
fi
TORCH_PREFIX=$(python3 -c "import torch; print(torch.utils.cmake_prefix_path)")
export LD_LIBRARY_PATH=$SYSROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$SYSROOT/usr;$SYSROOT/usr/lib/x86_64-linux-gnu/cmake" \
  -DCMAKE_INCLUDE_PATH="$SYSROOT/usr/include" -DCMAKE_LIBRARY_PATH="$SYSROOT/usr/lib/x86_64-linux-gnu" \
  -DZCNAS_BUILD_TESTS=OFF -DZCNAS_INSTALL=OFF \
  -DCMAKE_CXX_STANDARD_LIBRARIES="$SYSROOT/usr/lib/x86_64-linux-gnu/libprotobuf.so" "$@"
# ZCNAS_INSTALL=OFF: the host's CMake 4 rejects the install export (an imported
# dependency target is in no export set). libprotobuf is named explicitly because
# the host's own protobuf CMake package does not put the sysroot library on the link line.
ninja -C build/gpu zcnas bench_proxies
