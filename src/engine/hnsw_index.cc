// The only file that includes hnswlib (its header defines non-inline functions).
#include "engine/hnsw_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hnswlib/hnswlib.h>

#include <cstring>
#include <limits>
#include <queue>

namespace govector {

namespace {

constexpr uint32_t kNoInternal = std::numeric_limits<uint32_t>::max();

struct SpaceParam {
  size_t dim;
  Distance distance;
};

float FloatL2(const void* a, const void* b, const void* p) {
  return L2Sqr(static_cast<const float*>(a), static_cast<const float*>(b), static_cast<const SpaceParam*>(p)->dim);
}
float FloatNegDot(const void* a, const void* b, const void* p) {
  return -DotProduct(static_cast<const float*>(a), static_cast<const float*>(b),
                     static_cast<const SpaceParam*>(p)->dim);
}
float FloatL1(const void* a, const void* b, const void* p) {
  return L1Distance(static_cast<const float*>(a), static_cast<const float*>(b),
                    static_cast<const SpaceParam*>(p)->dim);
}
float CodeDistance(const void* a, const void* b, const void* p) {
  auto* sp = static_cast<const SpaceParam*>(p);
  return Sq8Distance(sp->distance, static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b), sp->dim);
}

class Space : public hnswlib::SpaceInterface<float> {
 public:
  Space(Distance d, Quantization q, size_t dim) : q_(q), param_{dim, d} {}
  size_t get_data_size() override {
    return q_ == Quantization::kSq8 ? Sq8CodeBytes(param_.dim) : param_.dim * sizeof(float);
  }
  hnswlib::DISTFUNC<float> get_dist_func() override {
    if (q_ == Quantization::kSq8) return CodeDistance;
    switch (param_.distance) {
      case Distance::kEuclid: return FloatL2;
      case Distance::kManhattan: return FloatL1;
      default: return FloatNegDot;
    }
  }
  void* get_dist_func_param() override { return &param_; }

 private:
  Quantization q_;
  SpaceParam param_;
};

using Graph = hnswlib::HierarchicalNSW<float>;
using hnswlib::tableint;

}  // namespace

struct HnswImpl {
  HnswImpl(Distance d, Quantization q, uint32_t dim) : distance(d), quantization(q), dim(dim), space(d, q, dim) {}
  Distance distance;
  Quantization quantization;
  uint32_t dim;
  Space space;                      // must outlive graph, which keeps a pointer to its parameters
  std::unique_ptr<Graph> graph;
  std::vector<uint32_t> label_to_internal;

  void IndexLabels() {
    for (size_t i = 0; i < graph->cur_element_count; ++i) {
      size_t label = graph->getExternalLabel(static_cast<tableint>(i));
      if (label >= label_to_internal.size()) label_to_internal.resize(label + 1, kNoInternal);
      label_to_internal[label] = static_cast<uint32_t>(i);
    }
  }
  uint32_t Internal(uint64_t label) const {
    return label < label_to_internal.size() ? label_to_internal[label] : kNoInternal;
  }
};

HnswIndex::HnswIndex(Distance distance, Quantization quantization, uint32_t dim, uint32_t m, uint32_t ef_construct)
    : impl_(std::make_unique<HnswImpl>(distance, quantization, dim)) {
  impl_->graph = std::make_unique<Graph>(&impl_->space, 1024, m, ef_construct, /*random_seed=*/100);
  impl_->graph->num_deleted_ = 0;
}

HnswIndex::HnswIndex(std::unique_ptr<HnswImpl> impl) : impl_(std::move(impl)) {}

HnswIndex::~HnswIndex() = default;

Result<std::unique_ptr<HnswIndex>> HnswIndex::Load(const std::string& path, Distance distance,
                                                   Quantization quantization, uint32_t dim, uint32_t m,
                                                   uint32_t ef_construct) {
  auto impl = std::make_unique<HnswImpl>(distance, quantization, dim);
  try {
    impl->graph = std::make_unique<Graph>(&impl->space, path, false, 0);
  } catch (const std::exception& e) {
    return Status::IOError("index snapshot " + path + " is unreadable: " + e.what());
  }
  Graph& g = *impl->graph;
  if (g.M_ != m || g.ef_construction_ != std::max<size_t>(ef_construct, m) ||
      g.size_data_per_element_ != g.size_links_level0_ + impl->space.get_data_size() + sizeof(hnswlib::labeltype))
    return Status::IOError("index snapshot " + path + " was built with other parameters");
  // hnswlib 0.6.2's loadIndex counts deletions into an uninitialised member: count them again.
  g.num_deleted_ = 0;
  for (size_t i = 0; i < g.cur_element_count; ++i)
    if (g.isMarkedDeleted(static_cast<tableint>(i))) ++g.num_deleted_;
  impl->IndexLabels();
  return std::unique_ptr<HnswIndex>(new HnswIndex(std::move(impl)));
}

