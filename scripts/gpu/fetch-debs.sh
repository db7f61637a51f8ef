#!/usr/bin/env bash
# Run on a Debian 12 machine: downloads the Debian packages that the GPU host
# (Ubuntu 24.04 + CUDA libtorch, see ../shared/GPU.md) lacks into gpu-debs/,
# which travels with the working tree to the device machine (never committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p gpu-debs
cd gpu-debs
apt-get download libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5 libsqlitecpp-dev libsqlite3-dev libsqlite3-0 \
  libcli11-dev nlohmann-json3-dev libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libxxhash-dev libxxhash0 catch2 \
  libbenchmark-dev libbenchmark1debian libonnx1 libonnx-dev libonnxifi libprotobuf32 libprotobuf-lite32 libprotobuf-dev
