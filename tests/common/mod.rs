//! Test helpers: a fresh database per test on every backend, the real app on
//! port 0, and small verbs that make a scenario read like a story.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chiso::config::Settings;
use chiso::service::{self, campaigns, questionnaires, App};
use chiso::storage::respondents::SOURCE_SAMPLE;
use diesel::prelude::*;
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        b.push(Backend::Postgres);
    }
    b
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    url,
                    backend,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let mut b = [0u8; 6];
                rand::rng().fill_bytes(&mut b);
                let name = format!("chiso_t_{}", hex::encode(b));
                let mut c = PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .expect("URL with a database name");
                Self {
                    url: format!("{base}/{name}"),
                    backend,
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

pub fn repo_path(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

pub fn app_on(db: &TestDb) -> App {
    let app = App::connect(&db.url, 8).expect("connect");
    app.migrate().expect("migrate");
    app
}

/// The shipped demo units and an open campaign with every shipped questionnaire.
pub fn seed_province(app: &App, questionnaires_dir: &Path) -> i64 {
    service::units::import(
        app,
        service::demo::DEMO_UNITS_CSV.as_bytes(),
        "demo/units.csv",
    )
    .expect("units");
    open_campaign(app, questionnaires_dir, -1, 30, false)
}

/// Opens a campaign running from `from` to `to` days relative to today.
pub fn open_campaign(app: &App, dir: &Path, from: i64, to: i64, anonymous: bool) -> i64 {
    let files = questionnaires::load(&[dir.to_path_buf()]).expect("questionnaires");
    let today = chrono::Utc::now().date_naive();
    let req = campaigns::OpenCampaign {
        year: 2026,
        name: "Đợt khảo sát thử".into(),
        opens: today + chrono::Duration::days(from),
        closes: today + chrono::Duration::days(to),
        codes: vec![],
        anonymous,
    };
    campaigns::open(app, &files, &req).expect("open campaign")
}

pub fn issue(app: &App, campaign: i64, code: &str, unit: &str) -> String {
    campaigns::issue_tokens(app, campaign, code, Some(unit), 1, SOURCE_SAMPLE).expect("token")[0]
        .as_str()
        .to_string()
}

pub struct TestApp {
    pub base: String,
    pub app: Arc<App>,
    pub campaign: i64,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub questionnaires_dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, repo_path("questionnaires"), 256 * 1024).await
    }

    pub async fn spawn_with(
        backend: Backend,
        questionnaires_dir: PathBuf,
        max_body_bytes: usize,
    ) -> Self {
        let db = TestDb::new(backend);
        let app = Arc::new(app_on(&db));
        let campaign = seed_province(&app, &questionnaires_dir);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = Settings {
            database_url: Some(db.url.clone()),
            data_dir: PathBuf::from("unused"),
            bind: "127.0.0.1:0".into(),
            public_url: Some(base.clone()),
            questionnaires_dir: questionnaires_dir.clone(),
            max_body_bytes,
            pool_size: 8,
            workers: Some(2),
            security: Default::default(),
        };
        let state = chiso::web::State {
            app: app.clone(),
            settings,
        };
        let server = chiso::web::server(state, listener).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            app,
            campaign,
            client,
            db,
            questionnaires_dir,
            handle,
        }
    }

    pub fn token(&self, code: &str, unit: &str) -> String {
        issue(&self.app, self.campaign, code, unit)
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        Self::page(r).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        Self::page(r).await
    }

    pub async fn page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Page {
            status,
            location,
            body: r.text().await.unwrap_or_default(),
        }
    }

    pub fn conn(&self) -> chiso::storage::PooledConn {
        self.app.pool.get().expect("connection")
    }

    pub fn response_count(&self) -> usize {
        chiso::storage::responses::list(&mut self.conn(), self.campaign)
            .unwrap()
            .len()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Form fields answering every likert question of a page with `level`.
pub fn likert_all(unit: i64, codes: &[&str], level: &str) -> Vec<(String, String)> {
    codes
        .iter()
        .map(|c| (format!("a.{unit}.{c}"), level.to_string()))
        .collect()
}

pub fn unit_id(app: &App, code: &str) -> i64 {
    chiso::storage::units::by_code(&mut app.pool.get().unwrap(), code)
        .unwrap()
        .unwrap()
        .id
}

/// Posts one page of a token's form.
pub async fn post_page(
    t: &TestApp,
    token: &str,
    p: usize,
    nav: &str,
    idem: &str,
    answers: &[(String, String)],
) -> Page {
    let mut fields: Vec<(&str, &str)> = vec![("p", ""), ("nav", nav), ("idem", idem)];
    let p = p.to_string();
    fields[0].1 = &p;
    fields.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    t.post(&format!("/s/{token}"), &fields).await
}

/// A logged-in staff member's cookie and CSRF token.
pub struct StaffLogin {
    pub cookie: String,
    pub csrf: String,
}

pub const TEST_PASSWORD: &str = "mật khẩu thử nghiệm";

impl TestApp {
    /// Creates an account and logs it in through the login form.
    pub async fn staff(&self, username: &str, role: &str, unit: Option<&str>) -> StaffLogin {
        chiso::service::accounts::add_user(&self.app, username, "", role, unit, TEST_PASSWORD)
            .expect("add user");
        self.login(username, TEST_PASSWORD).await.expect("login")
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<StaffLogin, Page> {
        let r = self
            .client
            .post(format!("{}/login", self.base))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("chiso_session="))
            .map(|v| v.split(';').next().unwrap().to_string());
        let Some(cookie) = cookie else {
            return Err(Self::page(r).await);
        };
        let me = self
            .client
            .get(format!("{}/staff/me", self.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let body = me.text().await.unwrap();
        let csrf = body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf on /staff/me")
            .to_string();
        Ok(StaffLogin { cookie, csrf })
    }

    pub async fn staff_get(&self, who: &StaffLogin, path: &str) -> Page {
        Self::page(
            self.client
                .get(format!("{}{path}", self.base))
                .header("cookie", &who.cookie)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a staff form with the session's CSRF token added.
    pub async fn staff_post(&self, who: &StaffLogin, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", who.csrf.as_str())];
        all.extend_from_slice(fields);
        Self::page(
            self.client
                .post(format!("{}{path}", self.base))
                .header("cookie", &who.cookie)
                .form(&all)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}
