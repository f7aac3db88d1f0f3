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

per_backend!(async an_open_link_has_printable_qr_codes_per_unit);
/// Issue 17: "the campaign page offers each open link as a printable QR
/// code (SVG/PNG and an A4 poster per unit, generated server-side, no
/// external service)". The PNG is read back by an independent QR decoder
/// (rqrr): it holds the open link with the unit chosen.
async fn an_open_link_has_printable_qr_codes_per_unit(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("hoa", "admin", None)
        .start()
        .await;
    let admin = t.user("hoa");
    let base = "/staff/campaigns/1/open-links/citizen";
    let page = t.staff_get(&admin, "/staff/campaigns/1").await;
    assert!(page.text().contains(&format!("{base}/qr")), "{}", page.body);
    let qr = t.staff_get(&admin, &format!("{base}/qr")).await;
    assert_eq!(qr.status, 200, "{backend:?} {}", qr.body);
    assert!(qr.body.contains("<svg") && qr.body.contains("viewBox"));
    assert!(qr
        .text()
        .contains(&format!("{base}/poster?unit=P-BINHMINH")));

    let (status, kind, png) = t
        .staff_bytes(&admin, &format!("{base}/qr.png?unit=P-BINHMINH"))
        .await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, content) = grids[0].decode().unwrap();
    assert!(
        content.ends_with("/o/1/citizen?unit=P-BINHMINH"),
        "{content}"
    );

    let (status, kind, svg) = t
        .staff_bytes(&admin, &format!("{base}/qr.svg?unit=P-BINHMINH"))
        .await;
    assert_eq!((status, kind.as_str()), (200, "image/svg+xml"));
    roxmltree::Document::parse(std::str::from_utf8(&svg).unwrap()).unwrap();

    let poster = t
        .staff_get(&admin, &format!("{base}/poster?unit=P-BINHMINH"))
        .await;
    assert_eq!(poster.status, 200);
    assert!(poster.body.contains("size: A4"), "{}", poster.body);
    assert!(poster.text().contains("Phường Bình Minh"));
    assert!(poster.text().contains("/o/1/citizen?unit=P-BINHMINH"));

    // A unit that does not exist, a link that is off, and no session.
    let r = t
        .staff_get(&admin, &format!("{base}/poster?unit=KHONG-CO"))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("Không có đơn vị mã \"KHONG-CO\""));
    let r = t
        .staff_get(&admin, "/staff/campaigns/1/open-links/leader_so/qr")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.text().contains("đang tắt"), "{}", r.body);
    assert_eq!(t.get(&format!("{base}/qr.png")).await.status, 303);
}
