#!/usr/bin/env bash
# Installs every Debian 12 package zcnas needs (apt-get; root or sudo). Idempotent:
# does nothing (no apt-get update) when all packages are already installed.
set -euo pipefail

PACKAGES=(
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler libtbb-dev
  libsqlitecpp-dev libsqlite3-dev catch2 libcli11-dev nlohmann-json3-dev
  libyaml-cpp-dev libspdlog-dev libxxhash-dev libeigen3-dev libopenblas0-pthread
  libbenchmark-dev ccache cmake ninja-build g++ gnuplot-nox python3-torch
  python3-torchvision  # tools/reference/export_torchvision.py: ONNX reference models for tests/spaces
  fortunes sentencepiece  # real English text + its tokenizer (scripts/make-text-corpus.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y "${PACKAGES[@]}"
