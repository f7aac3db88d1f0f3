//! The public form over HTTP against the real app, on every backend.

use crate::support::*;

const IDEM: &str = "0123456789abcdef0123456789abcdef";

per_backend!(async a_citizen_answers_page_by_page_resumes_and_submits);
async fn a_citizen_answers_page_by_page_resumes_and_submits(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");

    let first = t.get(&format!("/s/{token}")).await;
    assert_eq!(first.status, 200, "{backend:?}");
    assert!(first.body.contains("Phường Bình Minh"));
    assert!(first.body.contains("Trang 1/7"));

    let pages = citizen_pages(unit);
    for (p, answers) in pages.iter().enumerate().take(3) {
        let r = post_page(&t, &token, p, "next", IDEM, answers).await;
        assert_eq!(r.status, 303, "{backend:?} page {p}: {}", r.body);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/s/{token}?p={}", p + 1).as_str())
        );
    }

    // Closing the browser and coming back: the link opens where they left off,
    // with earlier answers still checked.
    let back = t.get(&format!("/s/{token}")).await;
    assert!(
        back.body.contains("Trang 4/7"),
        "{backend:?} resumes at the first unfinished page"
    );
    let p1 = t.get(&format!("/s/{token}?p=1")).await;
    assert!(
        p1.body
            .contains(&format!("name=\"a.{unit}.TC1\" value=\"4\" checked")),
        "{backend:?}"
    );
    assert_eq!(t.response_count(), 0, "drafts are not responses");

    for (p, answers) in pages.iter().enumerate().skip(3).take(3) {
        assert_eq!(
            post_page(&t, &token, p, "next", IDEM, answers).await.status,
            303
        );
    }
    let done = post_page(&t, &token, 6, "submit", IDEM, &pages[6]).await;
    assert_eq!(done.status, 200, "{backend:?}: {}", done.body);
    assert!(done.body.contains("Cảm ơn"));

    let responses = chiso::storage::responses::list(&mut t.conn(), t.campaign.get()).unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].source.code(), "sample");
    let answers = chiso::storage::responses::answers_of(&mut t.conn(), responses[0].id).unwrap();
    assert_eq!(
        answers.get(&(unit, "CC6".to_string())).map(String::as_str),
        Some("3")
    );
    assert_eq!(
        answers
            .get(&(unit, "GOP_Y".to_string()))
            .map(String::as_str),
        Some("Cần thêm chỗ ngồi <b>chờ</b>")
    );
    assert!(!answers.contains_key(&(unit, "SO_LAN".to_string())));
    assert_eq!(answers.len(), 4 + 22 + 1);
    assert!(chiso::storage::respondents::drafts(
        &mut t.conn(),
        responses[0].respondent_id.unwrap()
    )
    .unwrap()
    .is_empty());

    // The used link now looks exactly like a link that never existed.
    let used = t.get(&format!("/s/{token}")).await;
    let unknown = t.get("/s/AAAAAAAAAAAAAAAAAAAAAA").await;
    let junk = t.get("/s/not-a-token").await;
    assert_eq!((used.status, unknown.status, junk.status), (404, 404, 404));
    assert_eq!(used.body, unknown.body);
    assert_eq!(used.body, junk.body);
    assert!(used.body.contains("không hợp lệ hoặc đã được sử dụng"));
    t.stop().await;
}

