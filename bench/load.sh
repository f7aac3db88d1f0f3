#!/usr/bin/env bash
# Load benchmark: the release binary on a fresh database, many concurrent
# respondents answering their token links (examples/load.rs), on SQLite and
# then on PostgreSQL. Prints throughput and latency percentiles.
#
#   bench/load.sh [sqlite|postgres|both] [respondents] [concurrency]
#
# PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test);
# a scratch database chiso_bench is created and dropped there.
set -euo pipefail
cd "$(dirname "$0")/.."
which_db=${1:-both}
respondents=${2:-20000}
concurrency=${3:-64}
pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}

cargo build --release --quiet --bin chiso --example load
bin=target/release/chiso
load=target/release/examples/load

run() { # backend database_url
  local backend=$1 url=$2 dir
  dir=$(mktemp -d)
  mkdir -p "$dir/q"
  cp questionnaires/*.toml "$dir/q/"
  # SIPAS's 22 questions on one page: one POST stores one whole response.
  python3 - questionnaires/citizen.toml > "$dir/q/citizen_one_page.toml" <<'PY'
import re, sys
out, seen, skipping = [], False, False
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("code = \"citizen\""):
        line = "code = \"citizen_one_page\"\n"
    if line.strip() == "[[sections]]":
        skipping = seen
        seen = True
    elif line.startswith("[[") or line.startswith("["):
        skipping = False
    if not skipping:
        out.append(line)
sys.stdout.write("".join(out))
PY
  export CHISO__DATA_DIR=$dir CHISO__QUESTIONNAIRES_DIR=$dir/q
  if [ -n "$url" ]; then export DATABASE_URL=$url; else unset DATABASE_URL; fi
  # The benchmark client is one address asking for thousands of tokens.
  export CHISO__SECURITY__TOKEN_MISSES_PER_CLIENT=1000000
  $bin check >/dev/null
  $bin migrate >/dev/null
  $bin units import demo/units.csv >/dev/null
  local today unit port pid
  today=$(TZ=Asia/Ho_Chi_Minh date +%F)
  unit=$(awk -F, 'NR==2{print $1}' demo/units.csv)
  $bin campaign open --year 2026 --name "Đo tải" --opens "$today" --closes "$today" >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  RUST_LOG=warn $bin serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  for q in ${BENCH_QUESTIONNAIRES:-citizen_one_page citizen}; do
    $bin tokens issue --campaign 1 -q "$q" --unit "$unit" --count "$respondents" > "$dir/tokens-$q.txt"
    echo "== $backend, $q: $respondents respondents, $concurrency at once"
    /usr/bin/time -f "  load generator CPU: %U s user, %S s sys" $load --base "http://127.0.0.1:$port" --tokens "$dir/tokens-$q.txt" \
      --questionnaire "$dir/q/$q.toml" --concurrency "$concurrency" || status=1
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

status=0
case $which_db in
  sqlite|both) run SQLite "" ;;
esac
case $which_db in
  postgres|both)
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_bench' -qc 'CREATE DATABASE chiso_bench' >/dev/null
    run PostgreSQL "${pg_admin%/*}/chiso_bench"
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_bench' >/dev/null ;;
esac
exit $status
