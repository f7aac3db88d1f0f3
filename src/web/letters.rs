//! Letters to drawn people (issue 18): print batches on the sample page,
//! their PDF and address labels, and `/ma`, where a respondent types the
//! short code from the letter.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::auth::{client_address, Staff};
use super::export::FormatQuery;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::CampaignId;
use crate::service::{invitations, letters, App, Result as ServiceResult, ServiceError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/campaigns/{id}/letters", web::post().to(print))
        .route(
            "/staff/campaigns/{id}/letters/{batch}/pdf",
            web::get().to(pdf),
        )
        .route(
            "/staff/campaigns/{id}/letters/{batch}/labels",
            web::get().to(labels),
        )
        .route(
            "/staff/campaigns/{id}/letters/{batch}/forms",
            web::get().to(forms),
        )
        .route("/ma", web::get().to(code_page))
        .route("/ma", web::post().to(code_typed));
}

/// What letters and e-mails say about the site: its public address and
/// the sending organisation.
pub(super) fn invitation_settings(state: &State) -> invitations::Settings {
    invitations::Settings {
        public_url: state.settings.public_url(),
        organization: state.settings.mail.organization.clone(),
        per_second: state.settings.invitations.per_second,
        max_attempts: state.settings.invitations.max_attempts,
        lease_seconds: state.settings.invitations.lease_seconds,
    }
}

async fn print(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let id = id.into_inner();
    let _: Empty = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let batch = blocking(&state, move |app| letters::print_batch(app, id)).await?;
    let done = match batch {
        Some(b) => format!("letters-{}", b.number),
        None => "letters-none".to_string(),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/staff/campaigns/{id}/sample?done={done}#thu-giay"),
        ))
        .finish())
}

#[derive(Deserialize)]
struct Empty {}

/// Makes one of a batch's files (the letters, the paper forms).
type BatchFile = fn(&App, &invitations::Settings, CampaignId, i64) -> ServiceResult<Vec<u8>>;

/// A batch's PDF, for the administrator: it names people and addresses.
async fn batch_file(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, i64)>,
    make: BatchFile,
    stem: &str,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let (id, batch) = path.into_inner();
    let settings = invitation_settings(&state);
    let bytes = blocking(&state, move |app| make(app, &settings, id, batch)).await?;
    Ok(pdf_download(
        bytes,
        &format!("{stem}_dot{id}_lan{batch}.pdf"),
    ))
}

async fn pdf(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, i64)>,
) -> Result<HttpResponse, WebError> {
    batch_file(state, staff, path, letters::batch_pdf, "thu-moi").await
}

async fn forms(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, i64)>,
) -> Result<HttpResponse, WebError> {
    batch_file(state, staff, path, letters::batch_forms, "phieu-giay").await
}

fn pdf_download(bytes: Vec<u8>, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes)
}

async fn labels(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, i64)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let (id, batch) = path.into_inner();
    let settings = invitation_settings(&state);
    let options = q.csv_options()?;
    let table = blocking(&state, move |app| {
        letters::batch_labels(app, &settings, id, batch)
    })
    .await?;
    super::index::download(
        &state,
        q.format.as_deref(),
        &options,
        &format!("nhan-thu_dot{id}_lan{batch}"),
        "nhan_thu",
        table,
        &[],
    )
}

async fn code_page() -> HttpResponse {
    html_page(
        StatusCode::OK,
        templates::render("survey/short_code.html", context! { typed => "" }),
    )
}

#[derive(Deserialize)]
struct CodeForm {
    ma: String,
}

async fn code_typed(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let client = client_address(&req, &state.settings.security);
    let settings = invitation_settings(&state);
    let typed = form.into_inner().ma;
    let t = typed.clone();
    let outcome = blocking(&state, move |app| {
        letters::open_by_short_code(app, &settings, &t, &client)
    })
    .await;
    let error = match outcome {
        Ok(link) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header(("Location", link))
                .finish())
        }
        Err(WebError::Service(ServiceError::Invalid(reasons))) => reasons.join(" "),
        Err(WebError::Service(ServiceError::TokenUnavailable)) => {
            "Không có phiếu nào với mã này. Xin kiểm tra lại từng ký tự trong thư mời.".to_string()
        }
        Err(e) => return Err(e),
    };
    Ok(html_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        templates::render("survey/short_code.html", context! { typed, error }),
    ))
}
