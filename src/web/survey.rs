//! The public survey form: token links (`/s/{token}`) and open links
//! (`/o/{campaign}/{questionnaire}`).

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::auth::{client_address, served_over_tls};
use super::body::{read_form, FormFields};
use super::{blocking, form_cookie, html_page, templates, State, WebError};
use crate::domain::answers::{is_visible, pages, Answers};
use crate::domain::ids::CampaignId;
use crate::domain::questionnaire::{Choice, Question, QuestionKind, Rates};
use crate::service::accounts;
use crate::service::respond::{self, Nav, Notice, PagePost, PageReply, PageView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/s/{token}", web::get().to(show))
        .route("/s/{token}", web::post().to(post))
        .route("/o/{campaign}/{code}", web::get().to(open_start))
        .route("/o/{campaign}/{code}", web::post().to(open_begin))
        .route("/optout/{token}", web::get().to(optout_page))
        .route("/optout/{token}", web::post().to(optout));
}

/// The opt-out link of an invitation: a page that asks, then records. Unknown
/// tokens count against the client as on the form.
async fn optout_guarded(
    state: &web::Data<State>,
    req: &HttpRequest,
    token: String,
    act: bool,
) -> Result<HttpResponse, WebError> {
    use crate::service::invitations::{self, OptOut};
    let client = client_address(req, &state.settings.security);
    let outcome = blocking(state, move |app| {
        accounts::token_guarded(app, &client, || {
            if act {
                invitations::opt_out(app, &token)
            } else {
                invitations::opt_out_state(app, &token)
            }
        })
    })
    .await?;
    let page = match (act, outcome) {
        (_, OptOut::Answered) => "answered",
        (_, OptOut::Already) => "already",
        (false, OptOut::Done) => "confirm",
        (true, OptOut::Done) => "done",
    };
    Ok(html_page(
        actix_web::http::StatusCode::OK,
        templates::render("survey/optout.html", context! { state => page }),
    ))
}

async fn optout_page(
    state: web::Data<State>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    optout_guarded(&state, &req, token.into_inner(), false).await
}

async fn optout(
    state: web::Data<State>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    optout_guarded(&state, &req, token.into_inner(), true).await
}

#[derive(Deserialize)]
struct PageQuery {
    p: Option<usize>,
    saved: Option<u8>,
}

fn field_name(unit: i64, code: &str) -> String {
    format!("a.{unit}.{code}")
}

/// The answer fields of a posted page, by (rated unit, question code).
fn answer_fields(form: &FormFields) -> HashMap<(i64, String), Vec<String>> {
    let mut fields: HashMap<(i64, String), Vec<String>> = HashMap::new();
    for (name, value) in &form.0 {
        let Some((unit, code)) = name
            .strip_prefix("a.")
            .and_then(|rest| rest.split_once('.'))
        else {
            continue;
        };
        if let Ok(unit) = unit.parse::<i64>() {
            fields
                .entry((unit, code.to_string()))
                .or_default()
                .push(value.clone());
        }
    }
    fields
}

fn new_idempotency_key() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn no_such_page() -> WebError {
    WebError::BadRequest(vec!["Trang không tồn tại.".into()])
}

async fn show(
    state: web::Data<State>,
    token: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let client = client_address(&req, &state.settings.security);
    let (page, saved) = (q.p, q.saved.is_some());
    let reply = blocking(&state, move |app| {
        respond::show(app, &token, &client, page, saved)
    })
    .await?;
    reply_page(reply, "")
}

