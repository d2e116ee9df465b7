// The WAL apply worker's side (engine/apply.h, txn_session.h): replayed writes keep their reserved versions
// and stamp their WAL position atomically with the write (collection DDL too), covered writes are skipped,
// failed ones skipped and stamped unless they may pass on retry, the apply state and its advance, and
// reserved versions never repeat across reopens and kills.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <thread>

#include "engine/engine.h"
#include "engine/txn_session.h"
#include "server/rpc_txn.h"
#include "test_util.h"

namespace govector {
namespace {

using testing::TempDir;

constexpr uint32_t kNs = 3;

EngineOptions Options(const std::string& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 30;
  o.background_indexing = false;
  o.sync_interval_ms = 3600 * 1000;  // no background flush: the tests decide when storage is synced
  return o;
}

CollectionConfig Config(const std::string& name) {
  CollectionConfig c;
  c.name = name;
  c.dimension = 2;
  c.distance = Distance::kEuclid;
  return c;
}

PointInput P(uint64_t id, std::vector<float> v, Json payload = Json::object()) {
  PointInput p;
  p.id = PointId::Num(id);
  p.vector = std::move(v);
  p.payload = std::move(payload);
  return p;
}

RequestContext Apply(RequestKind kind, uint64_t commit_lsn, uint32_t seq, bool last, uint64_t version = 0,
                     uint64_t restart_lsn = 0) {
  RequestContext ctx;
  ctx.kind = kind;
  ApplyStamp a;
  a.version = version;
  a.at.commit_lsn = commit_lsn;
  a.at.seq = seq;
  a.at.last = last;
  a.at.restart_lsn = restart_lsn;
  ctx.apply = a;
  return ctx;
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    session_.reset();
    engine_.reset();
    auto e = Engine::Open(Options(dir_.path()));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
    session_ = std::make_unique<TxnSession>(engine_.get());
  }
  ApplyState State(uint64_t advance = 0) {
    auto s = engine_->GetApplyState(advance);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : ApplyState();
  }
  // Runs one apply-mode write; the write's outcome, or End's error.
  Status Run(const RequestContext& ctx, const std::function<Status()>& write) {
    Status begun = session_->Begin(ctx);
    if (!begun.ok()) return begun;
    Status result = session_->covered() ? Status::OK() : write();
    Status ended = session_->End(result);
    return ended.ok() ? result : ended;
  }
  Status Create(uint64_t lsn, uint32_t seq, bool last, const std::string& name) {
    return Run(Apply(RequestKind::kCollectionWrite, lsn, seq, last),
               [&] { return session_->CreateCollection(kNs, Config(name)); });
  }
  Status Upsert(uint64_t lsn, uint32_t seq, bool last, uint64_t version, const std::string& name,
                std::vector<PointInput> points, uint64_t restart_lsn = 0) {
    return Run(Apply(RequestKind::kPointWrite, lsn, seq, last, version, restart_lsn),
               [&] { return session_->Upsert(kNs, name, points, Durability::kApplied).status(); });
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TxnSession> session_;
};

TEST_F(ApplyTest, AppliedWritesKeepTheirVersionAndStampTheirPosition) {
  EXPECT_EQ(State().commit_lsn, 0u);
  EXPECT_TRUE(State().done);
  uint64_t v = *engine_->ReserveVersion();
  uint64_t later = *engine_->ReserveVersion();
  ASSERT_TRUE(Run(Apply(RequestKind::kCollectionWrite, 100, 0, false, 0, 40),
                  [&] { return session_->CreateCollection(kNs, Config("c")); })
                  .ok());
  ApplyState s = State();
  EXPECT_EQ(s.commit_lsn, 100u);
  EXPECT_EQ(s.seq, 0u);
  EXPECT_FALSE(s.done);
  EXPECT_EQ(s.restart_lsn, 40u);
  ASSERT_TRUE(Upsert(100, 1, true, v, "c", {P(1, {1, 1}), P(2, {2, 2})}).ok());
  auto got = engine_->Get(kNs, "c", {PointId::Num(1), PointId::Num(2)}, false, false);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].version, v);  // the reserved version, not a new one
  EXPECT_EQ((*got)[1].version, v);
  EXPECT_EQ(engine_->Stats().last_version, later);
  s = State();
  EXPECT_EQ(s.commit_lsn, 100u);
  EXPECT_EQ(s.seq, 1u);
  EXPECT_TRUE(s.done);