Status HnswIndex::Save(const std::string& path) const {
  try {
    impl_->graph->saveIndex(path);
  } catch (const std::exception& e) {
    return Status::IOError("cannot write index snapshot " + path + ": " + e.what());
  }
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return Status::IOError("cannot reopen index snapshot " + path + ": " + strerror(errno));
  struct stat st;
  bool ok = fstat(fd, &st) == 0 &&
            static_cast<size_t>(st.st_size) >= impl_->graph->cur_element_count * impl_->graph->size_data_per_element_;
  ok = ok && fsync(fd) == 0;
  close(fd);
  if (!ok) return Status::IOError("index snapshot " + path + " was not written completely");
  return Status::OK();
}

Status HnswIndex::Reserve(size_t n) {
  Graph& g = *impl_->graph;
  if (impl_->label_to_internal.size() < n) impl_->label_to_internal.resize(n, kNoInternal);
  if (n <= g.max_elements_) return Status::OK();
  size_t cap = std::max(n, g.max_elements_ + g.max_elements_ / 2);
  try {
    g.resizeIndex(cap);
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("cannot grow the HNSW index: ") + e.what());
  }
  return Status::OK();
}

size_t HnswIndex::capacity() const { return impl_->graph->max_elements_; }

Status HnswIndex::Add(uint64_t label, const float* vector) {
  Graph& g = *impl_->graph;
  // Add() may run on several threads, so it cannot grow the index itself.
  if (label >= impl_->label_to_internal.size()) return Status::Internal("HnswIndex::Add without Reserve");
  thread_local std::vector<uint8_t> code;
  const void* data = vector;
  if (impl_->quantization == Quantization::kSq8) {
    code.resize(Sq8CodeBytes(impl_->dim));
    Sq8Encode(vector, impl_->dim, code.data());
    data = code.data();
  }
  try {
    tableint internal = g.addPoint(data, static_cast<hnswlib::labeltype>(label), -1);
    impl_->label_to_internal[label] = internal;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("HNSW insert failed: ") + e.what());
  }
  return Status::OK();
}

void HnswIndex::MarkDeleted(uint64_t label) {
  uint32_t internal = impl_->Internal(label);
  if (internal == kNoInternal) return;
  if (!impl_->graph->isMarkedDeleted(internal)) impl_->graph->markDeletedInternal(internal);
}

bool HnswIndex::Contains(uint64_t label) const {
  uint32_t internal = impl_->Internal(label);
  return internal != kNoInternal && !impl_->graph->isMarkedDeleted(internal);
}

bool HnswIndex::HasNode(uint64_t label) const { return impl_->Internal(label) != kNoInternal; }

const void* HnswIndex::ElementData(uint64_t label) const {
  uint32_t internal = impl_->Internal(label);
  if (internal == kNoInternal || impl_->graph->isMarkedDeleted(internal)) return nullptr;
  return impl_->graph->getDataByInternalId(internal);
}

void HnswIndex::ForEach(FunctionRef<void(uint64_t, const void*)> fn) const {
  const Graph& g = *impl_->graph;
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    tableint id = static_cast<tableint>(i);
    if (g.isMarkedDeleted(id)) continue;
    fn(g.getExternalLabel(id), g.getDataByInternalId(id));
  }
}

