//! Load generator: many respondents answering their token links at once.
//!
//! Each simulated respondent opens its link (GET), posts every page with
//! "next" and the last one with "submit", exactly as the form does. Answers
//! are drawn from the questionnaire file, so every submission is valid.
//! Prints throughput and latency percentiles per request kind, and writes
//! the tokens that received the "submitted" page to `--accepted` so a crash
//! test can check each of them is in the database.
//!
//! Run by `bench/load.sh`; see the README's "Load and faults" section.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chiso::domain::answers::pages;
use chiso::domain::questionnaire::{parse_questionnaire, Question, QuestionKind, Questionnaire};
use rand::{Rng, SeedableRng};

const DONE_MARKER: &str = "Phiếu khảo sát đã được gửi thành công";

struct Args {
    base: String,
    tokens: PathBuf,
    questionnaire: PathBuf,
    concurrency: usize,
    accepted: Option<PathBuf>,
    /// Stop after this long even if tokens remain (for the crash test).
    seconds: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut base = None;
    let mut tokens = None;
    let mut questionnaire = None;
    let mut concurrency = 64;
    let mut accepted = None;
    let mut seconds = None;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => base = Some(value()?),
            "--tokens" => tokens = Some(PathBuf::from(value()?)),
            "--questionnaire" => questionnaire = Some(PathBuf::from(value()?)),
            "--concurrency" => concurrency = value()?.parse().map_err(|e| format!("{e}"))?,
            "--accepted" => accepted = Some(PathBuf::from(value()?)),
            "--seconds" => seconds = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        base: base.ok_or("--base is required")?,
        tokens: tokens.ok_or("--tokens is required")?,
        questionnaire: questionnaire.ok_or("--questionnaire is required")?,
        concurrency,
        accepted,
        seconds,
    })
}

/// A valid answer to a question, picked at random among valid ones.
fn answer(q: &Question, rng: &mut impl Rng) -> Vec<String> {
    match &q.kind {
        QuestionKind::Likert { levels, .. } => {
            vec![rng.random_range(1..=levels.labels.len()).to_string()]
        }
        QuestionKind::Single { options } => {
            vec![options[rng.random_range(0..options.len())].code.clone()]
        }
        QuestionKind::Multiple { options, .. } => vec![options[0].code.clone()],
        QuestionKind::Number { min, max, integer } => {
            let lo = min.unwrap_or(0.0);
            let hi = max.unwrap_or(lo + 100.0);
            let v = lo + (hi - lo) / 2.0;
            vec![if *integer {
                (v.round() as i64).to_string()
            } else {
                v.to_string()
            }]
        }
        QuestionKind::Text { max_length, .. } => {
            let text = "Thủ tục nhanh gọn, cán bộ hướng dẫn tận tình.";
            vec![text.chars().take(*max_length).collect()]
        }
    }
}

