// Transaction overlays past their memory limit (engine/txn_overlay.h, spill_file.h): the vectors and payloads
// go to a spill file and every read answers as it does in memory; savepoints roll back across the boundary
// between memory and file; the file goes when the transaction does, and the engine removes leftovers when it
// opens; a write that cannot be spilled (disk full) fails and changes nothing; the engine's stats count it all.
// txn_test.cc runs the overlay's behaviour tests spilled too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "engine/engine.h"
#include "engine/spill_file.h"
#include "engine/txn_session.h"
#include "test_util.h"

namespace govector {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uint32_t kNs = 3;

// The process may write no file past `bytes` while this lives (RLIMIT_FSIZE, with SIGXFSZ ignored so the
// write fails with EFBIG instead of killing the process): a disk that fills up, for this process only.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &saved_action_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    sigaction(SIGXFSZ, &saved_action_, nullptr);
  }

 private:
  rlimit saved_{};
  struct sigaction saved_action_ {};
};

std::vector<std::string> SpillFiles(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(data_dir + "/txn-spill"))
    if (e.path().extension() == ".spill") out.push_back(e.path().string());
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// SpillFile

TEST(SpillFile, ReadsBackWhatWasAppendedFlushedOrNotAndGoesAway) {
  TempDir dir;
  const std::string path = dir.path() + "/a.spill";
  {
    auto f = SpillFile::Create(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(SpillFile::Create(path).status().code(), StatusCode::kIOError);  // it exists
    EXPECT_EQ(*(*f)->Append("hello"), 0u);
    const std::string big(SpillFile::kBufferBytes, 'x');
    EXPECT_EQ(*(*f)->Append(big), 5u);  // fills the buffer: written
    EXPECT_EQ(fs::file_size(path), 5 + big.size());
    auto tail = (*f)->Append("tail");  // buffered
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(fs::file_size(path), 5 + big.size());
    EXPECT_EQ((*f)->size(), 5 + big.size() + 4);
    char buf[8];
    ASSERT_TRUE((*f)->Read(0, 5, buf).ok());
    EXPECT_EQ(std::string(buf, 5), "hello");
    ASSERT_TRUE((*f)->Read(*tail - 2, 6, buf).ok());  // half in the file, half in the buffer
    EXPECT_EQ(std::string(buf, 6), "xxtail");
    ASSERT_TRUE((*f)->Flush().ok());
    EXPECT_EQ(fs::file_size(path), (*f)->size());
    ASSERT_TRUE((*f)->Read(*tail, 4, buf).ok());
    EXPECT_EQ(std::string(buf, 4), "tail");
    EXPECT_EQ((*f)->Read(*tail, 5, buf).code(), StatusCode::kInternal);  // past the end
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(SpillFile, AFullDiskFailsTheWriteAndLosesOnlyItsBytes) {
  TempDir dir;
  auto f = SpillFile::Create(dir.path() + "/a.spill");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(std::string(1000, 'a')).ok());
  ASSERT_TRUE((*f)->Flush().ok());
  {
    FileSizeLimit full(4096);  // the next write fits in part, then fails
    auto r = (*f)->Append(std::string(SpillFile::kBufferBytes, 'b'));
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(r.status().message(), "cannot write spill file " + (*f)->path() + ": File too large");
    EXPECT_EQ((*f)->size(), 1000u);
  }
  // The next append starts where the last good write ended.
  EXPECT_EQ(*(*f)->Append("ccc"), 1000u);
  ASSERT_TRUE((*f)->Flush().ok());
  char buf[4];
  ASSERT_TRUE((*f)->Read(998, 4, buf).ok());
  EXPECT_EQ(std::string(buf, 4), "aacc");
}

// ---------------------------------------------------------------------------------------------------------
// Overlays

PointInput P(uint64_t id, std::vector<float> v, Json payload = Json::object()) {
  return testing::Point(id, std::move(v), std::move(payload));
}

// A payload of every kind of JSON value a stored point keeps.
Json Rich(uint64_t i, int g) {
  return Json{{"g", g},
              {"i", i},
              {"neg", -int64_t(i)},
              {"f", double(i) * 0.25 + 1e-9},
              {"s", "s" + std::to_string(i)},
              {"tags", Json::array({"a", i % 2 == 0 ? "even" : "odd", nullptr, true})},
              {"nested", {{"x", i}, {"big", uint64_t(18446744073709551615ull)}, {"deep", {{"y", Json::array()}}}}},
              {"none", nullptr},
              {"empty", Json::object()}};
}

// An engine with collection "c" (dimension 4, euclid) holding points 1..40, and sessions on it.
class Spill {
 public:
  explicit Spill(size_t spill_bytes, bool defer = false) {
    EngineOptions o;
    o.data_dir = dir_.path();
    o.map_size = size_t{1} << 30;
    o.background_indexing = false;
    o.txn_spill_bytes = spill_bytes;
    o.info_log = [this](InfoLogLevel, const std::string& m) {
      std::lock_guard<std::mutex> l(log_mu_);
      log_.push_back(m);
    };
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
    EXPECT_TRUE(engine_->CreateCollection(kNs, testing::Config("c", 4, Distance::kEuclid)).ok());
    std::vector<PointInput> base;
    for (uint64_t i = 1; i <= 40; ++i) base.push_back(P(i, {float(i % 7), float(i % 3), 0, 1}, Rich(i, i % 3)));
    EXPECT_TRUE(engine_->Upsert(kNs, "c", base, Durability::kApplied).ok());
    session_ = std::make_unique<TxnSession>(engine_.get());
    session_->set_defer_spill(defer);
  }

  Engine& engine() { return *engine_; }
  TxnSession& s() { return *session_; }
  const std::string& dir() const { return dir_.path(); }
  void EndSession() { session_.reset(); }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> l(log_mu_);
    return log_;
  }

  // Starts a request of the session in transaction `token`.
  void In(RequestKind kind, uint64_t token, uint32_t subxact = 1, std::vector<uint32_t> aborted = {}) {
    RequestContext ctx;
    ctx.kind = kind;
    ctx.txn = TxnContext{token, subxact, std::move(aborted),
                         kind == RequestKind::kPointWrite || kind == RequestKind::kCollectionWrite};
    Status st = session_->Begin(ctx);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  Status Up(uint64_t token, uint32_t subxact, std::vector<PointInput> points, std::vector<uint32_t> aborted = {}) {
    In(RequestKind::kPointWrite, token, subxact, std::move(aborted));
    return session_->Upsert(kNs, "c", std::move(points), Durability::kApplied).status();
  }

 private:
  std::mutex log_mu_;  // first: the engine and the session log until they are gone
  std::vector<std::string> log_;
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TxnSession> session_;
};

std::string Text(const std::vector<float>& v) {
  std::string out = "[";
  char buf[32];
  for (float x : v) {
    std::snprintf(buf, sizeof(buf), "%.9g,", x);
    out += buf;
  }
  return out + "]";
}

std::string Text(const Record& r) {
  return r.id.ToString() + " v" + std::to_string(r.version) + (r.payload ? " " + r.payload->dump() : "") +
         (r.vector ? " " + Text(*r.vector) : "") + "\n";
}

std::string Text(const ScoredPoint& h) {
  char score[32];
  std::snprintf(score, sizeof(score), "%.9g", h.score);
  return h.id.ToString() + " " + score + " v" + std::to_string(h.version) + (h.payload ? " " + h.payload->dump() : "") +
         (h.vector ? " " + Text(*h.vector) : "") + "\n";
}

template <typename T>
std::string Text(const Result<T>& r) {
  if (!r.ok()) return "error " + r.status().ToString() + "\n";
  std::string out;
  if constexpr (std::is_same_v<T, uint64_t>) {
    out = std::to_string(*r) + "\n";
  } else if constexpr (std::is_same_v<T, ScrollPage>) {
    for (const auto& p : r->points) out += Text(p);
    out += "next " + (r->next ? r->next->ToString() : std::string("none")) + "\n";
  } else if constexpr (std::is_same_v<T, CollectionInfo>) {
    out = "points " + std::to_string(r->points) + "\n";
    for (const auto& pi : r->payload_indexes) out += "index " + pi.field + " " + std::to_string(pi.points) + "\n";
  } else {
    for (const auto& x : *r) out += Text(x);
  }
  return out;
}

std::shared_ptr<const Filter> G(int g) {
  return testing::ParsedFilter(R"({"must":[{"key":"g","match":{"value":)" + std::to_string(g) + "}}]}");
}

// Every read of the transaction `token`, as text: gets, counts, scroll pages, searches, info.
std::string Reads(Spill& e, uint64_t token, uint32_t subxact) {
  TxnSession& s = e.s();
  std::string out;
  e.In(RequestKind::kRead, token, subxact);
  std::vector<PointId> ids;
  for (uint64_t i : {1, 5, 41, 44, 2, 60, 41, 70, 33, 99}) ids.push_back(PointId::Num(i));
  out += "get\n" + Text(s.Get(kNs, "c", ids, true, true));
  out += "get bare\n" + Text(s.Get(kNs, "c", ids, false, false));
  out += "count\n" + Text(s.Count(kNs, "c", nullptr)) + Text(s.Count(kNs, "c", G(1).get()));
  for (int g = -1; g < 3; ++g) {
    ScrollParams sp;
    sp.limit = 9;
    sp.with_vector = true;
    if (g >= 0) sp.filter = G(g);
    for (int page = 0; page < 30; ++page) {
      auto r = s.Scroll(kNs, "c", sp);
      out += "scroll " + std::to_string(g) + "\n" + Text(r);
      if (!r.ok() || !r->next) break;
      sp.start = r->next;
    }
  }
  ScrollParams off;
  off.offset = 7;
  off.limit = 11;
  off.after = PointId::Num(20);
  out += "scroll offset\n" + Text(s.Scroll(kNs, "c", off));
  for (int variant = 0; variant < 6; ++variant) {
    SearchParams sp;
    sp.vector = {2.5f, 1, 0.5f, 1};
    sp.k = 6;
    sp.exact = true;
    sp.with_payload = variant % 2 == 0;
    sp.with_vector = variant % 3 == 0;
    if (variant == 1) sp.filter = G(2);
    if (variant == 2) sp.offset = 5;
    if (variant == 3) sp.score_threshold = 2.0f;
    if (variant == 4) sp.mmr = MmrParams{0.6, 12};
    if (variant == 5) sp.by_id = PointId::Num(44);
    out += "search " + std::to_string(variant) + "\n" + Text(s.Search(kNs, "c", sp));
  }
  SearchParams by_committed;
  by_committed.by_id = PointId::Num(3);
  by_committed.k = 4;
  by_committed.exact = true;
  out += "search by 3\n" + Text(s.Search(kNs, "c", by_committed));
  out += "info\n" + Text(s.GetCollectionInfo(kNs, "c"));
  return out;
}

// Random tentative writes and savepoints, the same on engines that keep the overlay in memory, spill it from
// the first point and spill it part way: after each step every read of the three gives the same answer.
TEST(TxnSpill, ReadsAreTheSameSpilledOrNot) {
  Spill memory(EngineOptions().txn_spill_bytes), all(0), part(4000);
  Spill* engines[] = {&memory, &all, &part};
  std::mt19937 rng(5);
  auto rnd = [&](int n) { return static_cast<int>(rng() % n); };
  const uint64_t token = 11;
  uint32_t sub = 1, next_sub = 2;
  std::vector<uint32_t> savepoints, aborted;
  bool spilled_part_way = false;
  for (int step = 0; step < 120; ++step) {
    int op = rnd(12);
    if (op == 0 && savepoints.size() < 4) {
      savepoints.push_back(sub = next_sub++);
      continue;
    }
    if (op == 1 && !savepoints.empty()) {  // RELEASE
      savepoints.pop_back();
      sub = savepoints.empty() ? 1 : savepoints.back();
      continue;
    }
    if (op == 2 && !savepoints.empty()) {  // ROLLBACK TO: the savepoint stays, with a new number
      aborted.push_back(savepoints.back());
      savepoints.back() = sub = next_sub++;
      continue;
    }
    // One write, the same on each engine.
    std::vector<PointInput> pts;
    for (int i = rnd(6); i >= 0; --i) {
      uint64_t id = 30 + rnd(40);
      PointInput p = P(id, {float(rnd(9)), float(rnd(4)), float(rnd(3)) * 0.5f, 1}, Rich(id + step, rnd(3)));
      p.keep_payload = rnd(5) == 0;
      pts.push_back(std::move(p));
    }
    PointSelector by_ids;
    by_ids.ids = {PointId::Num(30 + rnd(40)), PointId::Num(1 + rnd(40))};
    PointSelector by_filter;
    by_filter.filter = G(rnd(3));
    const Json set = {{"set", step}, {"g", rnd(3)}};
    for (Spill* e : engines) {
      e->In(op == 11 ? RequestKind::kCollectionWrite : RequestKind::kPointWrite, token, sub, aborted);
      TxnSession& s = e->s();
      Status st;
      if (op <= 6) {
        st = s.Upsert(kNs, "c", pts, Durability::kApplied).status();
      } else if (op == 7) {
        st = s.Delete(kNs, "c", by_ids, Durability::kApplied).status();
      } else if (op == 8 && step % 3 == 0) {
        st = s.Delete(kNs, "c", by_filter, Durability::kApplied).status();
      } else if (op == 8 || op == 9) {
        st = s.SetPayload(kNs, "c", op == 8 ? by_filter : by_ids, set, op == 9, Durability::kApplied).status();
      } else if (op == 10) {
        st = s.DeletePayloadKeys(kNs, "c", by_ids, {"tags", "i"}, Durability::kApplied).status();
      } else {
        st = s.CreatePayloadIndex(kNs, "c", "s", PayloadIndexType::kKeyword);
      }
      ASSERT_TRUE(st.ok()) << "step " << step << ": " << st.ToString();
    }
    aborted.clear();
    const std::string expected = Reads(memory, token, sub);
    ASSERT_EQ(Reads(all, token, sub), expected) << "step " << step;
    ASSERT_EQ(Reads(part, token, sub), expected) << "step " << step;
    EngineStats st = part.engine().Stats();
    if (st.txn_spilled_bytes > 0 && st.txn_memory_bytes > 0) spilled_part_way = true;
    EXPECT_LE(st.txn_memory_bytes, 4000u);
  }
  EXPECT_TRUE(spilled_part_way);
  EXPECT_EQ(memory.engine().Stats().txn_spilled_bytes, 0u);
  EXPECT_GT(all.engine().Stats().txn_spilled_bytes, 0u);
  EXPECT_EQ(all.engine().Stats().txn_memory_bytes, 0u);
}

// What a point of the rollback test looks like: its x coordinate says which write left it.
std::string Where(Spill& e, uint64_t token, uint32_t subxact, std::vector<uint64_t> ids) {
  e.In(RequestKind::kRead, token, subxact);
  std::vector<PointId> pids;
  for (uint64_t id : ids) pids.push_back(PointId::Num(id));
  auto got = e.s().Get(kNs, "c", pids, true, true);
  if (!got.ok()) return got.status().ToString();
  std::string out;
  for (const auto& r : *got)
    out += r.id.ToString() + "=" + std::to_string(int((*r.vector)[0])) + "/" + std::to_string(r.payload->value("w", -1)) + " ";
  return out;
}

TEST(TxnSpill, SavepointsRollBackAcrossTheSpillBoundary) {
  // Room in memory for three of these points (145 bytes each, as the overlay estimates them), not four.
  Spill e(500);
  auto pt = [](uint64_t id, int w) { return P(id, {float(w), 0, 0, 0}, {{"w", w}}); };
  const std::vector<uint64_t> ids = {101, 102, 103, 104, 105};
  auto stats = [&](uint32_t subxact) {
    e.In(RequestKind::kRead, 7, subxact);  // a request brings the engine's totals up to date
    return e.engine().Stats();
  };
  // Top level (1): 101..103 in memory, then 104 spills.
  ASSERT_TRUE(e.Up(7, 1, {pt(101, 1), pt(102, 1), pt(103, 1)}).ok());
  const uint64_t three = stats(1).txn_memory_bytes;
  EXPECT_GT(three, 0u);
  EXPECT_EQ(stats(1).txn_spilled_bytes, 0u);
  ASSERT_TRUE(e.Up(7, 1, {pt(104, 1)}).ok());
  const uint64_t spilled = stats(1).txn_spilled_bytes;
  EXPECT_GT(spilled, 0u);
  EXPECT_EQ(stats(1).txn_memory_bytes, three);
  // Savepoint (2): 102 (in memory) and 104 (spilled) replaced, 105 new: all three spill, and 102's first
  // version waits in the undo log, in memory.
  ASSERT_TRUE(e.Up(7, 2, {pt(102, 2), pt(104, 2), pt(105, 2)}).ok());
  EXPECT_EQ(Where(e, 7, 2, ids), "101=1/1 102=2/2 103=1/1 104=2/2 105=2/2 ");
  EXPECT_EQ(stats(2).txn_memory_bytes, three);
  EXPECT_GT(stats(2).txn_spilled_bytes, spilled);
  // Nested (3): 101 deleted, 104 replaced again.
  e.In(RequestKind::kPointWrite, 7, 3);
  PointSelector del;
  del.ids = {PointId::Num(101)};
  ASSERT_TRUE(e.s().Delete(kNs, "c", del, Durability::kApplied).ok());
  ASSERT_TRUE(e.Up(7, 3, {pt(104, 3)}).ok());
  EXPECT_EQ(Where(e, 7, 3, ids), "102=2/2 103=1/1 104=3/3 105=2/2 ");
  // ROLLBACK TO the nested savepoint: 101 is back from memory, 104 as 2 left it, from the file.
  e.In(RequestKind::kRead, 7, 4, {3});
  EXPECT_EQ(Where(e, 7, 4, ids), "101=1/1 102=2/2 103=1/1 104=2/2 105=2/2 ");
  // ROLLBACK TO the outer one: 102 (memory) and 104 (file) as the top level left them, 105 gone.
  e.In(RequestKind::kRead, 7, 5, {2});
  EXPECT_EQ(Where(e, 7, 5, ids), "101=1/1 102=1/1 103=1/1 104=1/1 ");
  EXPECT_EQ(stats(5).txn_memory_bytes, three);
  // At the top level 103 is deleted: its memory is free again, so in a new savepoint (6) the next version
  // of 104 stays in memory, over its spilled one.
  e.In(RequestKind::kPointWrite, 7, 1);
  del.ids = {PointId::Num(103)};
  ASSERT_TRUE(e.s().Delete(kNs, "c", del, Durability::kApplied).ok());
  const uint64_t two = stats(1).txn_memory_bytes;
  EXPECT_EQ(two * 3, three * 2);
  const uint64_t spilled_before = stats(1).txn_spilled_bytes;
  ASSERT_TRUE(e.Up(7, 6, {pt(104, 6)}).ok());
  EXPECT_EQ(stats(6).txn_memory_bytes, three);
  EXPECT_EQ(stats(6).txn_spilled_bytes, spilled_before);
  EXPECT_EQ(Where(e, 7, 6, ids), "101=1/1 102=1/1 104=6/6 ");
  // ROLLBACK TO 6: 104 from the file again.
  e.In(RequestKind::kRead, 7, 7, {6});
  EXPECT_EQ(Where(e, 7, 7, ids), "101=1/1 102=1/1 104=1/1 ");
  EXPECT_EQ(stats(7).txn_memory_bytes, two);
  // Rolling back everything leaves nothing in memory; the file stays (it only grows) until the end.
  e.In(RequestKind::kRead, 7, 8, {1});
  EXPECT_EQ(Where(e, 7, 8, ids), "");
  EXPECT_EQ(stats(8).txn_memory_bytes, 0u);
  EXPECT_EQ(stats(8).txn_spilled_bytes, spilled_before);
  ASSERT_TRUE(e.Up(7, 8, {pt(105, 8)}).ok());
  EXPECT_EQ(Where(e, 7, 8, ids), "105=8/8 ");
}

TEST(TxnSpill, TheFileGoesWithTheTransaction) {
  Spill e(0);
  const std::string dir = e.dir() + "/txn-spill";
  EXPECT_TRUE(SpillFiles(e.dir()).empty());
  EXPECT_EQ(e.engine().Stats().open_transactions, 0u);
  auto write = [&](uint64_t token) {
    ASSERT_TRUE(e.Up(token, 1, {P(100, {1, 2, 3, 4}, {{"t", token}})}).ok());
    e.In(RequestKind::kRead, token);
    EngineStats st = e.engine().Stats();
    EXPECT_EQ(st.open_transactions, 1u);
    EXPECT_GT(st.txn_spilled_bytes, 0u);
    EXPECT_EQ(st.txn_memory_bytes, 0u);
    auto files = SpillFiles(e.dir());
    ASSERT_EQ(files.size(), 1u);
    EXPECT_GT(fs::file_size(files[0]), 0u);
  };
  auto gone = [&](const char* why) {
    EXPECT_TRUE(SpillFiles(e.dir()).empty()) << why;
    EngineStats st = e.engine().Stats();
    EXPECT_EQ(st.open_transactions, 0u) << why;
    EXPECT_EQ(st.txn_spilled_bytes, 0u) << why;
  };
  // The next transaction on the connection (the backend committed or aborted this one).
  write(7);
  e.In(RequestKind::kRead, 8);
  gone("another token");
  // A request outside any transaction.
  write(9);
  ASSERT_TRUE(e.s().Begin(RequestContext()).ok());
  gone("no context");
  // The connection closing.
  write(10);
  e.EndSession();
  gone("session closed");
  // The server log says where each transaction spilled, and when its file went.
  size_t spilling = 0, removed = 0;
  for (const auto& m : e.log()) {
    spilling += m.find("spilling them to " + dir + "/") != std::string::npos;
    removed += m.rfind("removed " + dir + "/", 0) == 0;
  }
  EXPECT_EQ(spilling, 3u);
  EXPECT_EQ(removed, 3u);
}

TEST(TxnSpill, TheEngineRemovesLeftoverFilesWhenItOpens) {
  TempDir dir;
  fs::create_directories(dir.path() + "/txn-spill");
  std::ofstream(dir.path() + "/txn-spill/12.spill") << "left by a crash";
  std::ofstream(dir.path() + "/txn-spill/notes.txt") << "not ours";
  EngineOptions o;
  o.data_dir = dir.path();
  o.map_size = size_t{1} << 30;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(fs::exists(dir.path() + "/txn-spill/12.spill"));
  EXPECT_TRUE(fs::exists(dir.path() + "/txn-spill/notes.txt"));
}

TEST(TxnSpill, AWriteThatCannotBeSpilledFailsAndChangesNothing) {
  Spill e(0);
  // Some 4 MB spilled first, so that the limit below stops the spill file and not LMDB's.
  std::vector<PointInput> first;
  for (uint64_t i = 0; i < 2000; ++i) first.push_back(P(1000 + i, {float(i), 1, 2, 3}, {{"pad", std::string(2000, 'p')}}));
  ASSERT_TRUE(e.Up(7, 1, first).ok());
  e.In(RequestKind::kRead, 7);
  const EngineStats before = e.engine().Stats();
  ASSERT_GT(before.txn_spilled_bytes, uint64_t{3} << 20);
  for (const auto& f : fs::directory_iterator(e.dir())) {
    if (!f.is_regular_file()) continue;
    ASSERT_LT(f.file_size() + (1 << 20), before.txn_spilled_bytes) << f.path();
  }
  std::vector<PointInput> more;
  for (uint64_t i = 0; i < 200; ++i) more.push_back(P(5000 + i, {float(i), 0, 0, 0}, {{"pad", std::string(2000, 'q')}}));
  more.push_back(P(1000, {9, 9, 9, 9}, {{"replaced", true}}));
  {
    FileSizeLimit full(before.txn_spilled_bytes + 4096);
    Status st = e.Up(7, 2, more);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
    EXPECT_NE(st.message().find("cannot spill the transaction's points: cannot write spill file " + e.dir() +
                                "/txn-spill/"),
              std::string::npos)
        << st.message();
  }
  // Nothing of it is seen, and what came before reads as it did.
  e.In(RequestKind::kRead, 7, 2);
  EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u + 2000u);
  auto got = e.s().Get(kNs, "c", {PointId::Num(1000), PointId::Num(2999), PointId::Num(5000)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ((*got)[0].payload->dump(), Json({{"pad", std::string(2000, 'p')}}).dump());
  EXPECT_EQ(*(*got)[1].vector, (std::vector<float>{1999, 1, 2, 3}));
  EXPECT_EQ(e.engine().Stats().txn_spilled_bytes, before.txn_spilled_bytes);
  // With room again, the same write goes through.
  ASSERT_TRUE(e.Up(7, 2, more).ok());
  e.In(RequestKind::kRead, 7, 2);
  EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u + 2000u + 200u);
  got = e.s().Get(kNs, "c", {PointId::Num(1000), PointId::Num(5199)}, true, true);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].payload->dump(), R"({"replaced":true})");
  EXPECT_EQ(*(*got)[1].vector, (std::vector<float>{199, 0, 0, 0}));
}

