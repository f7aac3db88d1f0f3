//! The public survey form: token links (`/s/{token}`) and open links
//! (`/o/{campaign}/{questionnaire}`).

use std::collections::BTreeMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::auth::{client_address, served_over_tls};
use super::body::{read_form, FormFields};
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::answers::{encode, is_visible, pages, prune_hidden, Answers, FieldError, Page};
use crate::domain::questionnaire::{Choice, Question, QuestionKind, Rates};
use crate::service::accounts;
use crate::service::respond::{self, FormAccess, FormSession, Submitted};
use crate::service::ServiceError;

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
        if accounts::token_guessing_blocked(app, &client)? {
            return Ok(None);
        }
        let r = if act {
            invitations::opt_out(app, &token)
        } else {
            invitations::opt_out_state(app, &token)
        };
        match r {
            Err(ServiceError::TokenUnavailable) => {
                accounts::note_token_miss(app, &client)?;
                Err(ServiceError::TokenUnavailable)
            }
            other => other.map(Some),
        }
    })
    .await?
    .ok_or(WebError::TooManyRequests)?;
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

fn new_idempotency_key() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Opens a token's form, refusing clients that have tried too many unknown
/// tokens; every unknown token counts against the client.
async fn open_guarded(
    state: &web::Data<State>,
    req: &HttpRequest,
    token: String,
) -> Result<FormAccess, WebError> {
    let client = client_address(req, &state.settings.security);
    let outcome = blocking(state, move |app| {
        if accounts::token_guessing_blocked(app, &client)? {
            return Ok(None);
        }
        match respond::open_form(app, &token) {
            Err(ServiceError::TokenUnavailable) => {
                accounts::note_token_miss(app, &client)?;
                Err(ServiceError::TokenUnavailable)
            }
            other => other.map(Some),
        }
    })
    .await?;
    outcome.ok_or(WebError::TooManyRequests)
}

async fn show(
    state: web::Data<State>,
    token: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let access = open_guarded(&state, &req, token.into_inner()).await?;
    let FormAccess::Open(s) = access else {
        return Err(ServiceError::TokenUnavailable.into());
    };
    let all = pages(&s.questionnaire, s.rated.len());
    let p = match q.p {
        Some(p) if p < all.len() => p,
        Some(_) => return Err(WebError::BadRequest(vec!["Trang không tồn tại.".into()])),
        None => first_unfinished_page(&s, &all),
    };
    let notice = q.saved.map(|_| {
        "Đã lưu các câu trả lời. Ông/Bà có thể đóng trang và quay lại bằng chính liên kết này."
    });
    Ok(render_page(
        &s,
        &s.answers,
        p,
        &BTreeMap::new(),
        notice,
        actix_web::http::StatusCode::OK,
    ))
}

/// Where a returning respondent continues: the first page with a required
/// question unanswered.
fn first_unfinished_page(s: &FormSession, all: &[Page]) -> usize {
    let missing =
        crate::domain::answers::missing_required(&s.questionnaire, &s.rated_ids(), &s.answers);
    missing
        .first()
        .and_then(|key| page_of(s, all, key))
        .unwrap_or(if s.answers.is_empty() {
            0
        } else {
            all.len() - 1
        })
}

