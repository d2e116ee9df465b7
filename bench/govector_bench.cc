// govector's benchmark: Fashion-MNIST (Debian's dataset-fashion-mnist) through SQL, against raw hnswlib in
// this process and pgvector in the same cluster (when the `vector` extension is installed), in one run.
//
//   govector_bench --conninfo "host=... port=..." [--points N] [--queries Q] [--ef 10,20,...] [--quick]
//                  [--scale N[,N...]] [--http-url http://127.0.0.1:PORT] [--passes P] [--out results.json]
//
// Every speed is reported with its recall@10 against exact answers computed here, and comparisons are
// ratios within the run. See bench/README.md for what each figure means.
#include <hnswlib/hnswlib.h>
#include <httplib.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test/unit/test_util.h"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using govector::testing::Bucket;
using govector::testing::Dataset;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "govector_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Options {
  std::string conninfo;
  size_t points = 60000;
  size_t queries = 1000;
  std::vector<int> efs = {10, 20, 40, 80, 160, 320};
  std::vector<size_t> scale;
  bool quick = false;
  bool scale_only = false;  // only the synthetic scale steps
  std::string out = "bench-result.json";
  int m = 16;
  int ef_construction = 64;
  std::string report_dir;  // Markdown table and recall-vs-QPS plot go here
  std::string http_url;    // the engine's Qdrant-compatible HTTP API (same collections), if served
  double check_recall = 0;  // fail when a govector recall at the largest ef (or any filter) is below this
};

// ---------------------------------------------------------------------------------------------------------
// libpq helpers

class Conn {
 public:
  explicit Conn(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) Die(std::string("cannot connect: ") + PQerrorMessage(c_));
  }
  ~Conn() { PQfinish(c_); }
  PGconn* raw() { return c_; }
  // Runs a statement; dies on error unless allow_error.
  std::string Exec(const std::string& sql, bool allow_error = false) {
    PGresult* r = PQexec(c_, sql.c_str());
    auto st = PQresultStatus(r);
    std::string out;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string err = PQerrorMessage(c_);
      PQclear(r);
      if (allow_error) return "ERROR: " + err;
      Die("SQL failed: " + sql.substr(0, 200) + ": " + err);
    }
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
    return out;
  }
  void Prepare(const std::string& name, const std::string& sql, int nparams) {
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), nparams, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die("prepare failed: " + std::string(PQerrorMessage(c_)));
    PQclear(r);
  }
  // Executes a prepared statement; returns the first column of every row. Parameters are text, except
  // those given in binary form (Param::Binary): query vectors go binary, as drivers that care about speed
  // send arrays (the server then skips parsing 784 numbers from text).
  struct Param {
    std::string value;
    bool binary = false;
    Param(std::string v) : value(std::move(v)) {}  // NOLINT: text
    Param(const char* v) : value(v) {}             // NOLINT: text
    static Param Binary(std::string v) {
      Param p(std::move(v));
      p.binary = true;
      return p;
    }
  };
  std::vector<std::string> Run(const std::string& name, const std::vector<Param>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& p : params) {
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    PGresult* r = PQexecPrepared(c_, name.c_str(), static_cast<int>(values.size()), values.data(), lengths.data(),
                                 formats.data(), 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) Die("query failed: " + std::string(PQerrorMessage(c_)));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    return out;
  }
  void CopyRows(const std::string& copy_sql, const std::function<bool(std::string*)>& next_row) {
    PGresult* r = PQexec(c_, copy_sql.c_str());
    if (PQresultStatus(r) != PGRES_COPY_IN) Die("COPY failed: " + std::string(PQerrorMessage(c_)));
    PQclear(r);
    std::string row, buf;
    while (next_row(&row)) {
      buf += row;
      if (buf.size() > (1 << 20)) {
        PQputCopyData(c_, buf.data(), static_cast<int>(buf.size()));
        buf.clear();
      }
    }
    if (!buf.empty()) PQputCopyData(c_, buf.data(), static_cast<int>(buf.size()));
    PQputCopyEnd(c_, nullptr);
    r = PQgetResult(c_);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die("COPY failed: " + std::string(PQerrorMessage(c_)));
    PQclear(r);
    while ((r = PQgetResult(c_)) != nullptr) PQclear(r);
  }

 private:
  PGconn* c_;
};

std::string ArrayLiteral(const std::vector<float>& v) {
  std::string s = "{";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s.push_back(',');
    std::snprintf(buf, sizeof(buf), "%g", v[i]);
    s += buf;
  }
  s.push_back('}');
  return s;
}

void PutInt32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutFloat(std::string* out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  PutInt32(out, bits);
}

// A real[] in Postgres's binary array format (array_recv): dimensions, no NULLs, element type float4 (OID 700).
std::string ArrayBinary(const std::vector<float>& v) {
  std::string out;
  PutInt32(&out, 1);    // dimensions
  PutInt32(&out, 0);    // no NULLs
  PutInt32(&out, 700);  // float4
  PutInt32(&out, static_cast<uint32_t>(v.size()));
  PutInt32(&out, 1);    // lower bound
  for (float f : v) {
    PutInt32(&out, 4);
    PutFloat(&out, f);
  }
  return out;
}

// A pgvector vector in its binary format (vector_recv): int16 dimensions, int16 unused, float4 components.
std::string VectorBinary(const std::vector<float>& v) {
  std::string out;
  out.push_back(static_cast<char>(v.size() >> 8));
  out.push_back(static_cast<char>(v.size()));
  out.push_back(0);
  out.push_back(0);
  for (float f : v) PutFloat(&out, f);
  return out;
}

