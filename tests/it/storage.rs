//! The storage layer, the same tests on every backend.

use crate::support::*;
use chiso::domain::answers::Answers;
use chiso::domain::unit::NewUnit;
use chiso::storage::{self, questionnaires, respondents, responses, units};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

per_backend!(migrations_are_embedded_and_idempotent);
fn migrations_are_embedded_and_idempotent(backend: Backend) {
    let db = TestDb::new(backend);
    let app = chiso::service::App::connect(&db.url, 2).unwrap();
    let shipped = std::fs::read_dir(repo_path("migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(
        std::fs::read_dir(repo_path("migrations/postgres"))
            .unwrap()
            .count(),
        shipped
    );
    assert_eq!(app.migrate().unwrap().len(), shipped, "{backend:?}");
    assert!(app.migrate().unwrap().is_empty());
    assert!(
        storage::integrity_check(&mut chiso::storage::connect(app.database_url()).unwrap())
            .unwrap()
    );
}

per_backend!(importing_units_inserts_new_codes_and_updates_known_ones);
fn importing_units_inserts_new_codes_and_updates_known_ones(backend: Backend) {
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let a = NewUnit::parse("SNV", "Sở Nội vụ", "so", "so").unwrap();
    let b = NewUnit::parse("P1", "Phường 1", "phuong", "phuong").unwrap();
    let counts = units::import(&mut c, &[a.clone(), b], now()).unwrap();
    assert_eq!((counts.inserted, counts.updated), (2, 0), "{backend:?}");
    let renamed = NewUnit {
        name: "Sở Nội vụ tỉnh".into(),
        ..a
    };
    let counts = units::import(&mut c, &[renamed], now()).unwrap();
    assert_eq!((counts.inserted, counts.updated), (0, 1));
    assert_eq!(
        units::by_code(&mut c, "SNV").unwrap().unwrap().name,
        "Sở Nội vụ tỉnh"
    );
    assert_eq!(
        units::in_blocks(&mut c, &["so".into(), "phuong".into()], None)
            .unwrap()
            .len(),
        2
    );
    let snv = units::by_code(&mut c, "SNV").unwrap().unwrap().id;
    assert_eq!(
        units::in_blocks(&mut c, &["so".into()], Some(snv))
            .unwrap()
            .len(),
        0
    );
}

per_backend!(the_same_file_freezes_to_one_version);
fn the_same_file_freezes_to_one_version(backend: Backend) {
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let a = questionnaires::freeze(&mut c, "x", "h1", "X", "src", now()).unwrap();
    let b = questionnaires::freeze(&mut c, "x", "h1", "X", "src", now()).unwrap();
    let d = questionnaires::freeze(&mut c, "x", "h2", "X", "src2", now()).unwrap();
    assert_eq!(a, b, "{backend:?}");
    assert_ne!(a, d);
}

per_backend!(a_token_is_used_once_and_drafts_stop_after_submission);
fn a_token_is_used_once_and_drafts_stop_after_submission(backend: Backend) {
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let campaign = seed_province(&app, &repo_path("questionnaires"));
    let token = issue(&app, campaign, "civil_servant", "STP");
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let hash = chiso::domain::token::Token::parse(&token).unwrap().hash().0;
    let r = respondents::by_token_hash(&mut c, &hash).unwrap().unwrap();
    assert_eq!(r.status, respondents::RespondentStatus::New);
    assert_ne!(r.token_hash, token, "only the hash is stored");

    let unit = unit_id(&app, "STP");
    let mut a = Answers::new();
    a.insert((unit, "CD1".into()), "4".into());
    let keys = vec![(unit, "CD1".to_string()), (unit, "CD2".to_string())];
    assert!(respondents::save_draft(&mut c, r.id, &keys, &a, now()).unwrap());
    a.insert((unit, "CD1".into()), "5".into());
    assert!(respondents::save_draft(&mut c, r.id, &keys, &a, now()).unwrap());
    assert_eq!(
        respondents::drafts(&mut c, r.id)
            .unwrap()
            .get(&(unit, "CD1".into()))
            .map(String::as_str),
        Some("5")
    );

    let version = chiso::storage::campaigns::questionnaire(&mut c, campaign.get(), "civil_servant")
        .unwrap()
        .unwrap()
        .version_id;
    let sub = responses::Submission {
        respondent: &r,
        version_id: version,
        anonymous: false,
        idempotency_key: "k1",
        answers: &a,
        tallies: &[],
        packed: None,
    };
    assert!(
        matches!(
            responses::submit(&mut c, &sub, now(), &mut Default::default()).unwrap(),
            responses::SubmitOutcome::Stored { .. }
        ),
        "{backend:?}"
    );
    let again = responses::Submission {
        idempotency_key: "k2",
        ..sub
    };
    assert_eq!(
        responses::submit(&mut c, &again, now(), &mut Default::default()).unwrap(),
        responses::SubmitOutcome::AlreadySubmitted { same_key: false }
    );
    let retry = responses::Submission {
        idempotency_key: "k1",
        ..again
    };
    assert_eq!(
        responses::submit(&mut c, &retry, now(), &mut Default::default()).unwrap(),
        responses::SubmitOutcome::AlreadySubmitted { same_key: true }
    );
    assert!(
        !respondents::save_draft(&mut c, r.id, &keys, &a, now()).unwrap(),
        "no drafts after submission"
    );
    assert!(respondents::drafts(&mut c, r.id).unwrap().is_empty());
    assert_eq!(responses::list(&mut c, campaign.get()).unwrap().len(), 1);
}

/// Deleted rows (an anonymous respondent's drafts) must not linger in the
/// SQLite file's free space, where a copy of the file would still show them.
#[test]
fn sqlite_overwrites_what_it_deletes() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new(Backend::Sqlite);
    let app = chiso::service::App::connect(&db.url, 2).unwrap();
    let path = db.url.strip_prefix("sqlite://").unwrap().to_string();
    let secret = "BẢN-NHÁP-ẨN-DANH-7f3a9c";
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    c.batch_execute(&format!(
        "CREATE TABLE drafts_probe (note TEXT); \
         INSERT INTO drafts_probe VALUES ('{secret}'), ('giữ lại');"
    ))
    .unwrap();
    c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let file = |p: &str| std::fs::read(p).unwrap_or_default();
    let contains = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(contains(&file(&path)), "the probe reached the file");
    c.batch_execute(&format!(
        "DELETE FROM drafts_probe WHERE note = '{secret}';"
    ))
    .unwrap();
    c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    assert!(
        !contains(&file(&path)) && !contains(&file(&format!("{path}-wal"))),
        "a deleted row is gone from the file, not just unlinked"
    );
}

