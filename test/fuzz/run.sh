#!/usr/bin/env bash
# Runs every libFuzzer target (build/fuzz/fuzz_*) from its seed corpus (test/fuzz/corpus/<target>), with the
# options given (make fuzz-quick: -max_total_time=N; make fuzz: -runs=N). New inputs go to a working corpus
# under build/fuzz/corpus; a crash leaves its input in build/fuzz/ and fails the run.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
for bin in build/fuzz/fuzz_*; do
  name=${bin##*/fuzz_}
  work=build/fuzz/corpus/$name
  mkdir -p "$work"
  start=$SECONDS
  # -rss_limit_mb: an input that makes the engine allocate without bound is a finding too.
  if "$bin" "$@" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
      "$work" "test/fuzz/corpus/$name" >"build/fuzz/$name.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/$name.log" | grep -o '[0-9]*$')
    echo "fuzz $name: ${runs:-?} inputs in $((SECONDS - start)) s, no crash"
  else
    echo "fuzz $name: FAILED (build/fuzz/$name.log):"
    grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "build/fuzz/$name.log"
    status=1
  fi
done
exit $status
