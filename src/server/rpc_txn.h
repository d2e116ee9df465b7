// RpcConnection: the requests of one backend connection, with the transaction state that connection carries
// (ARCHITECTURE.md decision 8). Each request's TxnContext or ApplyContext (proto/govector.proto) is handed to
// the connection's TxnSession, the request runs through a handler bound to that session, and the answer
// gets what the session adds: Response.version (the version a tentative write reserved) and
// Response.apply_skipped (an applied write that failed, and was stamped and skipped). A covered apply-mode
// write is answered OK without running. See engine/txn_session.h for the semantics.
#pragma once

#include "engine/txn_session.h"
#include "govector.pb.h"
#include "server/rpc_handler.h"

namespace govector {

class RpcConnection {
 public:
  // Spilling of a transaction's points is deferred until its write has been answered (AfterAnswer).
  explicit RpcConnection(const RpcHandler& shared) : session_(shared.engine()), handler_(shared, &session_) {
    session_.set_defer_spill(true);
  }
  void Handle(const pb::Request& request, pb::Response* response);
  // Once the answer is sent: the work deferred until then. A failure is the next write's error.
  void AfterAnswer();

 private:
  TxnSession session_;
  RpcHandler handler_;
};

// The request's kind and contexts, as TxnSession::Begin takes them.
RequestContext ContextOf(const pb::Request& request);
void ApplyStateToProto(const ApplyState& state, pb::ApplyState* out);

}  // namespace govector
