// Maximal marginal relevance (MmrParams, api.h): the re-ranking, and a search with it on top of a plain
// search, for committed collections and transaction overlays alike.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/api.h"
#include "engine/config.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

// How many hits a search with p.mmr draws from: the larger of mmr.candidates and k + offset.
size_t MmrPoolSize(const SearchParams& p);

// Picks up to `limit` of the candidates (best first, each with its vector) in MMR's order.
std::vector<ScoredPoint> MmrSelect(std::vector<ScoredPoint> candidates, Distance distance, double diversity,
                                   size_t limit);

// A search with p.mmr (checked already): the best MmrPoolSize(p) hits of p without MMR, offset and with their
// vectors, by `search`; MMR's k + offset picks from them, less the offset; vectors only when p asks for them.
using PlainSearch = FunctionRef<Result<std::vector<ScoredPoint>>(const SearchParams&)>;
Result<std::vector<ScoredPoint>> SearchWithMmr(const SearchParams& p, Distance distance, PlainSearch search);

}  // namespace govector
