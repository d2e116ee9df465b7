// A collection's background indexing (collection.h): moving pending vectors into the HNSW graph and marking
// the nodes of deleted or replaced points deleted, a round at a time so searches get the graph between rounds.
#include "engine/collection.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace govector {

namespace {

// Below this many graph nodes, HNSW insertions run on one thread (see InsertRound).
constexpr size_t kParallelInsertMinNodes = 10000;
// How long one indexing round may hold the graph lock (searches wait meanwhile).
constexpr auto kIndexRoundTime = std::chrono::milliseconds(20);
// A vector whose graph insertion failed this many times is not tried again until it changes or the engine
// restarts; it stays in the pending set, where searches score it exactly.
constexpr uint8_t kMaxInsertAttempts = 3;

// One insertion round of Collection::IndexSome, with the graph locked exclusively: inserts work[i] (slot,
// version) with vectors[i] and sets (*results)[i] to the outcome. A round stops taking new points after
// kIndexRoundTime, since searches wait meanwhile: the points it did not reach keep no result. It always
// reaches one, however long the machine keeps it from running, so that no round comes back empty-handed
// while there is work (the indexer would take that for the end of its work, and stop until the next write).
void InsertRound(HnswIndex* hnsw, const std::vector<std::pair<uint32_t, uint64_t>>& work,
                 const std::vector<std::vector<float>>& vectors, unsigned threads,
                 std::vector<std::optional<Status>>* results) {
  size_t max_label = 0;
  for (const auto& w : work) max_label = std::max<size_t>(max_label, w.first);
  Status reserved = hnsw->Reserve(std::max(hnsw->size() + work.size(), max_label + 1));
  if (!reserved.ok()) {
    for (auto& r : *results) r = reserved;
    return;
  }
  // New nodes go in from several threads; replacing the vector of an existing node (an update, or a reused
  // slot) races with concurrent insertions in hnswlib 0.6.2, so those go in first, one by one.
  auto deadline = std::chrono::steady_clock::now() + kIndexRoundTime;
  std::atomic<size_t> reached{0};
  auto in_time = [&] { return reached.load() == 0 || std::chrono::steady_clock::now() < deadline; };
  std::vector<size_t> fresh;
  for (size_t i = 0; i < work.size(); ++i) {
    if (!hnsw->HasNode(work[i].first)) {
      fresh.push_back(i);
    } else if (in_time()) {
      (*results)[i] = hnsw->Add(work[i].first, vectors[i].data());
      ++reached;
    }
  }
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t j; in_time() && (j = next.fetch_add(1)) < fresh.size();) {
      size_t i = fresh[j];
      (*results)[i] = hnsw->Add(work[i].first, vectors[i].data());
      ++reached;
    }
  };
  // Concurrent insertions into a small graph interfere (two new neighbours can prune each other away; on
  // degenerate data such as collinear points this leaves nodes unreachable), and parallelism buys little
  // there: insert on one thread until the graph is large.
  unsigned n = hnsw->size() < kParallelInsertMinNodes
                   ? 1u
                   : std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(fresh.size() / 32)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

// The work of one IndexSome call: the slots to insert (with the vector version each had when taken) and
// their vectors, the graph labels to mark deleted, and each insertion's outcome.
struct Collection::IndexBatch {
  std::vector<std::pair<uint32_t, uint64_t>> work;
  std::vector<std::vector<float>> vectors;
  std::vector<uint32_t> unindex;
  std::vector<std::optional<Status>> results;  // none: the round ended before its turn
};

// What became of a batch's insertions.
struct Collection::IndexOutcome {
  size_t inserted = 0;
  size_t failed = 0;
  size_t given_up = 0;  // failed for the last allowed time
  Status first_error;
};

bool Collection::HasIndexWork() {
  if (!IsHnsw()) return false;
  SharedLock state_lock(state_mu_);
  return !dropped_ && (!pending_queue_.empty() || !unindex_queue_.empty());
}

