#pragma once
// Shared by the two 4-node / 6-edge cell spaces (nb201, tnb101_micro): the digit and
// tuple encodings, trimming, the edit moves, and the ReLUConvBN block. Private to spaces/src.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::cell6 {

using Ops = std::array<int, 6>;

std::string_view trim(std::string_view s);

// Names the offending input in errors: "<space> arch '<text>'".
std::string input_label(std::string_view space, std::string_view text);

// Parses the two numeric encodings: six digits "432323" or a tuple/list
// "(4, 3, 3, 3, 2, 3)" / "[4,3,3,3,2,3]" (NASLib's keys), every code < n_ops.
// Returns nullopt when the text is neither form (the caller then tries its own
// string form); throws zcnas::Error for a malformed numeric form or an empty text.
std::optional<Ops> parse_numeric(std::string_view text, int n_ops, std::string_view space);

std::string digits(const Ops& ops);  // "432323"

// Index <-> ops in enumeration order: the op codes as base-n digits, first edge most
// significant (the order of itertools.product(range(n), repeat=6) and of the CSVs).
std::uint64_t index_of(const Ops& ops, int n_ops);
Ops ops_at(std::uint64_t index, int n_ops);

// One uniformly chosen edge changed to a uniformly chosen different op.
Ops mutate(const Ops& ops, int n_ops, Rng& rng);
// All 6*(n_ops-1) single-edge changes, edge by edge, ops ascending.
std::vector<Ops> neighbours(const Ops& ops, int n_ops);

// ReLU -> conv (no bias, "same" padding) -> affine batchnorm, the ReLUConvBN block of
// both cell spaces. Nodes are named "<prefix>.<seq>.{0,1,2}" where `seq` is the
// reference module's Sequential attribute ("op" in NAS-Bench-201, "ops" in
// TransNAS-Bench-101), so parameter names follow the reference code.
inline NodeId relu_conv_bn(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t k, std::int64_t stride,
                           const std::string& prefix, std::string_view seq) {
  const std::string base = prefix + "." + std::string(seq) + ".";
  const auto r = g.relu(x, base + "0");
  Conv2dAttr a;
  a.out_channels = c_out;
  a.kernel = k;
  a.stride = stride;
  a.padding = k / 2;
  const auto c = g.conv2d(r, a, base + "1");
  return g.batchnorm(c, BatchNormAttr{}, base + "2");
}

}  // namespace zcnas::spaces::cell6