  // Replays of covered writes do not run: this upsert would move point 1.
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kPointWrite, 100, 1, true, v)).ok());
  EXPECT_TRUE(session_->covered());
  ASSERT_TRUE(session_->End(Status::OK()).ok());
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kCollectionWrite, 100, 0, false)).ok());
  EXPECT_TRUE(session_->covered());
  ASSERT_TRUE(session_->End(Status::OK()).ok());
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kPointWrite, 99, 7, true, v)).ok());
  EXPECT_TRUE(session_->covered());
  ASSERT_TRUE(session_->End(Status::OK()).ok());
  // The stamp survives a reopen with the writes, and so does the counter.
  Reopen();
  s = State();
  EXPECT_EQ(s.commit_lsn, 100u);
  EXPECT_EQ(s.seq, 1u);
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kPointWrite, 100, 1, true, v)).ok());
  EXPECT_TRUE(session_->covered());
  ASSERT_TRUE(session_->End(Status::OK()).ok());
  EXPECT_GT(*engine_->ReserveVersion(), later);
  ASSERT_TRUE(Upsert(200, 0, true, later, "c", {P(1, {5, 5})}).ok());
  EXPECT_EQ((*engine_->Get(kNs, "c", {PointId::Num(1)}, false, false))[0].version, later);
}

