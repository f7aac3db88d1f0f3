#!/usr/bin/env bash
# Frame import benchmark: a synthetic province of 1,000,000 frame rows (300
# units, four respondent groups, a stratifying column, Vietnamese names)
# imported by the release binary, then planned and drawn; on SQLite and then
# on PostgreSQL. Prints the times; asserts nothing.
#
#   bench/frame.sh [sqlite|postgres|both] [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
which_db=${1:-both}
rows=${2:-1000000}
pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
cargo build --release --quiet --bin chiso
bin=$PWD/target/release/chiso
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$rows" "$work" <<'PY'
import random, sys
rows, work = int(sys.argv[1]), sys.argv[2]
random.seed(2026)
units = ["code,name,block,unit_type"]
codes = []
for i in range(300):
    kind = ("so", "so") if i < 30 else (("phuong", "phuong") if i < 120 else ("xa_dac_khu", "xa"))
    code = f"U{i:03d}"
    codes.append(code)
    units.append(f"{code},Đơn vị thử {i},{kind[0]},{kind[1]}")
open(f"{work}/units.csv", "w", encoding="utf-8").write("\n".join(units) + "\n")
fields = ["Đất đai", "Hộ tịch", "Xây dựng", "Kinh doanh", "Tư pháp"]
groups = ["citizen"] * 80 + ["business"] * 12 + ["civil_servant"] * 7 + ["leader"]
with open(f"{work}/frame.csv", "w", encoding="utf-8") as f:
    f.write("\ufeffperson_key,unit,group,email,linh_vuc,ho_ten\n")
    for n in range(rows):
        f.write(f"P{n:07d},{random.choice(codes)},{random.choice(groups)},nguoi{n}@vi-du.vn,"
                f"{random.choice(fields)},Nguyễn Thị Hồng {n}\n")
PY
echo "frame file: $(du -h "$work/frame.csv" | cut -f1), $rows rows"

run() { # backend url
  local dir=$work/$1
  mkdir -p "$dir"
  export CHISO__DATA_DIR=$dir CHISO__QUESTIONNAIRES_DIR=$PWD/questionnaires
  if [ -n "$2" ]; then export DATABASE_URL=$2; else unset DATABASE_URL; fi
  $bin units import "$work/units.csv" >/dev/null
  $bin campaign open --year 2026 --name "Đo khung mẫu" --opens 2026-01-01 --closes 2026-12-31 \
    --profile hai-phong-2025 >/dev/null
  echo "== $1"
  # Each step also prints one machine-readable line (bench/all.sh collects them).
  /usr/bin/time -f "  import: %e s wall, %M KB peak memory
figure frame_import=%e s" $bin frame import --campaign 1 "$work/frame.csv"
  /usr/bin/time -f "  plan: %e s wall, %M KB peak memory
figure sample_plan=%e s" $bin sample plan --campaign 1 --format csv >/dev/null
  /usr/bin/time -f "  draw: %e s wall, %M KB peak memory
figure sample_draw=%e s" $bin sample draw --campaign 1 --seed bench
  /usr/bin/time -f "  verify: %e s wall, %M KB peak memory
figure sample_verify=%e s" $bin sample verify --campaign 1
}
case $which_db in sqlite|both) run SQLite "" ;; esac
case $which_db in
  postgres|both)
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_frame_bench' -qc 'CREATE DATABASE chiso_frame_bench' >/dev/null
    run PostgreSQL "${pg_admin%/*}/chiso_frame_bench"
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS chiso_frame_bench' >/dev/null ;;
esac
