//! The council's decisions and the two-step publication on the web: every
//! case the rules leave open is listed on the review page, decided with a
//! reason, shown in the table; publication is refused while one is open and
//! asks for a typed confirmation.

use chrono::Datelike;

use crate::support::*;

fn this_year() -> i32 {
    chiso::domain::vietnam_time::date(chrono::Utc::now().naive_utc()).year()
}

per_backend!(async the_council_decides_every_open_case_before_the_table_is_published);
async fn the_council_decides_every_open_case_before_the_table_is_published(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("qt", "admin", None)
        .start()
        .await;
    let admin = t.user("qt");
    let analyst = t.staff("pt", "analyst", None).await;
    let dir = repo_path("questionnaires");
    let c = open_profile_campaign(
        &t.app,
        &dir,
        "hai-phong-2025",
        this_year(),
        "Chỉ số CCHC",
        false,
    );
    // Units without a dossier are the council's once the deadline is past.
    dossier_deadline_passed(&t.app, c);
    let review = format!("/staff/campaigns/{c}/index/review");
    let decide = format!("/staff/campaigns/{c}/index/decisions");
    let publish = format!("/staff/campaigns/{c}/index/publish");
    let decision =
        |unit: &'static str, case: &'static str, decided: &'static str, reason: &'static str| {
            let (t, admin, decide) = (&t, &admin, &decide);
            async move {
                t.staff_post(
                    admin,
                    decide,
                    &[
                        ("unit", unit),
                        ("case", case),
                        ("decision", decided),
                        ("reason", reason),
                    ],
                )
                .await
            }
        };

    // Nobody opened a dossier. Hải Phòng's profile says nothing of that case
    // (no seed does), so each unit waits for the council: not ranked, and no
    // publication form, only the reasons.
    let page = t.staff_get(&admin, &review).await;
    assert_eq!(page.status, 200);
    let text = page.words();
    assert!(
        text.contains("Sở Nội vụ (SNV): Đơn vị không nộp hồ sơ tự đánh giá"),
        "{text}"
    );
    assert!(
        text.contains("Hội đồng quyết định từng đơn vị"),
        "the setting is named"
    );
    assert!(text.contains("council.no_dossier"));
    assert!(text.contains("Chưa công bố được"));
    assert!(
        !page.body.contains("name=\"confirm\""),
        "no confirmation while cases are open"
    );
    assert!(
        text.contains("không xếp hạng Sở Nội vụ (SNV) —"),
        "not ranked, no index: {text}"
    );
    assert_eq!(t.staff_get(&analyst, &review).await.status, 403);

    // A decision needs a reason and must answer its case.
    let short = decision("SNV", "no_dossier", "exclude", "vì").await;
    assert_eq!(short.status, 422);
    assert!(
        short
            .words()
            .contains("Ghi lý do của Hội đồng (ít nhất 10 ký tự"),
        "{}",
        short.words()
    );
    let wrong = decision("SNV", "no_dossier", "good", "Biên bản số 12/BB-HĐ").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong
        .words()
        .contains("\"Hoàn thành tốt nhiệm vụ\" không phải là quyết định"));
    let not_open = decision("SNV", "mitigation", "good", "Biên bản số 12/BB-HĐ").await;
    assert_eq!(not_open.status, 422);
    assert!(not_open
        .words()
        .contains("chưa được xếp loại theo quy định nên không xét giảm nhẹ"));

    // The council leaves Sở Nội vụ unranked, then rates its head.
    let ok = decision(
        "SNV",
        "no_dossier",
        "exclude",
        "Biên bản số 12/BB-HĐ ngày 05/12",
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let text = t.staff_get(&admin, &review).await.words();
    assert!(text.contains("Không nộp hồ sơ tự đánh giá; Hội đồng quyết định không xếp hạng."));
    assert!(
        text.contains("Biên bản số 12/BB-HĐ ngày 05/12"),
        "the reason is shown"
    );
    assert!(
        text.contains(
            "Sở Nội vụ (SNV): Xếp loại người đứng đầu mà quy định không tự xác định được"
        ),
        "the head's rating is the next open case"
    );
    let ok = decision(
        "SNV",
        "head_rating",
        "completed",
        "Biên bản số 12/BB-HĐ, mục 3",
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let table = chiso::service::publication::table(&t.app, c, chiso::service::now()).unwrap();
    let snv = table.rows.iter().find(|r| r.code == "SNV").unwrap();
    assert!(snv.rank.is_none());
    assert!(snv.open.is_empty());
    assert_eq!(snv.head_rating.key(), "completed");
    assert_eq!(snv.decisions.len(), 2);

    // The other units without a dossier in one decision, one reason.
    let all = format!("/staff/campaigns/{c}/index/decisions/all");
    let page = t.staff_get(&admin, &review).await;
    assert!(
        page.words().contains("Một quyết định cho cả"),
        "{}",
        page.words()
    );
    let r = t
        .staff_post(
            &admin,
            &all,
            &[
                ("case", "no_dossier"),
                ("decision", "exclude"),
                ("reason", "Biên bản số 12/BB-HĐ, mục 2"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let table = chiso::service::publication::table(&t.app, c, chiso::service::now()).unwrap();
    assert!(
        table
            .rows
            .iter()
            .all(|r| !r.open.contains(&chiso::domain::index::Case::NoDossier)),
        "every unit without a dossier decided"
    );
    assert!(table.rows.iter().filter(|r| r.code != "SNV").all(|r| r
        .decisions
        .iter()
        .any(|d| d.reason == "Biên bản số 12/BB-HĐ, mục 2")));
    let again = t
        .staff_post(
            &admin,
            &all,
            &[
                ("case", "no_dossier"),
                ("decision", "exclude"),
                ("reason", "Biên bản số 12/BB-HĐ, mục 2"),
            ],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again
        .words()
        .contains("Không đơn vị nào còn chờ quyết định"));
    let heads = t
        .staff_post(
            &admin,
            &all,
            &[
                ("case", "head_rating"),
                ("decision", "completed"),
                ("reason", "Biên bản số 12/BB-HĐ, mục 2"),
            ],
        )
        .await;
    assert_eq!(heads.status, 422);
    assert!(heads.words().contains("quyết định từng đơn vị"));

    // Every other case decided; the form asks for the typed word.
    assert!(council_decides_every_open_case(&t.app, "qt", c) > 0);
    let page = t.staff_get(&admin, &review).await;
    assert!(page.body.contains("name=\"confirm\""));
    assert!(page
        .words()
        .contains("Không còn vấn đề nào chờ Hội đồng quyết định"));
    // Nothing is public before publication.
    let public = format!("/ket-qua/{c}");
    assert_eq!(t.get(&public).await.status, 404);
    assert_eq!(
        t.get(&format!("{public}/tai-ve?format=csv")).await.status,
        404
    );
    assert!(t
        .get("/ket-qua")
        .await
        .words()
        .contains("Chưa có kết quả nào được công bố"));
    let unconfirmed = t
        .staff_post(&admin, &publish, &[("confirm", "cong bo")])
        .await;
    assert_eq!(unconfirmed.status, 422);
    assert!(unconfirmed.words().contains("gõ đúng \"CÔNG BỐ\""));
    let done = t
        .staff_post(&admin, &publish, &[("confirm", "CÔNG BỐ")])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let index = t
        .staff_get(&admin, &format!("/staff/campaigns/{c}/index"))
        .await
        .words();
    assert!(index.contains("Đã công bố"));
    assert!(index.contains("(giờ Việt Nam)"), "times are Vietnam time");
    assert!(
        index.contains("Hội đồng quyết định không xếp hạng"),
        "decisions are in the table"
    );

    // The public page, without an account: the list, the table with its
    // decisions, a scorecard, and the table as a spreadsheet.
    let list = t.get("/ket-qua").await;
    assert_eq!(list.status, 200);
    assert!(list
        .words()
        .contains(&format!("Năm {}: Chỉ số CCHC", this_year())));
    let page = t.get(&public).await;
    assert_eq!(page.status, 200);
    let words = page.words();
    assert!(words.contains("Chỉ số cải cách hành chính năm"));
    assert!(words.contains("không xếp hạng Sở Nội vụ"), "{words}");
    assert!(words.contains("Hội đồng quyết định không xếp hạng"));
    assert!(page.body.contains("<svg"), "a chart per block");
    let snv_id = snv.unit_id;
    let card = t.get(&format!("{public}/don-vi/{snv_id}")).await;
    assert_eq!(card.status, 200);
    assert!(card.words().contains("Sở Nội vụ: Chỉ số CCHC năm"));
    let xlsx = t
        .client
        .get(format!("{}{public}/tai-ve?format=xlsx", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("chi_so").unwrap();
    // Vietnamese labels on the first row, the column names on the second.
    let labels: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(labels[0], "Mã đơn vị");
    let header: Vec<String> = sheet
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let snv_row = sheet.rows().find(|r| r[col("unit")] == "SNV").unwrap();
    assert_eq!(
        snv_row[col("index")].to_string(),
        "",
        "no index for a unit not ranked"
    );
    assert!(snv_row[col("council")]
        .to_string()
        .contains("Biên bản số 12/BB-HĐ ngày 05/12"));
    assert!(snv_row[col("not_ranked")]
        .to_string()
        .contains("Hội đồng quyết định không xếp hạng"));
    // Issue 17: the index comes with a bar chart of it, over the sheet's rows.
    {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let mut chart = String::new();
        zip.by_name("xl/charts/chart1.xml")
            .expect("a chart in the workbook")
            .read_to_string(&mut chart)
            .unwrap();
        assert!(
            chart.contains("chi_so!$B$3:$B$"),
            "bars labelled by unit name: {chart}"
        );
        // One chart per block, titled with the block's name (no code).
        assert!(chart.contains("Chỉ số CCHC — Khối"), "{chart}");
        let charts = (0..zip.len())
            .filter(|i| {
                zip.by_index(*i)
                    .unwrap()
                    .name()
                    .starts_with("xl/charts/chart")
            })
            .count();
        assert_eq!(charts, 3, "a chart for each of Hải Phòng's three blocks");
    }
    // The readings the figures rest on travel with them, in their own sheet.
    let readings = book.worksheet_range("cach_doc").unwrap();
    let cells: Vec<String> = readings.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        cells.contains(&"council.no_dossier".to_string()),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"văn bản không quy định; lựa chọn của địa phương".to_string()),
        "{cells:?}"
    );

    // After publication the decisions are frozen with the table.
    let late = decision("SNV", "head_rating", "good", "Biên bản bổ sung số 13").await;
    assert_eq!(late.status, 422);
    assert!(late.words().contains("đã công bố"));
    // So are the deadlines, whose lateness feeds the scores.
    let moved = t
        .staff_post(
            &admin,
            &format!("/staff/campaigns/{c}/deadlines"),
            &[
                ("code", "self_assessment"),
                ("unit", ""),
                ("due", &format!("{}-12-31", this_year())),
                ("reason", "Gia hạn sau công bố"),
            ],
        )
        .await;
    assert_eq!(moved.status, 422);
    assert!(
        moved.words().contains("không đổi hạn nữa"),
        "{}",
        moved.words()
    );
    t.stop().await;
}

per_backend!(async a_profile_that_settles_units_without_a_dossier_leaves_the_council_nothing_to_decide_there);
async fn a_profile_that_settles_units_without_a_dossier_leaves_the_council_nothing_to_decide_there(
    backend: Backend,
) {
    let q = questionnaires_copy();
    let path = q.path().join("profiles/hai-phong-2025.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{text}\n[council]\nno_dossier = \"exclude\"\n"),
    )
    .unwrap();
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(q.path())
        .with_user("qt", "admin", None)
        .start()
        .await;
    let c = open_profile_campaign(
        &t.app,
        q.path(),
        "hai-phong-2025",
        this_year(),
        "Chỉ số",
        false,
    );
    dossier_deadline_passed(&t.app, c);
    let table = chiso::service::publication::table(&t.app, c, chiso::service::now()).unwrap();
    for r in &table.rows {
        assert!(r.rank.is_none(), "{}", r.code);
        assert!(
            r.not_ranked
                .as_deref()
                .unwrap()
                .contains("theo thiết lập của hồ sơ tỉnh"),
            "{:?}",
            r.not_ranked
        );
        assert!(!r.open.contains(&chiso::domain::index::Case::NoDossier));
    }
    let page = t
        .staff_get(&t.user("qt"), &format!("/staff/campaigns/{c}/index/review"))
        .await;
    assert!(page
        .words()
        .contains("Đơn vị không nộp hồ sơ tự đánh giá: không xếp hạng"));
    t.stop().await;
}
