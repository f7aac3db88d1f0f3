//! A campaign's life on the web: the administrator closes the survey early,
//! extends it (which reopens it), and archives it once closed; an archived
//! campaign leaves the list and keeps its data.

use chrono::{Duration, NaiveDate};

use crate::support::*;

fn today() -> NaiveDate {
    chiso::domain::vietnam_time::date(chrono::Utc::now().naive_utc())
}

per_backend!(async an_administrator_closes_extends_and_archives_a_campaign);
async fn an_administrator_closes_extends_and_archives_a_campaign(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("qt", "admin", None)
        .start()
        .await;
    let admin = t.user("qt");
    let analyst = t.staff("pt", "analyst", None).await;
    let c = t.campaign;
    let path = format!("/staff/campaigns/{c}/period");
    let page = format!("/staff/campaigns/{c}");
    let token = issue(&t.app, c, "citizen", "P-BINHMINH");

    // Only the administrator; an open campaign is not archived.
    assert_eq!(
        t.staff_post(&analyst, &path, &[("action", "close")])
            .await
            .status,
        403
    );
    let refused = t.staff_post(&admin, &path, &[("action", "archive")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused
        .words()
        .contains("Đợt khảo sát đang mở: đóng đợt trước khi lưu trữ."));

    // Closed now: the link stops taking answers.
    let closed = t.staff_post(&admin, &path, &[("action", "close")]).await;
    assert_eq!(closed.status, 303);
    assert!(t.staff_get(&admin, &page).await.words().contains("Đã đóng"));
    let form = t.get(&format!("/s/{token}")).await;
    assert_eq!(form.status, 410);
    assert!(form.words().contains("đã kết thúc"));

    // A last day in the past is refused; a later one reopens the survey.
    let yesterday = (today() - Duration::days(1)).to_string();
    let past = t
        .staff_post(
            &admin,
            &path,
            &[("action", "extend"), ("closes", &yesterday)],
        )
        .await;
    assert_eq!(past.status, 422);
    assert!(past.words().contains("đã qua"), "{}", past.words());
    let later = (today() + Duration::days(10)).to_string();
    let extended = t
        .staff_post(&admin, &path, &[("action", "extend"), ("closes", &later)])
        .await;
    assert_eq!(extended.status, 303);
    let words = t.staff_get(&admin, &page).await.words();
    assert!(words.contains("Đang mở"));
    let last_day = (today() + Duration::days(10))
        .format("%d/%m/%Y")
        .to_string();
    assert!(
        words.contains(&format!("→ {last_day}")),
        "dates as dd/mm/yyyy: {words}"
    );
    assert_eq!(t.get(&format!("/s/{token}")).await.status, 200);

    // Closed and archived: out of the list, still there.
    assert_eq!(
        t.staff_post(&admin, &path, &[("action", "close")])
            .await
            .status,
        303
    );
    let archived = t.staff_post(&admin, &path, &[("action", "archive")]).await;
    assert_eq!(archived.status, 303);
    let list = t.staff_get(&admin, "/staff").await;
    assert!(!list
        .body
        .contains(&format!("href=\"/staff/campaigns/{c}\"")));
    assert!(list.words().contains("Xem cả 1 đợt đã lưu trữ"));
    let all = t.staff_get(&admin, "/staff?archived=1").await;
    assert!(all.body.contains(&format!("href=\"/staff/campaigns/{c}\"")));
    let kept = t.staff_get(&admin, &page).await;
    assert_eq!(kept.status, 200);
    assert!(kept.words().contains("đã lưu trữ"));
    let back = t
        .staff_post(&admin, &path, &[("action", "unarchive")])
        .await;
    assert_eq!(back.status, 303);
    assert!(t
        .staff_get(&admin, "/staff")
        .await
        .body
        .contains(&format!("href=\"/staff/campaigns/{c}\"")));
    t.stop().await;
}
