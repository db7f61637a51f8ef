#pragma once
// Parameter and FLOP counts computed from the IR alone (no torch).
#include <cstdint>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces {

// Exact number of trainable parameters (== sum of numel() over the built module's
// parameters). Dead nodes (that cannot reach the output) are counted too, since the
// built module owns their parameters.
std::int64_t param_count(const NetGraph& g);
// Parameters of embedding nodes (Node::is_embedding(): Embedding, AdaptiveEmbedding tables and
// projections, learned/Row0 PositionalEmbedding). param_count - embedding_param_count is the
// "non-embedding" count of LiteTransformerSearch / archai (gpt2_wt103.csv params_nonembedding).
std::int64_t embedding_param_count(const NetGraph& g);

// FLOPs in NASLib's convention (tensorwatch ModelStats on one input): conv as
// multiply-accumulates, batchnorm 1 op per element (2 when affine), ReLU 1 per
// element, pooling output size x k^2, global average pool C x (H+1) x (W+1),
// linear in x out without bias, additions and concatenations not counted.
double flops_naslib(const NetGraph& g);

}  // namespace zcnas::spaces
