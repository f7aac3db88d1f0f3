//! Faults: the server killed with SIGKILL in the middle of many submissions,
//! and PostgreSQL stopped under a running service. Nothing acknowledged may
//! be lost, nothing may be stored twice or half, and the service must come
//! back by itself.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use chiso::domain::token::Token;
use chiso::service::App;
use chiso::storage::{self, respondents, responses};

const DONE: &str = "Phiếu khảo sát đã được gửi thành công";
const IDEM: &str = "fedcba9876543210fedcba9876543210";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real binary against one database and data directory.
struct Binary<'a> {
    db_url: &'a str,
    data: &'a Path,
}

impl Binary<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chiso"));
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", self.db_url)
            .env("CHISO__DATA_DIR", self.data)
            .env("CHISO__QUESTIONNAIRES_DIR", repo_path("questionnaires"))
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run chiso");
        assert!(
            out.status.success(),
            "chiso {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn serve(&self, port: u16) -> Child {
        self.command(&["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chiso serve")
    }
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become healthy");
}

/// Posts one page of the citizen form; the body when it answered at all.
async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    p: usize,
    nav: &str,
    answers: &[(String, String)],
) -> Option<(u16, String)> {
    let mut fields = vec![
        ("p".to_string(), p.to_string()),
        ("nav".to_string(), nav.to_string()),
        ("idem".to_string(), format!("idem-{token}")),
    ];
    fields.extend(answers.iter().cloned());
    let r = client
        .post(format!("{base}/s/{token}"))
        .form(&fields)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.ok()?))
}

/// Answers every page and submits; true only when the success page came back.
async fn respond(client: &reqwest::Client, base: &str, token: &str, unit: i64) -> bool {
    let pages = citizen_pages(unit);
    let last = pages.len() - 1;
    for (p, answers) in pages.iter().enumerate() {
        let nav = if p == last { "submit" } else { "next" };
        match post(client, base, token, p, nav, answers).await {
            Some((200, body)) if p == last => return body.contains(DONE),
            Some((303, _)) if p < last => continue,
            _ => return false,
        }
    }
    false
}

fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().trim().to_string()
}

/// Every submitted token has exactly one response and every response one
/// submitted token; the database's own check passes.
fn assert_consistent(app: &App, campaign: i64, accepted: &HashSet<String>) -> usize {
    let mut conn = chiso::storage::connect(app.database_url()).unwrap();
    assert!(
        storage::integrity_check(&mut conn).unwrap(),
        "integrity check"
    );
    let all = responses::list(&mut conn, campaign).unwrap();
    let by_respondent: HashSet<i64> = all.iter().filter_map(|r| r.respondent_id).collect();
    assert_eq!(
        by_respondent.len(),
        all.len(),
        "no respondent has two responses"
    );
    for t in accepted {
        let hash = Token::parse(t).unwrap().hash().0;
        let r = respondents::by_token_hash(&mut conn, &hash)
            .unwrap()
            .unwrap();
        assert_eq!(
            r.status.code(),
            "submitted",
            "an acknowledged submission is stored"
        );
        assert!(
            by_respondent.contains(&r.id),
            "its response exists with its answers"
        );
        let answers = responses::answers_of(
            &mut conn,
            all.iter()
                .find(|x| x.respondent_id == Some(r.id))
                .unwrap()
                .id,
        )
        .unwrap();
        assert_eq!(answers.len(), 27, "the whole response, not part of it");
    }
    all.len()
}

