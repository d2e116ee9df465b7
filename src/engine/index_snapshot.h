// The index snapshot of an HNSW collection: its graph as hnswlib saves it, and a labels file saying which
// point's vector each graph node (label, the collection's slot) holds, so a restart loads the graph instead
// of rebuilding it. The files, in the collection's index directory:
//   CURRENT       the generation of the valid snapshot, as decimal text
//   graph.<gen>   hnswlib's graph file
//   labels.<gen>  "GVIDX001", gen (u64), uid (u64), dimension (u32), distance (u8), quantization (u8), 0 (u16),
//                 the label count (u64), then per label its graph version (u64; 0: no current point) and
//                 point key (u32 length, bytes; empty: none), then the FNV-1a hash (u64) of all that.
//                 Integers in the machine's byte order; distance and quantization are the proto's numbers.
// A snapshot is written whole under a new generation and CURRENT is replaced last, so a crash at any moment
// leaves CURRENT naming a complete snapshot (or no CURRENT at all). A snapshot that fails any check is an
// error for the caller, which rebuilds the graph from LMDB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

// What a snapshot must have been made for: a snapshot of any other collection or configuration is refused.
struct SnapshotIdentity {
  uint64_t uid = 0;
  uint32_t dimension = 0;
  Distance distance = Distance::kCosine;
  Quantization quantization = Quantization::kNone;
};

// One graph label's entry: the vector version its node holds, and the key of its point.
struct SnapshotLabel {
  uint64_t graph_version = 0;  // 0: the node holds no point's current vector
  std::string key;             // empty: no point
};

// The generation CURRENT names; NotFound when there is no snapshot.
Result<uint64_t> ReadSnapshotGeneration(const std::string& dir);
// The label entries of generation gen, checked (hash, header, identity, length).
Result<std::vector<SnapshotLabel>> ReadSnapshotLabels(const std::string& dir, uint64_t gen,
                                                      const SnapshotIdentity& identity);
std::string SnapshotGraphPath(const std::string& dir, uint64_t gen);

// Writes generation gen: the graph (save_graph writes it to the path it is given), the labels, then CURRENT
// naming gen. gen must not be the generation CURRENT names now. On failure nothing it wrote is left and
// CURRENT is as it was.
Status WriteSnapshot(const std::string& dir, uint64_t gen, const SnapshotIdentity& identity,
                     const std::vector<SnapshotLabel>& labels, FunctionRef<Status(const std::string&)> save_graph);
// After WriteSnapshot: makes the new CURRENT durable, then removes generation `previous`'s files (which the old
// CURRENT named, so they must stay until then).
Status RemoveSnapshotGeneration(const std::string& dir, uint64_t previous);

}  // namespace govector