async fn post(
    state: web::Data<State>,
    token: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let form = read_form(&req, payload, state.settings.max_body_bytes).await?;
    let mut reasons = Vec::new();
    let p: Option<usize> = form.get("p").and_then(|v| v.parse().ok());
    if p.is_none() {
        reasons.push("Thiếu hoặc sai số trang (p).".to_string());
    }
    let nav = form.get("nav").and_then(Nav::parse);
    if nav.is_none() {
        reasons.push("Thiếu hoặc sai thao tác (nav).".to_string());
    }
    let idem = form.get("idem").unwrap_or("").to_string();
    if nav == Some(Nav::Submit) && !(16..=64).contains(&idem.len()) {
        reasons.push("Thiếu mã gửi phiếu (idem).".to_string());
    }
    let (Some(p), Some(nav), true) = (p, nav, reasons.is_empty()) else {
        return Err(WebError::BadRequest(reasons));
    };
    let post = PagePost {
        page: p,
        nav,
        idempotency_key: idem,
        fields: answer_fields(&form),
    };
    let client = client_address(&req, &state.settings.security);
    let token = token.into_inner();
    let reply = {
        let token = token.clone();
        blocking(&state, move |app| {
            respond::post_page(app, &token, &client, &post)
        })
        .await?
    };
    reply_page(reply, &token)
}

/// A reply of the form's state machine as an HTTP response.
fn reply_page(reply: PageReply, token: &str) -> Result<HttpResponse, WebError> {
    match reply {
        PageReply::Show(view) => {
            let status = if view.errors.is_empty() {
                actix_web::http::StatusCode::OK
            } else {
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(render_page(&view, status))
        }
        PageReply::GoTo { page, saved } => {
            let loc = format!("/s/{token}?p={page}{}", if saved { "&saved=1" } else { "" });
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", loc))
                .finish())
        }
        PageReply::Saved => Ok(HttpResponse::NoContent().finish()),
        PageReply::Done => Ok(html_page(
            actix_web::http::StatusCode::OK,
            templates::render("survey/done.html", context! {}),
        )),
        PageReply::NoSuchPage => Err(no_such_page()),
    }
}

fn notice_text(n: Notice) -> String {
    match n {
        Notice::Saved => {
            "Đã lưu các câu trả lời. Ông/Bà có thể đóng trang và quay lại bằng chính liên kết này."
                .into()
        }
        Notice::Incomplete { missing } => format!(
            "Còn {missing} câu hỏi bắt buộc chưa trả lời. Vui lòng hoàn thành trước khi gửi phiếu."
        ),
    }
}

#[derive(Serialize)]
struct OptionView {
    id: String,
    value: String,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct QuestionView {
    id: String,
    name: String,
    code: String,
    text: String,
    help: Option<String>,
    kind: &'static str,
    required: bool,
    options: Vec<OptionView>,
    value: String,
    error: Option<String>,
    multiline: bool,
    max_length: Option<usize>,
    min: Option<f64>,
    max: Option<f64>,
    integer: bool,
}

fn question_view(
    q: &Question,
    unit: i64,
    answers: &Answers,
    error: Option<&String>,
) -> QuestionView {
    let value = answers
        .get(&(unit, q.code.clone()))
        .cloned()
        .unwrap_or_default();
    let id = format!("q-{unit}-{}", q.code);
    let chosen: Vec<&str> = value.split(',').collect();
    let opt = |k: usize, v: &str, label: &str| OptionView {
        id: format!("{id}-{k}"),
        value: v.to_string(),
        label: label.to_string(),
        checked: chosen.contains(&v),
    };
    let choices = |options: &[Choice]| -> Vec<OptionView> {
        options
            .iter()
            .enumerate()
            .map(|(i, o)| opt(i, &o.code, &o.label))
            .collect()
    };
    let (kind, options) = match &q.kind {
        QuestionKind::Likert {
            levels,
            not_applicable,
            ..
        } => (
            "likert",
            levels
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| opt(i, &(i + 1).to_string(), l))
                .chain(not_applicable.iter().map(|l| {
                    opt(
                        levels.labels.len(),
                        crate::domain::questionnaire::NOT_APPLICABLE,
                        l,
                    )
                }))
                .collect(),
        ),
        QuestionKind::Single { options } => ("single", choices(options)),
        QuestionKind::Multiple { options, .. } => ("multiple", choices(options)),
        QuestionKind::Number { .. } => ("number", vec![]),
        QuestionKind::Text { .. } => ("text", vec![]),
    };
    let (min, max, integer) = match q.kind {
        QuestionKind::Number { min, max, integer } => (min, max, integer),
        _ => (None, None, false),
    };
    let (multiline, max_length) = match q.kind {
        QuestionKind::Text {
            max_length,
            multiline,
        } => (multiline, Some(max_length)),
        _ => (false, None),
    };
    QuestionView {
        name: field_name(unit, &q.code),
        id,
        code: q.code.clone(),
        text: q.text.clone(),
        help: q.help.clone(),
        kind,
        required: q.required,
        options,
        value,
        error: error.cloned(),
        multiline,
        max_length,
        min,
        max,
        integer,
    }
}