// Longer than the rest on purpose: it is the inner loop of every graph search, and its three phases (the
// greedy descent through the upper layers, the seeding, the filtered walk of layer 0) share the candidate
// queues, the visited set and the statistics; kept in one piece, it reads top to bottom.
HnswIndex::SearchStats HnswIndex::Search(const QueryDistance& query, size_t ef, FunctionRef<bool(uint64_t)> accept,
                                         std::vector<std::pair<float, uint64_t>>* out, size_t max_visits,
                                         const std::vector<uint64_t>& seeds, bool matches_only) const {
  SearchStats stats;
  const Graph& g = *impl_->graph;
  if (g.cur_element_count == 0 || ef == 0) return stats;

  // Greedy descent through the upper layers: no filter there, they only find a good entry point.
  tableint cur = g.enterpoint_node_;
  float cur_dist = query(g.getDataByInternalId(cur));
  ++stats.visited;
  for (int level = g.maxlevel_; level > 0; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      unsigned int* data = g.get_linklist(cur, level);
      int size = g.getListCount(data);
      tableint* links = reinterpret_cast<tableint*>(data + 1);
      for (int i = 0; i < size; ++i) {
        float d = query(g.getDataByInternalId(links[i]));
        ++stats.visited;
        if (d < cur_dist) {
          cur_dist = d;
          cur = links[i];
          changed = true;
        }
      }
    }
  }

  // Layer 0: best-first search. candidates is a min-heap (negated distances), results a max-heap of the
  // ef nearest admitted nodes.
  using Item = std::pair<float, tableint>;
  std::priority_queue<Item> candidates;
  std::priority_queue<Item> results;
  hnswlib::VisitedList* vl = g.visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* visited = vl->mass;
  hnswlib::vl_type tag = vl->curV;

  auto admit = [&](tableint id, float d) {
    if (g.isMarkedDeleted(id) || !accept(g.getExternalLabel(id))) return;
    results.emplace(d, id);
    if (results.size() > ef) results.pop();
  };
  auto admitted = [&](tableint id) { return !g.isMarkedDeleted(id) && accept(g.getExternalLabel(id)); };
  visited[cur] = tag;
  if (!matches_only || admitted(cur)) {
    candidates.emplace(-cur_dist, cur);
    admit(cur, cur_dist);
  }
  for (uint64_t label : seeds) {
    uint32_t s = impl_->Internal(label);
    if (s == kNoInternal || visited[s] == tag) continue;
    visited[s] = tag;
    float d = query(g.getDataByInternalId(s));
    ++stats.visited;
    candidates.emplace(-d, s);
    admit(s, d);
  }

  while (!candidates.empty()) {
    auto [neg_d, node] = candidates.top();
    if (results.size() >= ef && -neg_d > results.top().first) break;
    candidates.pop();
    unsigned int* data = g.get_linklist0(node);
    int size = g.getListCount(data);
    tableint* links = reinterpret_cast<tableint*>(data + 1);
#ifdef USE_SSE
    if (size > 0) _mm_prefetch(reinterpret_cast<const char*>(g.getDataByInternalId(links[0])), _MM_HINT_T0);
#endif
    auto consider = [&](tableint n) {
      float d = query(g.getDataByInternalId(n));
      ++stats.visited;
      if (results.size() < ef || d < results.top().first) {
        candidates.emplace(-d, n);
        admit(n, d);
      }
    };
    for (int i = 0; i < size; ++i) {
      tableint n = links[i];
      if (visited[n] == tag) continue;
      visited[n] = tag;
      if (!matches_only) {
#ifdef USE_SSE
        if (i + 1 < size) _mm_prefetch(reinterpret_cast<const char*>(g.getDataByInternalId(links[i + 1])), _MM_HINT_T0);
#endif
        consider(n);
      } else if (admitted(n)) {
        consider(n);
      } else {
        // Through a refused neighbour to its admitted neighbours, without scoring the refused one.
        unsigned int* data2 = g.get_linklist0(n);
        int size2 = g.getListCount(data2);
        tableint* links2 = reinterpret_cast<tableint*>(data2 + 1);
        for (int j = 0; j < size2; ++j) {
          tableint m = links2[j];
          if (visited[m] == tag || !admitted(m)) continue;
          visited[m] = tag;
          consider(m);
        }
      }
    }
    if (max_visits && stats.visited >= max_visits && results.size() < ef) {
      stats.exhausted_budget = true;
      break;
    }
  }
  g.visited_list_pool_->releaseVisitedList(vl);

  size_t base = out->size();
  out->resize(base + results.size());
  for (size_t i = results.size(); i > 0; --i) {
    (*out)[base + i - 1] = {results.top().first, g.getExternalLabel(results.top().second)};
    results.pop();
  }
  return stats;
}

size_t HnswIndex::size() const { return impl_->graph->cur_element_count; }
size_t HnswIndex::deleted_count() const { return impl_->graph->num_deleted_; }

size_t HnswIndex::MemoryBytes() const {
  const Graph& g = *impl_->graph;
  size_t bytes = g.max_elements_ * (g.size_data_per_element_ + sizeof(std::mutex) + sizeof(int) + sizeof(char*));
  for (size_t i = 0; i < g.cur_element_count; ++i)
    bytes += static_cast<size_t>(g.element_levels_[i]) * g.size_links_per_element_;
  bytes += g.label_lookup_.size() * (sizeof(size_t) + sizeof(tableint) + 2 * sizeof(void*));
  bytes += impl_->label_to_internal.capacity() * sizeof(uint32_t);
  return bytes;
}

size_t HnswIndex::VectorBytes() const { return impl_->graph->cur_element_count * impl_->graph->data_size_; }

}  // namespace govector
