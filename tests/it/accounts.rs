//! Staff accounts on the web: an administrator creates an account (its
//! password shown once), changes its role and unit, signs it out, disables
//! it and gives it a new password; nobody else may, and an administrator
//! cannot lock themselves out.

use crate::support::*;

fn new_password(page: &Page) -> String {
    let body = &page.body;
    let start = body
        .find("<code id=\"new-password\">")
        .expect("password shown")
        + 24;
    let end = start + body[start..].find("</code>").unwrap();
    page.body[start..end].replace("&#x2f;", "/")
}

per_backend!(async an_administrator_manages_staff_accounts_on_the_web);
async fn an_administrator_manages_staff_accounts_on_the_web(backend: Backend) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("qt", "admin", None)
        .start()
        .await;
    let admin = t.user("qt");
    let analyst = t.staff("pt", "analyst", None).await;
    assert_eq!(t.staff_get(&analyst, "/staff/accounts").await.status, 403);
    assert_eq!(
        t.staff_post(
            &analyst,
            "/staff/accounts",
            &[("username", "x"), ("role", "admin")]
        )
        .await
        .status,
        403
    );
    let list = t.staff_get(&admin, "/staff/accounts").await;
    assert_eq!(list.status, 200);
    assert!(list.words().contains("qt"));
    assert!(
        list.body.contains("href=\"/staff/accounts\""),
        "the menu links the page"
    );

    // A unit officer needs a unit; the form keeps what was typed.
    let refused = t
        .staff_post(
            &admin,
            "/staff/accounts",
            &[
                ("username", "cb-snv"),
                ("display_name", "Nguyễn Văn An"),
                ("role", "unit_officer"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.words().contains("cán bộ đơn vị cần một đơn vị"));
    assert!(refused.body.contains("value=\"Nguyễn Văn An\""));
    let created = t
        .staff_post(
            &admin,
            "/staff/accounts",
            &[
                ("username", "cb-snv"),
                ("display_name", "Nguyễn Văn An"),
                ("role", "unit_officer"),
                ("unit", "SNV"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let first = new_password(&created);
    let officer = t
        .login("cb-snv", &first)
        .await
        .expect("the shown password works");
    assert_eq!(t.staff_get(&officer, "/staff/accounts").await.status, 403);
    let list = t.staff_get(&admin, "/staff/accounts").await.words();
    assert!(list.contains("Nguyễn Văn An"));
    assert!(list.contains("Cán bộ đơn vị"));
    assert!(
        list.contains("từ "),
        "the officer's session is listed: {list}"
    );

    // A new role applies from the next page on.
    let changed = t
        .staff_post(
            &admin,
            "/staff/accounts/cb-snv",
            &[
                ("action", "role"),
                ("role", "analyst"),
                ("unit", ""),
                ("email", "an.nguyen@snv.vn"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200);
    assert!(
        changed.body.contains("value=\"an.nguyen@snv.vn\""),
        "the address is kept"
    );
    let bad = t
        .staff_post(
            &admin,
            "/staff/accounts/cb-snv",
            &[
                ("action", "role"),
                ("role", "analyst"),
                ("email", "an.nguyen@"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.words()
            .contains("Địa chỉ thư \"an.nguyen@\" không hợp lệ"),
        "{}",
        bad.words()
    );
    assert!(changed
        .words()
        .contains("Đã lưu vai trò, đơn vị và địa chỉ thư của \"cb-snv\""));
    assert_eq!(t.staff_get(&officer, "/staff").await.status, 200);

    // Signed out everywhere, then disabled: the old session and the
    // password no longer open anything.
    let out = t
        .staff_post(&admin, "/staff/accounts/cb-snv", &[("action", "signout")])
        .await;
    assert_eq!(out.status, 200);
    assert_eq!(t.staff_get(&officer, "/staff").await.status, 303);
    let disabled = t
        .staff_post(&admin, "/staff/accounts/cb-snv", &[("action", "disable")])
        .await;
    assert_eq!(disabled.status, 200);
    assert!(disabled.words().contains("Đã khoá"));
    assert!(t.login("cb-snv", &first).await.is_err());
    let enabled = t
        .staff_post(&admin, "/staff/accounts/cb-snv", &[("action", "enable")])
        .await;
    assert_eq!(enabled.status, 200);

    // A new password replaces the old one.
    let reset = t
        .staff_post(&admin, "/staff/accounts/cb-snv", &[("action", "password")])
        .await;
    assert_eq!(reset.status, 200);
    let second = new_password(&reset);
    assert_ne!(first, second);
    assert!(t.login("cb-snv", &first).await.is_err());
    assert!(t.login("cb-snv", &second).await.is_ok());

    // An administrator cannot lock themselves out.
    let own = t
        .staff_post(&admin, "/staff/accounts/qt", &[("action", "disable")])
        .await;
    assert_eq!(own.status, 422);
    assert!(own.words().contains("Không khoá chính tài khoản đang dùng"));
    let demote = t
        .staff_post(
            &admin,
            "/staff/accounts/qt",
            &[("action", "role"), ("role", "analyst")],
        )
        .await;
    assert_eq!(demote.status, 422);
    assert_eq!(t.staff_get(&admin, "/staff/accounts").await.status, 200);
    t.stop().await;
}
