#include "engine/slot_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace govector {
namespace {

// Elements keep their address and contents while the arena grows, start zeroed, and the arena reports the
// memory of whole blocks.
TEST(SlotArena, ElementsStayPutWhileItGrows) {
  for (size_t element : {1u, 12u, 800u, 3136u, (5u << 20)}) {
    SlotArena arena(element);
    EXPECT_EQ(arena.MemoryBytes(), 0u);
    EXPECT_FALSE(arena.Has(0));
    const uint32_t n = element > (1u << 20) ? 3 : 20000;
    std::vector<uint8_t*> where(n);
    for (uint32_t slot = 0; slot < n; ++slot) {
      uint8_t* p = arena.Ensure(slot);
      ASSERT_EQ(p[0], 0) << "a new element is zeroed";
      ASSERT_EQ(p[element - 1], 0);
      std::memset(p, static_cast<int>(slot % 251) + 1, element);
      where[slot] = p;
    }
    for (uint32_t slot = 0; slot < n; ++slot) {
      ASSERT_EQ(arena.At(slot), where[slot]) << "element " << element << " slot " << slot;
      ASSERT_EQ(arena.At(slot)[0], slot % 251 + 1);
      ASSERT_EQ(arena.At(slot)[element - 1], slot % 251 + 1);
    }
    EXPECT_TRUE(arena.Has(n - 1));
    EXPECT_GE(arena.MemoryBytes(), size_t{n} * element);
    // Less than one block (about 4 MB, or one element when larger) beyond what the elements need.
    EXPECT_LE(arena.MemoryBytes(), size_t{n} * element + std::max<size_t>(element, size_t{4} << 20));
  }
}

// Slots may be ensured out of order: every block up to the slot's comes into being.
TEST(SlotArena, SparseSlots) {
  SlotArena arena(100);
  uint8_t* far = arena.Ensure(100000);
  far[0] = 7;
  EXPECT_TRUE(arena.Has(5));
  EXPECT_EQ(arena.At(5)[0], 0);
  arena.Ensure(3)[0] = 9;
  EXPECT_EQ(arena.At(100000)[0], 7);
  EXPECT_EQ(arena.At(3)[0], 9);
  arena.Reset(16);
  EXPECT_EQ(arena.MemoryBytes(), 0u);
  EXPECT_FALSE(arena.Has(0));
}

}  // namespace
}  // namespace govector
