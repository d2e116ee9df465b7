// Payload indexes: for a chosen field, value -> the slots whose payload holds it, so a filtered search can
// enumerate its candidates without evaluating the filter on every point (Qdrant's payload index).
//
// Candidates() narrows: it returns a superset of the points that match (intersecting what the indexed
// conditions of the filter's `must` clause allow), and says whether it is exactly the matching set (the
// filter is nothing but indexed conditions), in which case the caller need not check the filter again.
// Not thread-safe: the owner (Collection) guards it with its state lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/api.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

class PayloadIndexSet {
 public:
  PayloadIndexSet();
  ~PayloadIndexSet();
  PayloadIndexSet(PayloadIndexSet&&) noexcept;
  PayloadIndexSet& operator=(PayloadIndexSet&&) noexcept;

  // Adds an empty index on field (a key path). Call Insert for existing points afterwards.
  Status Add(const std::string& field, PayloadIndexType type);
  bool Has(const std::string& field) const;
  bool empty() const;

  void Insert(uint32_t slot, const Json& payload);
  void Remove(uint32_t slot, const Json& payload);

  struct CandidateSet {
    std::vector<uint32_t> slots;  // sorted
    bool exact = false;           // slots are exactly the points the filter matches
  };
  // Candidate slots for the filter, or nullopt when no condition narrows it. resolve answers conditions
  // the indexes do not hold (the collection resolves has_id); it returns nullopt when it cannot.
  using Resolver = FunctionRef<std::optional<std::vector<uint32_t>>(const Condition&)>;
  std::optional<CandidateSet> Candidates(const Filter& filter, Resolver resolve) const;

  std::vector<PayloadIndexInfo> Info() const;
  size_t MemoryBytes() const;

 private:
  struct FieldIndex;
  std::vector<std::unique_ptr<FieldIndex>> fields_;
};

}  // namespace govector
