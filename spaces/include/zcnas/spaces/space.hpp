#pragma once
// A search space: how its architectures are written, enumerated, sampled,
// mutated and compiled into the NetGraph IR. Spaces register by name
// (registry.hpp); everything else in zcnas talks to them through this interface.
//
// Architectures travel as text: the canonical string (for NB201 the arch_str
// the paper prints). `canonical()` accepts every encoding the space documents
// and throws zcnas::Error naming the input and what is wrong.
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces {

using Rng = std::mt19937_64;

class Space {
 public:
  virtual ~Space() = default;

  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // Data sets / tasks the space compiles heads for (names as in the benchdata files).
  virtual std::vector<std::string> datasets() const = 0;
  // Case-insensitive match of a user's data-set name; throws listing the valid ones.
  std::string resolve_dataset(std::string_view user_name) const;

  // Any accepted encoding -> canonical string. Throws zcnas::Error on bad input.
  virtual std::string canonical(std::string_view arch) const = 0;
  // The key under which the benchmark tables store this arch (benchdb `archs.key`).
  virtual std::string benchmark_key(std::string_view canonical) const = 0;

  // Number of architectures when the space is finite and enumerable.
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
  // Calls fn for every architecture (canonical form) in a fixed order. Throws if not enumerable.
  virtual void enumerate(const std::function<void(const std::string&)>& fn) const;

  virtual std::string sample(Rng& rng) const = 0;
  virtual std::string mutate(std::string_view canonical, Rng& rng) const = 0;
  virtual std::vector<std::string> neighbours(std::string_view canonical) const = 0;

  // Equal for architectures that compute the same function (space-specific rules).
  virtual std::string structural_hash(std::string_view canonical) const = 0;
  // Proxies (registry names) whose value is exactly equal, on every data set, for all
  // architectures with the structural hash of `canonical` (the answer must be the same
  // for every member of a hash class). Optional structural dedup in search
  // (`dedup: {structural: true}`, docs/config.md) computes these once per hash and shares
  // them. Proxies that read weights or data are equal there only up to the random
  // initialisation, so a space lists only what its compiled graphs share exactly
  // (tests/search/test_structural.cpp checks each declaration). Ground truth is never shared.
  virtual std::vector<std::string> hash_invariant_proxies(std::string_view /*canonical*/) const { return {}; }

  // Builds the network as the benchmark trained it, with the head for `dataset`.
  virtual NetGraph compile(std::string_view canonical, std::string_view dataset) const = 0;
};

}  // namespace zcnas::spaces
