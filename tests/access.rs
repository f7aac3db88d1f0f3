//! Who may see and do what: every staff route with every role, sessions,
//! CSRF and the throttles, on every backend.

mod common;

use common::*;

#[actix_web::test]
async fn every_staff_route_answers_each_role_as_its_scope_requires() {
    for backend in backends() {
        let t = TestApp::spawn(backend).await;
        let own = unit_id(&t.app, "P-BINHMINH");
        let other = unit_id(&t.app, "SNV");
        let admin = t.staff("admin1", "admin", None).await;
        let analyst = t.staff("analyst1", "analyst", None).await;
        let appraiser = t.staff("appraiser1", "appraiser", None).await;
        let officer = t
            .staff("officer1", "unit_officer", Some("P-BINHMINH"))
            .await;
        let who = [
            ("admin", &admin),
            ("analyst", &analyst),
            ("appraiser", &appraiser),
            ("officer", &officer),
        ];
        let campaign = format!("/staff/campaigns/{}", t.campaign);
        let own_unit = format!("/staff/units/{own}");
        let other_unit = format!("/staff/units/{other}");

        // (path, expected status for admin, analyst, appraiser, unit officer)
        let gets: [(&str, [u16; 4]); 5] = [
            ("/staff/me", [200, 200, 200, 200]),
            ("/staff", [200, 200, 403, 403]),
            (&campaign, [200, 200, 403, 403]),
            (&own_unit, [200, 200, 200, 200]),
            (&other_unit, [200, 200, 200, 404]),
        ];
        for (path, expected) in gets {
            let anon = t.get(path).await;
            assert_eq!(anon.status, 303, "{backend:?} anonymous GET {path}");
            assert!(
                anon.location
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("/login?next="),
                "{path}"
            );
            for ((role, login), want) in who.iter().zip(expected) {
                assert_eq!(
                    t.staff_get(login, path).await.status,
                    want,
                    "{backend:?} {role} GET {path}"
                );
            }
        }

        let open = [
            ("name", "Đợt mới"),
            ("year", "2026"),
            ("opens", "2026-11-01"),
            ("closes", "2026-12-31"),
            ("q", "citizen"),
        ];
        for ((role, login), want) in who.iter().zip([303, 403, 403, 403]) {
            assert_eq!(
                t.staff_post(login, "/staff/campaigns", &open).await.status,
                want,
                "{backend:?} {role} opens a campaign"
            );
        }
        assert_eq!(
            t.post("/staff/campaigns", &open).await.status,
            303,
            "anonymous is sent to log in"
        );
        assert_eq!(
            chiso::service::campaigns::summaries(&t.app).unwrap().len(),
            2,
            "only the admin's campaign was opened"
        );

        // A forged form without the session's CSRF token is refused.
        let forged = TestApp::page(
            t.client
                .post(format!("{}/staff/campaigns", t.base))
                .header("cookie", &admin.cookie)
                .form(&open)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(forged.status, 403, "{backend:?}");
        assert!(forged.body.contains("Phiên làm việc không hợp lệ"));
        t.stop().await;
    }
}

#[actix_web::test]
async fn sessions_end_at_logout_expiry_disable_and_password_reset() {
    for backend in backends() {
        let t = TestApp::spawn(backend).await;
        let r = t
            .client
            .post(format!("{}/login", t.base))
            .form(&[("username", "x"), ("password", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let admin = t.staff("admin1", "admin", None).await;
        let r = t
            .client
            .post(format!("{}/login", t.base))
            .form(&[("username", "admin1"), ("password", TEST_PASSWORD)])
            .send()
            .await
            .unwrap();
        let set = r
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
            "{set}"
        );
        let hash_stored: Vec<String> = {
            use diesel::prelude::*;
            chiso::storage::schema::sessions::table
                .select(chiso::storage::schema::sessions::id_hash)
                .load(&mut *t.conn())
                .unwrap()
        };
        let raw = admin.cookie.trim_start_matches("chiso_session=");
        assert!(
            !hash_stored.iter().any(|h| h == raw),
            "only hashes of session cookies are stored"
        );

        assert_eq!(t.staff_post(&admin, "/logout", &[]).await.status, 303);
        assert_eq!(
            t.staff_get(&admin, "/staff").await.status,
            303,
            "{backend:?} logged out"
        );

        let second = t.login("admin1", TEST_PASSWORD).await.unwrap();
        {
            use chiso::storage::schema::sessions::dsl::*;
            use diesel::prelude::*;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            diesel::update(sessions)
                .set(expires_at.eq(past))
                .execute(&mut *t.conn())
                .unwrap();
        }
        assert_eq!(
            t.staff_get(&second, "/staff").await.status,
            303,
            "{backend:?} expired"
        );

        let third = t.login("admin1", TEST_PASSWORD).await.unwrap();
        chiso::service::accounts::set_disabled(&t.app, "admin1", true).unwrap();
        assert_eq!(
            t.staff_get(&third, "/staff").await.status,
            303,
            "disabled accounts lose their sessions"
        );
        assert!(t.login("admin1", TEST_PASSWORD).await.is_err());
        chiso::service::accounts::set_disabled(&t.app, "admin1", false).unwrap();
        let fourth = t.login("admin1", TEST_PASSWORD).await.unwrap();
        chiso::service::accounts::reset_password(&t.app, "admin1", "một mật khẩu mới hơn").unwrap();
        assert_eq!(
            t.staff_get(&fourth, "/staff").await.status,
            303,
            "a reset ends old sessions"
        );
        assert!(t.login("admin1", "một mật khẩu mới hơn").await.is_ok());
        t.stop().await;
    }
}

#[actix_web::test]
async fn login_is_throttled_per_account_and_per_client() {
    for backend in backends() {
        let t = TestApp::spawn(backend).await;
        t.staff("lan", "analyst", None).await;
        for _ in 0..5 {
            assert_eq!(
                t.login("lan", "sai mật khẩu rồi")
                    .await
                    .err()
                    .unwrap()
                    .status,
                401
            );
        }
        let blocked = t
            .login("lan", TEST_PASSWORD)
            .await
            .err()
            .expect("throttled even with the right password");
        assert_eq!(blocked.status, 429, "{backend:?}");
        assert!(blocked.body.contains("Quá nhiều lần thử"));

        // Per client: many accounts tried from one address.
        for i in 0..15 {
            let _ = t.login(&format!("ghost{i}"), "sai mật khẩu rồi").await;
        }
        chiso::service::accounts::add_user(&t.app, "mai", "", "analyst", None, TEST_PASSWORD)
            .unwrap();
        assert_eq!(
            t.login("mai", TEST_PASSWORD).await.err().map(|p| p.status),
            Some(429),
            "{backend:?}"
        );
        t.stop().await;
    }
}

#[actix_web::test]
async fn guessing_tokens_is_throttled_without_revealing_which_exist() {
    for backend in backends() {
        let t = TestApp::spawn(backend).await;
        let real = t.token("citizen", "P-BINHMINH");
        for i in 0..30 {
            let r = t.get(&format!("/s/guess{i:017}")).await;
            assert_eq!(r.status, 404, "{backend:?}");
        }
        let blocked = t.get("/s/AAAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!(blocked.status, 429, "{backend:?}");
        let real_now = t.get(&format!("/s/{real}")).await;
        assert_eq!(
            real_now.status, 429,
            "a guesser cannot tell a real token by its answer"
        );
        t.stop().await;
    }
}

#[actix_web::test]
async fn names_with_markup_are_shown_escaped_on_staff_pages() {
    for backend in backends() {
        let t = TestApp::spawn(backend).await;
        let csv = "code,name,block,unit_type\nEVIL,<img src=x onerror=alert(1)>,so,so\n";
        chiso::service::units::import(&t.app, csv.as_bytes(), "evil.csv").unwrap();
        let admin = t.staff("admin1", "admin", None).await;
        let id = unit_id(&t.app, "EVIL");
        for path in ["/staff".to_string(), format!("/staff/units/{id}")] {
            let page = t.staff_get(&admin, &path).await;
            assert_eq!(page.status, 200);
            assert!(!page.body.contains("<img src=x"), "{backend:?} {path}");
            assert!(
                page.body.contains("&lt;img src=x onerror=alert(1)&gt;"),
                "{path}"
            );
        }
        t.stop().await;
    }
}
