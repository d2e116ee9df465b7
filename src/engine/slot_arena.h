// SlotArena: fixed-size elements addressed by slot number (a flat collection's vectors or codes, the scan
// codes kept beside an HNSW graph), in blocks that never move. Growing allocates one more block and copies
// nothing: a single growing buffer would copy all it holds and fault in fresh pages at each growth, which
// was most of the cost of applying a large load's vectors. Blocks come zeroed (calloc) and are never freed
// before the arena; not thread-safe (the collection's state lock guards it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace govector {

class SlotArena {
 public:
  explicit SlotArena(size_t element_bytes = 0) { Reset(element_bytes); }

  // Forgets every element; later elements are element_bytes long.
  void Reset(size_t element_bytes) {
    blocks_.clear();
    element_bytes_ = element_bytes;
    // About 4 MB per block, a power of two of elements (at least one).
    shift_ = 0;
    while (element_bytes > 0 && (element_bytes << (shift_ + 1)) <= kTargetBlockBytes) ++shift_;
  }

  // The slot's element, allocating its block if needed. Throws std::bad_alloc when memory is exhausted.
  uint8_t* Ensure(uint32_t slot) {
    size_t block = slot >> shift_;
    while (blocks_.size() <= block) {
      void* p = std::calloc(size_t{1} << shift_, element_bytes_);
      if (p == nullptr) throw std::bad_alloc();
      blocks_.emplace_back(static_cast<uint8_t*>(p));
    }
    return At(slot);
  }

  // A slot that Ensure has been called for (or below the last one it was called for).
  uint8_t* At(uint32_t slot) const {
    return blocks_[slot >> shift_].get() + (slot & ((uint32_t{1} << shift_) - 1)) * element_bytes_;
  }

  // Whether slot's block exists.
  bool Has(uint32_t slot) const { return (slot >> shift_) < blocks_.size(); }

  size_t MemoryBytes() const { return blocks_.size() * (size_t{1} << shift_) * element_bytes_; }

 private:
  static constexpr size_t kTargetBlockBytes = size_t{4} << 20;
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t, Free>> blocks_;
  size_t element_bytes_ = 0;
  unsigned shift_ = 0;
};

}  // namespace govector