size_t Collection::IndexSome(size_t max_points, unsigned threads) {
  if (!IsHnsw() || dropped_) return 0;
  IndexBatch batch;
  TakeIndexWork(max_points, &batch);
  if (batch.work.empty() && batch.unindex.empty()) return 0;
  {
    UniqueLock index_lock(index_mu_);
    for (uint32_t slot : batch.unindex) hnsw_->MarkDeleted(slot);
    InsertRound(hnsw_.get(), batch.work, batch.vectors, threads, &batch.results);
  }
  IndexOutcome outcome = FinishIndexWork(&batch);
  ReportIndexFailures(outcome);
  changes_since_snapshot_ += outcome.inserted + batch.unindex.size();
  return outcome.inserted + outcome.failed + batch.unindex.size();
}

void Collection::TakeIndexWork(size_t max_points, IndexBatch* batch) {
  UniqueLock state_lock(state_mu_);
  batch->unindex.swap(unindex_queue_);
  size_t taken = 0;
  while (taken < pending_queue_.size() && batch->work.size() < max_points) {
    uint32_t slot = pending_queue_[taken++];
    Slot& s = slots_[slot];
    if (!s.live || s.in_flight || (s.in_graph && s.graph_version == s.vector_version)) continue;
    auto it = pending_vectors_.find(slot);
    if (it == pending_vectors_.end()) continue;
    batch->work.emplace_back(slot, s.vector_version);
    batch->vectors.push_back(it->second);
    s.in_flight = true;
  }
  pending_queue_.erase(pending_queue_.begin(), pending_queue_.begin() + static_cast<long>(taken));
  batch->results.resize(batch->work.size());
}

Collection::IndexOutcome Collection::FinishIndexWork(IndexBatch* batch) {
  IndexOutcome outcome;
  UniqueLock state_lock(state_mu_);
  for (uint32_t slot : batch->unindex) {
    slots_[slot].unindex_queued = false;
    slots_[slot].in_graph = false;
    FreeIfUnused(slot);
  }
  for (size_t i = 0; i < batch->work.size(); ++i) {
    auto [slot, version] = batch->work[i];
    const std::optional<Status>& result = batch->results[i];
    Slot& s = slots_[slot];
    s.in_flight = false;
    bool ok = result && result->ok();
    bool error = result && !ok;
    if (ok) {
      ++outcome.inserted;
      s.in_graph = true;
      s.graph_version = version;
    } else if (error) {
      if (outcome.failed++ == 0) outcome.first_error = *result;
    }
    if (!s.live) {
      if (s.in_graph)
        QueueUnindex(slot);  // deleted while it was being inserted
      else
        FreeIfUnused(slot);
    } else if (ok && s.vector_version == version) {
      pending_vectors_.erase(slot);
    } else if (error && s.vector_version == version && ++s.insert_failures >= kMaxInsertAttempts) {
      ++outcome.given_up;  // stays pending, so searches score it exactly, but is not queued again
    } else {
      pending_queue_.push_back(slot);  // updated meanwhile, not reached, or failed: try again
    }
  }
  return outcome;
}

void Collection::ReportIndexFailures(const IndexOutcome& outcome) {
  const Status& first_error = outcome.first_error;
  if (outcome.given_up > 0)
    catalog_->RecordBackgroundError(Status(
        first_error.code(), "collection `" + name() + "`: " + std::to_string(outcome.given_up) +
                                " points left out of the HNSW graph after " + std::to_string(kMaxInsertAttempts) +
                                " failed insertions each (searches still find them by exact scan; rewriting a "
                                "point or restarting the engine tries again): " + first_error.message()));
  else if (outcome.failed > 0)
    InfoLog(options_, InfoLogLevel::kWarning,
            "collection `" + name() + "`: " + std::to_string(outcome.failed) +
                " graph insertions failed and will be tried again: " + first_error.ToString());
}

bool Collection::WaitIndexed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    {
      SharedLock state_lock(state_mu_);
      if (dropped_ || (pending_vectors_.empty() && unindex_queue_.empty() && pending_queue_.empty())) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace govector
