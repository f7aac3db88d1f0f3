//! The JSON API: every operation of the OpenAPI document with every role,
//! scope, bad tokens and bad bodies, on every backend.

use crate::support::*;
use serde_json::json;

per_backend!(async every_documented_operation_answers_each_role_as_its_scope_requires);
async fn every_documented_operation_answers_each_role_as_its_scope_requires(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let own = unit_id(&t.app, "P-BINHMINH");
    let other = unit_id(&t.app, "SNV");
    let tokens = [
        t.api_token("admin1", "admin", None),
        t.api_token("analyst1", "analyst", None),
        t.api_token("appraiser1", "appraiser", None),
        t.api_token("officer1", "unit_officer", Some("P-BINHMINH")),
    ];
    let campaign = t.campaign;
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);
    let pc = open_profile_campaign(
        &t.app,
        &repo_path("questionnaires"),
        "hai-phong-2025",
        year,
        "Chỉ số CCHC",
        false,
    );
    let bad_score = json!([{ "criterion": "khong-co", "points": 1 }]);
    let open = json!({
        "year": 2026, "name": "Đợt qua API",
        "opens": today.to_string(), "closes": (today + chrono::Duration::days(30)).to_string(),
        "questionnaires": ["citizen"]
    });

    // (method, documented path, concrete path, body,
    //  expected status for anonymous, admin, analyst, appraiser, unit officer)
    type Case<'a> = (
        &'a str,
        &'a str,
        String,
        Option<serde_json::Value>,
        [u16; 5],
    );
    let cases: Vec<Case> = vec![
        (
            "get",
            "/api/v1/me",
            "/api/v1/me".into(),
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            "get",
            "/api/v1/campaigns",
            "/api/v1/campaigns".into(),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "post",
            "/api/v1/campaigns",
            "/api/v1/campaigns".into(),
            Some(open.clone()),
            [401, 201, 403, 403, 403],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}",
            format!("/api/v1/campaigns/{campaign}"),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "get",
            "/api/v1/units",
            "/api/v1/units".into(),
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            "get",
            "/api/v1/units/{id}",
            format!("/api/v1/units/{own}"),
            None,
            [401, 200, 200, 403, 200],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}/results",
            format!("/api/v1/campaigns/{pc}/results"),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}/estimates",
            format!("/api/v1/campaigns/{pc}/estimates"),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}/microdata",
            format!("/api/v1/campaigns/{campaign}/microdata?q=citizen"),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}/index",
            format!("/api/v1/campaigns/{pc}/index"),
            None,
            [401, 200, 200, 403, 403],
        ),
        (
            "get",
            "/api/v1/publications",
            "/api/v1/publications".into(),
            None,
            [401, 200, 200, 200, 200],
        ),
        // Not published yet: absent for everyone.
        (
            "get",
            "/api/v1/publications/{id}",
            format!("/api/v1/publications/{pc}"),
            None,
            [401, 404, 404, 404, 404],
        ),
        (
            "get",
            "/api/v1/campaigns/{id}/dossiers/{unit}",
            format!("/api/v1/campaigns/{pc}/dossiers/{own}"),
            None,
            [401, 200, 200, 403, 200],
        ),
        // Only the unit's officer writes; an unknown criterion is refused.
        (
            "put",
            "/api/v1/campaigns/{id}/dossiers/{unit}/self-scores",
            format!("/api/v1/campaigns/{pc}/dossiers/{own}/self-scores"),
            Some(bad_score.clone()),
            [401, 403, 403, 403, 422],
        ),
        // Only an appraiser decides; the dossier is not submitted yet.
        (
            "put",
            "/api/v1/campaigns/{id}/dossiers/{unit}/appraisals",
            format!("/api/v1/campaigns/{pc}/dossiers/{own}/appraisals"),
            Some(json!([{ "criterion": "1.2.1", "decision": "accept" }])),
            [401, 403, 403, 403, 403],
        ),
        // No frame and no draw yet: both null.
        (
            "get",
            "/api/v1/campaigns/{id}/sampling",
            format!("/api/v1/campaigns/{pc}/sampling"),
            None,
            [401, 200, 200, 403, 403],
        ),
    ];

    // The table covers exactly the operations the document publishes.
    let (status, doc) = t.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    documented.sort();
    let mut tested: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.0.to_string(), c.1.to_string()))
        .collect();
    tested.sort();
    tested.dedup();
    assert_eq!(
        documented, tested,
        "every published operation is in the role table"
    );

    for (method, documented, path, body, expected) in &cases {
        // Every operation declares the bearer scheme.
        let op = &doc["paths"][*documented][*method];
        assert_eq!(
            op["security"][0]["bearer"],
            json!([]),
            "{method} {documented}"
        );
        let who = [
            None,
            Some(&tokens[0]),
            Some(&tokens[1]),
            Some(&tokens[2]),
            Some(&tokens[3]),
        ];
        for (token, want) in who.iter().zip(expected) {
            let (status, answer) = t
                .api(
                    &method.to_uppercase(),
                    path,
                    token.map(|s| s.as_str()),
                    body.clone(),
                )
                .await;
            assert_eq!(
                status, *want,
                "{backend:?} {method} {path} as {token:?}: {answer}"
            );
            assert!(
                op["responses"][status.to_string()].is_object(),
                "{method} {documented} answered an undocumented {status}"
            );
        }
    }

    // Scope: a unit officer neither sees another unit nor learns it exists.
    let officer = Some(tokens[3].as_str());
    let (status, _) = t
        .api("GET", &format!("/api/v1/units/{other}"), officer, None)
        .await;
    assert_eq!(status, 404, "{backend:?}");
    let (_, listed) = t.api("GET", "/api/v1/units", officer, None).await;
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![own],
        "{backend:?} a unit officer lists only their unit"
    );
    let (_, all) = t.api("GET", "/api/v1/units", Some(&tokens[1]), None).await;
    assert!(all.as_array().unwrap().len() > 1);
    t.stop().await;
}