TEST_F(ApplyTest, FailedWritesAreSkippedAndStampedUnlessRetryable) {
  // Its collection was dropped by an earlier transaction: refused, stamped, skipped.
  Status s = Upsert(100, 0, false, 5, "gone", {P(1, {1, 1})});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(session_->skipped());
  EXPECT_EQ(State().commit_lsn, 100u);
  EXPECT_FALSE(State().done);
  // A duplicate collection, and a bad write: the same.
  ASSERT_TRUE(Create(100, 1, false, "c").ok());
  EXPECT_FALSE(session_->skipped());
  EXPECT_EQ(Create(100, 2, false, "c").code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(session_->skipped());
  EXPECT_EQ(Upsert(100, 3, false, 6, "c", {P(1, {1, 1, 1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(session_->skipped());
  EXPECT_EQ(State().seq, 3u);
  // A failure that may pass on retry (storage, memory) is not stamped: the worker sends the write again.
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kPointWrite, 100, 4, true, 7)).ok());
  ASSERT_TRUE(session_->End(Status::IOError("disk on fire")).ok());
  EXPECT_FALSE(session_->skipped());
  EXPECT_EQ(State().seq, 3u);
  ASSERT_TRUE(session_->Begin(Apply(RequestKind::kPointWrite, 100, 4, true, 7)).ok());
  EXPECT_FALSE(session_->covered());
  ASSERT_TRUE(session_->End(Status::ResourceExhausted("map full")).ok());
  EXPECT_EQ(State().seq, 3u);
  // A write that changes nothing (no such point) is stamped on its own.
  ASSERT_TRUE(Run(Apply(RequestKind::kPointWrite, 100, 4, true, 7), [&] {
                PointSelector sel;
                sel.ids = {PointId::Num(42)};
                return session_->Delete(kNs, "c", sel, Durability::kApplied).status();
              }).ok());
  EXPECT_FALSE(session_->skipped());
  EXPECT_EQ(State().seq, 4u);
  EXPECT_TRUE(State().done);
}

TEST_F(ApplyTest, MalformedApplyContextsAreRefused) {
  auto refused = [&](const RequestContext& ctx) {
    Status s = session_->Begin(ctx);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  };
  refused(Apply(RequestKind::kPointWrite, 0, 0, true, 5));   // no commit position
  refused(Apply(RequestKind::kPointWrite, 10, 0, true, 0));  // a point write without its version
  refused(Apply(RequestKind::kRead, 10, 0, true, 5));        // reads have no apply context
  RequestContext both = Apply(RequestKind::kPointWrite, 10, 0, true, 5);
  both.txn = TxnContext{1, 1, {}, true};
  refused(both);
  EXPECT_EQ(State().commit_lsn, 0u);
  // DDL may come without a version.
  ASSERT_TRUE(Create(10, 0, true, "c").ok());
}

TEST_F(ApplyTest, PayloadIndexesAndDropsStampWithTheirWrite) {
  ASSERT_TRUE(Create(10, 0, false, "c").ok());
  ASSERT_TRUE(Run(Apply(RequestKind::kCollectionWrite, 10, 1, false), [&] {
                return session_->CreatePayloadIndex(kNs, "c", "g", PayloadIndexType::kKeyword);
              }).ok());
  EXPECT_EQ(State().seq, 1u);
  EXPECT_EQ(engine_->GetCollectionInfo(kNs, "c")->payload_indexes.size(), 1u);
  ASSERT_TRUE(Run(Apply(RequestKind::kCollectionWrite, 10, 2, true), [&] {
                return session_->DropCollection(kNs, "c").status();
              }).ok());
  EXPECT_EQ(State().seq, 2u);
  EXPECT_FALSE(engine_->Exists(kNs, "c"));
  // Dropping what is not there (IF EXISTS): nothing changes, the stamp moves on.
  ASSERT_TRUE(Run(Apply(RequestKind::kCollectionWrite, 20, 0, true), [&] {
                return session_->DropCollection(kNs, "c").status();
              }).ok());
  EXPECT_EQ(State().commit_lsn, 20u);
}

// The engine is killed at moments spread over a replay, sixteen times, each run replaying everything from
// the start again: every write is applied exactly once. A stamp stored apart from its write would let a kill
// fall between them, and the write's second run would be a duplicate collection or a drop of a collection
// already gone (skipped).
TEST_F(ApplyTest, ReplayAfterAKillAppliesEachWriteOnce) {
  constexpr int kTxns = 400;
  enum Outcome { kClean = 0, kFailed = 1, kSkipped = 2 };
  auto replay = [](TxnSession* s) {
    for (int i = 0; i < kTxns; ++i) {
      uint64_t lsn = 1000 + 10 * i;
      std::string name = "t" + std::to_string(i);
      std::vector<std::pair<RequestContext, std::function<Status()>>> writes;
      writes.emplace_back(Apply(RequestKind::kCollectionWrite, lsn, 0, false),
                          [=] { return s->CreateCollection(kNs, Config(name)); });
      writes.emplace_back(Apply(RequestKind::kCollectionWrite, lsn, 1, false),
                          [=] { return s->CreatePayloadIndex(kNs, name, "g", PayloadIndexType::kInteger); });
      writes.emplace_back(Apply(RequestKind::kPointWrite, lsn, 2, i == 0, 100 + i), [=] {
        return s->Upsert(kNs, name, {P(1, {1, 1}, {{"g", i}}), P(2, {2, 2})}, Durability::kApplied).status();
      });
      if (i > 0)
        writes.emplace_back(Apply(RequestKind::kCollectionWrite, lsn, 3, true), [=] {
          // As the RPC layer answers a DROP without IF EXISTS: a second drop fails (and would be skipped).
          std::string old = "t" + std::to_string(i - 1);
          auto dropped = s->DropCollection(kNs, old);
          if (!dropped.ok()) return dropped.status();
          return *dropped ? Status::OK() : Status::NotFound("Collection `" + old + "` doesn't exist!");
        });
      for (auto& [ctx, write] : writes) {
        if (!s->Begin(ctx).ok()) return kFailed;
        Status result = s->covered() ? Status::OK() : write();
        if (!s->End(result).ok()) return kFailed;
        if (s->skipped()) return kSkipped;
        if (!result.ok()) return kFailed;
      }
    }
    return kClean;
  };
  session_.reset();
  engine_.reset();
  for (int delay_ms = 2; delay_ms <= 92; delay_ms += 6) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto e = Engine::Open(Options(dir_.path()));
      if (!e.ok()) _exit(2);
      std::thread([delay_ms] {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        kill(getpid(), SIGKILL);
      }).detach();
      TxnSession s(e->get());
      Outcome o = replay(&s);
      if (o != kClean) _exit(10 + o);
      kill(getpid(), SIGKILL);
      _exit(3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "run " << delay_ms << " ms exited with " << WEXITSTATUS(status);
  }
  Reopen();
  ASSERT_EQ(replay(session_.get()), kClean);
  std::vector<CollectionInfo> left = engine_->ListCollections(kNs);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].config.name, "t" + std::to_string(kTxns - 1));
  EXPECT_EQ(left[0].points, 2u);
  EXPECT_EQ(left[0].payload_indexes.size(), 1u);
  ApplyState s = State();
  EXPECT_EQ(s.commit_lsn, 1000u + 10 * (kTxns - 1));
  EXPECT_EQ(s.seq, 3u);
  EXPECT_TRUE(s.done);
}

TEST_F(ApplyTest, TheApplyStateAdvancesAndBecomesDurable) {
  ASSERT_TRUE(Run(Apply(RequestKind::kCollectionWrite, 100, 0, false, 0, 90),
                  [&] { return session_->CreateCollection(kNs, Config("c")); })
                  .ok());
  // A transaction part-applied: the restart position stays where its WAL is.
  ApplyState s = State(500);
  EXPECT_EQ(s.restart_lsn, 90u);
  EXPECT_EQ(s.durable_commit_lsn, 0u);  // not flushed yet
  ASSERT_TRUE(Upsert(100, 1, true, 9, "c", {P(1, {1, 1})}, 90).ok());
  ASSERT_TRUE(engine_->Sync().ok());
  s = State();
  EXPECT_EQ(s.durable_commit_lsn, 100u);
  EXPECT_EQ(s.durable_restart_lsn, 90u);
  // Done, and nothing pending: the restart position moves up to what the worker has read, never back.
  s = State(500);
  EXPECT_EQ(s.restart_lsn, 500u);
  EXPECT_EQ(s.durable_restart_lsn, 90u);
  EXPECT_EQ(State(300).restart_lsn, 500u);
  ASSERT_TRUE(engine_->Sync().ok());
  EXPECT_EQ(State().durable_restart_lsn, 500u);
  // After a reopen the stamp is what is on disk.
  ASSERT_TRUE(Upsert(200, 0, true, 10, "c", {P(2, {2, 2})}).ok());
  Reopen();
  s = State();
  EXPECT_EQ(s.commit_lsn, 200u);
  EXPECT_EQ(s.durable_commit_lsn, 200u);
}

TEST_F(ApplyTest, ReservedVersionsNeverRepeat) {
  // From many threads at once, across reservation blocks.
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got)
    threads.emplace_back([&] {
      for (int i = 0; i < 40000; ++i) g.push_back(*engine_->ReserveVersion());
    });
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), 160000u);
  // Committed writes and reservations share one counter.
  ASSERT_TRUE(engine_->CreateCollection(kNs, Config("c")).ok());
  auto w = engine_->Upsert(kNs, "c", {P(1, {1, 1})}, Durability::kApplied);
  EXPECT_GT(w->version, *all.rbegin());
  uint64_t before_reopen = *engine_->ReserveVersion();
  Reopen();
  EXPECT_GT(*engine_->ReserveVersion(), before_reopen);

  // A process killed right after reserving: nothing it handed out comes again.
  session_.reset();
  engine_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto e = Engine::Open(Options(dir_.path()));
    if (!e.ok()) _exit(2);
    uint64_t last = 0;
    for (int i = 0; i < 70000; ++i) last = *(*e)->ReserveVersion();
    if (write(fds[1], &last, sizeof(last)) != sizeof(last)) _exit(3);
    kill(getpid(), SIGKILL);
    _exit(4);
  }
  close(fds[1]);
  uint64_t child_last = 0;
  ASSERT_EQ(read(fds[0], &child_last, sizeof(child_last)), static_cast<ssize_t>(sizeof(child_last)));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  Reopen();
  EXPECT_GT(*engine_->ReserveVersion(), child_last);
}