per_backend!(async a_server_killed_during_submissions_loses_and_doubles_nothing);
async fn a_server_killed_during_submissions_loses_and_doubles_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let data = tempfile::tempdir().unwrap();
    let bin = Binary {
        db_url: &db.url,
        data: data.path(),
    };
    bin.run(&["migrate"]);
    bin.run(&["units", "import", "demo/units.csv"]);
    let today = chrono::Utc::now().date_naive();
    bin.run(&[
        "campaign",
        "open",
        "--year",
        "2026",
        "--name",
        "Thử tắt máy đột ngột",
        "--opens",
        &(today - chrono::Duration::days(1)).to_string(),
        "--closes",
        &(today + chrono::Duration::days(1)).to_string(),
        "-q",
        "citizen",
    ]);
    let links = bin.run(&[
        "tokens",
        "issue",
        "--campaign",
        "1",
        "-q",
        "citizen",
        "--unit",
        "P-BINHMINH",
        "--count",
        "3000",
    ]);
    let tokens: Vec<String> = links.lines().map(token_of).collect();
    let app = App::connect(&db.url, 2).unwrap();
    let unit = unit_id(&app, "P-BINHMINH");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = bin.serve(port);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    wait_healthy(&client, &base).await;

    // 32 respondents at a time; the server dies under them.
    let accepted = Arc::new(Mutex::new(HashSet::new()));
    let started = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tokens = Arc::new(tokens);
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (client, base, tokens, next, accepted, started) = (
            client.clone(),
            base.clone(),
            tokens.clone(),
            next.clone(),
            accepted.clone(),
            started.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(token) = tokens.get(i) else { break };
                started.lock().unwrap().push(token.clone());
                if respond(&client, &base, token, unit).await {
                    accepted.lock().unwrap().insert(token.clone());
                } else {
                    break; // the server is gone
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted.lock().unwrap().len() < 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    let started = started.lock().unwrap().clone();
    assert!(
        accepted.len() >= 200,
        "{backend:?}: load ran ({})",
        accepted.len()
    );
    assert!(
        started.len() > accepted.len(),
        "{backend:?}: some submissions were in flight when the server died"
    );

    // Restarted on the same database: everything acknowledged is there once.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = bin.serve(port);
    wait_healthy(&client, &base).await;
    let before = assert_consistent(&app, 1, &accepted);
    assert!(before >= accepted.len());

    // Those caught in flight retry with the same key and finish, each once:
    // either their response was stored (the retry sees success again) or
    // it was not (it is stored now). Nothing half-written stands in the way.
    let pages = citizen_pages(unit);
    let last = pages.len() - 1;
    let mut all = accepted.clone();
    for token in started.iter().filter(|t| !accepted.contains(*t)) {
        let mut done = matches!(
            post(&client, &base, token, last, "submit", &pages[last]).await,
            Some((200, body)) if body.contains(DONE)
        );
        if !done {
            done = respond(&client, &base, token, unit).await;
        }
        assert!(done, "{backend:?}: {token} can finish after the restart");
        all.insert(token.clone());
    }
    let after = assert_consistent(&app, 1, &all);
    assert_eq!(after, all.len(), "{backend:?}: one response per token");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A PostgreSQL server of this test's own, so stopping it disturbs no other
/// test. PostgreSQL refuses to run as root; as root we run it as `postgres`.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn as_owner(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn new() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                    .filter(|p| p.join("initdb").exists())
                    .max()
            })
            .expect("PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)");
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown the private cluster to postgres");
        }
        let pg = Self {
            dir,
            bin,
            port: free_port(),
        };
        let out = pg
            .as_owner("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(pg.dir.path().join("data"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.start();
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let ok = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "-w", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start");
    }

    /// Stops at once, as a crash or a pulled cable would.
    fn stop(&self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[actix_web::test]
async fn respondents_get_a_friendly_503_while_postgres_is_down_and_the_service_recovers_by_itself()
{
    if !postgres_configured() {
        return;
    }
    let pg = PrivatePostgres::new();
    let t = TestApp::new()
        .database(TestDb::external(&pg.url(), Backend::Postgres))
        .start()
        .await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let pages = citizen_pages(unit);
    for (p, answers) in pages.iter().enumerate().take(6) {
        assert_eq!(
            post_page(&t, &token, p, "next", IDEM, answers).await.status,
            303
        );
    }

    pg.stop();
    let form = t.get(&format!("/s/{token}")).await;
    assert_eq!(form.status, 503, "{}", form.body);
    assert!(
        form.body.contains("vui lòng thử lại sau ít phút"),
        "{}",
        form.body
    );
    assert!(form.body.contains("chưa bị mất"));
    let submit = post_page(&t, &token, 6, "submit", IDEM, &pages[6]).await;
    assert_eq!(
        submit.status, 503,
        "a submission while the database is gone"
    );
    assert_eq!(t.get("/healthz").await.status, 503);
    let login = t.post_login(&t.base, "a", "b").await;
    assert_eq!(login.status(), 503, "staff get the same answer");

    pg.start();
    // No restart of chiso: it must find the database again on its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut back = t.get(&format!("/s/{token}")).await;
    while back.status != 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        back = t.get(&format!("/s/{token}")).await;
    }
    assert_eq!(back.status, 200, "the service recovered by itself");
    assert!(
        back.body.contains("Trang 7/7"),
        "the drafts saved before the outage are there"
    );
    assert_eq!(
        t.response_count(),
        0,
        "the failed submission left nothing behind"
    );
    let done = post_page(&t, &token, 6, "submit", IDEM, &pages[6]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(DONE));
    assert_eq!(t.response_count(), 1);
    let answers = responses::answers_of(
        &mut t.conn(),
        responses::list(&mut t.conn(), t.campaign.get()).unwrap()[0].id,
    )
    .unwrap();
    assert_eq!(answers.len(), 27, "the whole response");

    // Now the database dies while submissions are in flight: each one is
    // stored whole or not at all, whatever moment the cut came.
    let tokens: Vec<String> = (0..24).map(|_| t.token("citizen", "P-BINHMINH")).collect();
    for token in &tokens {
        for (p, answers) in pages.iter().enumerate().take(6) {
            assert_eq!(
                post_page(&t, token, p, "next", IDEM, answers).await.status,
                303
            );
        }
    }
    let submitting = tokens.iter().map(|token| {
        let (t, pages) = (&t, &pages);
        async move {
            let r = post_page(t, token, 6, "submit", IDEM, &pages[6]).await;
            (token.clone(), r.status)
        }
    });
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(15)).await;
        pg.stop();
    };
    let (outcomes, ()) = tokio::join!(futures::future::join_all(submitting), stopping);
    let raw = t
        .client
        .get(format!("{}/s/{}", t.base, tokens[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 503);
    assert!(
        raw.headers().get("retry-after").is_some(),
        "503 tells browsers and proxies when to come back"
    );
    pg.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.get("/healthz").await.status != 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let acknowledged: HashSet<String> = outcomes
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(token, _)| token.clone())
        .collect();
    let refused = outcomes.iter().filter(|(_, s)| *s == 503).count();
    assert_eq!(
        acknowledged.len() + refused,
        tokens.len(),
        "every submission got the success page or the friendly 503: {outcomes:?}"
    );
    eprintln!(
        "outage in flight: {} stored before the cut, {refused} refused",
        acknowledged.len()
    );
    let stored = assert_consistent(&t.app, t.campaign.get(), &acknowledged);
    // A refusal is honest about what the server saw, not about the commit: a
    // connection can die after PostgreSQL made a COMMIT durable and before
    // its reply arrived. Such a submission is stored once, and the retry
    // below must find it and show the success page, not store it again.
    let in_doubt = stored - 1 - acknowledged.len();
    assert!(
        in_doubt <= refused,
        "only refused submissions can be in doubt"
    );
    eprintln!("outage in flight: {in_doubt} refused but committed");
    // Those refused finish with a retry, whole.
    for (token, status) in &outcomes {
        if *status == 503 {
            let r = post_page(&t, token, 6, "submit", IDEM, &pages[6]).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    let all: HashSet<String> = tokens.iter().cloned().collect();
    assert_eq!(
        assert_consistent(&t.app, t.campaign.get(), &all),
        1 + tokens.len()
    );
    t.stop().await;
}

/// A frame of four units in which every group is sampled.
fn small_frame() -> String {
    let mut s = String::from("person_key,unit,group,email,linh_vuc\n");
    let mut n = 0;
    for unit in ["SNV", "P-BINHMINH", "X-DONGHAI", "DK-BACHLONG"] {
        for (group, count) in [
            ("citizen", 20),
            ("business", 40),
            ("civil_servant", 30),
            ("leader", 6),
        ] {
            for i in 0..count {
                n += 1;
                let field = ["Đất đai", "Hộ tịch"][i % 2];
                s.push_str(&format!(
                    "K{n:05},{unit},{group},nguoi{n}@vi-du.vn,{field}\n"
                ));
            }
        }
    }
    s
}

per_backend!(async a_sender_killed_while_sending_invitations_neither_loses_nor_doubles_one);
async fn a_sender_killed_while_sending_invitations_neither_loses_nor_doubles_one(backend: Backend) {
    let db = TestDb::new(backend);
    let data = tempfile::tempdir().unwrap();
    let bin = Binary {
        db_url: &db.url,
        data: data.path(),
    };
    bin.run(&["migrate"]);
    bin.run(&["units", "import", "demo/units.csv"]);
    let today = chrono::Utc::now().date_naive();
    bin.run(&[
        "campaign",
        "open",
        "--year",
        "2026",
        "--name",
        "Thử gửi thư",
        "--opens",
        &today.to_string(),
        "--closes",
        &(today + chrono::Duration::days(30)).to_string(),
        "--profile",
        "hai-phong-2025",
    ]);
    let frame = data.path().join("khung.csv");
    std::fs::write(&frame, small_frame()).unwrap();
    bin.run(&[
        "frame",
        "import",
        "--campaign",
        "1",
        frame.to_str().unwrap(),
    ]);
    bin.run(&["sample", "draw", "--campaign", "1", "--seed", "gửi thư"]);

    let peer = crate::support::smtp::SmtpPeer::start();
    let send = |per_second: &str| {
        let mut c = bin.command(&[
            "invite",
            "send",
            "--campaign",
            "1",
            "--per-second",
            per_second,
            "--allow-local-links",
        ]);
        c.env("CHISO__MAIL__TRANSPORT", "smtp")
            .env("CHISO__MAIL__FROM", "khaosat@sonoivu.gov.vn")
            .env("CHISO__MAIL__SMTP__HOST", "127.0.0.1")
            .env("CHISO__MAIL__SMTP__PORT", peer.port().to_string())
            .env("CHISO__MAIL__SMTP__SECURITY", "none")
            .env("CHISO__INVITATIONS__LEASE_SECONDS", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let refused = |out: &std::process::Output| {
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("Một tiến trình khác đang gửi")
    };
    // Killed with SIGKILL in the middle of a steady run.
    let mut first = send("200").spawn().unwrap();
    peer.wait_for(60, Duration::from_secs(30));
    // A second sender while the first is alive is turned away: two
    // senders would each take what the other left `sending`.
    let second = send("1000").output().unwrap();
    assert!(
        refused(&second),
        "{backend:?}: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let killed_at = Instant::now();
    let before = peer.received().len();
    // Until the dead sender's lease runs out, nobody takes over.
    let early = send("1000").output().unwrap();
    assert!(
        killed_at.elapsed() > Duration::from_millis(1400) || refused(&early),
        "{backend:?}: {}",
        String::from_utf8_lossy(&early.stderr)
    );
    std::thread::sleep(Duration::from_millis(3500));
    // Run again: it finishes the queue.
    let out = send("1000").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let app = App::connect(&db.url, 2).unwrap();
    let rows = chiso::storage::invitations::of_campaign(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        1,
    )
    .unwrap();
    let drawn: i64 = {
        use chiso::storage::schema::sample_members::dsl::*;
        use diesel::prelude::*;
        sample_members
            .filter(respondent_id.is_not_null())
            .count()
            .get_result(&mut chiso::storage::connect(app.database_url()).unwrap())
            .unwrap()
    };
    assert_eq!(
        rows.len() as i64,
        drawn,
        "{backend:?} one invitation per person drawn"
    );
    assert!(rows.iter().all(|r| r.state.code() == "sent"), "{backend:?}");
    assert!(
        before > 0 && before < rows.len(),
        "{backend:?} the kill came mid-run ({before})"
    );

    // Every person received their invitation, each under one Message-ID;
    // a message caught between the server's acceptance and the commit
    // may arrive twice, but as the same message.
    let mut ids: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for m in peer.received() {
        let mail = crate::support::mail::Mail::parse(&m.data);
        ids.entry(mail.to_address.clone())
            .or_default()
            .insert(mail.message_id.clone().unwrap());
    }
    assert_eq!(ids.len(), rows.len(), "{backend:?} nobody is lost");
    for (to, set) in &ids {
        assert_eq!(
            set.len(),
            1,
            "{backend:?} {to} got two different invitations"
        );
    }
    let stored: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| r.message_id.trim_matches(['<', '>']).to_string())
        .collect();
    let seen: std::collections::BTreeSet<String> = ids
        .values()
        .flatten()
        .map(|m| m.trim_matches(['<', '>']).to_string())
        .collect();
    assert_eq!(stored, seen, "the Message-IDs are the queue's own");
    assert!(
        peer.received().len() <= rows.len() + 1,
        "{backend:?} at most the one message in flight at the kill arrives twice"
    );
}

/// Every way libpq reports a lost server must read as "unavailable" (503),
/// not as a failed query (500): the first query after the cut, the ones
/// after it on the same dead connection, a commit and a rollback.
#[test]
fn a_lost_postgres_connection_is_reported_as_unavailable_at_every_step() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use storage::StorageError;
    if !postgres_configured() {
        return;
    }
    let pg = PrivatePostgres::new();
    let url = storage::DbUrl::parse(&pg.url()).unwrap();
    let pool = storage::pool(&url, &storage::PoolOptions::default()).unwrap();
    let mut committing = pool.get().unwrap();
    let mut rolling_back = pool.get().unwrap();
    let mut idle = pool.get().unwrap();
    let check = |what: &str, e: StorageError| {
        assert!(e.is_unavailable(), "{what}: {e:?} must read as unavailable");
    };
    let mut seen = Vec::new();
    let rollback = rolling_back.transaction(|r| {
        r.batch_execute("CREATE TABLE t (x int)")?;
        let commit = committing.transaction(|c| {
            c.batch_execute("CREATE TABLE u (x int)")?;
            pg.stop();
            for step in [
                "first query after the cut",
                "next query on the dead connection",
            ] {
                let e = c.batch_execute("INSERT INTO u VALUES (1)").unwrap_err();
                seen.push(format!("{step}: {e:?}"));
                check(step, e.into());
            }
            Ok::<_, StorageError>(())
        });
        let e = commit.unwrap_err();
        seen.push(format!("commit: {e:?}"));
        check("commit", e);
        r.batch_execute("INSERT INTO t VALUES (1)")?;
        Ok::<_, StorageError>(())
    });
    let e = rollback.unwrap_err();
    seen.push(format!("query and rollback: {e:?}"));
    check("query and rollback", e);
    let e = idle.batch_execute("SELECT 1").unwrap_err();
    seen.push(format!("idle: {e:?}"));
    check("an idle pooled connection", e.into());
    eprintln!("{}", seen.join("\n"));
}
