// Test tool: sets the format number of an engine data directory (engine.cc, kFormatKey), to check how an
// engine meets files from a newer govector.   gv_set_format DATA_DIR FORMAT
#include <cstdio>
#include <cstdlib>

#include "engine/storage.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gv_set_format DATA_DIR FORMAT\n");
    return 2;
  }
  auto s = govector::Storage::Open(argv[1], size_t{1} << 38);
  if (!s.ok()) {
    std::fprintf(stderr, "gv_set_format: %s\n", s.status().ToString().c_str());
    return 1;
  }
  auto txn = (*s)->BeginWrite();
  if (!txn.ok()) return 1;
  govector::Status st = (*txn)->Put((*s)->catalog(), "format", govector::EncodeU64(std::strtoull(argv[2], nullptr, 10)));
  if (st.ok()) st = (*txn)->Commit();
  if (!st.ok()) {
    std::fprintf(stderr, "gv_set_format: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
