// HnswIndex: hnswlib's graph (Debian's 0.6.2) holding float vectors or SQ8 codes, with govector's own search
// over it. hnswlib 0.6.2 has no filter hook, so Search() walks the graph itself: every node may serve as a
// stepping stone, but only nodes that accept() admits enter the result set, and the walk goes on until it
// holds ef admitted nodes and no closer candidate remains (or the visit budget runs out).
//
// Labels are the caller's slot numbers. Thread safety: Add() may run from several threads at once; Search(),
// ForEach() and the read-only accessors may run concurrently with each other; the caller must keep the two
// groups apart (Collection does, with a reader-writer lock) and must not run Reserve/MarkDeleted/Save
// concurrently with anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/distance.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

struct HnswImpl;

class HnswIndex {
 public:
  HnswIndex(Distance distance, Quantization quantization, uint32_t dim, uint32_t m, uint32_t ef_construct);
  ~HnswIndex();
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  // Loads a graph saved by Save(); the parameters must be those it was built with.
  static Result<std::unique_ptr<HnswIndex>> Load(const std::string& path, Distance distance,
                                                 Quantization quantization, uint32_t dim, uint32_t m,
                                                 uint32_t ef_construct);
  // Writes the graph to path and flushes it to disk.
  Status Save(const std::string& path) const;

  // Makes room for at least n elements in total.
  Status Reserve(size_t n);
  size_t capacity() const;
  // Inserts a vector under label, or replaces the vector of an existing label (also one marked deleted).
  // The vector is a float vector of dim components (normalised already for cosine); SQ8 encodes it here.
  // Insertions of new labels may run on several threads at once; a replacement must run alone.
  Status Add(uint64_t label, const float* vector);
  // Marks label deleted: it stays a stepping stone but is never a result. No-op when absent or marked.
  void MarkDeleted(uint64_t label);
  bool Contains(uint64_t label) const;
  // True when the graph has a node for label, even one marked deleted (Add then replaces its vector in place,
  // which hnswlib 0.6.2 cannot do safely alongside other insertions: keep such Adds on one thread).
  bool HasNode(uint64_t label) const;

  struct SearchStats {
    size_t visited = 0;
    bool exhausted_budget = false;
  };
  // Appends up to ef (internal distance, label) pairs admitted by accept, nearest first.
  // max_visits bounds the number of nodes whose distance is computed (0: no bound). The layer-0 walk starts
  // from the greedy descent's node and also from the labels in seeds (e.g. matching points near the query,
  // which lets a filtered walk begin where the matches are).
  //
  // matches_only walks the subgraph of admitted nodes alone (ACORN's idea): a node that accept() refuses is
  // neither scored nor expanded, but its admitted neighbours are reached through it (two hops). Use it
  // with seeds when accept() is cheap and the admitted nodes are many and clustered.
  SearchStats Search(const QueryDistance& query, size_t ef, FunctionRef<bool(uint64_t)> accept,
                     std::vector<std::pair<float, uint64_t>>* out, size_t max_visits = 0,
                     const std::vector<uint64_t>& seeds = {}, bool matches_only = false) const;
  // The stored element (float vector or SQ8 code) of a label, or nullptr when absent or marked deleted.
  const void* ElementData(uint64_t label) const;
  // Calls fn(label, element) for every element not marked deleted.
  void ForEach(FunctionRef<void(uint64_t, const void*)> fn) const;

  size_t size() const;           // elements, deleted ones included
  size_t deleted_count() const;
  size_t MemoryBytes() const;    // graph, vectors/codes and bookkeeping
  size_t VectorBytes() const;    // the vectors or codes alone

 private:
  explicit HnswIndex(std::unique_ptr<HnswImpl> impl);
  std::unique_ptr<HnswImpl> impl_;
};

}  // namespace govector
