// Maximal marginal relevance: see mmr.h.
#include "engine/mmr.h"

#include <algorithm>
#include <cmath>

#include "engine/distance.h"

namespace govector {

size_t MmrPoolSize(const SearchParams& p) {
  return std::max<size_t>(p.mmr ? p.mmr->candidates : 0, static_cast<size_t>(p.k) + p.offset);
}

std::vector<ScoredPoint> MmrSelect(std::vector<ScoredPoint> candidates, Distance distance, double diversity,
                                   size_t limit) {
  const double lambda = 1 - diversity;
  const size_t n = candidates.size();
  // Each candidate's greatest similarity to one picked so far, brought up to date with every pick.
  std::vector<double> max_sim(n, -INFINITY);
  std::vector<bool> used(n, false);
  std::vector<ScoredPoint> chosen;
  // Similarities as the search scores them (points keep their vectors as written).
  std::vector<std::vector<float>> bufs(n);
  std::vector<const float*> vec(n);
  for (size_t i = 0; i < n; ++i)
    vec[i] = ScoringVector(distance, candidates[i].vector->data(), candidates[i].vector->size(), &bufs[i]);
  while (chosen.size() < limit && chosen.size() < n) {
    size_t best = n;
    double best_value = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
      if (used[i]) continue;
      double relevance = -DistanceFromScore(distance, candidates[i].score);
      double value = chosen.empty() ? relevance : lambda * relevance - (1 - lambda) * max_sim[i];
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    used[best] = true;
    const size_t dim = candidates[best].vector->size();
    for (size_t i = 0; i < n; ++i)
      if (!used[i])
        max_sim[i] = std::max<double>(max_sim[i], -InternalDistance(distance, vec[i], vec[best], dim));
    chosen.push_back(std::move(candidates[best]));
  }
  return chosen;
}

Result<std::vector<ScoredPoint>> SearchWithMmr(const SearchParams& p, Distance distance, PlainSearch search) {
  SearchParams pool = p;
  pool.mmr.reset();
  pool.k = static_cast<uint32_t>(MmrPoolSize(p));
  pool.offset = 0;
  pool.with_vector = true;
  GV_ASSIGN_OR_RETURN(std::vector<ScoredPoint> candidates, search(pool));
  std::vector<ScoredPoint> picked =
      MmrSelect(std::move(candidates), distance, p.mmr->diversity, static_cast<size_t>(p.k) + p.offset);
  picked.erase(picked.begin(), picked.begin() + static_cast<long>(std::min<size_t>(p.offset, picked.size())));
  if (!p.with_vector)
    for (ScoredPoint& h : picked) h.vector.reset();
  return picked;
}

}  // namespace govector
