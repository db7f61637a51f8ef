#pragma once
// One Space implementation for the three transformer spaces (gpt, flexibert, autoformer*):
// each fills a TransformerSpaceDef with its arch functions (all on canonical JSON strings).
// What they share: a CSV `id` is accepted as an encoding, the benchmark key is the CSV `id`
// (the canonical string for archs outside the benchmark), and the structural hash is the
// canonical string's digest (every field of these archs changes the computed function).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transformer_arch.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::tfarch {

struct TransformerSpaceDef {
  std::string name, description;
  std::string csv_file;    // benchmark table in benchdata ("" = none)
  std::string id_example;  // for error hints
  std::vector<std::string> datasets;
  std::function<std::string(std::string_view)> canonical;  // JSON encoding -> canonical (throws)
  BenchmarkIds::RowFn row_canonical;
  std::function<std::string(Rng&)> sample;
  std::function<std::string(std::string_view, Rng&)> mutate;
  std::function<std::vector<std::string>(std::string_view)> neighbours;
  // (canonical, data set as resolved by Space::resolve_dataset, or an unlisted variant the
  // space documents, e.g. gpt's "wt103:no-lm-head")
  std::function<NetGraph(std::string_view, std::string_view)> compile;
  std::vector<std::string> unlisted_datasets;  // accepted by compile() but not in datasets()
};

std::unique_ptr<Space> make_transformer_space(TransformerSpaceDef def);

}  // namespace zcnas::spaces::tfarch