std::string VectorLiteral(const std::vector<float>& v) {
  std::string a = ArrayLiteral(v);
  a.front() = '[';
  a.back() = ']';
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Workload: queries with their exact answers, per filter

struct Case {
  std::string name;        // "none", "label same", ...
  double selectivity = 1;  // fraction of points matching (average over queries)
  std::function<bool(size_t point, size_t query)> allowed;
  std::function<std::string(size_t query)> govector_filter;  // engine filter JSON, "" for none
  std::function<std::string(size_t query)> sql_condition;    // for pgvector: a WHERE condition
  std::vector<std::vector<size_t>> truth;
};

std::vector<Case> MakeCases(const Dataset& d) {
  std::vector<Case> cases(5);
  cases[0] = {"none", 1.0, [](size_t, size_t) { return true; }, [](size_t) { return std::string(); },
              [](size_t) { return std::string(); }, {}};
  cases[1] = {"label = own class (10%, near)", 0.1,
              [&d](size_t i, size_t q) { return d.train_labels[i] == d.test_labels[q]; },
              [&d](size_t q) { return R"({"must":[{"key":"label","match":{"value":)" + std::to_string(d.test_labels[q]) + "}}]}"; },
              [&d](size_t q) { return "label = " + std::to_string(d.test_labels[q]); }, {}};
  cases[2] = {"label = other class (10%, far)", 0.1,
              [&d](size_t i, size_t q) { return d.train_labels[i] == (d.test_labels[q] + 5) % 10; },
              [&d](size_t q) { return R"({"must":[{"key":"label","match":{"value":)" + std::to_string((d.test_labels[q] + 5) % 10) + "}}]}"; },
              [&d](size_t q) { return "label = " + std::to_string((d.test_labels[q] + 5) % 10); }, {}};
  cases[3] = {"1% attribute", 0.01, [](size_t i, size_t q) { return Bucket(i, 100) == q % 100; },
              [](size_t q) { return R"({"must":[{"key":"attr100","match":{"value":)" + std::to_string(q % 100) + "}}]}"; },
              [](size_t q) { return "attr100 = " + std::to_string(q % 100); }, {}};
  cases[4] = {"0.1% attribute", 0.001, [](size_t i, size_t q) { return Bucket(i, 1000) == q % 1000; },
              [](size_t q) { return R"({"must":[{"key":"attr1000","match":{"value":)" + std::to_string(q % 1000) + "}}]}"; },
              [](size_t q) { return "attr1000 = " + std::to_string(q % 1000); }, {}};
  return cases;
}

void ComputeTruth(const Dataset& d, std::vector<Case>* cases) {
  auto t0 = Clock::now();
  for (auto& c : *cases) c.truth.assign(d.test.size(), {});
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t q; (q = next.fetch_add(1)) < d.test.size();) {
      // One pass over the points per query: distances, then each case's top 10.
      std::vector<std::pair<float, size_t>> all(d.train.size());
      for (size_t i = 0; i < d.train.size(); ++i)
        all[i] = {govector::L2Sqr(d.test[q].data(), d.train[i].data(), d.dim), i};
      for (auto& c : *cases) {
        std::vector<std::pair<float, size_t>> allowed;
        for (const auto& p : all)
          if (c.allowed(p.second, q)) allowed.push_back(p);
        size_t k = std::min<size_t>(10, allowed.size());
        std::partial_sort(allowed.begin(), allowed.begin() + static_cast<long>(k), allowed.end());
        for (size_t i = 0; i < k; ++i) c.truth[q].push_back(allowed[i].second);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  std::fprintf(stderr, "exact answers for %zu queries x %zu cases in %.1f s\n", d.test.size(), cases->size(),
               Seconds(t0, Clock::now()));
}

// ---------------------------------------------------------------------------------------------------------
// Measuring a search path

struct Measure {
  double qps = 0, recall = 0, p50_ms = 0, p99_ms = 0, rows = 0;
  Json ToJson() const {
    return {{"qps", qps}, {"recall", recall}, {"p50_ms", p50_ms}, {"p99_ms", p99_ms}, {"rows_per_query", rows}};
  }
};

// How many times Run() goes through the queries (set by --passes). These machines are shared: one pass of a
// second or less can land on a burst of someone else's work, so QPS is the median of the passes.
int g_passes = 3;

// run(client, query) returns the ids found (as numbers). Clients run in parallel threads. Recall and rows
// come from the first pass (the answers do not change between passes), latencies from all of them.
Measure Run(const Case& c, size_t queries, int clients, const std::function<std::vector<size_t>(int, size_t)>& run) {
  std::vector<double> latencies;
  std::vector<std::vector<size_t>> found(queries);
  std::vector<double> qps;
  for (int pass = 0; pass < std::max(1, g_passes); ++pass) {
    std::vector<double> pass_latencies(queries);
    std::atomic<size_t> next{0};
    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int cl = 0; cl < clients; ++cl) {
      pool.emplace_back([&, cl]() {
        for (size_t q; (q = next.fetch_add(1)) < queries;) {
          auto a = Clock::now();
          std::vector<size_t> ids = run(cl, q);
          pass_latencies[q] = Seconds(a, Clock::now()) * 1000;
          if (pass == 0) found[q] = std::move(ids);
        }
      });
    }
    for (auto& t : pool) t.join();
    qps.push_back(queries / Seconds(t0, Clock::now()));
    latencies.insert(latencies.end(), pass_latencies.begin(), pass_latencies.end());
  }
  Measure m;
  std::sort(qps.begin(), qps.end());
  m.qps = qps[qps.size() / 2];
  size_t hit = 0, total = 0, rows = 0;
  for (size_t q = 0; q < queries; ++q) {
    std::set<size_t> got(found[q].begin(), found[q].end());
    for (size_t t : c.truth[q]) hit += got.count(t);
    total += c.truth[q].size();
    rows += found[q].size();
  }
  m.recall = total ? static_cast<double>(hit) / total : 1.0;
  m.rows = static_cast<double>(rows) / queries;
  std::sort(latencies.begin(), latencies.end());
  m.p50_ms = latencies[latencies.size() / 2];
  m.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  return m;
}

std::vector<size_t> ParseIds(const std::vector<std::string>& rows) {
  std::vector<size_t> out;
  for (const auto& r : rows) out.push_back(std::strtoull(r.c_str(), nullptr, 10) - 1);  // ids count from 1
  return out;
}

void Print(const std::string& what, const Measure& m) {
  std::fprintf(stderr, "  %-58s recall %.4f  %8.0f QPS  p50 %6.2f ms  p99 %6.2f ms  rows %.1f\n", what.c_str(),
               m.recall, m.qps, m.p50_ms, m.p99_ms, m.rows);
}

uint64_t EngineRss(Conn& c) {
  return std::strtoull(c.Exec("SELECT gv_engine_status()->'memory'->>'rss_bytes'").c_str(), nullptr, 10);
}

// Waits until the engine has saved the collection's graph snapshot (it does within a minute of a change).
// Writing a few hundred MB of graph takes the machine's disk and a core for seconds: measured searches must
// not share the machine with it.
void WaitSnapshot(Conn& c, const std::string& collection) {
  auto t0 = Clock::now();
  while (c.Exec("SELECT gv_collection_info('" + collection + "')->>'snapshot_pending'") == "true") {
    if (Seconds(t0, Clock::now()) > 180) Die("no snapshot of " + collection + " after 180 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void WaitGreen(Conn& c, const std::string& collection) {
  while (c.Exec("SELECT gv_collection_info('" + collection + "')->>'status'") != "green")
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// "QPS (recall)" for a measure stored as JSON.
std::string Cell(const Json& m) {
  if (m.is_null()) return "–";
  return Fmt("%.0f", m["qps"].get<double>()) + " (" + Fmt("%.3f", m["recall"].get<double>()) + ")";
}

// The scale steps as Markdown ("" when there are none).
std::string ScaleTable(const Json& r) {
  if (!r.contains("scale") || r["scale"].empty()) return "";
  std::ostringstream md;
  const Json& efs = r["scale"][0]["searches"];
  md << "\n**Scale** (clustered synthetic, 128 dimensions, Euclid, M = 16, ef_construction = 64, loaded with "
     << "`gv_upsert_batch`, " << r["scale"][0]["queries"] << " queries, one client)\n\n"
     << "| points | load | load + index | raw hnswlib build (2 threads) | index memory | engine RSS growth";
  for (const Json& e : efs) md << " | ef " << e["ef"] << ": gv_search recall@10, QPS, p99 | ef " << e["ef"] << ": raw hnswlib";
  md << " |\n|---|---|---|---|---|---";
  for (size_t i = 0; i < efs.size(); ++i) md << "|---|---";
  md << "|\n";
  for (const Json& s : r["scale"]) {
    md << "| " << s["points"] << " | " << Fmt("%.1f s", s["load_s"].get<double>()) << " | "
       << Fmt("%.1f s", s["load_and_index_s"].get<double>()) << " | " << Fmt("%.1f s", s["raw_hnswlib_build_s"].get<double>())
       << " | " << Fmt("%.0f MB", s["index_bytes"].get<double>() / 1e6)
       << " | " << Fmt("%.0f MB", s["engine_rss_growth_bytes"].get<double>() / 1e6);
    for (const Json& e : s["searches"])
      md << " | " << Fmt("%.3f", e["search"]["recall"].get<double>()) << ", " << Fmt("%.0f QPS", e["search"]["qps"].get<double>())
         << ", " << Fmt("%.2f ms", e["search"]["p99_ms"].get<double>()) << " | "
         << Fmt("%.3f", e["raw_hnswlib"]["recall"].get<double>()) << ", " << Fmt("%.0f QPS", e["raw_hnswlib"]["qps"].get<double>());
    md << " |\n";
  }
  return md.str();
}

// The recall targets users compare systems at, and the systems' curves (1 client first).
const double kTargets[] = {0.99, 0.995};
const std::vector<std::pair<std::string, std::string>> kSystems = {
    {"raw_hnswlib", "raw hnswlib (in process)"}, {"gv_search", "gv_search"}, {"gv_search_sq8", "gv_search SQ8"},
    {"foreign_table", "foreign table"},          {"http_query", "HTTP /points/query"}, {"pgvector", "pgvector"}};

// The (recall, QPS) curve of a system at a client count, by ef; empty when it was not measured.
std::vector<std::pair<double, double>> Curve(const Json& r, const std::string& system, const std::string& clients) {
  std::vector<std::pair<double, double>> curve;
  const Json* rows = system == "pgvector" ? (r.contains("pgvector") ? &r["pgvector"]["search"] : nullptr) : &r["search"];
  if (!rows) return curve;
  for (const Json& row : *rows) {
    const Json* m = system == "pgvector" ? &row : (row.contains(system) ? &row[system] : nullptr);
    if (!m || !m->contains(clients)) return {};
    curve.emplace_back((*m)[clients]["recall"].get<double>(), (*m)[clients]["qps"].get<double>());
  }
  return curve;
}

// QPS at a recall on a curve: interpolated between the two efs around it (log-linear in QPS, which falls about
// geometrically with ef). {"qps", "bound": "interpolated"}; "lower bound" when the smallest ef already reaches
// the recall (a smaller ef would be faster still); null when no ef reaches it.
Json AtRecall(const std::vector<std::pair<double, double>>& curve, double target) {
  for (size_t i = 0; i < curve.size(); ++i) {
    if (curve[i].first < target) continue;
    if (i == 0) return {{"qps", curve[0].second}, {"bound", "lower bound"}};
    auto [r0, q0] = curve[i - 1];
    auto [r1, q1] = curve[i];
    double t = r1 > r0 ? (target - r0) / (r1 - r0) : 1.0;
    return {{"qps", std::exp(std::log(q0) + t * (std::log(q1) - std::log(q0)))}, {"bound", "interpolated"}};
  }
  return nullptr;
}

// {"1_clients": {"0.990": {"gv_search": {...}, ...}, ...}, ...}: each system's QPS at each target recall.
Json MatchedRecall(const Json& r) {
  Json out = Json::object();
  for (const char* clients : {"1_clients", "2_clients", "8_clients"}) {
    for (double target : kTargets) {
      Json at = Json::object();
      for (const auto& [key, label] : kSystems) {
        auto curve = Curve(r, key, clients);
        if (!curve.empty()) at[key] = AtRecall(curve, target);
      }
      if (!at.empty()) out[clients][Fmt("%.3f", target)] = at;
    }
  }
  return out;
}

std::string MatchedCell(const Json& at, const std::string& system) {
  if (!at.contains(system)) return "–";
  const Json& x = at[system];
  if (x.is_null()) return "not reached";
  return (x["bound"] == "lower bound" ? "≥ " : "") + Fmt("%.0f", x["qps"].get<double>());
}

std::string RatioCell(const Json& at, const std::string& a, const std::string& b) {
  if (!at.contains(a) || !at.contains(b) || at[a].is_null() || at[b].is_null()) return "–";
  // A lower bound on either side makes the ratio a bound too; say so rather than print a false figure.
  bool bound = at[a]["bound"] == "lower bound" || at[b]["bound"] == "lower bound";
  return Fmt("%.2f×", at[a]["qps"].get<double>() / at[b]["qps"].get<double>()) + (bound ? " (bound)" : "");
}

// The matched-recall table: one row per system, a column per client count and target.
std::string MatchedRecallTable(const Json& r) {
  if (!r.contains("matched_recall")) return "";
  const Json& mr = r["matched_recall"];
  std::vector<std::string> cols;
  for (const char* clients : {"1_clients", "2_clients", "8_clients"})
    if (mr.contains(clients))
      for (double target : kTargets) cols.push_back(std::string(clients) + "|" + Fmt("%.3f", target));
  auto at = [&](const std::string& col) -> const Json& {
    size_t bar = col.find('|');
    return mr[col.substr(0, bar)][col.substr(bar + 1)];
  };
  std::ostringstream md;
  md << "\n**Matched recall**: QPS of each system at recall@10 = 0.99 and 0.995, interpolated on its recall/QPS curve "
     << "(log-linear between the two efs around the target; \"≥\" where its smallest ef already reaches it)\n\n| system";
  for (const auto& col : cols)
    md << " | " << col.substr(0, col.find('_')) << (col[0] == '1' && col[1] == '_' ? " client" : " clients") << ", "
       << col.substr(col.find('|') + 1);
  md << " |\n|---";
  for (size_t i = 0; i < cols.size(); ++i) md << "|---";
  md << "|\n";
  for (const auto& [key, label] : kSystems) {
    bool any = false;
    for (const auto& col : cols) any = any || at(col).contains(key);
    if (!any) continue;
    md << "| " << label;
    for (const auto& col : cols) md << " | " << MatchedCell(at(col), key);
    md << " |\n";
  }
  for (const auto& [a, b, label] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"gv_search", "pgvector", "gv_search / pgvector"}, {"gv_search", "raw_hnswlib", "gv_search / raw hnswlib"},
           {"gv_search_sq8", "gv_search", "gv_search SQ8 / gv_search"}}) {
    md << "| **" << label << "**";
    for (const auto& col : cols) md << " | " << RatioCell(at(col), a, b);
    md << " |\n";
  }
  // Scaling with clients: each system's QPS at 2 and 8 clients over its own 1-client QPS, at 0.99.
  if (mr.contains("2_clients")) {
    std::vector<std::string> parts;
    for (const auto& [key, label] : kSystems) {
      const Json& one = mr["1_clients"]["0.990"];
      if (!one.contains(key) || one[key].is_null()) continue;
      std::string part;
      for (const char* clients : {"2_clients", "8_clients"}) {
        if (!mr.contains(clients) || !mr[clients]["0.990"].contains(key) || mr[clients]["0.990"][key].is_null()) continue;
        part += std::string(part.empty() ? "" : ", ") + clients[0] + " clients " +
                Fmt("%.2f×", mr[clients]["0.990"][key]["qps"].get<double>() / one[key]["qps"].get<double>());
      }
      if (!part.empty()) parts.push_back(label + " " + part);
    }
    md << "\nScaling at recall 0.99 (QPS over the same system's 1-client QPS): ";
    for (size_t i = 0; i < parts.size(); ++i) md << (i ? "; " : "") << parts[i];
    md << ".\n";
  }
  return md.str();
}

void WriteReport(const Json& r, const std::string& dir) {
  std::ofstream md(dir + "/results.md");
  bool pgv = r.contains("pgvector");
  // (operator[] of a const Json requires the key: without pgvector, an empty object stands in.)
  static const Json kNoPgvector = Json::object();
  const Json& p = pgv ? r["pgvector"] : kNoPgvector;
  md << "Fashion-MNIST, " << r["dataset"]["points"] << " training images as the collection (784 dimensions, Euclid), "
     << r["dataset"]["queries"] << " test images as queries, k = 10, exact answers computed by the bench. "
     << "M = " << r["parameters"]["m"] << ", ef_construction = " << r["parameters"]["ef_construction"]
     << ". PostgreSQL " << r["server"].get<std::string>()
     << (pgv ? ", pgvector " + r["pgvector_version"].get<std::string>() : std::string(", pgvector not installed")) << ".\n\n";
  md << "**Load** (one statement each; \"then indexed\": until every vector is in the graph)\n\n"
     << "| method | statement | then indexed | total |\n|---|---|---|---|\n";
  const Json& l = r["load"];
  md << "| `CREATE TABLE AS SELECT` of the source rows (baseline) | " << Fmt("%.1f s", l["baseline_create_table_as_s"].get<double>()) << " | – | – |\n";
  for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{
           {"gv_upsert_per_row", "`SELECT gv_upsert(...) FROM t`"}, {"gv_upsert_batch_1000", "`gv_upsert_batch`, 1,000 per call"},
           {"copy_into_foreign_table", "`COPY` into the foreign table"}, {"gv_upsert_batch_1000_sq8", "`gv_upsert_batch`, SQ8 collection"}}) {
    md << "| " << label << " | " << Fmt("%.1f s", l[key]["statement_s"].get<double>()) << " | "
       << Fmt("%.1f s", l[key]["then_indexed_s"].get<double>()) << " | " << Fmt("%.1f s", l[key]["total_s"].get<double>()) << " |\n";
  }
  if (pgv) {
    double serial = p["copy_s"].get<double>() + p["index_build_serial_s"].get<double>();
    md << "| pgvector: `INSERT ... SELECT` + `CREATE INDEX` (serial) | " << Fmt("%.1f s", p["copy_s"].get<double>()) << " | "
       << Fmt("%.1f s", p["index_build_serial_s"].get<double>()) << " | " << Fmt("%.1f s", serial) << " |\n";
    if (p.contains("index_build_1_worker_s"))
      md << "| pgvector: same, index built with 1 parallel worker | " << Fmt("%.1f s", p["copy_s"].get<double>()) << " | "
         << Fmt("%.1f s", p["index_build_1_worker_s"].get<double>()) << " | "
         << Fmt("%.1f s", p["copy_s"].get<double>() + p["index_build_1_worker_s"].get<double>()) << " |\n";
    md << "\ngovector `gv_upsert_batch` load + index vs pgvector load + serial index: "
       << Fmt("%.2f", l["gv_upsert_batch_1000"]["total_s"].get<double>() / serial) << "×.\n";
  }
  if (r["raw_hnswlib"].contains("build_s_1_threads"))
    md << "Raw hnswlib build of the same data: " << Fmt("%.1f s", r["raw_hnswlib"]["build_s_1_threads"].get<double>()) << " (1 thread)"
       << (r["raw_hnswlib"].contains("build_s_2_threads") ? Fmt(", %.1f s (2 threads)", r["raw_hnswlib"]["build_s_2_threads"].get<double>()) : "") << ".\n";
  const Json& m = r["memory"];
  md << "\n**Memory**: float index " << Fmt("%.0f MB", m["fashion"]["index_bytes"].get<double>() / 1e6) << ", SQ8 index "
     << Fmt("%.0f MB", m["fashion_sq8"]["index_bytes"].get<double>() / 1e6) << " (" << Fmt("%.0f%%", 100 * m["sq8_index_vs_float"].get<double>())
     << " of float; vectors alone " << Fmt("%.0f%%", 100 * m["sq8_vectors_vs_float"].get<double>()) << "), engine RSS with both "
     << Fmt("%.0f MB", m["engine_rss_bytes_two_collections"].get<double>() / 1e6);
  if (pgv) md << "; pgvector HNSW index " << Fmt("%.0f MB", p["index_bytes"].get<double>() / 1e6);
  md << ".\n\n**Search, one client**: QPS (recall@10)\n\n"
     << "| ef | raw hnswlib | gv_search | gv_search SQ8 | foreign table | HTTP /points/query | pgvector | gv_search / pgvector | gv_search / hnswlib | p50 / p99 ms (gv_search) |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  auto cell = [](const Json& row, const char* key, const char* clients) {
    return row.contains(key) && row[key].contains(clients) ? Cell(row[key][clients]) : std::string("–");
  };
  for (size_t i = 0; i < r["search"].size(); ++i) {
    const Json& s = r["search"][i];
    Json pg = pgv ? p["search"][i] : Json();
    double gq = s["gv_search"]["1_clients"]["qps"].get<double>();
    md << "| " << s["ef"] << " | " << cell(s, "raw_hnswlib", "1_clients") << " | " << cell(s, "gv_search", "1_clients")
       << " | " << cell(s, "gv_search_sq8", "1_clients") << " | " << cell(s, "foreign_table", "1_clients") << " | "
       << cell(s, "http_query", "1_clients") << " | " << (pgv ? Cell(pg["1_clients"]) : "–") << " | "
       << (pgv ? Fmt("%.1f×", gq / pg["1_clients"]["qps"].get<double>()) : "–") << " | "
       << Fmt("%.2f×", gq / s["raw_hnswlib"]["1_clients"]["qps"].get<double>()) << " | "
       << Fmt("%.2f", s["gv_search"]["1_clients"]["p50_ms"].get<double>()) << " / "
       << Fmt("%.2f", s["gv_search"]["1_clients"]["p99_ms"].get<double>()) << " |\n";
  }
  md << "\n**Search, two clients** (two connections, two threads of the bench): QPS (recall@10)\n\n"
     << "| ef | raw hnswlib | gv_search | gv_search SQ8 | foreign table | HTTP /points/query | pgvector |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < r["search"].size(); ++i) {
    const Json& s = r["search"][i];
    md << "| " << s["ef"] << " | " << cell(s, "raw_hnswlib", "2_clients") << " | " << cell(s, "gv_search", "2_clients")
       << " | " << cell(s, "gv_search_sq8", "2_clients") << " | " << cell(s, "foreign_table", "2_clients") << " | "
       << cell(s, "http_query", "2_clients") << " | " << (pgv ? Cell(p["search"][i]["2_clients"]) : "–") << " |\n";
  }
  if (r["search"][0]["gv_search"].contains("8_clients")) {
    md << "\n**Search, eight clients** (eight connections and threads on the machine's cores): QPS (recall@10), p50 / p99 ms\n\n"
       << "| ef | raw hnswlib | gv_search | gv_search SQ8 | pgvector | gv_search / pgvector | p50 / p99 ms (gv_search) |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < r["search"].size(); ++i) {
      const Json& s = r["search"][i];
      const Json& g = s["gv_search"]["8_clients"];
      bool pg8 = pgv && p["search"][i].contains("8_clients");
      md << "| " << s["ef"] << " | " << cell(s, "raw_hnswlib", "8_clients") << " | " << Cell(g) << " | "
         << cell(s, "gv_search_sq8", "8_clients") << " | " << (pg8 ? Cell(p["search"][i]["8_clients"]) : "–") << " | "
         << (pg8 ? Fmt("%.1f×", g["qps"].get<double>() / p["search"][i]["8_clients"]["qps"].get<double>()) : "–") << " | "
         << Fmt("%.2f", g["p50_ms"].get<double>()) << " / " << Fmt("%.2f", g["p99_ms"].get<double>()) << " |\n";
    }
  }
  md << MatchedRecallTable(r);
  md << "\n**Filtered search** (ef = " << r["filtered"][0]["ef"] << "): recall@10 against the exact filtered answer, QPS, rows returned per query\n\n"
     << "| filter | matches | gv_search | pgvector, planner's choice | pgvector, index scan | pgvector, iterative scan |\n|---|---|---|---|---|---|\n";
  auto fcell = [](const Json& x) {
    if (x.is_null()) return std::string("–");
    return Fmt("%.3f", x["recall"].get<double>()) + ", " + Fmt("%.0f QPS", x["qps"].get<double>()) + ", " + Fmt("%.1f rows", x["rows_per_query"].get<double>());
  };
  for (size_t i = 0; i < r["filtered"].size(); ++i) {
    const Json& f = r["filtered"][i];
    Json pf = pgv ? p["filtered"][i] : Json();
    md << "| " << f["case"].get<std::string>() << " | " << Fmt("%.1f%%", 100 * f["selectivity"].get<double>()) << " | " << fcell(f["gv_search"])
       << " | " << (pgv ? fcell(pf["planner's choice"]) : "–") << " | " << (pgv ? fcell(pf["index scan"]) : "–") << " | "
       << (pgv ? fcell(pf["index scan, iterative (relaxed_order)"]) : "–") << " |\n";
  }
  md << ScaleTable(r);
  // The recall-vs-QPS plot.
  std::ofstream dat(dir + "/recall_qps.dat");
  std::vector<std::pair<std::string, std::function<Json(size_t)>>> series = {
      {"raw hnswlib (in process)", [&](size_t i) { return r["search"][i]["raw_hnswlib"]["1_clients"]; }},
      {"govector gv\\_search", [&](size_t i) { return r["search"][i]["gv_search"]["1_clients"]; }},
      {"govector gv\\_search, SQ8", [&](size_t i) { return r["search"][i]["gv_search_sq8"]["1_clients"]; }},
      {"govector foreign table", [&](size_t i) { return r["search"][i]["foreign_table"]["1_clients"]; }}};
  if (r["search"][0].contains("http_query"))
    series.push_back({"govector HTTP /points/query", [&](size_t i) { return r["search"][i]["http_query"]["1_clients"]; }});
  if (pgv) series.push_back({"pgvector HNSW", [&](size_t i) { return p["search"][i]["1_clients"]; }});
  for (const auto& [name, get] : series) {
    dat << "# " << name << "\n";
    for (size_t i = 0; i < r["search"].size(); ++i) dat << get(i)["recall"].get<double>() << " " << get(i)["qps"].get<double>() << "\n";
    dat << "\n\n";
  }
  dat.close();  // gnuplot reads it below
  std::ofstream gp(dir + "/plot.gp");
  gp << "set terminal pngcairo size 900,560\nset output '" << dir << "/recall_qps.png'\n"
     << "set title 'Fashion-MNIST, " << r["dataset"]["points"] << " x 784, k = 10, one client: queries per second against recall'\n"
     << "set xlabel 'recall at k = 10'\nset ylabel 'queries per second (log scale)'\nset logscale y\nset key bottom left\nset grid\n"
     << "set xrange [*:1.001]\n"
     << "set offsets 0.005, 0.005, 0, 0\n"
     << "plot ";
  for (size_t i = 0; i < series.size(); ++i)
    gp << (i ? ", " : "") << "'" << dir << "/recall_qps.dat' index " << i << " with linespoints title '" << series[i].first << "'";
  gp << "\n";
  gp.close();
  if (std::system(("gnuplot " + dir + "/plot.gp").c_str()) != 0) std::fprintf(stderr, "gnuplot failed; no plot\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    auto list = [](const std::string& s) {
      std::vector<size_t> v;
      std::stringstream ss(s);
      std::string x;
      while (std::getline(ss, x, ',')) v.push_back(std::strtoull(x.c_str(), nullptr, 10));
      return v;
    };
    if (a == "--conninfo") o.conninfo = val();
    else if (a == "--points") o.points = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--queries") o.queries = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--ef") {
      o.efs.clear();
      for (size_t e : list(val())) o.efs.push_back(static_cast<int>(e));
    } else if (a == "--scale") o.scale = list(val());
    else if (a == "--quick") o.quick = true;
    else if (a == "--scale-only") o.scale_only = true;
    else if (a == "--out") o.out = val();
    else if (a == "--report-dir") o.report_dir = val();
    else if (a == "--http-url") o.http_url = val();
    else if (a == "--passes") g_passes = std::max(1, std::atoi(val().c_str()));
    else if (a == "--check-recall") o.check_recall = std::atof(val().c_str());
    else Die("unknown option " + a);
  }
  if (o.conninfo.empty()) Die("--conninfo is required");

  Json result;
  result["dataset"] = {{"name", "fashion-mnist"}, {"points", o.points}, {"queries", o.queries}, {"dimension", 784},
                       {"distance", "euclid"}, {"k", 10}};
  result["parameters"] = {{"m", o.m}, {"ef_construction", o.ef_construction}, {"efs", o.efs}};
  auto started = Clock::now();

  Conn conn(o.conninfo);
  conn.Exec("SET client_min_messages = warning");
  conn.Exec("CREATE EXTENSION IF NOT EXISTS govector");
  result["server"] = conn.Exec("SHOW server_version");
  // Client counts of the search measures: the SQL paths that compete with pgvector are also measured with 8
  // clients (more than the cores: a transport that spins or sleeps badly shows there); HTTP and the foreign
  // table with 1 and 2.
  const std::vector<int> many_clients = o.quick ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 8};
  const std::vector<int> two_clients = {1, 2};
  std::vector<std::unique_ptr<Conn>> clients;
  for (int i = 0; i < many_clients.back(); ++i) clients.push_back(std::make_unique<Conn>(o.conninfo));
  Case unfiltered{"none", 1.0, [](size_t, size_t) { return true; }, [](size_t) { return std::string(); },
                  [](size_t) { return std::string(); }, {}};
  if (!o.scale_only) {
  Dataset d = govector::testing::LoadFashionMnist(o.points, o.queries);
  o.queries = d.test.size();
  std::vector<Case> cases = MakeCases(d);
  ComputeTruth(d, &cases);
  for (auto& c : cases) {
    size_t matching = 0;
    for (size_t q = 0; q < std::min<size_t>(o.queries, 50); ++q)
      for (size_t i = 0; i < d.train.size(); ++i) matching += c.allowed(i, q);
    c.selectivity = static_cast<double>(matching) / (std::min<size_t>(o.queries, 50) * d.train.size());
  }

  bool have_pgvector = !conn.Exec("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").empty();
  result["pgvector_available"] = have_pgvector;
  if (have_pgvector) result["pgvector_version"] = conn.Exec("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");

  // --------------------------------------------------------------------------------------------------
  // Load: the source table, then three ways into collections.
  conn.Exec("CREATE EXTENSION IF NOT EXISTS govector");
  conn.Exec("DROP TABLE IF EXISTS fashion_src");
  conn.Exec("CREATE TABLE fashion_src (id int PRIMARY KEY, label int, attr100 int, attr1000 int, image real[])");
  // Rows as COPY text, formatted once, outside every timed section.
  std::vector<std::string> train_literals;
  for (const auto& v : d.train) train_literals.push_back(ArrayLiteral(v));
  {
    size_t i = 0;
    conn.CopyRows("COPY fashion_src FROM STDIN", [&](std::string* row) {
      if (i >= d.train.size()) return false;
      *row = std::to_string(i + 1) + "\t" + std::to_string(d.train_labels[i]) + "\t" + std::to_string(Bucket(i, 100)) +
             "\t" + std::to_string(Bucket(i, 1000)) + "\t" + train_literals[i] + "\n";
      ++i;
      return true;
    });
  }
  conn.Exec("VACUUM ANALYZE fashion_src");
  Json load;
  auto create = [&](const std::string& name, const std::string& quantization) {
    conn.Exec("SELECT gv_drop_collection('" + name + "', true)");
    conn.Exec("SELECT gv_create_collection('" + name + "', 784, 'euclid', m => " + std::to_string(o.m) +
              ", ef_construct => " + std::to_string(o.ef_construction) + ", quantization => '" + quantization + "')");
    for (const char* f : {"label", "attr100", "attr1000"})
      conn.Exec("SELECT gv_create_payload_index('" + name + "', '" + f + "', 'integer')");
  };
  const std::string payload = "jsonb_build_object('label', label, 'attr100', attr100, 'attr1000', attr1000)";
  auto timed = [&](const std::string& sql) {
    auto t0 = Clock::now();
    conn.Exec(sql);
    return Seconds(t0, Clock::now());
  };
  auto timed_green = [&](const std::string& collection) {
    auto t0 = Clock::now();
    WaitGreen(conn, collection);
    return Seconds(t0, Clock::now());
  };
  // Baseline in the same run: plain Postgres copying the same rows.
  load["baseline_create_table_as_s"] = timed("CREATE TABLE fashion_copy AS SELECT * FROM fashion_src");
  conn.Exec("DROP TABLE fashion_copy");

  create("fashion_rows", "none");
  double rows_s = timed("SELECT count(gv_upsert('fashion_rows', id::text, image, " + payload + ")) FROM fashion_src");
  double rows_index_s = timed_green("fashion_rows");
  load["gv_upsert_per_row"] = {{"statement_s", rows_s}, {"then_indexed_s", rows_index_s}, {"total_s", rows_s + rows_index_s}};
  std::fprintf(stderr, "load: SELECT gv_upsert(...) FROM t  %.1f s + %.1f s until indexed\n", rows_s, rows_index_s);

  create("fashion", "none");
  double batch_s = timed("SELECT sum(gv_upsert_batch('fashion', ids, vectors, payloads)) FROM (SELECT array_agg(id::text ORDER BY id) ids, "
                         "array_agg(image ORDER BY id) vectors, array_agg(" + payload + " ORDER BY id) payloads "
                         "FROM fashion_src GROUP BY (id - 1) / 1000) b");
  double batch_index_s = timed_green("fashion");
  load["gv_upsert_batch_1000"] = {{"statement_s", batch_s}, {"then_indexed_s", batch_index_s}, {"total_s", batch_s + batch_index_s}};
  std::fprintf(stderr, "load: gv_upsert_batch, 1000 per call  %.1f s + %.1f s until indexed\n", batch_s, batch_index_s);

  create("fashion_copy", "none");
  conn.Exec("DROP FOREIGN TABLE IF EXISTS fashion_ft");
  conn.Exec("CREATE FOREIGN TABLE fashion_ft (id text, vector real[], payload jsonb, version bigint, "
            "label int OPTIONS (payload_key 'label'), attr100 int OPTIONS (payload_key 'attr100'), "
            "attr1000 int OPTIONS (payload_key 'attr1000')) SERVER govector OPTIONS (collection 'fashion_copy')");
  double copy_s;
  {
    auto t0 = Clock::now();
    size_t i = 0;
    conn.CopyRows("COPY fashion_ft (id, vector, label, attr100, attr1000) FROM STDIN", [&](std::string* row) {
      if (i >= d.train.size()) return false;
      *row = std::to_string(i + 1) + "\t" + train_literals[i] + "\t" + std::to_string(d.train_labels[i]) + "\t" +
             std::to_string(Bucket(i, 100)) + "\t" + std::to_string(Bucket(i, 1000)) + "\n";
      ++i;
      return true;
    });
    copy_s = Seconds(t0, Clock::now());
  }
  double copy_index_s = timed_green("fashion_copy");
  load["copy_into_foreign_table"] = {{"statement_s", copy_s}, {"then_indexed_s", copy_index_s}, {"total_s", copy_s + copy_index_s}};
  std::fprintf(stderr, "load: COPY into the foreign table  %.1f s + %.1f s until indexed\n", copy_s, copy_index_s);

  create("fashion_sq8", "sq8");
  double sq8_s = timed("SELECT sum(gv_upsert_batch('fashion_sq8', ids, vectors, payloads)) FROM (SELECT array_agg(id::text ORDER BY id) ids, "
                       "array_agg(image ORDER BY id) vectors, array_agg(" + payload + " ORDER BY id) payloads "
                       "FROM fashion_src GROUP BY (id - 1) / 1000) b");
  double sq8_index_s = timed_green("fashion_sq8");
  load["gv_upsert_batch_1000_sq8"] = {{"statement_s", sq8_s}, {"then_indexed_s", sq8_index_s}, {"total_s", sq8_s + sq8_index_s}};
  // Memory: the engine's own accounting per collection, and the process's RSS.
  conn.Exec("DROP FOREIGN TABLE fashion_ft");  // before its collection: a used collection is not dropped
  for (const char* c : {"fashion_rows", "fashion_copy"}) conn.Exec(std::string("SELECT gv_drop_collection('") + c + "')");
  Json memory;
  for (const char* c : {"fashion", "fashion_sq8"}) {
    Json info = Json::parse(conn.Exec(std::string("SELECT gv_collection_info('") + c + "')"));
    memory[c] = {{"index_bytes", info["index_memory_bytes"]}, {"vector_bytes", info["vector_memory_bytes"]}};
  }
  memory["engine_rss_bytes_two_collections"] = EngineRss(conn);
  memory["sq8_index_vs_float"] = memory["fashion_sq8"]["index_bytes"].get<double>() / memory["fashion"]["index_bytes"].get<double>();
  memory["sq8_vectors_vs_float"] = memory["fashion_sq8"]["vector_bytes"].get<double>() / memory["fashion"]["vector_bytes"].get<double>();
  result["load"] = load;
  result["memory"] = memory;
  {
    auto t0 = Clock::now();
    for (const char* c : {"fashion", "fashion_sq8"}) WaitSnapshot(conn, c);
    std::fprintf(stderr, "waited %.0f s for the engine's index snapshots before measuring searches\n",
                 Seconds(t0, Clock::now()));
  }
  std::fprintf(stderr, "memory: float index %.0f MB, sq8 index %.0f MB (%.0f%%), engine RSS %.0f MB\n",
               memory["fashion"]["index_bytes"].get<double>() / 1e6, memory["fashion_sq8"]["index_bytes"].get<double>() / 1e6,
               100 * memory["sq8_index_vs_float"].get<double>(), memory["engine_rss_bytes_two_collections"].get<double>() / 1e6);

  // --------------------------------------------------------------------------------------------------
  // Raw hnswlib in this process: the ceiling.
  Json& raw = result["raw_hnswlib"];
  raw = Json::object();
  hnswlib::L2Space space(784);
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  for (int threads : {1, 2}) {
    if (o.quick && threads == 2) break;
    auto t0 = Clock::now();
    index = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space, d.train.size(), o.m, o.ef_construction, 100);
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&]() {
        for (size_t i; (i = next.fetch_add(1)) < d.train.size();) index->addPoint(d.train[i].data(), i);
      });
    for (auto& t : pool) t.join();
    raw["build_s_" + std::to_string(threads) + "_threads"] = Seconds(t0, Clock::now());
    std::fprintf(stderr, "raw hnswlib build, %d thread(s): %.1f s\n", threads, Seconds(t0, Clock::now()));
  }

  // --------------------------------------------------------------------------------------------------
  // Search: one and two clients, every ef.
  Json search = Json::array();
  for (size_t i = 0; i < clients.size(); ++i) {
    clients[i]->Prepare("gv", "SELECT id FROM gv_search('fashion', $1::real[], 10, NULL, $2::int)", 2);
    clients[i]->Prepare("gv_sq8", "SELECT id FROM gv_search('fashion_sq8', $1::real[], 10, NULL, $2::int)", 2);
    clients[i]->Prepare("gv_filtered", "SELECT id FROM gv_search('fashion', $1::real[], 10, $2::jsonb, $3::int)", 3);
    clients[i]->Exec("CREATE FOREIGN TABLE IF NOT EXISTS fashion_search (id text, vector real[], label int OPTIONS (payload_key 'label')) "
                     "SERVER govector OPTIONS (collection 'fashion')");
    clients[i]->Prepare("ft", "SELECT id FROM fashion_search ORDER BY vector <-> $1::real[] LIMIT 10", 1);
  }
  std::vector<std::unique_ptr<httplib::Client>> https;  // one per client thread
  for (int i = 0; i < 2 && !o.http_url.empty(); ++i) {
    auto http = std::make_unique<httplib::Client>(o.http_url);
    http->set_keep_alive(true);
    http->set_tcp_nodelay(true);
    if (auto r = http->Get("/"); !r || r->status != 200) Die("no HTTP API at " + o.http_url);
    https.push_back(std::move(http));
  }
  std::vector<std::string> literals, binaries;
  for (const auto& q : d.test) {
    literals.push_back(ArrayLiteral(q));
    binaries.push_back(ArrayBinary(q));
  }
  const Case& none = cases[0];
  for (int ef : o.efs) {
    Json row = {{"ef", ef}};
    index->setEf(static_cast<size_t>(ef));
    for (int nc : many_clients) {
      auto m = Run(none, o.queries, nc, [&](int, size_t q) {
        auto r = index->searchKnn(d.test[q].data(), 10);
        std::vector<size_t> ids;
        while (!r.empty()) {
          ids.push_back(r.top().second);
          r.pop();
        }
        return ids;
      });
      row["raw_hnswlib"][std::to_string(nc) + "_clients"] = m.ToJson();
      Print("ef " + std::to_string(ef) + " raw hnswlib, " + std::to_string(nc) + " client(s)", m);
      for (const std::string stmt : {"gv", "gv_sq8"}) {
        m = Run(none, o.queries, nc, [&](int cl, size_t q) {
          return ParseIds(clients[cl]->Run(stmt, {Conn::Param::Binary(binaries[q]), std::to_string(ef)}));
        });
        std::string key = stmt == "gv" ? "gv_search" : "gv_search_sq8";
        row[key][std::to_string(nc) + "_clients"] = m.ToJson();
        Print("ef " + std::to_string(ef) + " " + key + " (prepared, libpq), " + std::to_string(nc) + " client(s)", m);
      }
    }
    for (auto& cl : clients) cl->Exec("SET govector.ef_search = " + std::to_string(ef));
    for (int nc : two_clients) {
      auto m = Run(none, o.queries, nc, [&](int cl, size_t q) {
        return ParseIds(clients[cl]->Run("ft", {Conn::Param::Binary(binaries[q])}));
      });
      row["foreign_table"][std::to_string(nc) + "_clients"] = m.ToJson();
      Print("ef " + std::to_string(ef) + " foreign table ORDER BY <-> LIMIT 10, " + std::to_string(nc) + " client(s)", m);
    }
    if (!https.empty()) {
      // POST /points/query as a Qdrant client sends it (bodies built outside the timed loop; the answer is
      // parsed inside it, as a client must).
      std::vector<std::string> bodies;
      for (size_t q = 0; q < o.queries; ++q)
        bodies.push_back(Json{{"query", d.test[q]}, {"limit", 10}, {"params", {{"hnsw_ef", ef}}}}.dump());
      for (int nc : two_clients) {
        auto m = Run(none, o.queries, nc, [&](int cl, size_t q) {
          auto res = https[cl]->Post("/collections/fashion/points/query", bodies[q], "application/json");
          if (!res || res->status != 200) Die("HTTP query failed" + (res ? ": " + res->body : std::string()));
          Json answer = Json::parse(res->body);  // named: a temporary would end before the loop below
          std::vector<size_t> ids;
          for (const Json& p : answer["result"]["points"]) ids.push_back(p["id"].get<size_t>() - 1);
          return ids;
        });
        row["http_query"][std::to_string(nc) + "_clients"] = m.ToJson();
        Print("ef " + std::to_string(ef) + " HTTP POST /points/query, " + std::to_string(nc) + " client(s)", m);
      }
    }
    search.push_back(row);
  }
  for (auto& cl : clients) cl->Exec("RESET govector.ef_search");
  result["search"] = search;

  // Filtered search through gv_search at one ef.
  Json filtered = Json::array();
  const int filter_ef = 40;
  for (size_t ci = 1; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    auto m = Run(c, o.queries, 1, [&](int cl, size_t q) {
      return ParseIds(clients[cl]->Run("gv_filtered", {Conn::Param::Binary(binaries[q]), c.govector_filter(q), std::to_string(filter_ef)}));
    });
    Print("filter " + c.name + ", gv_search ef " + std::to_string(filter_ef), m);
    filtered.push_back({{"case", c.name}, {"selectivity", c.selectivity}, {"ef", filter_ef}, {"gv_search", m.ToJson()}});
  }
  result["filtered"] = filtered;

  // --------------------------------------------------------------------------------------------------
  // pgvector, same data, queries and measures.
  if (have_pgvector) {
    Json pgv;
    conn.Exec("CREATE EXTENSION IF NOT EXISTS vector");
    conn.Exec("DROP TABLE IF EXISTS fashion_pgv");
    conn.Exec("CREATE TABLE fashion_pgv (id int PRIMARY KEY, label int, attr100 int, attr1000 int, embedding vector(784))");
    pgv["copy_s"] = timed("INSERT INTO fashion_pgv SELECT id, label, attr100, attr1000, image::vector FROM fashion_src");
    conn.Exec("SET maintenance_work_mem = '2GB'");
    conn.Exec("SET max_parallel_maintenance_workers = 0");
    pgv["index_build_serial_s"] = timed("CREATE INDEX fashion_pgv_hnsw ON fashion_pgv USING hnsw (embedding vector_l2_ops) "
                                        "WITH (m = " + std::to_string(o.m) + ", ef_construction = " + std::to_string(o.ef_construction) + ")");
    if (!o.quick) {
      conn.Exec("DROP INDEX fashion_pgv_hnsw");
      conn.Exec("SET max_parallel_maintenance_workers = 1");
      pgv["index_build_1_worker_s"] = timed("CREATE INDEX fashion_pgv_hnsw ON fashion_pgv USING hnsw (embedding vector_l2_ops) "
                                            "WITH (m = " + std::to_string(o.m) + ", ef_construction = " + std::to_string(o.ef_construction) + ")");
    }
    conn.Exec("VACUUM ANALYZE fashion_pgv");
    pgv["index_bytes"] = std::strtoull(conn.Exec("SELECT pg_relation_size('fashion_pgv_hnsw')").c_str(), nullptr, 10);
    std::fprintf(stderr, "pgvector: copy %.1f s, index build (serial) %.1f s, index %.0f MB\n", pgv["copy_s"].get<double>(),
                 pgv["index_build_serial_s"].get<double>(), pgv["index_bytes"].get<double>() / 1e6);
    std::vector<std::string> vlits, vbins;
    for (const auto& q : d.test) {
      vlits.push_back(VectorLiteral(q));
      vbins.push_back(VectorBinary(q));
    }
    for (auto& cl : clients) {
      cl->Exec("SET enable_seqscan = off");
      cl->Prepare("pgv", "SELECT id FROM fashion_pgv ORDER BY embedding <-> $1::vector LIMIT 10", 1);
    }
    Json pgsearch = Json::array();
    for (int ef : o.efs) {
      Json row = {{"ef", ef}};
      for (auto& cl : clients) cl->Exec("SET hnsw.ef_search = " + std::to_string(ef));
      for (int nc : many_clients) {
        auto m = Run(none, o.queries, nc, [&](int cl, size_t q) { return ParseIds(clients[cl]->Run("pgv", {Conn::Param::Binary(vbins[q])})); });
        row[std::to_string(nc) + "_clients"] = m.ToJson();
        Print("ef " + std::to_string(ef) + " pgvector, " + std::to_string(nc) + " client(s)", m);
      }
      pgsearch.push_back(row);
    }
    pgv["search"] = pgsearch;
    // Filtered: the planner's own choice, and the index with and without iterative scans.
    Json pgfiltered = Json::array();
    for (auto& cl : clients) cl->Exec("SET hnsw.ef_search = 40");
    for (size_t ci = 1; ci < cases.size(); ++ci) {
      const Case& c = cases[ci];
      Json row = {{"case", c.name}};
      struct Mode {
        const char* name;
        const char* settings;
      } modes[] = {{"planner's choice", "RESET enable_seqscan; SET hnsw.iterative_scan = off"},
                   {"index scan", "SET enable_seqscan = off; SET hnsw.iterative_scan = off"},
                   {"index scan, iterative (relaxed_order)", "SET enable_seqscan = off; SET hnsw.iterative_scan = relaxed_order"}};
      for (const auto& mode : modes) {
        clients[0]->Exec(mode.settings);
        size_t n = o.quick ? std::min<size_t>(o.queries, 100) : std::min<size_t>(o.queries, 300);
        Case sub = c;
        auto m = Run(sub, n, 1, [&](int, size_t q) {
          std::string sql = "SELECT id FROM fashion_pgv WHERE " + c.sql_condition(q) + " ORDER BY embedding <-> '" + vlits[q] + "' LIMIT 10";
          PGresult* r = PQexec(clients[0]->raw(), sql.c_str());
          std::vector<std::string> rows;
          for (int i = 0; i < PQntuples(r); ++i) rows.emplace_back(PQgetvalue(r, i, 0));
          PQclear(r);
          return ParseIds(rows);
        });
        row[mode.name] = m.ToJson();
        Print(std::string("filter ") + c.name + ", pgvector " + mode.name, m);
      }
      clients[0]->Exec("SET enable_seqscan = off; SET hnsw.iterative_scan = off");
      pgfiltered.push_back(row);
    }
    pgv["filtered"] = pgfiltered;
    result["pgvector"] = pgv;
  } else {
    std::fprintf(stderr, "pgvector: the vector extension is not installed here; skipping it\n");
  }

  }

  // --------------------------------------------------------------------------------------------------
  // Scale: clustered synthetic sets of 128 dimensions, loaded through SQL.
  Json scale = Json::array();
  for (size_t n : o.scale) {
    govector::testing::Dataset s = govector::testing::ClusteredSynthetic(n, 200, 128, 64, 7);
    std::vector<Case> sc(1, unfiltered);
    sc[0].truth.assign(s.test.size(), {});
    for (size_t q = 0; q < s.test.size(); ++q)
      sc[0].truth[q] = govector::testing::BruteForce(s.train, s.test[q], govector::Distance::kEuclid, 10, [](size_t) { return true; });
    conn.Exec("SELECT gv_drop_collection('scale', true)");
    conn.Exec("SELECT gv_create_collection('scale', 128, 'euclid', m => 16, ef_construct => 64)");
    uint64_t rss0 = EngineRss(conn);
    auto t0 = Clock::now();
    for (size_t start = 0; start < n; start += 5000) {
      std::string ids = "{", vecs = "{";
      for (size_t i = start; i < std::min(n, start + 5000); ++i) {
        if (i > start) {
          ids += ",";
          vecs += ",";
        }
        ids += std::to_string(i + 1);
        vecs += ArrayLiteral(s.train[i]);
      }
      conn.Exec("SELECT gv_upsert_batch('scale', '" + ids + "}', '" + vecs + "}')");
    }
    double load_s = Seconds(t0, Clock::now());
    WaitGreen(conn, "scale");
    double build_s = Seconds(t0, Clock::now());
    Json info = Json::parse(conn.Exec("SELECT gv_collection_info('scale')"));
    WaitSnapshot(conn, "scale");
    std::string stmt = "scale" + std::to_string(n);
    clients[0]->Prepare(stmt, "SELECT id FROM gv_search('scale', $1::real[], 10, NULL, $2::int)", 2);
    std::vector<std::string> sl;
    for (const auto& q : s.test) sl.push_back(ArrayBinary(q));
    // Raw hnswlib on the same points (two threads, as the engine's indexer): how hard the set itself is.
    hnswlib::L2Space scale_space(128);
    auto b0 = Clock::now();
    hnswlib::HierarchicalNSW<float> raw_scale(&scale_space, n, 16, 64, 100);
    {
      std::atomic<size_t> next{0};
      std::vector<std::thread> pool;
      for (int t = 0; t < 2; ++t)
        pool.emplace_back([&]() {
          for (size_t i; (i = next.fetch_add(1)) < n;) raw_scale.addPoint(s.train[i].data(), i);
        });
      for (auto& t : pool) t.join();
    }
    double raw_build_s = Seconds(b0, Clock::now());
    Json searches = Json::array();
    for (int ef : {40, 128}) {
      auto m = Run(sc[0], s.test.size(), 1, [&](int, size_t q) {
        return ParseIds(clients[0]->Run(stmt, {Conn::Param::Binary(sl[q]), std::to_string(ef)}));
      });
      Print("scale " + std::to_string(n) + " x 128, gv_search ef " + std::to_string(ef), m);
      raw_scale.setEf(static_cast<size_t>(ef));
      auto raw_m = Run(sc[0], s.test.size(), 1, [&](int, size_t q) {
        auto r = raw_scale.searchKnn(s.test[q].data(), 10);
        std::vector<size_t> ids;
        for (; !r.empty(); r.pop()) ids.push_back(r.top().second);
        return ids;
      });
      Print("scale " + std::to_string(n) + " x 128, raw hnswlib ef " + std::to_string(ef), raw_m);
      searches.push_back({{"ef", ef}, {"search", m.ToJson()}, {"raw_hnswlib", raw_m.ToJson()}});
    }
    scale.push_back({{"points", n}, {"dimension", 128}, {"queries", s.test.size()}, {"load_s", load_s},
                     {"load_and_index_s", build_s}, {"index_bytes", info["index_memory_bytes"]},
                     {"engine_rss_growth_bytes", static_cast<int64_t>(EngineRss(conn)) - static_cast<int64_t>(rss0)},
                     {"raw_hnswlib_build_s", raw_build_s}, {"searches", searches}});
    conn.Exec("SELECT gv_drop_collection('scale')");
  }
  result["scale"] = scale;
  if (!o.scale_only) result["matched_recall"] = MatchedRecall(result);
  result["elapsed_s"] = Seconds(started, Clock::now());

  std::ofstream(o.out) << result.dump(2) << "\n";
  std::fprintf(stderr, "wrote %s (%.0f s)\n", o.out.c_str(), result["elapsed_s"].get<double>());
  if (!o.report_dir.empty() && !o.scale_only) WriteReport(result, o.report_dir);
  if (!o.report_dir.empty() && o.scale_only) std::ofstream(o.report_dir + "/results.md") << ScaleTable(result);
  if (o.check_recall > 0) {
    // The harness keeps its own results honest: govector's recall at the largest ef, and under every filter.
    bool ok = true;
    if (o.scale_only) return 0;
    const Json& last = result["search"].back();
    for (const char* k : {"gv_search", "gv_search_sq8", "foreign_table", "http_query"}) {
      if (!last.contains(k)) continue;
      double rc = last[k]["1_clients"]["recall"].get<double>();
      if (rc < o.check_recall) {
        std::fprintf(stderr, "recall check failed: %s at ef %d: %.4f < %.2f\n", k, last["ef"].get<int>(), rc, o.check_recall);
        ok = false;
      }
    }
    for (const Json& f : result["filtered"]) {
      double rc = f["gv_search"]["recall"].get<double>();
      if (rc < o.check_recall) {
        std::fprintf(stderr, "recall check failed: filter %s: %.4f < %.2f\n", f["case"].get<std::string>().c_str(), rc, o.check_recall);
        ok = false;
      }
    }
    if (!ok) return 1;
    std::fprintf(stderr, "recall check passed (>= %.2f)\n", o.check_recall);
  }
  return 0;
}