per_backend!(throttle_counters_slide_across_window_boundaries);
/// A client that spends its allowance at the end of one window cannot spend
/// it again at the start of the next: the previous window still counts.
fn throttle_counters_slide_across_window_boundaries(backend: Backend) {
    use chiso::domain::throttle::Window;
    use chiso::storage::rate_limits;
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let at = |s: &str| Window::at(s.parse().unwrap(), 15);
    let late = at("2026-11-22T10:29:59");
    let counts: Vec<f64> = (0..5)
        .map(|_| rate_limits::hit(&mut c, "login-user:lan", &late).unwrap())
        .collect();
    assert_eq!(counts, [1.0, 2.0, 3.0, 4.0, 5.0], "{backend:?}");
    let early = at("2026-11-22T10:30:01");
    let next = rate_limits::hit(&mut c, "login-user:lan", &early).unwrap();
    assert!(next > 5.0, "{backend:?}: {next}");
    assert!(
        rate_limits::count(&mut c, "login-user:other", &early).unwrap() == 0.0,
        "buckets are apart"
    );
    // Half a window on, half of the old burst still counts; a window later, none.
    let half = rate_limits::count(&mut c, "login-user:lan", &at("2026-11-22T10:37:30")).unwrap();
    assert_eq!(half, 1.0 + 2.5);
    let later = rate_limits::count(&mut c, "login-user:lan", &at("2026-11-22T10:45:00")).unwrap();
    assert_eq!(
        later, 1.0,
        "only the hit of 10:30 is in the last fifteen minutes"
    );
    rate_limits::give_back(&mut c, "login-user:lan", early.start).unwrap();
    assert_eq!(
        rate_limits::count(&mut c, "login-user:lan", &at("2026-11-22T10:45:00")).unwrap(),
        0.0
    );
}

per_backend!(a_batchs_tallies_are_added_once_per_row_and_equal_one_by_one);
/// Issue 16: a batch's additions to the running sums reach each tally row
/// once (one read, one write, one revision), in key order, and equal adding
/// them one by one.
fn a_batchs_tallies_are_added_once_per_row_and_equal_one_by_one(backend: Backend) {
    use chiso::storage::tallies::{self, Pending, Update, OUTSIDE_DRAW};
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let campaign = seed_province(&app, &repo_path("questionnaires"));
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let version = chiso::storage::campaigns::questionnaire(&mut c, campaign.get(), "civil_servant")
        .unwrap()
        .unwrap()
        .version_id;
    let scorer = app.scorer(campaign.get(), version).unwrap().unwrap();
    let (stp, sxd) = (unit_id(&app, "STP"), unit_id(&app, "SYT"));
    let update = |unit: i64, stratum: &str, value: &str| {
        let mut scores = scorer.blank();
        assert!(scorer.record(&mut scores, "CD1", value));
        Update {
            rated_unit_id: unit,
            group: scorer.group().code(),
            stratum: stratum.to_string(),
            criteria: scorer.criteria().to_vec(),
            scores,
        }
    };
    let all = [
        update(sxd, OUTSIDE_DRAW, "5"),
        update(stp, OUTSIDE_DRAW, "4"),
        update(stp, OUTSIDE_DRAW, "2"),
        update(stp, "S1", "3"),
        update(stp, OUTSIDE_DRAW, "5"),
    ];

    // One batch: three rows, each written once.
    let mut batch = Pending::default();
    for u in &all {
        batch.add(campaign.get(), std::slice::from_ref(u), now());
    }
    batch.apply(&mut c).unwrap();
    assert_eq!(
        tallies::fingerprint(&mut c, campaign.get()).unwrap(),
        (3, 3),
        "{backend:?}: three rows, one revision each"
    );
    let batched = tallies::of_campaign(&mut c, campaign.get()).unwrap();

    // The same contributions one transaction each, from empty tallies.
    {
        use diesel::RunQueryDsl;
        diesel::delete(chiso::storage::schema::survey_tallies::table)
            .execute(&mut c)
            .unwrap();
    }
    for u in &all {
        let mut one = Pending::default();
        one.add(campaign.get(), std::slice::from_ref(u), now());
        one.apply(&mut c).unwrap();
    }
    let one_by_one = tallies::of_campaign(&mut c, campaign.get()).unwrap();
    assert_eq!(
        serde_json::to_string(&batched.iter().map(|r| &r.3).collect::<Vec<_>>()).unwrap(),
        serde_json::to_string(&one_by_one.iter().map(|r| &r.3).collect::<Vec<_>>()).unwrap(),
        "{backend:?}: to the bit"
    );
    assert_eq!(
        batched
            .iter()
            .map(|r| (r.0, r.2.as_str()))
            .collect::<Vec<_>>(),
        vec![(stp, ""), (stp, "S1"), (sxd, "")]
    );
    assert_eq!(
        tallies::fingerprint(&mut c, campaign.get()).unwrap(),
        (3, 5)
    );
}