#[derive(Default)]
struct Stats {
    open: Vec<Duration>,
    save: Vec<Duration>,
    submit: Vec<Duration>,
    errors: Vec<String>,
    accepted: Vec<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn unit_id_in(html: &str) -> Option<i64> {
    let start = html.find("name=\"a.")? + "name=\"a.".len();
    let digits: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

async fn respondent(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    qn: &Questionnaire,
    rng: &mut rand::rngs::StdRng,
    stats: &Mutex<Stats>,
) -> Result<(), String> {
    let url = format!("{base}/s/{token}");
    let t = Instant::now();
    let r = client.get(&url).send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let html = r.text().await.map_err(|e| e.to_string())?;
    stats.lock().unwrap().open.push(t.elapsed());
    if status != 200 {
        return Err(format!("GET {status}"));
    }
    let unit = unit_id_in(&html).ok_or("no answer field on the first page")?;
    let all = pages(qn, 1);
    let idem = format!("{:032x}", rng.random::<u128>());
    for (p, page) in all.iter().enumerate() {
        let last = p + 1 == all.len();
        let mut fields: Vec<(String, String)> = vec![
            ("p".into(), p.to_string()),
            ("nav".into(), if last { "submit" } else { "next" }.into()),
            ("idem".into(), idem.clone()),
        ];
        for q in &qn.sections[page.section_index].questions {
            for v in answer(q, rng) {
                fields.push((format!("a.{unit}.{}", q.code), v));
            }
        }
        let body = serde_urlencoded::to_string(&fields).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let r = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let text = r.text().await.map_err(|e| e.to_string())?;
        let took = t.elapsed();
        if last {
            stats.lock().unwrap().submit.push(took);
            if status != 200 || !text.contains(DONE_MARKER) {
                return Err(format!("submit {status}"));
            }
            stats.lock().unwrap().accepted.push(token.to_string());
        } else {
            stats.lock().unwrap().save.push(took);
            if status != 303 {
                return Err(format!("page {p}: {status}"));
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("load: {e}");
            eprintln!("usage: load --base URL --tokens FILE --questionnaire FILE.toml [--concurrency N] [--accepted FILE] [--seconds S]");
            std::process::exit(2);
        }
    };
    let source = std::fs::read_to_string(&args.questionnaire).expect("read questionnaire");
    let qn = Arc::new(parse_questionnaire(&source).unwrap_or_else(|d| {
        panic!("questionnaire does not parse: {d:?}");
    }));
    let tokens: Vec<String> = std::fs::read_to_string(&args.tokens)
        .expect("read tokens")
        .lines()
        .filter_map(|l| l.trim().rsplit('/').next().map(str::to_string))
        .filter(|t| !t.is_empty())
        .collect();
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("client");
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency {
        let (client, tokens, next, stats, qn) = (
            client.clone(),
            tokens.clone(),
            next.clone(),
            stats.clone(),
            qn.clone(),
        );
        let base = args.base.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64);
            loop {
                if deadline.is_some_and(|d| Instant::now() > d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(token) = tokens.get(i) else { break };
                if let Err(e) = respondent(&client, &base, token, &qn, &mut rng, &stats).await {
                    stats.lock().unwrap().errors.push(format!("{token}: {e}"));
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut s = std::mem::take(&mut *stats.lock().unwrap());
    for v in [&mut s.open, &mut s.save, &mut s.submit] {
        v.sort();
    }
    let requests = s.open.len() + s.save.len() + s.submit.len();
    println!(
        "questionnaire {} ({} page(s)), concurrency {}, {:.1} s",
        qn.code,
        pages(&qn, 1).len(),
        args.concurrency,
        elapsed
    );
    println!(
        "submitted responses: {} ({:.0}/s); requests: {} ({:.0}/s); errors: {}",
        s.accepted.len(),
        s.accepted.len() as f64 / elapsed,
        requests,
        requests as f64 / elapsed,
        s.errors.len()
    );
    for (name, v) in [("open", &s.open), ("page", &s.save), ("submit", &s.submit)] {
        if !v.is_empty() {
            println!(
                "  {name:<6} n={:<7} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
                v.len(),
                percentile(v, 0.50),
                percentile(v, 0.99),
                percentile(v, 1.0)
            );
        }
    }
    for e in s.errors.iter().take(10) {
        println!("  error: {e}");
    }
    // One machine-readable line per figure (bench/all.sh collects them).
    let prefix = if pages(&qn, 1).len() == 1 {
        "one_page"
    } else {
        "paged"
    };
    println!(
        "figure {prefix}_submissions={:.0} /s",
        s.accepted.len() as f64 / elapsed
    );
    if !s.submit.is_empty() {
        println!(
            "figure {prefix}_submit_p99={:.1} ms",
            percentile(&s.submit, 0.99)
        );
    }
    if let Some(path) = &args.accepted {
        let mut f = std::fs::File::create(path).expect("accepted file");
        for t in &s.accepted {
            writeln!(f, "{t}").unwrap();
        }
    }
    if !s.errors.is_empty() && deadline.is_none() {
        std::process::exit(1);
    }
}
