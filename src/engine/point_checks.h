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

// Validates the limits of a search (k, offset, ef, score threshold, MMR); the query vector is checked apart.
Status CheckSearchParams(const SearchParams& p);
// True when a hit with this score is kept under the threshold (score > t for cosine and dot, < t otherwise).
bool PassesThreshold(Distance d, float score, float threshold);

// Validates the limit and the offset of a scroll.
Status CheckScrollParams(const ScrollParams& p);

// True when a scroll includes this id: from p.start (inclusive) on, and after p.after.
inline bool InScrollRange(const ScrollParams& p, const PointId& id) {
  return (!p.start || !(id < *p.start)) && (!p.after || *p.after < id);
}

// Fills a scroll page from the matching points, visited in id order: skips the offset's, takes up to the
// limit, and gives the page the id of the point after it as its next.
class ScrollPageFiller {
 public:
  enum class Turn { kTake, kSkip, kFull };

  explicit ScrollPageFiller(const ScrollParams& p) : limit_(p.limit), skip_(p.offset) {}

  // The next matching point: kTake when it goes on the page (the caller adds it), kSkip when it is one of the
  // offset's, kFull when the page is complete (its next is then this id; the caller stops).
  Turn Next(const PointId& id) {
    if (skip_ > 0) {
      --skip_;
      return Turn::kSkip;
    }
    if (page_.points.size() < limit_) return Turn::kTake;
    page_.next = id;
    return Turn::kFull;
  }
  void Add(Record&& r) { page_.points.push_back(std::move(r)); }
  ScrollPage& page() { return page_; }

 private:
  uint32_t limit_;
  uint32_t skip_;
  ScrollPage page_;
};

}  // namespace govector
