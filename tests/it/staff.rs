//! Staff pages over HTTP.

use crate::support::*;

per_backend!(async staff_open_a_campaign_from_the_page_and_see_its_links);
async fn staff_open_a_campaign_from_the_page_and_see_its_links(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("hoa", "admin", None)
        .start()
        .await;
    let admin = t.user("hoa");
    let home = t.staff_get(&admin, "/staff").await;
    assert_eq!(home.status, 200, "{backend:?}");
    assert!(home.body.contains("Đợt khảo sát thử"));
    assert!(home.body.contains("value=\"citizen\""));

    let r = t
        .staff_post(
            &admin,
            "/staff/campaigns",
            &[
                ("name", "Đợt <script>alert(1)</script>"),
                ("year", "2026"),
                ("opens", "2026-11-01"),
                ("closes", "2026-12-15"),
                ("q", "citizen"),
                ("q", "business"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = t.staff_get(&admin, r.location.as_deref().unwrap()).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;"),
        "names are escaped"
    );
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        page.body.contains("/o/2/citizen")
            && page.body.contains("/o/2/business")
            && !page.body.contains("/o/2/leader_so")
    );

    let bad = t
        .staff_post(
            &admin,
            "/staff/campaigns",
            &[
                ("name", "x"),
                ("year", "năm nay"),
                ("opens", "2026-12-01"),
                ("closes", "hôm qua"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Năm phải là một số."));
    assert!(bad.body.contains("Ngày đóng không hợp lệ"));
    assert!(bad.body.contains("Chọn ít nhất một phiếu."));
    let bad = t
        .staff_post(
            &admin,
            "/staff/campaigns",
            &[
                ("name", "x"),
                ("year", "2026"),
                ("opens", "2026-12-01"),
                ("closes", "2026-11-01"),
                ("q", "citizen"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("phải sau hoặc trùng ngày mở"));
    assert_eq!(
        chiso::service::campaigns::summaries(&t.app).unwrap().len(),
        2,
        "nothing half-opened"
    );
    assert_eq!(
        t.staff_get(&admin, "/staff/campaigns/999").await.status,
        404
    );
    assert_eq!(
        t.staff_get(&admin, "/staff/campaigns/abc").await.status,
        404
    );
    let health = t.get("/healthz").await;
    assert_eq!(health.status, 200);
    // Issue 15: which database runs is for staff only.
    assert_eq!(health.body, r#"{"status":"ok"}"#, "{backend:?}");
    let staff_health = t.staff_get(&admin, "/healthz").await;
    assert!(
        staff_health.body.contains("\"database\""),
        "{}",
        staff_health.body
    );
    t.stop().await;
}
