//! Writes a synthetic table of 1,000,000 rows × 30 columns (an id, 10 text,
//! 10 integer and 9 float columns, some cells empty) to CSV, JSON and XLSX,
//! and prints for each the time, the file size and the peak resident memory
//! (`VmHWM` from /proc/self/status). Rows are generated on the fly, so the
//! peak is the writer's own. Each format runs in a fresh process, since
//! VmHWM only ever grows. Prints figures; asserts nothing.
//!
//! cargo run --release --example export_bench [-- ROWS [csv|json|xlsx]]
//!
//! The files go to the temporary directory and are removed afterwards,
//! unless `EXPORT_BENCH_KEEP` is set.

use std::convert::Infallible;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chiso::report::export::{write_csv, write_json, CsvOptions, XlsxExport};
use chiso::report::table::{Cell, Column, Header, Row};

const TEXTS: [&str; 8] = [
    "Hài lòng",
    "Rất hài lòng",
    "Bình thường",
    "Không hài lòng",
    "Sở Nội vụ tỉnh Sơn La",
    "UBND huyện Mộc Châu",
    "Thủ tục đất đai",
    "=cmd|' /C calc'!A0",
];

fn header() -> Header {
    let mut cols = vec![Column::new("id").label("Mã phiếu")];
    cols.extend(
        (1..=10).map(|i| Column::new(format!("text_{i}")).label(format!("Câu hỏi mở {i}"))),
    );
    cols.extend(
        (1..=10).map(|i| Column::new(format!("int_{i}")).label(format!("Câu hỏi thang {i}"))),
    );
    cols.extend((1..=9).map(|i| {
        let c = Column::new(format!("float_{i}"));
        if i % 3 == 0 {
            c.decimals(2)
        } else {
            c
        }
    }));
    Header::new(cols).expect("valid header")
}

/// Deterministic rows from a xorshift generator; nothing is kept.
fn rows(n: u64) -> impl Iterator<Item = Result<Row, Infallible>> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..n).map(move |id| {
        let mut row = Vec::with_capacity(30);
        row.push(Cell::Int(id as i64 + 1));
        for _ in 0..10 {
            let r = next();
            row.push(if r % 10 == 0 {
                Cell::Empty
            } else {
                Cell::Text(TEXTS[(r >> 8) as usize % TEXTS.len()].to_owned())
            });
        }
        for _ in 0..10 {
            row.push(Cell::Int((next() % 5) as i64 + 1));
        }
        for _ in 0..9 {
            let r = next();
            row.push(if r % 20 == 0 {
                Cell::Empty
            } else {
                Cell::Float((r >> 11) as f64 / (1u64 << 53) as f64 * 30.0)
            });
        }
        Ok(row)
    })
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn run(format: &str, n: u64, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let h = header();
    let before = peak_rss_kib();
    let start = Instant::now();
    let path = dir.join(format!("bench.{format}"));
    match format {
        "csv" => {
            write_csv(File::create(&path)?, &h, rows(n), &CsvOptions::default())?;
        }
        "json" => {
            write_json(File::create(&path)?, &h, rows(n))?;
        }
        "xlsx" => {
            let mut x = XlsxExport::in_dir(dir)?;
            x.add_sheet("Dữ liệu", &h, rows(n))?;
            x.add_codebook("Từ điển biến", &h)?;
            x.save_to_writer(BufWriter::new(File::create(&path)?))?;
        }
        other => return Err(format!("unknown format {other}").into()),
    }
    let secs = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "| {format} | {n} | {secs:.1} s | {:.0} MB | {} MiB | {} MiB |",
        size as f64 / 1e6,
        before / 1024,
        peak_rss_kib() / 1024
    );
    if std::env::var_os("EXPORT_BENCH_KEEP").is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir();
    if let Some(format) = args.get(2) {
        return run(format, n, &dir);
    }
    println!("| format | rows × 30 columns | time | file | peak RSS before | peak RSS after |");
    println!("|---|---|---|---|---|---|");
    for format in ["csv", "json", "xlsx"] {
        let status = Command::new(std::env::current_exe()?)
            .args([n.to_string(), format.to_owned()])
            .status()?;
        if !status.success() {
            return Err(format!("{format} run failed").into());
        }
    }
    Ok(())
}
