// TxnSession: one client connection's engine operations in Postgres mode (ARCHITECTURE.md decision 8), where
// every vector write belongs to a Postgres transaction and reaches committed state only by the WAL apply
// worker's replay of committed transactions.
//
// The RPC layer calls Begin() with each request's context, then the operation (an EngineOps method), then
// End(). Begin picks the request's mode:
//   plain  no context: the engine's committed state, as Engine runs it (the standalone server, admin calls).
//   txn    a TxnContext (a backend inside a transaction). Reads see committed state with the transaction's
//          overlay on top (txn_overlay.h). Writes must be tentative: validated exactly as Engine validates
//          them (same codes and messages), given a reserved version (reserved_version(); also in
//          WriteResult.version) and recorded in the overlay only. A failed write changes nothing. Collection
//          DDL gets no version. Subtransactions listed as aborted are undone before the request runs.
//   apply  an ApplyStamp (the WAL apply worker replaying a committed transaction's write, in commit order):
//          applied to committed state with the stamp's version, and the stamp stored in the same LMDB
//          transaction (for collection DDL and payload indexes too). A write the stamp covers already is not
//          run (covered(); answer OK). A write that changes nothing is stamped in a transaction of its own.
//          A write that fails for a reason replaying it would meet again (a bad request, a collection gone,
//          a duplicate) is stamped and reported as skipped(); one that fails for a reason that may pass
//          (storage, memory, shutdown) is not stamped, so the worker retries it. No fsync per write: the
//          engine's background sync makes applied writes durable, and the apply state says how far.
//
// A connection has at most one overlay: a request without a TxnContext, or with another token, discards it
// first, and so does destroying the session (the connection closing). Discarding it removes its spill file
// (past EngineOptions::txn_spill_bytes of vectors and payloads, under EngineImpl::TxnSpillDir). The engine's
// Stats count the sessions holding an overlay with writes, and their bytes in memory and spilled. A write
// whose points cannot be spilled (disk full) fails and changes nothing. Not thread-safe: one per connection.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api.h"
#include "engine/engine_ops.h"

namespace govector {

class EngineImpl;
class OverlayView;
class TxnOverlay;
enum class PayloadMode;  // collection.h

struct TxnContext {
  uint64_t token = 0;                      // the backend's transaction; never 0
  uint32_t subxact = 0;                    // the (sub)transaction making this request
  std::vector<uint32_t> aborted_subxacts;  // rolled back since the previous request
  bool tentative = false;                  // required on writes
};

enum class RequestKind { kRead, kPointWrite, kCollectionWrite, kOther };

struct RequestContext {
  RequestKind kind = RequestKind::kOther;
  std::optional<TxnContext> txn;
  std::optional<ApplyStamp> apply;
};

class TxnSession : public EngineOps {
 public:
  explicit TxnSession(Engine* engine);
  ~TxnSession() override;

  // Before a request. An error (a malformed context) means the request must not run. In apply mode this
  // takes the engine's apply lock until End.
  Status Begin(const RequestContext& context);
  // Apply mode: the stamp covers this write already; do not run it, answer OK.
  bool covered() const { return covered_; }
  // After the request, with its outcome. Apply mode: stamps the write unless its own LMDB transaction did
  // (or it failed with a retryable error); an error here (the stamp could not be stored) replaces the
  // request's answer, and the worker must retry.
  Status End(const Status& result);
  // Apply mode, after End: the write failed, and was stamped and skipped.
  bool skipped() const { return skipped_; }
  // The version a tentative write of this request reserved (0 for none).
  uint64_t reserved_version() const { return reserved_; }

  Status CreateCollection(uint32_t ns, const CollectionConfig& config) override;
  Result<bool> DropCollection(uint32_t ns, std::string_view name) override;
  std::vector<CollectionInfo> ListCollections(uint32_t ns) override;
  Result<CollectionInfo> GetCollectionInfo(uint32_t ns, std::string_view name) override;
  Status CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                            PayloadIndexType type) override;
  Result<WriteResult> Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                             Durability d) override;
  Result<std::vector<Record>> Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                  bool with_payload, bool with_vector) override;
  Result<WriteResult> Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                             Durability d) override;
  Result<uint64_t> Count(uint32_t ns, std::string_view name, const Filter* filter) override;
  Result<ScrollPage> Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) override;
  Result<WriteResult> SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                 const Json& payload, bool overwrite, Durability d) override;
  Result<WriteResult> DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                        const std::vector<std::string>& keys, Durability d) override;
  Result<WriteResult> ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                   Durability d) override;
  Result<std::vector<ScoredPoint>> Search(uint32_t ns, std::string_view name, const SearchParams& params) override;
  // Flushes committed state, except in apply mode (the RPC layer syncs after a drop; applied writes are
  // flushed by the engine's background sync instead, and the apply state says how far).
  Status Sync() override;

  // Deferred spilling of the transaction's points (TxnOverlay::set_defer_spill): the RPC connection turns
  // it on and calls AfterAnswer once each answer is sent.
  void set_defer_spill(bool defer);
  Status AfterAnswer();

 private:
  enum class Mode { kPlain, kTxn, kApply };

  Status BeginApply(const RequestContext& context);
  // The collection as the transaction sees it; NotFound as Engine reports it.
  Result<OverlayView> View(uint32_t ns, std::string_view name);
  // Whether the transaction sees a collection of this name.
  bool Exists(uint32_t ns, const std::string& name);
  Result<uint64_t> Reserve();
  Result<WriteResult> UpdatePayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                    PayloadMode mode, const Json& payload, const std::vector<std::string>& keys);
  Result<WriteResult> TentativeUpsert(uint32_t ns, std::string_view name, std::vector<PointInput> points);
  Result<WriteResult> TentativeUpdate(uint32_t ns, std::string_view name, const PointSelector& selector,
                                      PayloadMode mode, const Json& payload, const std::vector<std::string>& keys);
  Status TentativePayloadIndex(uint32_t ns, std::string_view name, const std::string& field, PayloadIndexType type);
  // Brings the engine's totals of transaction overlays up to date with this session's.
  void Report();

  EngineImpl* impl_;  // the engine_ of EngineOps
  Mode mode_ = Mode::kPlain;
  uint64_t token_ = 0;  // the overlay's transaction (0: none)
  uint32_t subxact_ = 0;
  std::unique_ptr<TxnOverlay> overlay_;  // never null
  ApplyStamp apply_;
  std::unique_lock<std::mutex> apply_lock_;
  bool covered_ = false;
  bool skipped_ = false;
  uint64_t reserved_ = 0;
  int64_t reported_open_ = 0;  // what Report last added to the engine's totals
  int64_t reported_memory_ = 0;
  int64_t reported_spilled_ = 0;
};

}  // namespace govector