// As the RPC connections run it: a write keeps its points in memory until it has been answered, then they
// go to the file; reads are the same at every step.
TEST(TxnSpill, DeferredSpillingWritesOnceTheWriteIsAnswered) {
  Spill now(0), later(0, true);
  std::vector<PointInput> batch;
  for (uint64_t i = 0; i < 500; ++i) batch.push_back(P(1000 + i, {float(i), 1, 2, 3}, Rich(i, 1)));
  ASSERT_TRUE(now.Up(7, 1, batch).ok());
  ASSERT_TRUE(later.Up(7, 1, batch).ok());
  later.In(RequestKind::kRead, 7);  // brings the engine's statistics up to date
  EXPECT_EQ(later.engine().Stats().txn_spilled_bytes, 0u) << "nothing is written before the answer";
  EXPECT_GT(later.engine().Stats().txn_memory_bytes, 0u);
  auto read = [](Spill& e) {
    e.In(RequestKind::kRead, 7);
    std::vector<PointId> ids;
    for (uint64_t i = 0; i < 500; i += 7) ids.push_back(PointId::Num(1000 + i));
    auto got = e.s().Get(kNs, "c", ids, true, true);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::string out;
    for (const Record& r : *got) out += Text(r);
    return out + std::to_string(*e.s().Count(kNs, "c", nullptr));
  };
  const std::string want = read(now);
  EXPECT_EQ(read(later), want);
  ASSERT_TRUE(later.s().AfterAnswer().ok());
  EXPECT_GT(later.engine().Stats().txn_spilled_bytes, 0u);
  EXPECT_EQ(later.engine().Stats().txn_memory_bytes, 0u) << "past a limit of 0, every point goes to the file";
  EXPECT_EQ(read(later), want);
  // A second write spills the first's points first if they are still queued (here: none), then queues its own.
  ASSERT_TRUE(later.Up(7, 1, {P(1000, {5, 5, 5, 5}, {{"again", true}})}).ok());
  ASSERT_TRUE(now.Up(7, 1, {P(1000, {5, 5, 5, 5}, {{"again", true}})}).ok());
  ASSERT_TRUE(later.s().AfterAnswer().ok());
  EXPECT_EQ(read(later), read(now));
}

