//! A campaign's calendar on the web: the profile's yearly deadlines for the
//! campaign's year, the administrator's changes and extensions with their
//! reasons, and the profile frozen with its SHA-256.

use chrono::{Datelike, Duration, NaiveDate};
use sha2::{Digest, Sha256};

use crate::support::*;

const UNITS: &str = "code,name,block,unit_type\n\
NH-TP,Phòng Tư pháp,co_quan,co_quan\n\
NH-NV,Phòng Nội vụ,co_quan,co_quan\n";

fn today() -> NaiveDate {
    chiso::domain::vietnam_time::date(chrono::Utc::now().naive_utc())
}

fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

per_backend!(async an_administrator_sees_the_years_deadlines_and_extends_one_for_one_unit);
async fn an_administrator_sees_the_years_deadlines_and_extends_one_for_one_unit(backend: Backend) {
    let q = questionnaires_copy();
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(q.path())
        .with_user("qt", "admin", None)
        .start()
        .await;
    chiso::service::units::import(&t.app, UNITS.as_bytes(), "units.csv").unwrap();
    let admin = t.user("qt");
    let officer = t.staff("cb-tp", "unit_officer", Some("NH-TP")).await;
    let other = t.staff("cb-nv", "unit_officer", Some("NH-NV")).await;

    // The deadline will be moved ten days into the past: the campaign is of
    // that day's year, so the test holds on any day it runs. A working day,
    // because the page shows a weekend deadline moved to the Monday after
    // (the profile has no holidays for most years).
    let mut past = today() - Duration::days(10);
    while matches!(past.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        past -= Duration::days(1);
    }
    let year = past.year();
    let open = |year: i32| {
        vec![
            ("name", "Chỉ số CCHC".to_string()),
            ("year", year.to_string()),
            ("opens", (today() - Duration::days(1)).to_string()),
            ("closes", (today() + Duration::days(30)).to_string()),
            ("q", "citizen".to_string()),
            ("profile", "ninh-hoa-2021".to_string()),
        ]
    };
    let fields = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let post = |v: Vec<(&'static str, String)>| {
        let t = &t;
        let admin = admin.clone();
        async move {
            let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.staff_post(&admin, "/staff/campaigns", &refs).await
        }
    };

    // Before the regulation's year: refused, saying why.
    let r = post(fields(&open(2020))).await;
    assert_eq!(r.status, 422, "{backend:?}");
    assert!(
        r.text().contains("hồ sơ ninh-hoa-2021 áp dụng từ năm 2021"),
        "{}",
        r.body
    );

    let r = post(fields(&open(year))).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let page = r.location.unwrap();
    let c: i64 = page.rsplit('/').next().unwrap().parse().unwrap();

    // The page shows the rule, its date for the year and the frozen profile.
    let shipped = std::fs::read(q.path().join("profiles/ninh-hoa-2021.toml")).unwrap();
    let sha = hex::encode(Sha256::digest(&shipped));
    let r = t.staff_get(&admin, &page).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("ngày 08/12 hằng năm"), "{}", r.body);
    let written = NaiveDate::from_ymd_opt(year, 12, 8).unwrap();
    assert!(r.text().contains(&ddmmyyyy(written)), "{}", r.body);
    assert!(r.text().contains(&sha), "the SHA-256 of the profile text");

    // Editing the file afterwards changes nothing for this campaign.
    let edited = String::from_utf8(shipped)
        .unwrap()
        .replace("yearly = \"08/12\"", "yearly = \"01/12\"");
    std::fs::write(q.path().join("profiles/ninh-hoa-2021.toml"), edited).unwrap();
    let r = t.staff_get(&admin, &page).await;
    assert!(r.text().contains("ngày 08/12 hằng năm") && r.text().contains(&sha));

    // A change needs a reason, a known unit and a date.
    let deadlines = format!("{page}/deadlines");
    let change = |unit: &str, due: &str, reason: &str| {
        vec![
            ("code", "self_assessment".to_string()),
            ("unit", unit.to_string()),
            ("due", due.to_string()),
            ("reason", reason.to_string()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| {
        let t = &t;
        let admin = admin.clone();
        let deadlines = deadlines.clone();
        async move {
            let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.staff_post(&admin, &deadlines, &refs).await
        }
    };
    let r = send(change("", &past.to_string(), "  ")).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("cần ghi lý do"), "{}", r.body);
    let r = send(change("KHONG-CO", &past.to_string(), "Thử")).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("không có đơn vị mã \"KHONG-CO\""));
    let r = send(change("", "ngày mai", "Thử")).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Hạn mới không hợp lệ"));
    let r = send(change("", "2001-12-08", "Thử")).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("không thuộc năm đánh giá"), "{}", r.body);
    assert_eq!(
        t.staff_post(
            &officer,
            &deadlines,
            &[
                ("code", "self_assessment"),
                ("due", "2026-12-31"),
                ("reason", "x")
            ]
        )
        .await
        .status,
        403,
        "a unit officer cannot extend their own deadline"
    );

    // Moved into the past for everyone: past the two days of grace
    // (Ninh Hòa art. 7.5), both dossiers are locked.
    let r = send(change("", &past.to_string(), "Hội đồng rút ngắn hạn")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let tp = unit_id(&t.app, "NH-TP");
    let nv = unit_id(&t.app, "NH-NV");
    let dossier = |unit: i64| format!("/staff/campaigns/{c}/dossiers/{unit}");
    let score = |who: StaffLogin, unit: i64| {
        let t = &t;
        let path = format!("{}/self-score", dossier(unit));
        async move {
            t.staff_multipart(
                &who,
                Some(&who.csrf),
                &path,
                &[("criterion", "1.2"), ("points", "1")],
                None,
            )
            .await
        }
    };
    let r = score(officer.clone(), tp).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.text().contains("hồ sơ đã khóa"), "{}", r.body);
    assert!(r.text().contains("Sở Nội vụ có thể gia hạn"), "{}", r.body);

    // Extended for one unit, with its reason: that unit may work again and
    // its dossier says why; the other stays locked.
    let until = today() + Duration::days(5);
    let r = send(change(
        "NH-TP",
        &until.to_string(),
        "Đơn vị mất mạng 3 ngày",
    ))
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = score(officer.clone(), tp).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let r = t.staff_get(&officer, &dossier(tp)).await;
    assert!(
        r.text().contains(&format!(
            "Gia hạn riêng cho đơn vị đến {}: Đơn vị mất mạng 3 ngày",
            ddmmyyyy(until)
        )),
        "{}",
        r.body
    );
    let r = score(other.clone(), nv).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.text().contains("hồ sơ đã khóa"));

    // The campaign page keeps the log: who, for whom, to when, why.
    let r = t.staff_get(&admin, &page).await;
    for want in [
        "Nhật ký đổi hạn",
        "Hội đồng rút ngắn hạn",
        "Tất cả đơn vị",
        "Phòng Tư pháp (NH-TP)",
        "Đơn vị mất mạng 3 ngày",
        &ddmmyyyy(past),
        &ddmmyyyy(until),
    ] {
        assert!(r.text().contains(want), "{want}: {}", r.body);
    }
    // Its overview says who is late and links the extension form; the
    // extended unit is not late and shows why.
    let words = r.words();
    assert!(words.contains("đơn vị quá hạn chưa nộp"), "{words}");
    let late = format!("Phòng Nội vụ Chưa lập hồ sơ {}", ddmmyyyy(past));
    assert!(words.contains(&late), "{words}");
    assert!(words.contains("Quá hạn, chưa nộp — gia hạn"), "{words}");
    let extended = format!("Phòng Tư pháp Đang soạn {}", ddmmyyyy(until));
    assert!(
        words.contains(&extended) || words.contains("Phòng Tư pháp Đang soạn"),
        "{words}"
    );
    assert!(words.contains("Gia hạn riêng cho đơn vị đến"), "{words}");
    t.stop().await;
}
