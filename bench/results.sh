#!/usr/bin/env bash
# Survey results from a real database: a synthetic province of 300 units
# whose sampled citizens answered (examples/results_bench.rs), timed as a
# results page reads it (the running sums) and as a full recomputation from
# the stored answers. Prints figures; asserts nothing about time.
#
#   bench/results.sh [RESPONSES...]      default: 100000 1000000
#
# SQLite files go to BENCH_DIR (default: a temporary directory, removed).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
cargo build --release --quiet --example results_bench
bin=target/release/examples/results_bench
base=${BENCH_DIR:-$(mktemp -d)}
for n in "${sizes[@]}"; do
  dir="$base/r$n"; rm -rf "$dir"; mkdir -p "$dir"
  echo "== $n responses (SQLite, $dir)"
  "$bin" build "sqlite://$dir/chiso.db" "$n"
  "$bin" time "sqlite://$dir/chiso.db"
  du -sh "$dir" | sed 's/^/database: /'
done
[ -n "${BENCH_DIR:-}" ] || rm -rf "$base"