fn page_of(s: &FormSession, all: &[Page], (unit, code): &(i64, String)) -> Option<usize> {
    let ui = s.rated.iter().position(|u| u.id == *unit)?;
    let si = s
        .questionnaire
        .sections
        .iter()
        .position(|sec| sec.questions.iter().any(|q| &q.code == code))?;
    all.iter()
        .position(|p| p.unit_index == ui && p.section_index == si)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Prev,
    Next,
    Save,
    Autosave,
    Submit,
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
    let nav = match form.get("nav") {
        Some("prev") => Some(Nav::Prev),
        Some("next") => Some(Nav::Next),
        Some("save") => Some(Nav::Save),
        Some("autosave") => Some(Nav::Autosave),
        Some("submit") => Some(Nav::Submit),
        _ => {
            reasons.push("Thiếu hoặc sai thao tác (nav).".to_string());
            None
        }
    };
    let idem = form.get("idem").unwrap_or("").to_string();
    if nav == Some(Nav::Submit) && !(16..=64).contains(&idem.len()) {
        reasons.push("Thiếu mã gửi phiếu (idem).".to_string());
    }
    let (Some(p), Some(nav), true) = (p, nav, reasons.is_empty()) else {
        return Err(WebError::BadRequest(reasons));
    };
    let token = token.into_inner();
    let access = open_guarded(&state, &req, token.clone()).await?;
    let s = match access {
        FormAccess::Open(s) => s,
        FormAccess::Submitted { submit_key } => {
            return already_submitted(nav, submit_key.as_deref() == Some(idem.as_str()))
        }
    };
    let all = pages(&s.questionnaire, s.rated.len());
    let Some(&page) = all.get(p) else {
        return Err(WebError::BadRequest(vec!["Trang không tồn tại.".into()]));
    };
    let unit = s.rated[page.unit_index].id;
    let section = &s.questionnaire.sections[page.section_index];

    let (values, mut errors) = read_page(&form, unit, &section.questions);
    let keys: Vec<(i64, String)> = section
        .questions
        .iter()
        .map(|q| (unit, q.code.clone()))
        .collect();
    let mut merged: Answers = s
        .answers
        .iter()
        .filter(|(k, _)| !keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    merged.extend(values);
    let merged = prune_hidden(&s.questionnaire, &merged);
    errors.retain(|code, _| {
        s.questionnaire
            .question(code)
            .is_some_and(|q| is_visible(&s.questionnaire, q, unit, &merged))
    });
    let page_values: Answers = merged
        .iter()
        .filter(|(k, _)| keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // A submission stores every answer and drops the drafts in one
    // transaction, so the page is saved first only when it is not submitted.
    let saved = if nav == Nav::Submit {
        true
    } else {
        save(&state, &s, &keys, page_values.clone()).await?
    };
    if !saved {
        // Submitted from another tab or a concurrent request meanwhile.
        let submit_key = blocking(&state, move |app| match respond::open_form(app, &token)? {
            FormAccess::Submitted { submit_key } => Ok(submit_key),
            FormAccess::Open(_) => Ok(None),
        })
        .await?;
        return already_submitted(nav, submit_key.as_deref() == Some(idem.as_str()));
    }
    if nav == Nav::Autosave {
        return Ok(HttpResponse::NoContent().finish());
    }
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    if !errors.is_empty() {
        return Ok(render_page(&s, &merged, p, &errors, None, unprocessable));
    }
    let redirect = |to: usize, saved: bool| {
        let loc = format!("/s/{token}?p={to}{}", if saved { "&saved=1" } else { "" });
        Ok(HttpResponse::SeeOther()
            .insert_header(("Location", loc))
            .finish())
    };
    match nav {
        Nav::Prev => redirect(p.saturating_sub(1), false),
        Nav::Save | Nav::Autosave => redirect(p, true),
        Nav::Next => {
            let missing: BTreeMap<String, String> = section
                .questions
                .iter()
                .filter(|q| {
                    q.required
                        && is_visible(&s.questionnaire, q, unit, &merged)
                        && !merged.contains_key(&(unit, q.code.clone()))
                })
                .map(|q| (q.code.clone(), FieldError::Required.to_string()))
                .collect();
            if missing.is_empty() {
                redirect((p + 1).min(all.len() - 1), false)
            } else {
                Ok(render_page(&s, &merged, p, &missing, None, unprocessable))
            }
        }
        Nav::Submit => {
            let outcome = {
                let s = s.clone();
                let merged = merged.clone();
                let idem = idem.clone();
                blocking(&state, move |app| respond::submit(app, &s, &merged, &idem)).await?
            };
            match outcome {
                Submitted::Stored { .. } | Submitted::AlreadySubmitted { same_key: true } => {
                    Ok(done_page())
                }
                Submitted::AlreadySubmitted { same_key: false } => {
                    Err(ServiceError::TokenUnavailable.into())
                }
                Submitted::Incomplete(missing) => {
                    // Keep what this page had before pointing to what is missing.
                    if !save(&state, &s, &keys, page_values).await? {
                        return already_submitted(nav, false);
                    }
                    let target = page_of(&s, &all, &missing[0]).unwrap_or(p);
                    let target_unit = s.rated[all[target].unit_index].id;
                    let errors: BTreeMap<String, String> = missing
                        .iter()
                        .filter(|(u, c)| {
                            *u == target_unit
                                && s.questionnaire.sections[all[target].section_index]
                                    .questions
                                    .iter()
                                    .any(|q| &q.code == c)
                        })
                        .map(|(_, c)| (c.clone(), FieldError::Required.to_string()))
                        .collect();
                    let notice = format!("Còn {} câu hỏi bắt buộc chưa trả lời. Vui lòng hoàn thành trước khi gửi phiếu.", missing.len());
                    Ok(render_page(
                        &s,
                        &merged,
                        target,
                        &errors,
                        Some(&notice),
                        unprocessable,
                    ))
                }
            }
        }
    }
}

/// Saves a page's answers as drafts; false when the token was used meanwhile.
async fn save(
    state: &web::Data<State>,
    s: &FormSession,
    keys: &[(i64, String)],
    values: Answers,
) -> Result<bool, WebError> {
    let (s, keys) = (s.clone(), keys.to_vec());
    blocking(state, move |app| {
        respond::save_page(app, &s, &keys, &values)
    })
    .await
}

fn already_submitted(nav: Nav, same_key: bool) -> Result<HttpResponse, WebError> {
    if nav == Nav::Submit && same_key {
        Ok(done_page())
    } else {
        Err(ServiceError::TokenUnavailable.into())
    }
}

fn done_page() -> HttpResponse {
    html_page(
        actix_web::http::StatusCode::OK,
        templates::render("survey/done.html", context! {}),
    )
}

/// The page's answers as stored text, and the questions whose values were
/// not acceptable.
fn read_page(
    form: &FormFields,
    unit: i64,
    questions: &[Question],
) -> (Answers, BTreeMap<String, String>) {
    let mut values = Answers::new();
    let mut errors = BTreeMap::new();
    for q in questions {
        let raw = form.all(&field_name(unit, &q.code));
        match encode(q, &raw) {
            Ok(Some(v)) => {
                values.insert((unit, q.code.clone()), v);
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(q.code.clone(), e.to_string());
            }
        }
    }
    (values, errors)
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
        QuestionKind::Likert { levels, .. } => (
            "likert",
            levels
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| opt(i, &(i + 1).to_string(), l))
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

fn render_page(
    s: &FormSession,
    answers: &Answers,
    p: usize,
    errors: &BTreeMap<String, String>,
    notice: Option<&str>,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
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
            css.extend(condition_css(unit.id, q));
        } else if !is_visible(qn, q, unit.id, answers) {
            continue;
        }
        questions.push(question_view(q, unit.id, answers, errors.get(&q.code)));
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
            campaign => s.campaign.name.clone(),
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

fn resume_cookie_name(campaign: i64, code: &str) -> String {
    format!("chiso_resume_{campaign}_{code}")
}

async fn open_start(
    state: web::Data<State>,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (campaign, code) = path.into_inner();
    let resume = req
        .cookie(&resume_cookie_name(campaign, &code))
        .map(|c| c.value().to_string());
    let (link, resumable) = {
        let code = code.clone();
        blocking(&state, move |app| {
            let link = respond::open_link(app, campaign, &code)?;
            // Offer to continue only a link that still works.
            let resumable = match resume {
                Some(t) => {
                    matches!(respond::open_form(app, &t), Ok(FormAccess::Open(_))).then_some(t)
                }
                None => None,
            };
            Ok((link, resumable))
        })
        .await?
    };
    let own_unit = link.questionnaire.rates == Rates::OwnUnit;
    let units: Vec<_> = link
        .units
        .iter()
        .map(|u| context! { code => u.code.clone(), name => u.name.clone(), block => u.block.clone() })
        .collect();
    let body = templates::render(
        "survey/open_start.html",
        context! {
            campaign => link.campaign.name.clone(),
            title => link.questionnaire.title.clone(),
            intro => link.questionnaire.intro.clone(),
            own_unit,
            units,
            resume => resumable.map(|t| format!("/s/{t}")),
            action => format!("/o/{campaign}/{code}"),
            error => Option::<String>::None,
        },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}

async fn open_begin(
    state: web::Data<State>,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, code) = path.into_inner();
    let form = read_form(&req, payload, state.settings.max_body_bytes).await?;
    let unit = form.get("unit").unwrap_or("").to_string();
    let client = client_address(&req, &state.settings.security);
    let token = {
        let code = code.clone();
        blocking(&state, move |app| {
            if !accounts::note_open_start(app, &client)? {
                return Ok(None);
            }
            respond::start_open(app, campaign, &code, &unit).map(Some)
        })
        .await?
        .ok_or(WebError::TooManyRequests)?
    };
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
        .insert_header(("Location", format!("/s/{}", token.as_str())))
        .cookie(cookie)
        .finish())
}