// ---------------------------------------------------------------------------------------------------------
// Through the RPC layer

TEST_F(ApplyTest, RpcAnswersApplyRequests) {
  RpcHandler shared(engine_.get(), [] { return nlohmann::json::object(); });
  RpcConnection worker(shared);
  ASSERT_TRUE(engine_->CreateCollection(kNs, Config("c")).ok());
  pb::Request up;
  up.set_namespace_id(kNs);
  up.mutable_apply()->set_version(77);
  up.mutable_apply()->set_commit_lsn(500);
  up.mutable_apply()->set_seq(0);
  up.mutable_apply()->set_last(true);
  up.mutable_apply()->set_restart_lsn(400);
  auto* in = up.mutable_upsert()->add_points();
  up.mutable_upsert()->set_collection("c");
  in->set_id("1");
  in->add_vector(1);
  in->add_vector(2);
  pb::Response resp;
  auto handle = [&](const pb::Request& r) {
    resp.Clear();  // as the server does before each request
    worker.Handle(r, &resp);
  };
  handle(up);
  ASSERT_EQ(resp.code(), 0) << resp.message();
  EXPECT_EQ(resp.count(), 77u);
  EXPECT_FALSE(resp.apply_skipped());
  // Again (the worker restarted): covered, answered OK without running.
  handle(up);
  EXPECT_EQ(resp.code(), 0);
  EXPECT_EQ(resp.count(), 0u);
  // Into a collection that is gone: its error, skipped, stamped.
  up.mutable_apply()->set_commit_lsn(600);
  up.mutable_upsert()->set_collection("gone");
  handle(up);
  EXPECT_EQ(resp.code(), static_cast<int>(StatusCode::kNotFound));
  EXPECT_TRUE(resp.apply_skipped());
  // A bad id is refused before the engine runs it, and is skipped the same way.
  up.mutable_apply()->set_commit_lsn(700);
  up.mutable_upsert()->set_collection("c");
  up.mutable_upsert()->mutable_points(0)->set_id("");
  handle(up);
  EXPECT_EQ(resp.code(), static_cast<int>(StatusCode::kInvalidArgument));
  EXPECT_TRUE(resp.apply_skipped());

  pb::Request state;
  state.mutable_get_apply_state()->set_advance_restart_lsn(650);
  handle(state);
  ASSERT_EQ(resp.code(), 0) << resp.message();
  EXPECT_EQ(resp.apply_state().commit_lsn(), 700u);
  EXPECT_EQ(resp.apply_state().seq(), 0u);
  EXPECT_TRUE(resp.apply_state().done());
  EXPECT_EQ(resp.apply_state().restart_lsn(), 650u);
  EXPECT_EQ((*engine_->Get(kNs, "c", {PointId::Num(1)}, false, false))[0].version, 77u);

  // A drop: the RPC layer flushes storage after a plain one, not after an applied one (the background
  // sync does, and durable_commit_lsn says when).
  ASSERT_TRUE(engine_->Sync().ok());
  pb::Request drop;
  drop.set_namespace_id(kNs);
  *drop.mutable_apply() = up.apply();
  drop.mutable_apply()->set_commit_lsn(800);
  drop.mutable_apply()->set_version(0);
  drop.mutable_drop_collection()->set_name("c");
  handle(drop);
  ASSERT_EQ(resp.code(), 0) << resp.message();
  EXPECT_EQ(resp.count(), 1u);
  handle(state);
  EXPECT_EQ(resp.apply_state().commit_lsn(), 800u);
  EXPECT_EQ(resp.apply_state().durable_commit_lsn(), 700u);
}

}  // namespace
}  // namespace govector