/// CSS that hides a question until the answer it depends on, on the same
/// page, is checked: conditions work without JavaScript. The template emits it
/// unescaped; that is safe because every part is a validated code (ASCII
/// letters, digits, '_') or a number.
fn condition_css(unit: i64, q: &Question) -> Option<String> {
    let c = q.show_if.as_ref()?;
    let name = field_name(unit, &c.question);
    let checked: Vec<String> = c
        .any_of
        .iter()
        .map(|v| format!("input[name=\"{name}\"][value=\"{v}\"]:checked"))
        .collect();
    Some(format!(
        ".survey:not(:has({})) #q-{unit}-{} {{ display: none; }}",
        checked.join(", "),
        q.code
    ))
}

fn render_page(view: &PageView, status: actix_web::http::StatusCode) -> HttpResponse {
    let s = &view.form;
    let (answers, p, errors) = (&view.answers, view.page, &view.errors);
    let notice = view.notice.map(notice_text);
    let qn = &s.questionnaire;
    let all = pages(qn, s.rated.len());
    let page = all[p];
    let unit = &s.rated[page.unit_index];
    let section = &qn.sections[page.section_index];
    let on_page = |code: &str| section.questions.iter().any(|q| q.code == code);
    let mut css = Vec::new();
    let mut questions = Vec::new();
    for q in &section.questions {
        let same_page_condition = q.show_if.as_ref().is_some_and(|c| on_page(&c.question));
        if same_page_condition {
            css.extend(condition_css(unit.id.get(), q));
        } else if !is_visible(qn, q, unit.id.get(), answers) {
            continue;
        }
        questions.push(question_view(
            q,
            unit.id.get(),
            answers,
            errors.get(&q.code),
        ));
    }
    let error_list: Vec<_> = questions
        .iter()
        .filter_map(|q| {
            q.error.as_ref().map(
                |e| context! { id => q.id.clone(), text => q.text.clone(), error => e.clone() },
            )
        })
        .collect();
    let rates_many = matches!(qn.rates, Rates::Blocks(_));
    let body = templates::render(
        "survey/page.html",
        context! {
            title => qn.title.clone(),
            intro => if p == 0 { qn.intro.clone() } else { None },
            campaign => s.campaign_name.clone(),
            rated_unit => unit.name.clone(),
            rates_many,
            rated_index => page.unit_index + 1,
            rated_count => s.rated.len(),
            section_title => section.title.clone(),
            section_description => section.description.clone(),
            page_no => p + 1,
            page_count => all.len(),
            progress => (p * 100) / all.len().max(1),
            p,
            is_first => p == 0,
            is_last => p + 1 == all.len(),
            questions,
            errors => error_list,
            notice,
            condition_css => css.join("\n"),
            idem => new_idempotency_key(),
        },
    );
    html_page(status, body)
}

fn resume_cookie_name(campaign: CampaignId, code: &str) -> String {
    format!("chiso_resume_{campaign}_{code}")
}

/// The cookie and field of the open-start form's CSRF token.
const OPEN_CSRF: &str = "chiso_open";
/// A random id per browser, kept as a keyed fingerprint with each open-link
/// start so staff see many forms from one device.
const DEVICE_COOKIE: &str = "chiso_device";

