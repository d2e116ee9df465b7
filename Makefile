# govector: the engine library and govectord (plain rules, C++), the Postgres extension (PGXS, C), tests.
#
#   make               build everything
#   make unit          engine unit tests (GoogleTest)
#   make installcheck  SQL tests (pg_regress) on a cluster the test starts under build/
#   make http-test     the HTTP API with the real Qdrant JavaScript client (needs npm ci in test/http)
#   make test          every suite

BUILD      := build
GEN        := $(BUILD)/gen
PROTOC     ?= protoc

PG_CONFIG  ?= pg_config
GV_CXX      ?= g++
GV_CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Wno-unused-parameter -march=x86-64-v3 -fPIC -pthread \
               -Isrc -I$(GEN) -I$(shell $(PG_CONFIG) --includedir)
GV_LIBS     := -llmdb -lprotobuf -lre2 -lcpp-httplib -lpq -pthread
# src/common: plain C shared with the extension (which PGXS compiles again with Postgres's flags).
GV_CC       ?= gcc
GV_CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -march=x86-64-v3 -fPIC -Isrc

ENGINE_SRCS := $(wildcard src/engine/*.cc)
COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(COMMON_SRCS))
ENGINE_OBJS := $(patsubst src/%.cc,$(BUILD)/%.o,$(ENGINE_SRCS)) $(COMMON_OBJS) $(BUILD)/gen/govector.pb.o
SERVER_SRCS := $(wildcard src/server/*.cc)
SERVER_OBJS := $(patsubst src/%.cc,$(BUILD)/%.o,$(SERVER_SRCS))
UNIT_SRCS   := $(wildcard test/unit/*.cc)
UNIT_OBJS   := $(patsubst test/%.cc,$(BUILD)/test/%.o,$(UNIT_SRCS))

ENGINE_LIB  := $(BUILD)/libgovector_engine.a
UNIT_BIN    := $(BUILD)/unit_tests
GOVECTORD   := $(BUILD)/govectord
FMNIST_EXPORT := $(BUILD)/fmnist_export
SET_FORMAT  := $(BUILD)/gv_set_format

# ---- The Postgres extension (PGXS) -----------------------------------------------------------------
PG_CONFIG  ?= pg_config
EXTENSION  := govector
MODULE_big := govector
DATA       := sql/govector--0.1.0.sql sql/govector--0.2.0.sql \
              sql/govector--0.1.0--0.2.0.sql sql/govector--0.2.0--0.3.0.sql
PG_OBJS    := src/pg/govector.o src/pg/engine_client.o src/pg/engine_requests.o src/pg/worker.o src/pg/functions.o \
              src/pg/convert.o src/pg/operators.o src/pg/fdw.o src/pg/fdw_option.o src/pg/fdw_scan.o \
              src/pg/fdw_modify.o src/pg/fdw_pushdown.o src/pg/fdw_shippable.o src/pg/fdw_render.o \
              src/pg/wal.o src/pg/apply.o src/pg/apply_pending.o src/pg/backup.o src/pg/lifecycle.o src/pg/http_write.o \
              src/pg/dump_am.o
OBJS       := $(PG_OBJS) src/common/govector_id.o src/common/govector_distance.o $(GEN)/govector.pb-c.o
PG_CPPFLAGS := -I$(GEN) -Isrc/pg -Isrc/common
SHLIB_LINK := -lprotobuf-c
# SQL tests: pg_regress runs test/sql/<name>.sql and compares the output with test/expected/<name>.out, on a
# temporary cluster under build/regress with its own free port. NO_INSTALLCHECK: in place of PGXS's recipe, the
# installcheck target below runs pg_regress through test/regress.sh, which runs it as the cluster's OS user
# (initdb refuses root) and prints the diffs and the engine's log lines when a test fails.
REGRESS_DIR  := $(BUILD)/regress
REGRESS      := collections fdw filters namespaces points privileges search types transactions lifecycle dump upgrade
REGRESS_OPTS  = --inputdir=test --outputdir=$(REGRESS_DIR) --temp-instance=$(REGRESS_DIR)/tmp_check \
                --temp-config=test/regress.conf --port=$(shell bash -c '. test/pg_env.sh && free_port 52000')
NO_INSTALLCHECK := 1
# No LLVM bitcode for JIT inlining: the extension's functions are calls into the engine, not expressions.
override with_llvm := no
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
# The database the tests run in (test/sql/namespaces.sql connects back to it by name). Set after the include:
# PGXS's Makefile.global sets its own, and PGXS adds --dbname=$(CONTRIB_TESTDB) to REGRESS_OPTS.
CONTRIB_TESTDB := gv_regress

$(GEN)/govector.pb-c.c $(GEN)/govector.pb-c.h: proto/govector.proto
	@mkdir -p $(GEN)
	$(PROTOC) -Iproto --c_out=$(GEN) proto/govector.proto

$(PG_OBJS): $(GEN)/govector.pb-c.h src/pg/govector_pg.h src/pg/fdw.h $(wildcard src/common/*.h)

.PHONY: engine unit tsan asan soak orm-test fuzz fuzz-quick fuzz-build bench-hnsw bench bench-quick bench-scale test installcheck system-test http-test install-govectord clean-build

all: engine $(GOVECTORD) $(FMNIST_EXPORT)

$(FMNIST_EXPORT): bench/tools/fmnist_export.cc
	@mkdir -p $(BUILD)
	$(GV_CXX) $(GV_CXXFLAGS) -o $@ $< -lz

engine: $(ENGINE_LIB)

# The git commit GET / reports (Qdrant's "commit"); rewritten only when it changes, so nothing rebuilds for it
# otherwise. Outside a git checkout it is "unknown".
$(GEN)/commit.h: FORCE
	@mkdir -p $(GEN)
	@c=$$(git rev-parse HEAD 2>/dev/null || echo unknown); \
	  printf '#pragma once\n#define GV_GIT_COMMIT "%s"\n' "$$c" > $@.tmp; \
	  cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
.PHONY: FORCE
FORCE:
$(BUILD)/server/http_server.o: $(GEN)/commit.h

$(GOVECTORD): $(SERVER_OBJS) $(ENGINE_LIB)
	$(GV_CXX) $(GV_CXXFLAGS) -o $@ $(SERVER_OBJS) $(ENGINE_LIB) $(GV_LIBS)

$(SET_FORMAT): test/tools/gv_set_format.cc $(ENGINE_LIB)
	$(GV_CXX) $(GV_CXXFLAGS) -o $@ $< $(ENGINE_LIB) $(GV_LIBS)

$(GEN)/govector.pb.cc $(GEN)/govector.pb.h: proto/govector.proto
	@mkdir -p $(GEN)
	$(PROTOC) -Iproto --cpp_out=$(GEN) proto/govector.proto

$(BUILD)/gen/govector.pb.o: $(GEN)/govector.pb.cc
	$(GV_CXX) $(GV_CXXFLAGS) -Wno-extra -c $< -o $@

$(BUILD)/%.o: src/%.cc $(GEN)/govector.pb.h
	@mkdir -p $(dir $@)
	$(GV_CXX) $(GV_CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/common/%.o: src/common/%.c
	@mkdir -p $(dir $@)
	$(GV_CC) $(GV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/test/%.o: test/%.cc $(GEN)/govector.pb.h
	@mkdir -p $(dir $@)
	$(GV_CXX) $(GV_CXXFLAGS) -MMD -MP -c $< -o $@

$(ENGINE_LIB): $(ENGINE_OBJS)
	rm -f $@
	ar rcs $@ $^

# The unit tests link the server's objects too (all but its main), for the RPC and HTTP API tests.
SERVER_LIB_OBJS := $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJS))
$(UNIT_BIN): $(UNIT_OBJS) $(SERVER_LIB_OBJS) $(ENGINE_LIB)
	$(GV_CXX) $(GV_CXXFLAGS) -o $@ $(UNIT_OBJS) $(SERVER_LIB_OBJS) $(ENGINE_LIB) -lgtest -lgtest_main -lz $(GV_LIBS)

unit: $(UNIT_BIN)
	$(UNIT_BIN) --gtest_brief=1
	@# The kernels are chosen for the CPU at run time; check the narrower ones too where AVX-512 was chosen.
	GOVECTOR_KERNELS=avx2 $(UNIT_BIN) --gtest_brief=1 --gtest_filter='Distance.*:RecallTest.Sq8MatchesFloatRecall'

install: install-govectord
install-govectord: $(GOVECTORD)
	$(INSTALL_PROGRAM) $(GOVECTORD) '$(DESTDIR)$(bindir)/govectord'

# The SQL tests (REGRESS above; needs `make install` first). The port is chosen when this recipe expands.
installcheck:
	bash test/regress.sh $(REGRESS_DIR) $(top_builddir)/src/test/regress/pg_regress --bindir='$(bindir)' \
	  $(REGRESS_OPTS) $(REGRESS)

# The concurrency test under ThreadSanitizer (engine and test rebuilt with -fsanitize=thread).
TSAN_BIN := $(BUILD)/tsan/concurrency_tests
$(TSAN_BIN): $(ENGINE_SRCS) $(COMMON_OBJS) test/unit/concurrency_test.cc $(GEN)/govector.pb.cc
	@mkdir -p $(dir $@)
	$(GV_CXX) $(filter-out -O2,$(GV_CXXFLAGS)) -O1 -fsanitize=thread -o $@ $(ENGINE_SRCS) $(COMMON_OBJS) \
	  $(GEN)/govector.pb.cc test/unit/concurrency_test.cc -lgtest -lgtest_main -lz $(GV_LIBS)
tsan: $(TSAN_BIN)
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/test/unit/tsan.supp" $(TSAN_BIN)

# Fuzzing and sanitizers (clang's libFuzzer): the engine and server built once with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation (build/san); from them, one fuzzer per
# target in test/fuzz, and the unit and concurrency suites under ASan+UBSan.
#   make fuzz-quick   each target for FUZZ_SECONDS (20) from its seed corpus (in make test)
#   make fuzz         each target for FUZZ_RUNS (10,000,000) inputs
#   make asan         the unit and concurrency suites under ASan+UBSan (in make test)
SAN_CXX     ?= clang++
SAN_FLAGS   := -std=c++20 -O1 -g -march=x86-64-v3 -fPIC -pthread -Isrc -I$(GEN) -I$(shell $(PG_CONFIG) --includedir) \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
               -fsanitize-ignorelist=test/fuzz/sanitizer_ignore.txt
SAN_SRCS    := $(ENGINE_SRCS) $(filter-out src/server/main.cc,$(SERVER_SRCS))
SAN_OBJS    := $(patsubst src/%.cc,$(BUILD)/san/%.o,$(SAN_SRCS)) $(BUILD)/san/gen/govector.pb.o
SAN_LIB     := $(BUILD)/san/libgovector_san.a
FUZZ_TARGETS := filter point_id payload http rpc
FUZZ_BINS   := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 20
FUZZ_RUNS   ?= 10000000
$(BUILD)/san/%.o: src/%.cc $(GEN)/govector.pb.h
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/san/gen/govector.pb.o: $(GEN)/govector.pb.cc
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -w -c $< -o $@
$(SAN_LIB): $(SAN_OBJS)
	rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/fuzz_%: test/fuzz/fuzz_%.cc test/fuzz/fuzz_engine.h $(SAN_LIB) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer -o $@ $< $(SAN_LIB) $(COMMON_OBJS) -lz $(GV_LIBS)
fuzz-build: $(FUZZ_BINS)
fuzz-quick: $(FUZZ_BINS)
	bash test/fuzz/run.sh -max_total_time=$(FUZZ_SECONDS)
fuzz: $(FUZZ_BINS)
	bash test/fuzz/run.sh -runs=$(FUZZ_RUNS)
ASAN_UNIT := $(BUILD)/asan/unit_tests
ASAN_UNIT_OBJS := $(patsubst test/%.cc,$(BUILD)/asan/%.o,$(UNIT_SRCS))
$(BUILD)/asan/%.o: test/%.cc $(GEN)/govector.pb.h
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(ASAN_UNIT): $(ASAN_UNIT_OBJS) $(SAN_LIB) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -o $@ $(ASAN_UNIT_OBJS) $(SAN_LIB) $(COMMON_OBJS) \
	  -lgtest -lgtest_main -lz $(GV_LIBS)
asan: $(ASAN_UNIT)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(ASAN_UNIT) --gtest_brief=1

# Micro-benchmark: the engine's HNSW search against raw hnswlib (bench/hnsw_vs_engine.cc). hnswlib's header
# defines a few CPU-detection functions without `inline`, so they exist both in the engine library and in
# this program: the linker is told to keep one copy (they are identical).
HNSW_BENCH := $(BUILD)/bench/hnsw_vs_engine
$(HNSW_BENCH): bench/hnsw_vs_engine.cc $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(GV_CXX) $(GV_CXXFLAGS) -o $@ $< $(ENGINE_LIB) -lbenchmark -lz $(GV_LIBS) -Wl,--allow-multiple-definition
bench-hnsw: $(HNSW_BENCH)
	$(HNSW_BENCH)

# The SQL benchmark (bench/run.sh starts its own cluster): make bench reproduces every figure in the README;
# make bench-quick is the small version CI runs to keep the harness working (it checks recall, not speed).
# The SQL benchmark is built for the machine it runs on (-O3 -march=native), so the raw hnswlib it runs in
# process, compiled into it from the header, uses the widest SIMD this CPU has (AVX-512 where present): the
# ceiling gv_search is compared with is the best hnswlib does here. gv_search runs in govectord, built with the
# engine's own flags. (The micro-benchmark above keeps the engine's flags: the engine runs in the same program
# there, and hnswlib's templates would be shared between the two.)
BENCH_CXXFLAGS := $(GV_CXXFLAGS) -O3 -march=native
SQL_BENCH := $(BUILD)/bench/govector_bench
$(SQL_BENCH): bench/govector_bench.cc $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(GV_CXX) $(BENCH_CXXFLAGS) -I$(shell $(PG_CONFIG) --includedir) -o $@ $< $(ENGINE_LIB) -lpq -lz $(GV_LIBS) \
	  -Wl,--allow-multiple-definition
bench: $(SQL_BENCH) $(HNSW_BENCH)
	bash bench/run.sh full
	$(HNSW_BENCH)
bench-quick: $(SQL_BENCH)
	bash bench/run.sh quick
bench-scale: $(SQL_BENCH)
	bash bench/run.sh scale

# ORMs over a foreign table (SQLAlchemy and Django, Debian's packages), on a cluster the script starts.
orm-test:
	bash test/orm/run.sh

# The mixed-load soak (test/soak/run.sh; not in make test): SOAK_SECONDS (3600) of 16 clients.
soak:
	bash test/soak/run.sh

# Whole-system scenarios on clusters the tests start themselves (needs `make install` first).
system-test: $(SET_FORMAT)
	bash test/system/run.sh

# The HTTP API through the real Qdrant JavaScript client, on a cluster the script starts (needs `make install`
# and `npm ci` in test/http first; .ci/run does both).
http-test:
	bash test/http/run.sh

test: unit tsan asan fuzz-quick installcheck system-test http-test orm-test

clean: clean-build
clean-build:
	rm -rf $(BUILD) results regression.diffs regression.out

-include $(ENGINE_OBJS:.o=.d) $(SERVER_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