per_backend!(async tokens_stop_working_when_revoked_expired_or_their_owner_is_disabled);
async fn tokens_stop_working_when_revoked_expired_or_their_owner_is_disabled(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let token = t.api_token("lan", "analyst", None);
    let (status, me) = t.api("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("analyst")));

    let stored: Vec<String> = {
        use diesel::prelude::*;
        chiso::storage::schema::api_tokens::table
            .select(chiso::storage::schema::api_tokens::token_hash)
            .load(&mut t.conn())
            .unwrap()
    };
    assert!(
        !stored.iter().any(|h| h.contains(&token[6..])),
        "only hashes are stored"
    );

    chiso::service::accounts::set_disabled(&t.app, "lan", true).unwrap();
    assert_eq!(t.api("GET", "/api/v1/me", Some(&token), None).await.0, 401);
    chiso::service::accounts::set_disabled(&t.app, "lan", false).unwrap();
    assert_eq!(
        t.api("GET", "/api/v1/me", Some(&token), None).await.0,
        401,
        "{backend:?} re-enabling does not revive old tokens"
    );

    let second = chiso::service::accounts::create_api_token(&t.app, "lan", "", 1).unwrap();
    assert_eq!(t.api("GET", "/api/v1/me", Some(&second), None).await.0, 200);
    assert_eq!(
        chiso::service::accounts::revoke_api_tokens(&t.app, "lan").unwrap(),
        1
    );
    assert_eq!(t.api("GET", "/api/v1/me", Some(&second), None).await.0, 401);

    let third = chiso::service::accounts::create_api_token(&t.app, "lan", "", 1).unwrap();
    {
        use chiso::storage::schema::api_tokens::dsl::*;
        use diesel::prelude::*;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(api_tokens.filter(revoked_at.is_null()))
            .set(expires_at.eq(past))
            .execute(&mut t.conn())
            .unwrap();
    }
    let (status, body) = t.api("GET", "/api/v1/me", Some(&third), None).await;
    assert_eq!(status, 401, "{backend:?} expired");
    assert_eq!(body["error"], "unauthorized");
    t.stop().await;
}

per_backend!(async guessing_api_tokens_is_throttled);
async fn guessing_api_tokens_is_throttled(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let real = t.api_token("lan", "analyst", None);
    for i in 0..30 {
        let (status, _) = t
            .api("GET", "/api/v1/me", Some(&format!("chiso_guess{i}")), None)
            .await;
        assert_eq!(status, 401, "{backend:?}");
    }
    let (status, body) = t.api("GET", "/api/v1/me", Some(&real), None).await;
    assert_eq!(
        status, 429,
        "{backend:?} the guesser's address is blocked, real token or not"
    );
    assert_eq!(body["error"], "too_many_requests");
    t.stop().await;
}

per_backend!(async bad_bodies_get_clear_json_errors_and_change_nothing);
async fn bad_bodies_get_clear_json_errors_and_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.api_token("admin1", "admin", None);
    let url = format!("{}/api/v1/campaigns", t.base);
    let send = |body: String, ct: &'static str| {
        t.client
            .post(&url)
            .bearer_auth(&admin)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = send("{\"year\":".into(), "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    let r = send("year=2026".into(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = send(
        format!("{{\"name\":\"{}\"}}", "x".repeat(300_000)),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 413);
    let r = send(
        json!({"year": 2026, "name": "x", "opens": "2026-12-01", "closes": "2026-11-01", "extra": 1})
            .to_string(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400, "unknown fields are refused");
    let (status, body) = t
        .api(
            "POST",
            "/api/v1/campaigns",
            Some(&admin),
            Some(
                json!({"year": 2026, "name": " ", "opens": "2026-12-01", "closes": "2026-11-01",
                        "questionnaires": ["khong_co"]}),
            ),
        )
        .await;
    assert_eq!(status, 422, "{backend:?} {body}");
    let details: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("khong_co")),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d.contains("tên đợt")), "{details:?}");
    // Issue 15: a file path as the profile was read (its parse error shown).
    for path in [
        "/etc/passwd",
        "../questionnaires/profiles/son-la-2021.toml",
        "/tmp",
    ] {
        let (status, body) = t
            .api(
                "POST",
                "/api/v1/campaigns",
                Some(&admin),
                Some(json!({"year": 2026, "name": "Thử", "opens": "2026-12-01",
                            "closes": "2026-12-20", "questionnaires": ["citizen"],
                            "profile": path})),
            )
            .await;
        assert_eq!(status, 422, "{backend:?} {path} {body}");
        let text = body.to_string();
        assert!(text.contains("không phải mã hồ sơ tỉnh"), "{path}: {text}");
        assert!(!text.contains("root"), "{path}: {text}");
    }
    assert_eq!(
        chiso::service::campaigns::summaries(&t.app).unwrap().len(),
        1,
        "nothing was opened"
    );
    t.stop().await;
}

