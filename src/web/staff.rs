//! Staff pages: campaigns, their questionnaires and response counts.
//! Accounts and roles come with the next issue; until then the service binds
//! to 127.0.0.1 by default.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use minijinja::context;

use super::body::read_form;
use super::{blocking, templates, State, WebError};
use crate::service::campaigns::{self, OpenCampaign};
use crate::service::questionnaires;
use crate::service::ServiceError;
use crate::storage::units;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(dashboard))
        .route("/staff/campaigns", web::post().to(open_campaign))
        .route("/staff/campaigns/{id}", web::get().to(campaign));
}

fn page(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

async fn dashboard(state: web::Data<State>) -> Result<HttpResponse, WebError> {
    render_dashboard(&state, vec![], None, actix_web::http::StatusCode::OK).await
}

async fn render_dashboard(
    state: &web::Data<State>,
    errors: Vec<String>,
    form: Option<minijinja::Value>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let dir = state.settings.questionnaires_dir.clone();
    let (summaries, unit_list, files) = blocking(state, move |app| {
        let summaries = campaigns::summaries(app)?;
        let unit_list = units::list(&mut *app.conn()?)?;
        let files = questionnaires::load(&[dir])
            .map(|f| {
                f.into_iter()
                    .map(|f| {
                        (
                            f.questionnaire.code,
                            f.questionnaire.title,
                            f.questionnaire.group.label(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_else(|_| Vec::<(String, String, &str)>::new());
        Ok((summaries, unit_list, files))
    })
    .await?;
    let mut blocks: Vec<(String, usize)> = Vec::new();
    for u in &unit_list {
        match blocks.iter_mut().find(|(b, _)| *b == u.block) {
            Some(entry) => entry.1 += 1,
            None => blocks.push((u.block.clone(), 1)),
        }
    }
    let questionnaires: Vec<_> =
        files.iter().map(|(code, title, group)| context! { code => code.clone(), title => title.clone(), group => *group }).collect();
    let body = templates::render(
        "staff/dashboard.html",
        context! {
            campaigns => summaries,
            unit_count => unit_list.len(),
            blocks,
            questionnaires,
            errors,
            form,
        },
    );
    Ok(page(status, body))
}

async fn open_campaign(
    state: web::Data<State>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let form = read_form(&req, payload, state.settings.max_body_bytes).await?;
    let mut errors = Vec::new();
    let year = form
        .get("year")
        .unwrap_or("")
        .trim()
        .parse::<i32>()
        .map_err(|_| errors.push("Năm phải là một số.".to_string()))
        .ok();
    let date = |name: &str, label: &str, errors: &mut Vec<String>| {
        let v = form.get(name).unwrap_or("").trim();
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| errors.push(format!("{label} không hợp lệ (dạng năm-tháng-ngày).")))
            .ok()
    };
    let opens = date("opens", "Ngày mở", &mut errors);
    let closes = date("closes", "Ngày đóng", &mut errors);
    let codes: Vec<String> = form.all("q").into_iter().map(str::to_string).collect();
    if codes.is_empty() {
        errors.push("Chọn ít nhất một phiếu.".to_string());
    }
    let echo = context! {
        year => form.get("year"),
        name => form.get("name"),
        opens => form.get("opens"),
        closes => form.get("closes"),
        anonymous => form.get("anonymous").is_some(),
        q => codes.clone(),
    };
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    let (Some(year), Some(opens), Some(closes), true) = (year, opens, closes, errors.is_empty())
    else {
        return render_dashboard(&state, errors, Some(echo), unprocessable).await;
    };
    let req = OpenCampaign {
        year,
        name: form.get("name").unwrap_or("").to_string(),
        opens,
        closes,
        codes,
        anonymous: form.get("anonymous").is_some(),
    };
    let dir = state.settings.questionnaires_dir.clone();
    let opened = blocking(&state, move |app| {
        let files = questionnaires::load(&[dir])?;
        campaigns::open(app, &files, &req)
    })
    .await;
    match opened {
        Ok(id) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/campaigns/{id}")))
            .finish()),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_dashboard(&state, errors, Some(echo), unprocessable).await
        }
        Err(e) => Err(e),
    }
}

async fn campaign(
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let summary = blocking(&state, move |app| campaigns::summary(app, id)).await?;
    let base = state.settings.public_url();
    let body = templates::render("staff/campaign.html", context! { c => summary, base });
    Ok(page(actix_web::http::StatusCode::OK, body))
}
