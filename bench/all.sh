#!/usr/bin/env bash
# Every figure of issue 16 in one run: builds what it needs (release), runs
# the results, frame and load benchmarks on the chosen backends, and prints
# each figure beside its target, then one machine-readable line per figure
# (`name=value unit`) so two runs can be compared. Asserts nothing.
#
#   bench/all.sh [sqlite|postgres|both] [responses] [frame rows]
#
# defaults: both, 1000000 responses, 1000000 frame rows. PostgreSQL:
# BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test); scratch
# databases are created and dropped there. Takes 10–20 minutes at full size.
set -euo pipefail
cd "$(dirname "$0")/.."
which_db=${1:-both}
responses=${2:-1000000}
frame_rows=${3:-1000000}
pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet --bin chiso --example results_bench --example load

backends=()
case $which_db in sqlite|both) backends+=(sqlite) ;; esac
case $which_db in postgres|both) backends+=(postgres) ;; esac

for b in "${backends[@]}"; do
  echo "=== results ($b, $responses responses)"
  if [ "$b" = sqlite ]; then
    url="sqlite://$out/results.db"
  else
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_results_bench' -qc 'CREATE DATABASE chiso_results_bench' >/dev/null
    url="${pg_admin%/*}/chiso_results_bench"
  fi
  target/release/examples/results_bench build "$url" "$responses" 2>&1 | tee "$out/results-build-$b.txt"
  target/release/examples/results_bench time "$url" 2>&1 | tee "$out/results-$b.txt"
  [ "$b" = sqlite ] && rm -f "$out"/results.db* || psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_results_bench' >/dev/null
  echo "=== frame ($b, $frame_rows rows)"
  bench/frame.sh "$b" "$frame_rows" 2>&1 | tee "$out/frame-$b.txt"
  echo "=== load ($b)"
  BENCH_QUESTIONNAIRES=citizen_one_page bench/load.sh "$b" 20000 64 2>&1 | tee "$out/load-$b.txt"
done

# name (without backend) | target | better when
targets() {
  cat <<'T'
recompute sqlite:≤ 1.0 s postgres:≤ 2.0 s
recompute_peak_rss ≤ 300 MB
live_all_units ≤ 5 ms
live_one_unit ≤ 2 ms
index_table ≤ 50 ms
sample_draw ≤ 2 s
sample_verify ≤ 2 s
frame_import sqlite:≤ 5 s postgres:≤ 10 s
one_page_submissions sqlite:≥ 2500 /s postgres:≥ 1000 /s
one_page_submit_p99 sqlite:< 50 ms postgres:< 100 ms
microdata_csv measured and stated
microdata_csv_heap_growth flat (≈ 0 MB)
T
}

echo
echo "== figures ($(date -u +%F), $(nproc) cores)"
printf '%-28s %-9s %-14s %s\n' figure backend value target
lines=()
for b in "${backends[@]}"; do
  for f in "$out"/results-"$b".txt "$out"/frame-"$b".txt "$out"/load-"$b".txt; do
    [ -f "$f" ] || continue
    while read -r _ kv unit; do
      name=${kv%%=*}; value=${kv#*=}
      target=$(targets | awk -v n="$name" -v b="$b" '$1==n {
        line=substr($0, length(n)+2);
        if (index(line, b":")) { split(line, parts, b":"); split(parts[2], t, / (sqlite|postgres):/); print t[1] }
        else if (index(line, ":")) print "—"; else print line }')
      printf '%-28s %-9s %-14s %s\n' "$name" "$b" "$value $unit" "${target:-—}"
      lines+=("${b}_${name}=${value} ${unit}")
    done < <(grep '^figure ' "$f" || true)
  done
done
echo
printf '%s\n' "${lines[@]}"