per_backend!(two_batches_creating_the_same_tally_row_at_once_both_count);
/// Issue 16's group commit runs two writer threads on PostgreSQL. Two
/// batches that create the same tally row at once must both count: the
/// second waits for the first and adds to what it wrote. (Before the fix
/// the row did not exist to be locked, both started from empty and the
/// second upsert overwrote the first: CI once saw a running sum one
/// submission short of its recomputation.) SQLite has one writer: nothing
/// runs at once there, and the test only checks the sum.
fn two_batches_creating_the_same_tally_row_at_once_both_count(backend: Backend) {
    use chiso::storage::tallies::{self, Pending, Update, OUTSIDE_DRAW};
    use diesel::Connection;
    let db = TestDb::new(backend);
    let app = app_on(&db);
    let campaign = seed_province(&app, &repo_path("questionnaires"));
    let mut c = chiso::storage::connect(app.database_url()).unwrap();
    let version = chiso::storage::campaigns::questionnaire(&mut c, campaign.get(), "civil_servant")
        .unwrap()
        .unwrap()
        .version_id;
    let scorer = app.scorer(campaign.get(), version).unwrap().unwrap();
    let stp = unit_id(&app, "STP");
    let batch = |value: &str| {
        let mut scores = scorer.blank();
        assert!(scorer.record(&mut scores, "CD1", value));
        let mut p = Pending::default();
        p.add(
            campaign.get(),
            &[Update {
                rated_unit_id: stp,
                group: scorer.group().code(),
                stratum: OUTSIDE_DRAW.to_string(),
                criteria: scorer.criteria().to_vec(),
                scores,
            }],
            now(),
        );
        p
    };
    let (first, second) = (batch("5"), batch("1"));
    let url = app.database_url().to_string();
    let (applied_tx, applied_rx) = std::sync::mpsc::channel();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let a = {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut conn = chiso::storage::connect(&url).unwrap();
            conn.transaction::<_, chiso::storage::StorageError, _>(|conn| {
                first.apply(conn)?;
                applied_tx.send(()).unwrap();
                commit_rx.recv().unwrap();
                Ok(())
            })
            .unwrap();
        })
    };
    applied_rx.recv().unwrap();
    if backend == Backend::Postgres {
        let b = std::thread::spawn(move || {
            let mut conn = chiso::storage::connect(&url).unwrap();
            conn.transaction::<_, chiso::storage::StorageError, _>(|conn| second.apply(conn))
                .unwrap();
        });
        // The second batch is inside, waiting on the first's row lock.
        let waiting = || -> i64 {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut probe = chiso::storage::connect(app.database_url()).unwrap();
            let chiso::storage::DbConn::Pg(pg) = &mut probe else {
                unreachable!()
            };
            diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .get_result::<N>(pg)
            .unwrap()
            .n
        };
        let start = std::time::Instant::now();
        while waiting() == 0 {
            assert!(
                start.elapsed().as_secs() < 60,
                "the second batch never waited"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        commit_tx.send(()).unwrap();
        a.join().unwrap();
        b.join().unwrap();
    } else {
        commit_tx.send(()).unwrap();
        a.join().unwrap();
        second.apply(&mut c).unwrap();
    }
    // Both counted: the row holds two answers.
    let rows = tallies::of_campaign(&mut c, campaign.get()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].3.respondents(),
        2,
        "{backend:?}: both batches in the sum"
    );
    assert_eq!(
        tallies::fingerprint(&mut c, campaign.get()).unwrap(),
        (1, 2),
        "{backend:?}: one row, two revisions"
    );
}