per_backend!(async an_officer_scores_the_dossier_through_the_api_and_an_analyst_reads_it_back);
/// Issue 17: "dossiers (read; write for scores)". The unit's officer sends
/// every criterion at once; one wrong row stores nothing (422 naming it),
/// the corrected set stores all; the dossier read back shows the scores,
/// and the same rows sent again change nothing.
async fn an_officer_scores_the_dossier_through_the_api_and_an_analyst_reads_it_back(
    backend: Backend,
) {
    use crate::appraisal::{appraised_leaves, ninh_hoa_open_for_dossiers, profile};
    let (t, q, c, unit) = ninh_hoa_open_for_dossiers(backend).await;
    let officer = t.api_token("cb-tp", "unit_officer", Some("NH-TP"));
    let analyst = t.api_token("pt", "analyst", None);
    let leaves = appraised_leaves(&profile(q.path()));
    let path = format!("/api/v1/campaigns/{c}/dossiers/{unit}/self-scores");
    let mut rows: Vec<serde_json::Value> = leaves
        .iter()
        .map(
            |(code, _, _)| json!({ "criterion": code, "points": 0, "explanation": "Đã thực hiện" }),
        )
        .collect();
    rows[0]["points"] = json!(99);
    rows[1]["points"] = json!("1,5");
    let (status, body) = t.api("PUT", &path, Some(&officer), Some(json!(rows))).await;
    assert_eq!(status, 422, "{backend:?} {body}");
    let first = &leaves[0].0;
    assert!(
        body["details"].as_array().unwrap().iter().any(|d| d
            .as_str()
            .unwrap()
            .contains(&format!("Tiêu chí \"{first}\": 99 điểm vượt điểm tối đa"))),
        "{body}"
    );
    let dossier = format!("/api/v1/campaigns/{c}/dossiers/{unit}");
    let (_, before) = t.api("GET", &dossier, Some(&analyst), None).await;
    assert!(before["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["self_points"].is_null()));

    rows[0]["points"] = json!(0);
    rows[1]["points"] = json!(0);
    let row_12 = rows.iter_mut().find(|r| r["criterion"] == "1.2").unwrap();
    row_12["points"] = json!("1,5");
    row_12["reference"] = json!("Kế hoạch 12/KH-UBND");
    let (status, body) = t.api("PUT", &path, Some(&officer), Some(json!(rows))).await;
    assert_eq!(status, 200, "{backend:?} {body}");
    assert_eq!(body["changed"], json!(leaves.len()));
    let (_, after) = t.api("GET", &dossier, Some(&analyst), None).await;
    let node = after["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "1.2")
        .unwrap();
    assert_eq!(node["self_points"], json!("1.5"));
    assert_eq!(node["evidence"]["reference"], json!("Kế hoạch 12/KH-UBND"));
    let (status, body) = t.api("PUT", &path, Some(&officer), Some(json!(rows))).await;
    assert_eq!(
        (status, body["changed"].clone()),
        (200, json!(0)),
        "unchanged rows are not written again"
    );
    // Submitted, the appraiser of every department decides through the API:
    // a changed score without a reason stores nothing, with one it stores.
    let officer_user = crate::appraisal::staff_user(&t.app, "cb-tp");
    chiso::service::appraisal::submit(
        &t.app,
        &chiso::service::appraisal::On {
            data_dir: t.data.path(),
            who: &officer_user,
            campaign_id: c,
            unit_id: UnitId(unit),
        },
        chiso::service::now(),
    )
    .unwrap();
    let appraiser = t.api_token("td", "appraiser", None);
    crate::appraisal::assign_everything(&t, c, &profile(q.path()), "td").await;
    let decisions = format!("/api/v1/campaigns/{c}/dossiers/{unit}/appraisals");
    let mut rows = json!([
        { "criterion": "1.2", "decision": "change", "points": 1 },
        { "criterion": leaves[0].0, "decision": "accept" }
    ]);
    let (status, body) = t
        .api("PUT", &decisions, Some(&appraiser), Some(rows.clone()))
        .await;
    assert_eq!(status, 422, "{backend:?} {body}");
    assert!(body.to_string().contains("phải ghi lý do"), "{body}");
    rows[0]["reason"] = json!("Kế hoạch thiếu 2 nhiệm vụ");
    let (status, body) = t.api("PUT", &decisions, Some(&appraiser), Some(rows)).await;
    assert_eq!(status, 200, "{backend:?} {body}");
    assert_eq!(body["changed"], json!(2));
    let (_, after) = t.api("GET", &dossier, Some(&analyst), None).await;
    let node = after["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "1.2")
        .unwrap();
    assert_eq!(node["score"], json!("1"));
    // The officer may not appraise.
    let (status, _) = t
        .api(
            "PUT",
            &decisions,
            Some(&officer),
            Some(json!([{ "criterion": "1.2", "decision": "accept" }])),
        )
        .await;
    assert_eq!(status, 403);
    t.stop().await;
}
