// The checks and preparation every write and read of points goes through, whether it runs on a collection's
// committed state (Collection) or on a transaction's overlay (TxnSession): one place, so a write refused in
// one is refused in the other, with the same message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "engine/config.h"
#include "engine/status.h"

namespace govector {

// A vector for a collection of this dimension and distance: the right size, finite, and non-zero for
// cosine. `what` names it in messages ("vector", "query vector").
Status CheckVector(const std::vector<float>& v, uint32_t dimension, Distance distance, const char* what);

// Validates a batch of upserts (one bad point rejects the batch), gives a missing payload {} and keeps the
// last occurrence of an id, and normalises the vectors of a cosine collection, as they are stored.
Status PrepareUpsert(std::vector<PointInput>* points, uint32_t dimension, Distance distance);

// Validates the payload argument of a payload update.
Status CheckPayloadUpdate(PayloadMode mode, const Json& payload);
// A point's payload after the update (stored is its payload now; null counts as {}).
Json UpdatedPayload(const Json& stored, PayloadMode mode, const Json& payload, const std::vector<std::string>& keys);

// Validates the limits of a search (k, offset, ef, score threshold); the query vector is checked apart.
Status CheckSearchParams(const SearchParams& p);
// True when a hit with this score is kept under the threshold (score > t for cosine and dot, < t otherwise).
bool PassesThreshold(Distance d, float score, float threshold);

Status CheckScrollLimit(uint32_t limit);

}  // namespace govector