per_backend!(async the_favicon_is_served_from_the_binary);
async fn the_favicon_is_served_from_the_binary(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let r = t
        .client
        .get(format!("{}/favicon.ico", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301, "{backend:?}");
    assert_eq!(r.headers()["location"], "/static/favicon.svg");
    let r = t
        .client
        .get(format!("{}/static/favicon.svg", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<svg"));
}

per_backend!(async wrong_answers_get_a_message_next_to_the_field_and_nothing_is_submitted);
async fn wrong_answers_get_a_message_next_to_the_field_and_nothing_is_submitted(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let mut answers = likert_all(unit, &["TC1", "TC2", "TC3"], "4");
    answers.push((format!("a.{unit}.TC4"), "9".into()));
    let r = post_page(&t, &token, 1, "next", IDEM, &answers).await;
    assert_eq!(r.status, 422, "{backend:?}");
    // Issue 17: without JavaScript too, the title says "Lỗi" and the
    // summary takes the focus when the page loads (WCAG 3.3.1, 2.4.3).
    assert!(r.body.contains("<title>Lỗi: "), "{}", r.body);
    assert!(r.body.contains("id=\"error-summary\" autofocus"));
    assert!(
        r.body
            .contains(&format!("id=\"q-{unit}-TC4-err\">Lựa chọn không hợp lệ.")),
        "{}",
        r.body
    );
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("role=\"alert\""));

    // Skipping a required question: told so on "next", and again on submit
    // from the last page, which sends the respondent to the first gap.
    let r = post_page(
        &t,
        &token,
        2,
        "next",
        IDEM,
        &likert_all(unit, &["TT1"], "4"),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(&format!(
        "id=\"q-{unit}-TT2-err\">Vui lòng trả lời câu hỏi này."
    )));
    let r = post_page(&t, &token, 6, "submit", IDEM, &[]).await;
    assert_eq!(r.status, 422, "{backend:?}");
    assert!(r.body.contains("câu hỏi bắt buộc chưa trả lời"));
    assert!(
        r.body.contains("Trang 1/7"),
        "the first page with a gap is shown"
    );
    assert_eq!(t.response_count(), 0);

    // Valid answers given on a page with an error elsewhere are kept.
    let p1 = t.get(&format!("/s/{token}?p=1")).await;
    assert!(p1
        .body
        .contains(&format!("name=\"a.{unit}.TC3\" value=\"4\" checked")));
    t.stop().await;
}

per_backend!(async conditions_show_follow_up_questions_only_when_they_apply);
async fn conditions_show_follow_up_questions_only_when_they_apply(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let a = |c: &str, v: &str| (format!("a.{unit}.{c}"), v.to_string());
    let base = vec![a("KENH", "truc_tiep")];

    // "Went back several times: yes" makes the count required.
    let mut yes = base.clone();
    yes.push(a("DI_LAI", "co"));
    let r = post_page(&t, &token, 0, "next", IDEM, &yes).await;
    assert_eq!(r.status, 422, "{backend:?}");
    assert!(r.body.contains(&format!(
        "id=\"q-{unit}-SO_LAN-err\">Vui lòng trả lời câu hỏi này."
    )));
    // Without JavaScript the follow-up is hidden by CSS until "yes" is checked.
    assert!(r.body.contains(&format!(
        ".survey:not(:has(input[name=\"a.{unit}.DI_LAI\"][value=\"co\"]:checked)) #q-{unit}-SO_LAN"
    )));

    // "No" hides it: an answer left in the hidden field is dropped, not stored.
    let mut no = base.clone();
    no.push(a("DI_LAI", "khong"));
    no.push(a("SO_LAN", "7"));
    assert_eq!(
        post_page(&t, &token, 0, "next", IDEM, &no).await.status,
        303
    );
    let drafts =
        chiso::storage::respondents::drafts(&mut t.conn(), respondent_id(&t, &token)).unwrap();
    assert!(drafts.contains_key(&(unit, "DI_LAI".into())));
    assert!(!drafts.contains_key(&(unit, "SO_LAN".into())), "{drafts:?}");
    t.stop().await;
}

fn respondent_id(t: &TestApp, token: &str) -> i64 {
    let hash = chiso::domain::token::Token::parse(token).unwrap().hash().0;
    chiso::storage::respondents::by_token_hash(&mut t.conn(), &hash)
        .unwrap()
        .unwrap()
        .id
}

async fn answer_all_but_last(t: &TestApp, token: &str, unit: i64) -> Vec<Vec<(String, String)>> {
    let pages = citizen_pages(unit);
    for (p, answers) in pages.iter().enumerate().take(6) {
        assert_eq!(
            post_page(t, token, p, "next", IDEM, answers).await.status,
            303
        );
    }
    pages
}

per_backend!(async a_retried_submission_sees_success_again_and_stores_one_response);
async fn a_retried_submission_sees_success_again_and_stores_one_response(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let pages = answer_all_but_last(&t, &token, unit).await;
    let first = post_page(&t, &token, 6, "submit", IDEM, &pages[6]).await;
    let retry = post_page(&t, &token, 6, "submit", IDEM, &pages[6]).await;
    assert_eq!((first.status, retry.status), (200, 200), "{backend:?}");
    assert!(retry.body.contains("Cảm ơn"));
    let other_key = post_page(
        &t,
        &token,
        6,
        "submit",
        "ffffffffffffffffffffffffffffffff",
        &pages[6],
    )
    .await;
    assert_eq!(
        other_key.status, 404,
        "a different submission on a used token is refused"
    );
    assert_eq!(t.response_count(), 1);
    t.stop().await;
}

per_backend!(async fifty_simultaneous_submissions_of_one_token_store_exactly_one_response);
async fn fifty_simultaneous_submissions_of_one_token_store_exactly_one_response(backend: Backend) {
    // Under the default limits: a real token is not counted as a guess, and
    // the 25 tries with another key (404) stay under the 30 allowed.
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let pages = answer_all_but_last(&t, &token, unit).await;
    let url = format!("{}/s/{token}", t.base);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = t.client.clone();
        let url = url.clone();
        let mut fields: Vec<(String, String)> = vec![
            ("p".into(), "6".into()),
            ("nav".into(), "submit".into()),
            // Half retry the same submission, half are different ones.
            (
                "idem".into(),
                if i % 2 == 0 {
                    IDEM.to_string()
                } else {
                    format!("{i:032}")
                },
            ),
        ];
        fields.extend(pages[6].clone());
        tasks.push(actix_web::rt::spawn(async move {
            client
                .post(url)
                .form(&fields)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().expect("request"));
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 404),
        "{backend:?}: {statuses:?}"
    );
    assert!(statuses.contains(&200));
    assert_eq!(t.response_count(), 1, "{backend:?}");
    let answers = chiso::storage::responses::answers_of(
        &mut t.conn(),
        chiso::storage::responses::list(&mut t.conn(), t.campaign.get()).unwrap()[0].id,
    )
    .unwrap();
    assert_eq!(answers.len(), 27, "the one response is whole");
    t.stop().await;
}

per_backend!(async bad_requests_get_clear_answers);
async fn bad_requests_get_clear_answers(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .max_body_bytes(4096)
        .start()
        .await;
    let token = t.token("citizen", "P-BINHMINH");
    let url = format!("{}/s/{token}", t.base);

    let big = "x".repeat(10_000);
    let r = t
        .post(
            &format!("/s/{token}"),
            &[("p", "0"), ("nav", "next"), ("a.1.GOP_Y", big.as_str())],
        )
        .await;
    assert_eq!(r.status, 413, "{backend:?}");
    assert!(r.body.contains("vượt quá giới hạn"));

    let r = TestApp::page(
        t.client
            .post(&url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("x-www-form-urlencoded"));

    let r = t.post(&format!("/s/{token}"), &[("nav", "fly")]).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("số trang (p)") && r.body.contains("thao tác (nav)"),
        "{}",
        r.body
    );

    let r = t
        .post(&format!("/s/{token}"), &[("p", "99"), ("nav", "next")])
        .await;
    assert_eq!(r.status, 400);
    let r = t.get(&format!("/s/{token}?p=99")).await;
    assert_eq!(r.status, 400);
    assert_eq!(t.get("/nowhere").await.status, 404);
    assert_eq!(t.response_count(), 0);
    t.stop().await;
}

per_backend!(async closed_and_future_campaigns_say_so);
async fn closed_and_future_campaigns_say_so(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let closed = open_campaign(&t.app, &t.questionnaires_dir, -30, -2, false);
    let future = open_campaign(&t.app, &t.questionnaires_dir, 3, 30, false);
    let old = issue(&t.app, closed, "citizen", "P-BINHMINH");
    let early = issue(&t.app, future, "citizen", "P-BINHMINH");
    let r = t.get(&format!("/s/{old}")).await;
    assert_eq!(r.status, 410, "{backend:?}");
    assert!(r.body.contains("đã kết thúc"));
    let r = t
        .post(
            &format!("/s/{old}"),
            &[("p", "0"), ("nav", "submit"), ("idem", IDEM)],
        )
        .await;
    assert_eq!(r.status, 410);
    let r = t.get(&format!("/s/{early}")).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("chưa bắt đầu"));
    assert_eq!(t.get(&format!("/o/{closed}/citizen")).await.status, 410);
    t.stop().await;
}

per_backend!(async an_open_link_starts_a_response_outside_the_sample);
async fn an_open_link_starts_a_response_outside_the_sample(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let landing = t.get(&format!("/o/{}/citizen", t.campaign)).await;
    assert_eq!(landing.status, 200, "{backend:?}");
    assert!(landing.body.contains("Phường Bình Minh"));
    let r = t.start_open(t.campaign, "citizen", "", None).await;
    assert_eq!(r.status, 422, "a unit must be chosen");

    let landing = t
        .client
        .get(format!("{}/o/{}/citizen", t.base, t.campaign))
        .send()
        .await
        .unwrap();
    let csrf = landing
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("chiso_open="))
        .unwrap();
    assert!(
        csrf.contains("SameSite=Strict") && csrf.contains("HttpOnly"),
        "{csrf}"
    );
    let token = landing
        .text()
        .await
        .unwrap()
        .split("name=\"open_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = t
        .client
        .post(format!("{}/o/{}/citizen", t.base, t.campaign))
        .header("cookie", csrf.split(';').next().unwrap())
        .form(&[("unit", "P-HONGHA"), ("open_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("chiso_resume_"))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let path = r
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let token = path.trim_start_matches("/s/").to_string();
    let unit = unit_id(&t.app, "P-HONGHA");
    let pages = answer_all_but_last(&t, &token, unit).await;
    assert_eq!(
        post_page(&t, &token, 6, "submit", IDEM, &pages[6])
            .await
            .status,
        200
    );
    let responses = chiso::storage::responses::list(&mut t.conn(), t.campaign.get()).unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].source.code(), "open", "{backend:?}");
    assert_eq!(responses[0].unit_id, Some(unit));
    assert_eq!(
        t.get(&format!("/o/{}/nothing", t.campaign)).await.status,
        404
    );
    t.stop().await;
}

per_backend!(async an_open_link_can_name_its_unit_and_a_counter_tablet_keeps_no_form_to_resume);
/// Issue 17: `?unit=CODE` (the QR code of one unit's counter) chooses the
/// unit; `?quay=1` (a shared tablet at the counter) neither keeps a resume
/// cookie nor offers the previous person's form.
async fn an_open_link_can_name_its_unit_and_a_counter_tablet_keeps_no_form_to_resume(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let landing = t
        .get(&format!("/o/{}/citizen?unit=P-HONGHA", t.campaign))
        .await;
    assert_eq!(landing.status, 200, "{backend:?}");
    assert!(
        landing.body.contains("value=\"P-HONGHA\" selected"),
        "{}",
        landing.body
    );
    assert_eq!(landing.body.matches(" selected>").count(), 1);

    // The counter tablet's start: no resume cookie on the way to the form.
    let counter = format!("{}/o/{}/citizen?quay=1", t.base, t.campaign);
    let landing = t.client.get(&counter).send().await.unwrap();
    let csrf = landing
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("chiso_open="))
        .unwrap();
    let body = landing.text().await.unwrap();
    assert!(
        body.contains("?quay=1\""),
        "the form posts back in counter mode"
    );
    let token = body
        .split("name=\"open_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = t
        .client
        .post(&counter)
        .header("cookie", csrf.split(';').next().unwrap())
        .form(&[("unit", "P-HONGHA"), ("open_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{backend:?}");
    assert!(
        !r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("chiso_resume_")),
        "{backend:?}: a counter tablet keeps no way back to the form"
    );
    let form = r.headers()["location"].to_str().unwrap().to_string();
    // Even with a resume cookie left on the tablet, the counter page does
    // not offer it; the ordinary link does.
    let cookie = format!(
        "chiso_resume_{}_citizen={}",
        t.campaign,
        form.trim_start_matches("/s/")
    );
    let offers = |url: String| {
        let (client, cookie) = (&t.client, cookie.clone());
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("Tiếp tục phiếu đó")
        }
    };
    assert!(
        offers(format!("{}/o/{}/citizen", t.base, t.campaign)).await,
        "{backend:?}: the resume cookie's name is the one the page reads"
    );
    assert!(!offers(counter.clone()).await, "{backend:?}");
    t.stop().await;
}

per_backend!(async a_commune_leader_rates_every_so_on_one_link);
async fn a_commune_leader_rates_every_so_on_one_link(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let token = t.token("leader_commune", "X-DONGHAI");
    let sos = ["SNV", "STC", "STP", "SXD", "SYT"];
    let first = t.get(&format!("/s/{token}")).await;
    assert!(
        first.body.contains("Trang 1/5"),
        "one page per rated sở, {backend:?}"
    );
    for (p, code) in sos.iter().enumerate() {
        let unit = unit_id(&t.app, code);
        let page = t.get(&format!("/s/{token}?p={p}")).await;
        assert!(
            page.body.contains(&format!("name=\"a.{unit}.LD1\"")),
            "page {p} rates {code}"
        );
        let nav = if p == sos.len() - 1 { "submit" } else { "next" };
        let answers = likert_all(unit, &["LD1", "LD2", "LD3", "LD4"], &(p + 1).to_string());
        let r = post_page(&t, &token, p, nav, IDEM, &answers).await;
        assert!(
            r.status == 303 || r.status == 200,
            "{backend:?} page {p}: {}",
            r.status
        );
    }
    let responses = chiso::storage::responses::list(&mut t.conn(), t.campaign.get()).unwrap();
    assert_eq!(responses.len(), 1);
    let answers = chiso::storage::responses::answers_of(&mut t.conn(), responses[0].id).unwrap();
    assert_eq!(answers.len(), 20);
    assert_eq!(
        answers
            .get(&(unit_id(&t.app, "SYT"), "LD1".into()))
            .map(String::as_str),
        Some("5")
    );
    t.stop().await;
}

per_backend!(async an_anonymous_campaign_keeps_no_link_from_response_to_respondent);
async fn an_anonymous_campaign_keeps_no_link_from_response_to_respondent(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let anon = open_campaign(&t.app, &t.questionnaires_dir, -1, 10, true);
    let token = issue(&t.app, anon, "civil_servant", "STP");
    let unit = unit_id(&t.app, "STP");
    let p0 = likert_all(unit, &["CD1", "CD2", "TC1"], "4");
    let p1 = likert_all(unit, &["CV1", "CV2", "TCC1", "CDS1"], "5");
    assert_eq!(
        post_page(&t, &token, 0, "next", IDEM, &p0).await.status,
        303
    );
    assert_eq!(
        post_page(&t, &token, 1, "submit", IDEM, &p1).await.status,
        200
    );
    let r = chiso::storage::responses::list(&mut t.conn(), anon.get()).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].respondent_id, None, "{backend:?}");
    // No timestamp finer than the day could join the rows back.
    let resp = chiso::storage::respondents::by_token_hash(
        &mut t.conn(),
        &chiso::domain::token::Token::parse(&token).unwrap().hash().0,
    )
    .unwrap()
    .unwrap();
    let midnight = |d: chrono::NaiveDateTime| d.time() == chrono::NaiveTime::MIN;
    assert!(midnight(r[0].submitted_at), "{:?}", r[0].submitted_at);
    assert!(midnight(resp.submitted_at.unwrap()) && midnight(resp.updated_at));
    assert!(midnight(resp.opened_at.unwrap()), "{:?}", resp.opened_at);
    assert!(midnight(resp.created_at), "{:?}", resp.created_at);
    assert_eq!(
        resp.status.code(),
        "submitted",
        "the fact of answering is kept"
    );
    // Nothing of the respondent is left beside the response: no drafts
    // and no idempotency key on the response side.
    let drafts = chiso::storage::respondents::drafts(&mut t.conn(), resp.id).unwrap();
    assert!(drafts.is_empty(), "{backend:?}");
    t.stop().await;
}

