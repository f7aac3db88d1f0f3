//! Test helpers: a fresh database per test on every backend, the real app on
//! port 0, and small verbs that make a scenario read like a story.

pub mod mail;
pub mod smtp;
pub mod xlsx;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chiso::config::Settings;
#[allow(unused_imports)]
pub use chiso::domain::ids::{CampaignId, UnitId};
use chiso::domain::states::RespondentSource;
use chiso::service::{self, campaigns, questionnaires, App};
use diesel::prelude::*;
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether the PostgreSQL variant of a test runs: `TEST_DATABASE_URL` names
/// the server. Without it the variant is skipped with a note, or fails when
/// `CHISO_REQUIRE_POSTGRES=1` (CI must not pass by skipping).
pub fn postgres_configured() -> bool {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return true;
    }
    assert!(
        std::env::var("CHISO_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "CHISO_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"
    );
    eprintln!("skipped: set TEST_DATABASE_URL to run the PostgreSQL variant");
    false
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

impl TestDb {
    /// A database someone else owns (and removes).
    pub fn external(url: &str, backend: Backend) -> Self {
        Self {
            url: url.to_string(),
            backend,
            _dir: None,
            pg: None,
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

/// Tests hash passwords at argon2's cheapest cost: the hashing is tested,
/// its cost only slows the suite.
pub fn test_options(pool_size: u32) -> chiso::service::Options {
    chiso::service::Options {
        pool_size,
        password_cost: chiso::service::accounts::PasswordCost {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        },
        ..Default::default()
    }
}

pub fn app_on(db: &TestDb) -> App {
    app_with(db, test_options(8))
}

pub fn app_with(db: &TestDb, options: chiso::service::Options) -> App {
    let app = App::open(&db.url, options).expect("connect");
    app.migrate().expect("migrate");
    app.set_secret(chiso::service::secret::Secret::from_bytes([7; 32]));
    app
}

/// The shipped demo units and an open campaign with every shipped questionnaire.
pub fn seed_province(app: &App, questionnaires_dir: &Path) -> CampaignId {
    service::units::import(
        app,
        service::demo::DEMO_UNITS_CSV.as_bytes(),
        "demo/units.csv",
    )
    .expect("units");
    open_campaign(app, questionnaires_dir, -1, 30, false)
}

/// Opens a campaign running from `from` to `to` days relative to today.
pub fn open_campaign(app: &App, dir: &Path, from: i64, to: i64, anonymous: bool) -> CampaignId {
    let files = questionnaires::load(&[dir.to_path_buf()]).expect("questionnaires");
    let today = chrono::Utc::now().date_naive();
    let req = campaigns::OpenCampaign {
        year: 2026,
        name: "Đợt khảo sát thử".into(),
        opens: today + chrono::Duration::days(from),
        closes: today + chrono::Duration::days(to),
        codes: vec![],
        anonymous,
        profile: None,
    };
    campaigns::open(app, &files, &req).expect("open campaign")
}

/// A campaign under the province profile `profile` of `dir/profiles`, open
/// from yesterday for a month.
pub fn open_profile_campaign(
    app: &App,
    dir: &Path,
    profile: &str,
    year: i32,
    name: &str,
    anonymous: bool,
) -> CampaignId {
    let files = questionnaires::load(&[dir.to_path_buf()]).expect("questionnaires");
    let profile = service::profiles::find(&dir.join("profiles"), profile).expect("profile");
    let today = chrono::Utc::now().date_naive();
    let req = campaigns::OpenCampaign {
        year,
        name: name.into(),
        opens: today - chrono::Duration::days(1),
        closes: today + chrono::Duration::days(30),
        codes: vec![],
        anonymous,
        profile: Some(profile),
    };
    campaigns::open(app, &files, &req).expect("open campaign")
}

pub fn issue(app: &App, campaign: CampaignId, code: &str, unit: &str) -> String {
    campaigns::issue_tokens(app, campaign, code, Some(unit), 1, RespondentSource::Sample)
        .expect("token")[0]
        .as_str()
        .to_string()
}

pub struct TestApp {
    pub base: String,
    pub app: Arc<App>,
    pub campaign: CampaignId,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub questionnaires_dir: PathBuf,
    pub data: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    users: std::collections::HashMap<String, StaffLogin>,
}

fn test_settings(
    db_url: &str,
    data: &Path,
    base: &str,
    questionnaires_dir: &Path,
    max_body_bytes: usize,
) -> Settings {
    Settings {
        database_url: Some(db_url.to_string()),
        data_dir: data.to_path_buf(),
        bind: "127.0.0.1:0".into(),
        public_url: Some(base.to_string()),
        questionnaires_dir: questionnaires_dir.to_path_buf(),
        max_body_bytes,
        max_upload_bytes: TEST_MAX_UPLOAD,
        pool_size: 8,
        workers: Some(2),
        security: chiso::config::Security {
            password_hash: chiso::config::PasswordHash {
                memory_kib: 8,
                iterations: 1,
                parallelism: 1,
            },
            ..Default::default()
        },
        mail: Default::default(),
        secret_key: Some(hex::encode([7u8; 32])),
        // Tests do not wait for a mail server's politeness limit.
        notices: Default::default(),
        exports: Default::default(),
        invitations: chiso::config::Invitations {
            per_second: 10_000.0,
            ..Default::default()
        },
    }
}

/// Uploads in tests are small, so the size limit is cheap to test.
pub const TEST_MAX_UPLOAD: u64 = 256 * 1024;

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

impl Page {
    /// The body as a reader sees it: the entities the templates escape
    /// (`/` among them) turned back into characters. Markup stays.
    pub fn text(&self) -> String {
        self.body
            .replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// The text as read on screen: markup dropped (a table cell or a line
    /// break becomes a space), entities turned back, spaces collapsed.
    pub fn words(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for ch in self.text().chars() {
            match ch {
                '<' => in_tag = true,
                '>' if in_tag => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = out.split_whitespace().collect();
        // No space before punctuation that followed an inline tag.
        words
            .join(" ")
            .replace(" )", ")")
            .replace(" :", ":")
            .replace(" .", ".")
            .replace(" ,", ",")
    }
}

/// A change to the tests' default settings.
type Tune = Box<dyn FnOnce(&mut Settings)>;

/// How a test's service is set up, read as a sentence:
/// `TestApp::new().backend(b).questionnaires(dir).with_user("cb", "admin", None).start()`.
/// Every setting has the tests' default, so a test names only what matters to it.
pub struct TestAppBuilder {
    backend: Backend,
    database: Option<TestDb>,
    questionnaires_dir: PathBuf,
    max_body_bytes: usize,
    tune: Vec<Tune>,
    users: Vec<(String, String, Option<String>)>,
}

impl TestAppBuilder {
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// A database someone else made (e.g. a private PostgreSQL server).
    pub fn database(mut self, db: TestDb) -> Self {
        self.backend = db.backend;
        self.database = Some(db);
        self
    }

    pub fn questionnaires(mut self, dir: impl Into<PathBuf>) -> Self {
        self.questionnaires_dir = dir.into();
        self
    }

    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Changes a setting from the tests' defaults.
    pub fn tune(mut self, tune: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tune.push(Box::new(tune));
        self
    }

    /// A staff account that exists and is logged in when the test starts;
    /// [`TestApp::user`] hands out its session.
    pub fn with_user(mut self, username: &str, role: &str, unit: Option<&str>) -> Self {
        self.users
            .push((username.into(), role.into(), unit.map(str::to_string)));
        self
    }

    pub async fn start(self) -> TestApp {
        let db = self.database.unwrap_or_else(|| TestDb::new(self.backend));
        let data = tempfile::tempdir().expect("data dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = test_settings(
            &db.url,
            data.path(),
            &base,
            &self.questionnaires_dir,
            self.max_body_bytes,
        );
        for tune in self.tune {
            tune(&mut settings);
        }
        let app = Arc::new(app_with(&db, settings.service_options()));
        let campaign = seed_province(&app, &self.questionnaires_dir);
        let state = chiso::web::State::new(app.clone(), settings).expect("state");
        let server = chiso::web::server(state, listener).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut t = TestApp {
            base,
            app,
            campaign,
            client,
            db,
            questionnaires_dir: self.questionnaires_dir,
            data,
            handle,
            users: Default::default(),
        };
        for (username, role, unit) in self.users {
            let login = t.staff(&username, &role, unit.as_deref()).await;
            t.users.insert(username, login);
        }
        t
    }
}

impl TestApp {
    /// The builder with every default: SQLite, the shipped questionnaires,
    /// the demo province and one open campaign.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TestAppBuilder {
        TestAppBuilder {
            backend: Backend::Sqlite,
            database: None,
            questionnaires_dir: repo_path("questionnaires"),
            max_body_bytes: 256 * 1024,
            tune: Vec::new(),
            users: Vec::new(),
        }
    }

    /// The default service on `backend`: the common case, in one call.
    pub async fn spawn(backend: Backend) -> Self {
        Self::new().backend(backend).start().await
    }

    /// The session of a user the builder created with `with_user`.
    pub fn user(&self, username: &str) -> StaffLogin {
        self.users
            .get(username)
            .cloned()
            .unwrap_or_else(|| panic!("no user {username} was made with with_user"))
    }

    /// Another instance of the service on the same database, as behind a
    /// load balancer: its own process state, nothing shared but the database.
    pub async fn second_instance(&self) -> (String, actix_web::dev::ServerHandle) {
        self.second_instance_tuned(|_| {}).await
    }

    /// A second instance whose settings `tune` changes (as the builder's
    /// `tune` did for the first).
    pub async fn second_instance_tuned(
        &self,
        tune: impl FnOnce(&mut Settings),
    ) -> (String, actix_web::dev::ServerHandle) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = test_settings(
            &self.db.url,
            self.data.path(),
            &base,
            &self.questionnaires_dir,
            256 * 1024,
        );
        tune(&mut settings);
        let app = Arc::new(App::open(&self.db.url, settings.service_options()).expect("connect"));
        let server = chiso::web::server(
            chiso::web::State::new(app, settings).expect("state"),
            listener,
        )
        .expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (base, handle)
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

    /// A browser starting a form through an open link: opens the landing
    /// page (with its device cookie, if it has one), then posts the unit
    /// with the page's CSRF cookie and field, as the page's form does.
    pub async fn start_open(
        &self,
        campaign: impl std::fmt::Display,
        code: &str,
        unit: &str,
        device: Option<&str>,
    ) -> Page {
        let path = format!("{}/o/{campaign}/{code}", self.base);
        let device = device.map(|d| format!("chiso_device={d}"));
        let mut get = self.client.get(&path);
        if let Some(d) = &device {
            get = get.header("cookie", d);
        }
        let landing = get.send().await.expect("GET landing");
        let csrf_cookie = landing
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("chiso_open="))
            .map(|v| v.split(';').next().unwrap().to_string());
        let body = landing.text().await.unwrap_or_default();
        let Some(csrf_cookie) = csrf_cookie else {
            // No form on this page (closed, unknown): the caller sees why.
            return Page {
                status: 0,
                location: None,
                body,
            };
        };
        let token = body
            .split("name=\"open_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("open_csrf field on the landing page")
            .to_string();
        let cookies = match &device {
            Some(d) => format!("{csrf_cookie}; {d}"),
            None => csrf_cookie,
        };
        let r = self
            .client
            .post(&path)
            .header("cookie", cookies)
            .form(&[("unit", unit), ("open_csrf", token.as_str())])
            .send()
            .await
            .expect("POST open start");
        Self::page(r).await
    }

    pub fn conn(&self) -> chiso::storage::DbConn {
        chiso::storage::connect(self.app.database_url()).unwrap()
    }

    pub fn response_count(&self) -> usize {
        chiso::storage::responses::list(&mut self.conn(), self.campaign.get())
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
    chiso::storage::units::by_code(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        code,
    )
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
#[derive(Clone)]
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

    /// Opens the login page of the instance at `base` and posts the form
    /// back as a browser would, with the page's login cookie and token.
    pub async fn post_login(
        &self,
        base: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self
            .client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap();
        let cookie = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("chiso_login="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .expect("the login page sets its cookie");
        let body = page.text().await.unwrap();
        let token = body
            .split("name=\"login_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("login_csrf on the login page")
            .to_string();
        self.client
            .post(format!("{base}/login"))
            .header("cookie", cookie)
            .form(&[
                ("username", username),
                ("password", password),
                ("login_csrf", token.as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<StaffLogin, Page> {
        let r = self.post_login(&self.base, username, password).await;
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

    /// An analyst reads each page (200) and an appraiser is refused (403).
    pub async fn assert_analysts_read_and_appraisers_not(&self, paths: &[String]) {
        let analyst = self.staff("analyst1", "analyst", None).await;
        let appraiser = self.staff("appraiser1", "appraiser", None).await;
        for path in paths {
            let seen = self.staff_get(&analyst, path).await;
            assert_eq!(seen.status, 200, "analyst GET {path}: {}", seen.body);
            let refused = self.staff_get(&appraiser, path).await;
            assert_eq!(refused.status, 403, "appraiser GET {path}");
        }
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

    /// A staff download: status, content type and the bytes as sent.
    pub async fn staff_bytes(&self, who: &StaffLogin, path: &str) -> (u16, String, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &who.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, kind, r.bytes().await.unwrap().to_vec())
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

/// A bearer token for the JSON API acting as a new account of `role`.
impl TestApp {
    pub fn api_token(&self, username: &str, role: &str, unit: Option<&str>) -> String {
        chiso::service::accounts::add_user(&self.app, username, "", role, unit, TEST_PASSWORD)
            .expect("add user");
        chiso::service::accounts::create_api_token(&self.app, username, "test", 1).expect("token")
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = self.client.request(
            method.parse().expect("method"),
            format!("{}{path}", self.base),
        );
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("API request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path} answered non-JSON ({status}): {text}"));
        (status, json)
    }
}

/// Valid answers for each page of the citizen questionnaire.
pub fn citizen_pages(unit: i64) -> Vec<Vec<(String, String)>> {
    let a = |c: &str, v: &str| (format!("a.{unit}.{c}"), v.to_string());
    vec![
        vec![
            a("GIOI_TINH", "nu"),
            a("TUOI", "25_39"),
            a("KENH", "truc_tiep"),
            a("DI_LAI", "khong"),
        ],
        likert_all(unit, &["TC1", "TC2", "TC3", "TC4"], "4"),
        likert_all(unit, &["TT1", "TT2", "TT3", "TT4", "TT5"], "5"),
        likert_all(unit, &["CC1", "CC2", "CC3", "CC4", "CC5", "CC6"], "3"),
        likert_all(unit, &["KQ1", "KQ2", "KQ3"], "4"),
        likert_all(unit, &["GY1", "GY2", "GY3", "GY4"], "2"),
        vec![a("GOP_Y", "Cần thêm chỗ ngồi <b>chờ</b>")],
    ]
}

/// A citizen answers every page of their token's form and submits; the last
/// page carries `free_text` as the open comment.
pub async fn answer_citizen(t: &TestApp, token: &str, unit: i64, free_text: &str) {
    let mut pages = citizen_pages(unit);
    let last = pages.len() - 1;
    pages[last] = vec![(format!("a.{unit}.GOP_Y"), free_text.to_string())];
    for (p, answers) in pages.iter().enumerate() {
        let nav = if p == last { "submit" } else { "next" };
        let r = post_page(t, token, p, nav, &format!("idem-{token}"), answers).await;
        assert!(
            r.status == 303 || r.status == 200,
            "page {p}: {} {}",
            r.status,
            r.body
        );
    }
}

impl TestApp {
    /// Posts a file to a staff upload form; the CSRF field goes first, as the
    /// page puts it, unless `with_csrf` is false.
    pub async fn staff_upload(
        &self,
        who: &StaffLogin,
        path: &str,
        file_name: &str,
        bytes: &[u8],
        with_csrf: bool,
    ) -> Page {
        let csrf = with_csrf.then_some(who.csrf.as_str());
        self.staff_multipart(who, csrf, path, &[], Some((file_name, bytes)))
            .await
    }

    /// A multipart staff form: `csrf` first (as the pages put it), then the
    /// text `fields`, then the file if any.
    pub async fn staff_multipart(
        &self,
        who: &StaffLogin,
        csrf: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Page {
        let files: Vec<_> = file.into_iter().map(|(n, b)| ("file", n, b)).collect();
        self.staff_multipart_files(who, csrf, path, fields, &files)
            .await
    }

    /// A multipart form with files under their own field names:
    /// (field, file name, bytes).
    pub async fn staff_multipart_files(
        &self,
        who: &StaffLogin,
        csrf: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_string());
        }
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        Self::page(
            self.client
                .post(format!("{}{path}", self.base))
                .header("cookie", &who.cookie)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn staff_upload_anonymous(&self, path: &str, file_name: &str, bytes: &[u8]) -> Page {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_string()),
        );
        Self::page(
            self.client
                .post(format!("{}{path}", self.base))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Files left in the upload scratch directory.
    pub fn leftover_uploads(&self) -> usize {
        std::fs::read_dir(self.data.path().join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// The council decides every open case of a campaign's index table with
/// the first decision its case allows (for a unit without a dossier: scored
/// 0), as the administrator `admin`; cases that open once another is decided
/// (a head rating after the unit's standing) are decided too. Returns how
/// many decisions were recorded.
pub fn council_decides_every_open_case(
    app: &chiso::service::App,
    admin: &str,
    campaign: chiso::domain::ids::CampaignId,
) -> usize {
    let who = chiso::service::accounts::staff_user(app, admin).unwrap();
    let mut n = 0;
    for _ in 0..4 {
        let table =
            chiso::service::publication::table(app, campaign, chiso::service::now()).unwrap();
        let open: Vec<_> = table
            .rows
            .iter()
            .flat_map(|r| r.open.iter().map(move |c| (r.code.clone(), c.clone())))
            .collect();
        if open.is_empty() {
            return n;
        }
        for (unit, case) in open {
            let record = chiso::service::council::Record {
                unit,
                decision: case.options()[0].code().to_string(),
                case: case.code(),
                reason: "Biên bản họp Hội đồng thẩm định số 01/BB-HĐ".into(),
            };
            chiso::service::council::record(app, &who, campaign, &record).unwrap();
            n += 1;
        }
    }
    panic!("cases keep opening after four rounds of decisions");
}

/// A copy of the shipped questionnaires and profiles the test may edit.
pub fn questionnaires_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_path("questionnaires");
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    for sub in ["", "profiles"] {
        for entry in std::fs::read_dir(src.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

/// Brings a campaign's dossier deadline three weeks into the past (well
/// beyond any weekend or holiday it would move to), for every unit
/// (extensions kept), so units without a dossier are past it whatever day
/// the test runs: before it, nothing can be published.
pub fn dossier_deadline_passed(
    app: &chiso::service::App,
    campaign: chiso::domain::ids::CampaignId,
) {
    let profile = app.campaign_profile(campaign).unwrap();
    let Some(code) = profile.dossier_deadline_code() else {
        return;
    };
    let who = match chiso::service::accounts::staff_user(app, "han-nop") {
        Ok(u) => u,
        Err(_) => {
            chiso::service::accounts::add_user(app, "han-nop", "", "admin", None, TEST_PASSWORD)
                .unwrap();
            chiso::service::accounts::staff_user(app, "han-nop").unwrap()
        }
    };
    chiso::service::deadlines::change(
        app,
        &who,
        campaign,
        &chiso::service::deadlines::ChangeDeadline {
            code: code.to_string(),
            unit: None,
            due: chiso::domain::vietnam_time::date(chrono::Utc::now().naive_utc())
                - chrono::Duration::days(21),
            reason: "Thử: hạn nộp hồ sơ đã qua".into(),
        },
    )
    .unwrap();
}
