// RpcConnection and the conversions of transaction contexts: see rpc_txn.h.
#include "server/rpc_txn.h"

#include "server/log.h"

namespace govector {

namespace {

RequestKind KindOf(pb::Request::OpCase op) {
  switch (op) {
    case pb::Request::kUpsert:
    case pb::Request::kDelete:
    case pb::Request::kSetPayload:
    case pb::Request::kDeletePayload: return RequestKind::kPointWrite;
    case pb::Request::kCreateCollection:
    case pb::Request::kDropCollection:
    case pb::Request::kCreatePayloadIndex: return RequestKind::kCollectionWrite;
    case pb::Request::kGet:
    case pb::Request::kCount:
    case pb::Request::kSearch:
    case pb::Request::kScroll:
    case pb::Request::kCollectionInfo:
    case pb::Request::kListCollections: return RequestKind::kRead;
    default: return RequestKind::kOther;
  }
}

}  // namespace

RequestContext ContextOf(const pb::Request& request) {
  RequestContext ctx;
  ctx.kind = KindOf(request.op_case());
  if (request.has_txn()) {
    const pb::TxnContext& t = request.txn();
    TxnContext txn;
    txn.token = t.token();
    txn.subxact = t.subxact();
    txn.aborted_subxacts.assign(t.aborted_subxacts().begin(), t.aborted_subxacts().end());
    txn.tentative = t.tentative();
    ctx.txn = std::move(txn);
  }
  if (request.has_apply()) {
    const pb::ApplyContext& a = request.apply();
    ApplyStamp stamp;
    stamp.version = a.version();
    stamp.at.commit_lsn = a.commit_lsn();
    stamp.at.seq = a.seq();
    stamp.at.last = a.last();
    stamp.at.restart_lsn = a.restart_lsn();
    ctx.apply = stamp;
  }
  return ctx;
}

void ApplyStateToProto(const ApplyState& state, pb::ApplyState* out) {
  out->set_commit_lsn(state.commit_lsn);
  out->set_seq(state.seq);
  out->set_done(state.done);
  out->set_restart_lsn(state.restart_lsn);
  out->set_durable_restart_lsn(state.durable_restart_lsn);
  out->set_durable_commit_lsn(state.durable_commit_lsn);
}

void RpcConnection::Handle(const pb::Request& request, pb::Response* response) {
  Status begun = Guarded([&] { return session_.Begin(ContextOf(request)); });
  if (!begun.ok()) return ErrorResponse(begun, response);
  if (!session_.covered()) handler_.Handle(request, response);
  Status result = StatusOfResponse(*response);
  Status ended = Guarded([&] { return session_.End(result); });
  if (!ended.ok()) return ErrorResponse(ended, response);
  if (session_.skipped()) response->set_apply_skipped(true);
  if (result.ok() && session_.reserved_version() != 0) response->set_version(session_.reserved_version());
}

void RpcConnection::AfterAnswer() {
  Status st = Guarded([&] { return session_.AfterAnswer(); });
  if (!st.ok()) Log(LogLevel::kWarning, "a transaction's points stay in memory: " + st.message());
}

}  // namespace govector