per_backend!(async answers_stay_with_the_questionnaire_version_they_were_given_on);
async fn answers_stay_with_the_questionnaire_version_they_were_given_on(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(repo_path("questionnaires/citizen.toml")).unwrap();
    std::fs::write(dir.path().join("citizen.toml"), &src).unwrap();
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(dir.path())
        .start()
        .await;
    let old_token = t.token("citizen", "P-BINHMINH");

    // The file is edited after the campaign opened.
    std::fs::write(
        dir.path().join("citizen.toml"),
        src.replace("Nơi ngồi chờ", "Khu vực chờ"),
    )
    .unwrap();
    let second = open_campaign(&t.app, dir.path(), -1, 10, false);
    let new_token = issue(&t.app, second, "citizen", "P-BINHMINH");

    let old_page = t.get(&format!("/s/{old_token}?p=1")).await;
    let new_page = t.get(&format!("/s/{new_token}?p=1")).await;
    assert!(
        old_page.body.contains("Nơi ngồi chờ") && !old_page.body.contains("Khu vực chờ"),
        "{backend:?}"
    );
    assert!(new_page.body.contains("Khu vực chờ"));
    let first = chiso::service::campaigns::summary(&t.app, t.campaign).unwrap();
    let later = chiso::service::campaigns::summary(&t.app, second).unwrap();
    let v = |s: &chiso::service::campaigns::CampaignSummary| {
        s.questionnaires
            .iter()
            .find(|q| q.code == "citizen")
            .unwrap()
            .version
            .clone()
    };
    assert_ne!(v(&first), v(&later));
    t.stop().await;
}

#[actix_web::test]
async fn form_pages_are_not_cached_and_do_not_leak_the_token() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let token = t.token("citizen", "P-BINHMINH");
    let r = t
        .client
        .get(format!("{}/s/{token}", t.base))
        .send()
        .await
        .unwrap();
    let h = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        h("referrer-policy"),
        "no-referrer",
        "the token in the URL is never sent to another site"
    );
    assert_eq!(h("cache-control"), "no-store");
    assert!(
        h("content-security-policy").contains("default-src 'self'"),
        "no external resources"
    );
    assert_eq!(h("x-frame-options"), "DENY");
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("http://") && !body.contains("https://"),
        "no external CDN or links"
    );
    t.stop().await;
}
