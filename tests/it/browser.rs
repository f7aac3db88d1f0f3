//! A real phone-sized Chromium answers the citizen questionnaire: Debian's
//! chromium and chromium-driver, driven over WebDriver by fantoccini.
//!
//! Skipped with a message when chromedriver is absent, unless
//! CHISO_REQUIRE_BROWSER=1 (CI sets it), where absence is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;
use fantoccini::{Client, ClientBuilder, Locator};

const PHONE_WIDTH: u64 = 360;

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<Driver> {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    if !std::path::Path::new(&bin).exists() {
        let required = std::env::var("CHISO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(!required, "CHISO_REQUIRE_BROWSER=1 but {bin} is missing (apt-get install chromium chromium-driver)");
        eprintln!(
            "skipping the browser test: {bin} not found (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // Dropping the Driver kills and reaps the process on every path.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(driver);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromedriver did not start");
}

/// A headless Chromium session with the common arguments plus `args`, and
/// `extra` Chrome options.
async fn chromium(driver: &Driver, args: &[&str], extra: serde_json::Value) -> Client {
    let mut all = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    all.extend_from_slice(args);
    let mut options = serde_json::json!({
        "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        "args": all,
    });
    if let (Some(o), serde_json::Value::Object(more)) = (options.as_object_mut(), extra) {
        o.extend(more);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session")
}

async fn phone(driver: &Driver) -> Client {
    chromium(
        driver,
        &[],
        serde_json::json!({
            "mobileEmulation": { "deviceMetrics": { "width": PHONE_WIDTH, "height": 740, "pixelRatio": 2.0, "touch": true } }
        }),
    )
    .await
}

async fn click_label(c: &Client, unit: i64, code: &str, option: usize) {
    let css = format!("label[for=\"q-{unit}-{code}-{option}\"]");
    let label = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&css))
        .await;
    label
        .unwrap_or_else(|e| panic!("{code}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn press(c: &Client, nav: &str) {
    c.find(Locator::Css(&format!("button[value=\"{nav}\"]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits for the page that a click started loading to show `needle`.
async fn wait_text(c: &Client, needle: &str) -> String {
    let mut text = String::new();
    // Generous: CI machines are small and may be busy compiling.
    for _ in 0..300 {
        if let Ok(body) = c.find(Locator::Css("body")).await {
            text = body.text().await.unwrap_or_default();
            if text.contains(needle) {
                return text;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page never showed {needle:?}; last text:\n{text}");
}

async fn page_height(c: &Client) -> u64 {
    c.execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

async fn wait_for_autosave(c: &Client) {
    for _ in 0..300 {
        let status = c
            .execute(
                "return document.getElementById('autosave').textContent;",
                vec![],
            )
            .await
            .unwrap();
        if status
            .as_str()
            .is_some_and(|s| s.contains("Đã lưu tự động"))
        {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the background save never reported success");
}

async fn is_shown(c: &Client, id: &str) -> bool {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap()
}

async fn fits_the_phone(c: &Client) -> bool {
    let w = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    w.as_u64().is_some_and(|w| w <= PHONE_WIDTH)
}

/// axe-core's script (the copy `.ci/run` takes from PyPI's axe-core-python
/// into target/axe, or CHISO_AXE_JS): None when absent, unless the browser
/// is required, where absence is a failure.
fn axe_script() -> Option<String> {
    let path = std::env::var("CHISO_AXE_JS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo_path("target/axe/axe.min.js"));
    match std::fs::read_to_string(&path) {
        Ok(js) => Some(js),
        Err(_) => {
            let required = std::env::var("CHISO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "CHISO_REQUIRE_BROWSER=1 but {path:?} (axe-core) is missing"
            );
            eprintln!("skipping the axe-core check: {path:?} not found");
            None
        }
    }
}

/// An independent accessibility checker on the page as it is now: axe-core
/// with the WCAG 2.0/2.1 A and AA rules; fails listing every violation.
async fn no_axe_violations(c: &Client, page: &str) {
    let Some(axe) = axe_script() else { return };
    c.execute(&axe, vec![]).await.expect("inject axe-core");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '
                     + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations: Vec<String> = serde_json::from_value(result).unwrap();
    assert!(
        violations.is_empty(),
        "{page}: axe-core finds {} WCAG 2.1 A/AA violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

async fn screenshot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let dir = repo_path("target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

per_backend!(async a_citizen_answers_on_a_phone_closes_the_browser_resumes_and_submits);
async fn a_citizen_answers_on_a_phone_closes_the_browser_resumes_and_submits(backend: Backend) {
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let link = format!("{}/s/{token}", t.base);

    let c = phone(&driver).await;
    c.goto(&link).await.unwrap();
    wait_text(&c, "Trang 1/7").await;
    // The follow-up question appears only once "yes" is chosen: CSS, no script needed.
    let follow_up = format!("q-{unit}-SO_LAN");
    assert!(!is_shown(&c, &follow_up).await);
    // The background save must not change the page's height: a page that
    // shrinks while scrolled to its end moves the buttons under a tap.
    let height_before = page_height(&c).await;
    click_label(&c, unit, "KENH", 0).await;
    wait_for_autosave(&c).await;
    assert_eq!(
        page_height(&c).await,
        height_before,
        "the autosave notice keeps the layout still"
    );
    click_label(&c, unit, "DI_LAI", 0).await;
    assert!(is_shown(&c, &follow_up).await);
    c.find(Locator::Id(&format!("q-{unit}-SO_LAN-in")))
        .await
        .unwrap()
        .send_keys("3")
        .await
        .unwrap();
    assert!(
        fits_the_phone(&c).await,
        "no sideways scrolling at {PHONE_WIDTH}px"
    );
    screenshot(&c, "page1").await;
    no_axe_violations(&c, "page1").await;
    press(&c, "next").await;

    let grids: [(&str, usize); 5] = [("TC", 4), ("TT", 5), ("CC", 6), ("KQ", 3), ("GY", 4)];
    for (page, (prefix, n)) in grids[..2].iter().enumerate() {
        wait_text(&c, &format!("Trang {}/7", page + 2)).await;
        assert!(
            fits_the_phone(&c).await,
            "the likert grid fits a {PHONE_WIDTH}px phone"
        );
        for i in 1..=*n {
            click_label(&c, unit, &format!("{prefix}{i}"), 3).await;
        }
        if *prefix == "TC" {
            screenshot(&c, "likert").await;
            no_axe_violations(&c, "likert").await;
        }
        press(&c, "next").await;
    }
    wait_text(&c, "Trang 4/7").await;
    c.close().await.unwrap();

    // A new browser session, the same link: back where they stopped, answers kept.
    let c = phone(&driver).await;
    c.goto(&link).await.unwrap();
    wait_text(&c, "Trang 4/7").await;
    c.goto(&format!("{link}?p=1")).await.unwrap();
    wait_text(&c, "Trang 2/7").await;
    let tc1 = c
        .find(Locator::Id(&format!("q-{unit}-TC1-3")))
        .await
        .unwrap();
    assert!(
        tc1.is_selected().await.unwrap(),
        "saved answer is still checked"
    );
    c.goto(&format!("{link}?p=3")).await.unwrap();
    for (page, (prefix, n)) in grids[2..].iter().enumerate() {
        wait_text(&c, &format!("Trang {}/7", page + 4)).await;
        for i in 1..=*n {
            click_label(&c, unit, &format!("{prefix}{i}"), 4).await;
        }
        press(&c, "next").await;
    }
    wait_text(&c, "Trang 7/7").await;
    c.find(Locator::Css("textarea"))
        .await
        .unwrap()
        .send_keys("Phục vụ tốt, cảm ơn.")
        .await
        .unwrap();
    press(&c, "submit").await;
    wait_text(&c, "Cảm ơn Ông/Bà").await;
    screenshot(&c, "done").await;
    no_axe_violations(&c, "done").await;

    // Issue 18: the page where a letter's short code is typed, on the same
    // phone: a mistyped code comes back named, the field marked, the page
    // still fitting the screen and passing axe.
    c.goto(&format!("{}/ma", t.base)).await.unwrap();
    wait_text(&c, "Nhập mã trả lời").await;
    c.find(Locator::Id("ma"))
        .await
        .unwrap()
        .send_keys("7k3qd-w9m2u")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "Mã có ký tự").await;
    let invalid = c
        .find(Locator::Id("ma"))
        .await
        .unwrap()
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(fits_the_phone(&c).await, "the code page fits 360 px");
    screenshot(&c, "short-code").await;
    no_axe_violations(&c, "short code").await;
    c.close().await.unwrap();

    let responses = chiso::storage::responses::list(&mut t.conn(), t.campaign.get()).unwrap();
    assert_eq!(responses.len(), 1, "{backend:?}");
    let answers = chiso::storage::responses::answers_of(&mut t.conn(), responses[0].id).unwrap();
    let get = |c: &str| answers.get(&(unit, c.to_string())).cloned();
    assert_eq!(get("SO_LAN").as_deref(), Some("3"));
    assert_eq!(get("TC1").as_deref(), Some("4"));
    assert_eq!(get("GY3").as_deref(), Some("5"));
    assert_eq!(get("GOP_Y").as_deref(), Some("Phục vụ tốt, cảm ơn."));
    t.stop().await;
}

/// Fills the staff login form in the browser.
async fn staff_login(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(TEST_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "Đăng xuất").await;
}

/// A service with an administrator `qt` and this year's Hải Phòng campaign.
async fn hai_phong_with_admin(backend: Backend) -> (TestApp, CampaignId) {
    let t = TestApp::new()
        .backend(backend)
        .with_user("qt", "admin", None)
        .start()
        .await;
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let c = open_profile_campaign(
        &t.app,
        &repo_path("questionnaires"),
        "hai-phong-2025",
        year,
        "Chỉ số CCHC",
        false,
    );
    (t, c)
}

per_backend!(async the_council_reviews_decides_and_publishes_and_a_citizen_reads_the_results_on_a_phone);
async fn the_council_reviews_decides_and_publishes_and_a_citizen_reads_the_results_on_a_phone(
    backend: Backend,
) {
    let Some(driver) = chromedriver() else { return };
    let (t, c) = hai_phong_with_admin(backend).await;
    dossier_deadline_passed(&t.app, c);
    let browser = phone(&driver).await;
    staff_login(&browser, &t.base, "qt").await;
    browser
        .goto(&format!("{}/staff/campaigns/{c}/index/review", t.base))
        .await
        .unwrap();
    let text = wait_text(&browser, "Vấn đề chờ Hội đồng quyết định").await;
    assert!(text.contains("Chưa công bố được"));
    screenshot(&browser, "review").await;
    no_axe_violations(&browser, "review").await;

    // The first open case is decided through its form: a choice, a reason.
    let form = browser.find(Locator::Css("#open ~ form")).await.unwrap();
    form.find(Locator::Css("select[name=decision]"))
        .await
        .unwrap()
        .select_by_value("exclude")
        .await
        .unwrap();
    form.find(Locator::Css("textarea[name=reason]"))
        .await
        .unwrap()
        .send_keys("Biên bản họp số 7/BB-HĐ")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_text(&browser, "Đã ghi quyết định của Hội đồng").await;
    assert!(text.contains("Biên bản họp số 7/BB-HĐ"));

    // The rest decided, the typed confirmation publishes.
    council_decides_every_open_case(&t.app, "qt", c);
    browser.refresh().await.unwrap();
    wait_text(&browser, "Không còn vấn đề nào chờ Hội đồng quyết định").await;
    browser
        .find(Locator::Id("confirm"))
        .await
        .unwrap()
        .send_keys("CÔNG BỐ")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#publish ~ form button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&browser, "Đã công bố kết quả").await;
    browser.close().await.unwrap();

    // A citizen, no account, on a phone.
    let citizen = phone(&driver).await;
    citizen.goto(&format!("{}/ket-qua", t.base)).await.unwrap();
    wait_text(&citizen, "Kết quả Chỉ số cải cách hành chính đã công bố").await;
    citizen
        .find(Locator::LinkText(&format!(
            "Năm {}: Chỉ số CCHC",
            chrono::Datelike::year(&chrono::Utc::now().date_naive())
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_text(&citizen, "Tải bảng").await;
    assert!(
        text.contains("Hội đồng quyết định không xếp hạng"),
        "{text}"
    );
    assert!(
        fits_the_phone(&citizen).await,
        "the public table and its charts fit a {PHONE_WIDTH}px phone"
    );
    screenshot(&citizen, "public").await;
    no_axe_violations(&citizen, "public").await;
    citizen.close().await.unwrap();
    t.stop().await;
}

/// A laptop-sized Chromium, as staff use.
async fn laptop(driver: &Driver) -> Client {
    chromium(driver, &["--window-size=1366,800"], serde_json::json!({})).await
}

/// The grid input named `name` (criterion codes hold dots, so by XPath).
async fn cell(c: &Client, name: &str) -> fantoccini::elements::Element {
    c.find(Locator::XPath(&format!("//*[@name='{name}']")))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

per_backend!(async an_officer_fills_the_whole_dossier_in_the_grid_fixes_a_cell_and_finds_it_saved);
/// Issue 17: the dossier grid in a real browser — typed row by row with
/// the keyboard (Tab moves along the row), one cell over its maximum comes
/// back marked with everything typed still there, fixed, saved, reloaded.
async fn an_officer_fills_the_whole_dossier_in_the_grid_fixes_a_cell_and_finds_it_saved(
    backend: Backend,
) {
    let Some(driver) = chromedriver() else { return };
    let (t, _q, c, unit) = crate::appraisal::ninh_hoa_open_for_dossiers(backend).await;
    t.staff("cb-tp", "unit_officer", Some("NH-TP")).await;
    let page = format!("{}/staff/campaigns/{c}/dossiers/{unit}", t.base);

    let browser = laptop(&driver).await;
    staff_login(&browser, &t.base, "cb-tp").await;
    browser.goto(&page).await.unwrap();
    wait_text(&browser, "Tự chấm cả hồ sơ").await;
    let mut leaves = Vec::new();
    for input in browser
        .find_all(Locator::Css("input[name^='p.']"))
        .await
        .unwrap()
    {
        let name = input.attr("name").await.unwrap().unwrap();
        leaves.push(name.trim_start_matches("p.").to_string());
    }
    assert!(leaves.len() > 30, "{leaves:?}");

    // The first rows by keyboard as a person types them (points, Tab,
    // explanation, Tab, document reference); the rest filled by script.
    browser
        .execute(
            "for (const i of document.querySelectorAll(\"input[name^='p.']\")) {
               const code = i.name.slice(2);
               i.value = '0';
               document.querySelector(`[name='e.${code}']`).value = 'Đã thực hiện ' + code;
             }",
            vec![],
        )
        .await
        .unwrap();
    for code in leaves
        .iter()
        .filter(|c| ["1.1.1", "1.1.2", "1.2"].contains(&c.as_str()))
    {
        for prefix in ["p", "e"] {
            cell(&browser, &format!("{prefix}.{code}"))
                .await
                .clear()
                .await
                .unwrap();
        }
        let points = cell(&browser, &format!("p.{code}")).await;
        points.click().await.unwrap();
        let value = match code.as_str() {
            "1.1.1" => "99",
            "1.2" => "1,5",
            _ => "0",
        };
        browser
            .active_element()
            .await
            .unwrap()
            .send_keys(&format!(
                "{value}\u{E004}Đã thực hiện {code}\u{E004}Báo cáo số 1/BC"
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        cell(&browser, "r.1.2")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Báo cáo số 1/BC"),
        "Tab goes from the points to the explanation to the reference"
    );
    browser
        .find(Locator::XPath("//button[normalize-space()='Lưu toàn bộ']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_text(&browser, "chưa lưu dòng nào").await;
    assert!(text.contains("99 điểm vượt điểm tối đa"), "{text}");
    browser
        .execute(
            "document.getElementById('g-1.1.1').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&browser, "dossier-grid-error").await;
    no_axe_violations(&browser, "the dossier grid with an error").await;
    let first = cell(&browser, "p.1.1.1").await;
    assert_eq!(
        first.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(
        cell(&browser, "e.3.1")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Đã thực hiện 3.1"),
        "what was typed is still there"
    );

    // Fixed and saved; after a reload the grid shows what is stored.
    first.clear().await.unwrap();
    first.send_keys("1").await.unwrap();
    browser
        .find(Locator::XPath("//button[normalize-space()='Lưu toàn bộ']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Saved: the answer is a redirect to the grid of the page.
    let mut url = String::new();
    for _ in 0..300 {
        url = browser.current_url().await.unwrap().to_string();
        if url.ends_with("#grid") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(url.ends_with("#grid"), "{backend:?}: never saved, at {url}");
    browser.goto(&page).await.unwrap();
    let text = wait_text(&browser, "Tự chấm cả hồ sơ").await;
    assert!(!text.contains("chưa lưu dòng nào"));
    for (name, want) in [
        ("p.1.1.1", "1"),
        ("p.1.2", "1,5"),
        ("e.7.5", "Đã thực hiện 7.5"),
    ] {
        assert_eq!(
            cell(&browser, name)
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some(want),
            "{backend:?} {name}"
        );
    }
    screenshot(&browser, "dossier-grid-saved").await;
    no_axe_violations(&browser, "the dossier grid").await;
    browser.close().await.unwrap();
}

/// Where the keyboard focus is: the element's id, else its name and value,
/// else its text.
async fn focused(c: &Client) -> String {
    c.execute(
        "const e = document.activeElement; \
         return e.id || ((e.name || '') + '=' + (e.value || '')) || e.textContent.trim();",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Presses a key on whatever has the focus.
async fn key(c: &Client, k: fantoccini::key::Key) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(&char::from(k).to_string())
        .await
        .unwrap();
}

/// Tabs forward until `wanted` holds for the focused element, keeping the
/// way it went (so a wrong order fails with the whole path).
async fn tab_to(c: &Client, path: &mut Vec<String>, wanted: impl Fn(&str) -> bool) -> String {
    for _ in 0..80 {
        key(c, fantoccini::key::Key::Tab).await;
        let now = focused(c).await;
        path.push(now.clone());
        if wanted(&now) {
            // The focus is visible: an outline or a ring, never nothing.
            let ring = c
                .execute(
                    "const s = getComputedStyle(document.activeElement); \
                     return s.outlineStyle !== 'none' || s.boxShadow !== 'none';",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(ring, serde_json::json!(true), "no focus ring on {now}");
            return now;
        }
    }
    panic!("the keyboard never reached it; Tab went: {path:?}")
}

per_backend!(async a_citizen_answers_with_the_keyboard_alone);
/// Issue 17: "a keyboard-only walk of the citizen form in the browser
/// test". Tab reaches every question in reading order, Space and the arrow
/// keys answer, Enter on «Tiếp tục» goes on; no mouse, no script of ours.
async fn a_citizen_answers_with_the_keyboard_alone(backend: Backend) {
    use fantoccini::key::Key;
    let Some(driver) = chromedriver() else { return };
    let t = TestApp::spawn(backend).await;
    let unit = unit_id(&t.app, "P-BINHMINH");
    let token = t.token("citizen", "P-BINHMINH");
    let c = laptop(&driver).await;
    c.goto(&format!("{}/s/{token}", t.base)).await.unwrap();
    wait_text(&c, "Trang 1/7").await;
    let mut path = Vec::new();

    // Page 1: a choice, a yes/no that opens a follow-up, a number.
    tab_to(&c, &mut path, |f| f.starts_with(&format!("q-{unit}-KENH-"))).await;
    key(&c, Key::Space).await;
    tab_to(&c, &mut path, |f| {
        f.starts_with(&format!("q-{unit}-DI_LAI-"))
    })
    .await;
    key(&c, Key::Space).await;
    tab_to(&c, &mut path, |f| f == format!("q-{unit}-SO_LAN-in")).await;
    key(&c, Key::Backspace).await;
    c.active_element()
        .await
        .unwrap()
        .send_keys("3")
        .await
        .unwrap();
    // The buttons come in the order they are read: «Tiếp tục» first.
    let next = tab_to(&c, &mut path, |f| f.starts_with("nav=")).await;
    assert_eq!(next, "nav=next", "Tab went: {path:?}");
    key(&c, Key::Enter).await;

    // Page 2: a grid of scales; Space picks the first level, → moves on.
    wait_text(&c, "Trang 2/7").await;
    for i in 1..=4 {
        tab_to(&c, &mut path, |f| {
            f.starts_with(&format!("q-{unit}-TC{i}-"))
        })
        .await;
        key(&c, Key::Space).await;
        for _ in 0..3 {
            key(&c, Key::Right).await;
        }
    }
    tab_to(&c, &mut path, |f| f == "nav=next").await;
    key(&c, Key::Enter).await;
    wait_text(&c, "Trang 3/7").await;
    c.close().await.unwrap();

    let link = format!("{}/s/{token}?p=1", t.base);
    let c = laptop(&driver).await;
    c.goto(&link).await.unwrap();
    wait_text(&c, "Trang 2/7").await;
    for i in 1..=4 {
        let level4 = c
            .find(Locator::Id(&format!("q-{unit}-TC{i}-3")))
            .await
            .unwrap();
        assert!(
            level4.is_selected().await.unwrap(),
            "TC{i}: the keys chose level 4"
        );
    }
    c.goto(&format!("{}/s/{token}?p=0", t.base)).await.unwrap();
    wait_text(&c, "Trang 1/7").await;
    let so_lan = c
        .find(Locator::Id(&format!("q-{unit}-SO_LAN-in")))
        .await
        .unwrap();
    assert_eq!(so_lan.prop("value").await.unwrap().as_deref(), Some("3"));
    c.close().await.unwrap();
    t.stop().await;
}

per_backend!(async an_officer_prints_qr_codes_and_reads_the_results_charts_on_a_phone);
/// Issue 17: "The real-browser test covers … a QR page", and staff charts
/// sized to their container at 360 px (no sideways scrolling).
async fn an_officer_prints_qr_codes_and_reads_the_results_charts_on_a_phone(backend: Backend) {
    let Some(driver) = chromedriver() else { return };
    let (t, c) = hai_phong_with_admin(backend).await;
    let browser = phone(&driver).await;
    staff_login(&browser, &t.base, "qt").await;
    browser
        .goto(&format!(
            "{}/staff/campaigns/{c}/open-links/citizen/qr",
            t.base
        ))
        .await
        .unwrap();
    wait_text(&browser, "Mã riêng cho từng đơn vị").await;
    let size = browser
        .execute(
            "const r = document.querySelector('.qr-box svg').getBoundingClientRect(); return [r.width, r.height];",
            vec![],
        )
        .await
        .unwrap();
    let w = size[0].as_f64().unwrap();
    assert!(
        w > 150.0 && (w - size[1].as_f64().unwrap()).abs() < 1.0,
        "a square code a phone can scan: {size}"
    );
    assert!(
        fits_the_phone(&browser).await,
        "the QR page fits {PHONE_WIDTH}px"
    );
    screenshot(&browser, "qr").await;
    no_axe_violations(&browser, "the QR page").await;
    browser
        .goto(&format!(
            "{}/staff/campaigns/{c}/open-links/citizen/poster?unit=P-BINHMINH",
            t.base
        ))
        .await
        .unwrap();
    wait_text(&browser, "Phường Bình Minh").await;
    no_axe_violations(&browser, "the poster").await;

    browser
        .goto(&format!("{}/staff/campaigns/{c}/results", t.base))
        .await
        .unwrap();
    wait_text(&browser, "Điểm điều tra xã hội học theo đơn vị").await;
    let charts = browser
        .execute(
            "return [...document.querySelectorAll('.chart svg')].map(s => s.getBoundingClientRect().right <= document.documentElement.clientWidth);",
            vec![],
        )
        .await
        .unwrap();
    let charts = charts.as_array().unwrap();
    assert!(!charts.is_empty(), "the results page draws charts");
    assert!(
        charts.iter().all(|c| c == &serde_json::json!(true)),
        "every chart inside the screen: {charts:?}"
    );
    assert!(
        fits_the_phone(&browser).await,
        "the results page fits {PHONE_WIDTH}px"
    );
    screenshot(&browser, "results-phone").await;
    browser.close().await.unwrap();
    t.stop().await;
}