async fn open_start(
    state: web::Data<State>,
    path: web::Path<(CampaignId, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (campaign, code) = path.into_inner();
    open_landing_page(&state, &req, campaign, code, None).await
}

/// The open link's landing page, with a fresh CSRF token for its form and,
/// for a refused start, why.
async fn open_landing_page(
    state: &web::Data<State>,
    req: &HttpRequest,
    campaign: CampaignId,
    code: String,
    error: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let (preselect, counter) = open_link_options(req);
    // On a shared counter tablet the next person must not be offered the
    // previous one's form.
    let resume = req
        .cookie(&resume_cookie_name(campaign, &code))
        .map(|c| c.value().to_string())
        .filter(|_| !counter);
    let client = client_address(req, &state.settings.security);
    let (link, resumable) = {
        let code = code.clone();
        blocking(state, move |app| {
            respond::open_landing(app, campaign, &code, resume.as_deref(), &client)
        })
        .await?
    };
    let group = link.questionnaire.group.code();
    let units: Vec<_> = link
        .units
        .iter()
        .map(|u| context! { code => u.code.clone(), name => u.name.clone(), block => u.block.clone(), selected => preselect.as_deref() == Some(u.code.as_str()) })
        .collect();
    let (token, csrf_cookie) = form_cookie::issue(req, OPEN_CSRF, "/o/", 2);
    let body = templates::render(
        "survey/open_start.html",
        context! {
            campaign => link.campaign_name.clone(),
            title => link.questionnaire.title.clone(),
            intro => link.questionnaire.intro.clone(),
            group,
            units,
            resume => resumable.map(|t| format!("/s/{t}")),
            action => if counter { format!("/o/{campaign}/{code}?quay=1") } else { format!("/o/{campaign}/{code}") },
            open_csrf => token,
            error,
        },
    );
    let status = if error.is_some() {
        actix_web::http::StatusCode::FORBIDDEN
    } else {
        actix_web::http::StatusCode::OK
    };
    let mut page = html_page(status, body);
    let _ = page.add_cookie(&csrf_cookie);
    if req.cookie(DEVICE_COOKIE).is_none() {
        let device = Cookie::build(DEVICE_COOKIE, accounts::random_b64(16))
            .path("/o/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(served_over_tls(req, &state.settings))
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = page.add_cookie(&device);
    }
    Ok(page)
}

async fn open_begin(
    state: web::Data<State>,
    path: web::Path<(CampaignId, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, code) = path.into_inner();
    let form = read_form(&req, payload, state.settings.max_body_bytes).await?;
    if !form_cookie::matches(&req, OPEN_CSRF, form.get("open_csrf").unwrap_or("")) {
        return open_landing_page(
            &state,
            &req,
            campaign,
            code,
            Some("Trang đã hết hạn hoặc không được mở từ chiso. Vui lòng chọn lại đơn vị và bấm \"Bắt đầu trả lời\"."),
        )
        .await;
    }
    let unit = form.get("unit").unwrap_or("").to_string();
    let client = client_address(&req, &state.settings.security);
    let device = req.cookie(DEVICE_COOKIE).map(|c| c.value().to_string());
    let token = {
        let code = code.clone();
        blocking(&state, move |app| {
            respond::start_open(app, campaign, &code, &unit, &client, device.as_deref())
        })
        .await?
    };
    let location = format!("/s/{}", token.as_str());
    if open_link_options(&req).1 {
        // A counter tablet keeps no way back to this form.
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", location))
            .finish());
    }
    let cookie = Cookie::build(
        resume_cookie_name(campaign, &code),
        token.as_str().to_string(),
    )
    .path("/")
    .http_only(true)
    .same_site(SameSite::Lax)
    .secure(served_over_tls(&req, &state.settings))
    .max_age(actix_web::cookie::time::Duration::days(60))
    .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .cookie(cookie)
        .finish())
}

/// What an open link's address may add: `?unit=CODE` chooses the unit in
/// the list (a QR code printed for one unit's counter), `quay=1` marks a
/// shared counter tablet, which neither offers nor keeps a form to resume.
fn open_link_options(req: &HttpRequest) -> (Option<String>, bool) {
    #[derive(serde::Deserialize)]
    struct Options {
        unit: Option<String>,
        quay: Option<String>,
    }
    match web::Query::<Options>::from_query(req.query_string()) {
        Ok(q) => {
            let q = q.into_inner();
            (q.unit, q.quay.as_deref() == Some("1"))
        }
        Err(_) => (None, false),
    }
}