// A deferred spill that fails (the file cannot grow) leaves the points in memory, readable; the next write
// fails with that error and changes nothing; with room again, writes and spills go on.
TEST(TxnSpill, AFailedDeferredSpillFailsTheNextWrite) {
  Spill e(0, true);
  std::vector<PointInput> first;
  for (uint64_t i = 0; i < 2000; ++i) first.push_back(P(1000 + i, {float(i), 1, 2, 3}, {{"pad", std::string(2000, 'p')}}));
  ASSERT_TRUE(e.Up(7, 1, first).ok());
  ASSERT_TRUE(e.s().AfterAnswer().ok());
  const uint64_t spilled = e.engine().Stats().txn_spilled_bytes;
  ASSERT_GT(spilled, uint64_t{3} << 20);
  std::vector<PointInput> more;
  for (uint64_t i = 0; i < 200; ++i) more.push_back(P(5000 + i, {float(i), 0, 0, 0}, {{"pad", std::string(2000, 'q')}}));
  ASSERT_TRUE(e.Up(7, 1, more).ok());
  {
    FileSizeLimit full(spilled + 4096);
    Status st = e.s().AfterAnswer();
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
    EXPECT_GT(e.engine().Stats().txn_memory_bytes, uint64_t{200} * 2000) << "the points stay in memory";
    e.In(RequestKind::kRead, 7);
    EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u + 2200u);
    auto got = e.s().Get(kNs, "c", {PointId::Num(5199)}, true, true);
    ASSERT_TRUE(got.ok() && got->size() == 1);
    EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{199, 0, 0, 0}));
    st = e.Up(7, 1, {P(9000, {1, 1, 1, 1})});
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
    EXPECT_NE(st.message().find("cannot spill the transaction's points"), std::string::npos) << st.message();
    e.In(RequestKind::kRead, 7);
    EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u + 2200u) << "the failed write changed nothing";
  }
  ASSERT_TRUE(e.Up(7, 1, {P(9000, {1, 1, 1, 1})}).ok());
  ASSERT_TRUE(e.s().AfterAnswer().ok());
  EXPECT_EQ(e.engine().Stats().txn_memory_bytes, 0u);
  e.In(RequestKind::kRead, 7);
  EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u + 2201u);
  auto got = e.s().Get(kNs, "c", {PointId::Num(1000), PointId::Num(5199), PointId::Num(9000)}, true, true);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].payload->dump(), Json({{"pad", std::string(2000, 'p')}}).dump());
  EXPECT_EQ(*(*got)[1].vector, (std::vector<float>{199, 0, 0, 0}));
  EXPECT_EQ(*(*got)[2].vector, (std::vector<float>{1, 1, 1, 1}));
}

TEST(TxnSpill, AMissingSpillDirectoryFailsTheWrite) {
  Spill e(0);
  fs::remove_all(e.dir() + "/txn-spill");
  Status st = e.Up(7, 1, {P(100, {1, 2, 3, 4})});
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(), "cannot spill the transaction's points: cannot create spill file " + e.dir() +
                              "/txn-spill/1.spill: No such file or directory");
  e.In(RequestKind::kRead, 7);
  EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 40u);
  fs::create_directories(e.dir() + "/txn-spill");
  ASSERT_TRUE(e.Up(7, 1, {P(100, {1, 2, 3, 4})}).ok());
  e.In(RequestKind::kRead, 7);
  EXPECT_EQ(*e.s().Count(kNs, "c", nullptr), 41u);
}

}  // namespace
}  // namespace govector
