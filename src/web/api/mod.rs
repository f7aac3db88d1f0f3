//! The JSON API under `/api/v1`, for scripts and analysts' tools. Every
//! operation but the OpenAPI document needs a bearer token (`chiso user
//! token`), acts with its owner's role and scope, and asks
//! [`allows`](crate::domain::access::allows) like the staff pages do.

mod data;
mod doc;
mod dto;
mod error;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use utoipa::OpenApi;

pub use dto::*;
use error::JsonError;
pub use error::{ApiError, ErrorBody};

use super::auth::client_address;
use super::{blocking, State};
use crate::domain::access::{allows, Action};
use crate::domain::ids::{CampaignId, UnitId};
use crate::service::accounts::{self, ApiAuth, StaffUser};
use crate::service::campaigns::{self, OpenCampaign};
use crate::service::{questionnaires, units};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
            .service(resource("/openapi.json", &["GET"]).route(web::get().to(openapi)))
            .service(resource("/me", &["GET"]).route(web::get().to(me)))
            .service(
                resource("/campaigns", &["GET", "POST"])
                    .route(web::get().to(list_campaigns))
                    .route(web::post().to(open_campaign)),
            )
            .service(resource("/campaigns/{id}", &["GET"]).route(web::get().to(get_campaign)))
            .service(resource("/units", &["GET"]).route(web::get().to(list_units)))
            .service(resource("/units/{id}", &["GET"]).route(web::get().to(get_unit)))
            .service(
                resource("/campaigns/{id}/results", &["GET"])
                    .route(web::get().to(data::campaign_results)),
            )
            .service(
                resource("/campaigns/{id}/estimates", &["GET"])
                    .route(web::get().to(data::estimates)),
            )
            .service(
                resource("/campaigns/{id}/microdata", &["GET"])
                    .route(web::get().to(data::microdata)),
            )
            .service(
                resource("/campaigns/{id}/index", &["GET"]).route(web::get().to(data::index_table)),
            )
            .service(
                resource("/campaigns/{id}/sampling", &["GET"]).route(web::get().to(data::sampling)),
            )
            .service(
                resource("/campaigns/{id}/dossiers/{unit}", &["GET"])
                    .route(web::get().to(data::dossier)),
            )
            .service(
                resource("/campaigns/{id}/dossiers/{unit}/self-scores", &["PUT"])
                    .route(web::put().to(data::put_self_scores)),
            )
            .service(
                resource("/campaigns/{id}/dossiers/{unit}/appraisals", &["PUT"])
                    .route(web::put().to(data::put_appraisals)),
            )
            .service(resource("/publications", &["GET"]).route(web::get().to(data::publications)))
            .service(
                resource("/publications/{id}", &["GET"])
                    .route(web::get().to(data::publication_table)),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::not_found())
            })),
    );
}

/// A resource that answers other methods with 405 and the ones it allows.
fn resource(path: &str, allowed: &'static [&'static str]) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "Phương thức không được hỗ trợ; dùng {}.",
                allowed.join(", ")
            ),
        )
        .error_response();
        e.headers_mut().insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_str(&allowed.join(", "))
                .expect("method names are valid header text"),
        );
        e
    }))
}

/// The owner of the request's bearer token.
pub struct ApiStaff(pub StaffUser);

impl ApiStaff {
    fn require(&self, action: Action) -> Result<(), ApiError> {
        if allows(self.0.actor(), action) {
            Ok(())
        } else {
            Err(crate::web::WebError::Forbidden.into())
        }
    }
}

impl FromRequest for ApiStaff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let state = req.app_data::<web::Data<State>>().cloned();
        let client = state
            .as_ref()
            .map(|s| client_address(req, &s.settings.security))
            .unwrap_or_default();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(ApiError::unauthorized());
            };
            match blocking(&state, move |app| accounts::api_user(app, &token, &client)).await? {
                ApiAuth::User(u) => Ok(ApiStaff(u)),
                ApiAuth::Invalid => Err(ApiError::unauthorized()),
                ApiAuth::Throttled => Err(crate::web::WebError::TooManyRequests.into()),
            }
        })
    }
}

/// Reads a JSON body after the role check, so a caller without the right
/// learns nothing from how their body would have been judged.
async fn read_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    use futures_util::StreamExt;
    let json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(error::json_error(JsonError::ContentType));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| error::json_error(JsonError::Read(e.to_string())))?;
        if body.len() + chunk.len() > limit {
            return Err(error::json_error(JsonError::TooLarge(limit)));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| error::json_error(JsonError::Parse(e.to_string())))
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(doc::ApiDoc::openapi())
}

/// The account the token acts as.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "The token's owner", body = MeDto)))]
async fn me(staff: ApiStaff) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewOwnAccount)?;
    Ok(HttpResponse::Ok().json(MeDto::from(&staff.0)))
}

/// Every campaign with its questionnaires and response counts. Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, description = "Campaigns, newest first", body = Vec<CampaignDto>)))]
async fn list_campaigns(
    state: web::Data<State>,
    staff: ApiStaff,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewCampaigns)?;
    let list = blocking(&state, campaigns::summaries).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(CampaignDto::from).collect::<Vec<_>>()))
}

/// One campaign. Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign", body = CampaignDto)))]
async fn get_campaign(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewCampaigns)?;
    let id = id.into_inner();
    let c = blocking(&state, move |app| campaigns::summary(app, id)).await?;
    Ok(HttpResponse::Ok().json(CampaignDto::from(c)))
}

/// Opens a campaign and freezes its questionnaires. Role: admin.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns",
    request_body = OpenCampaignDto,
    responses((status = 201, description = "Opened", body = CreatedDto)))]
async fn open_campaign(
    state: web::Data<State>,
    staff: ApiStaff,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::OpenCampaign)?;
    let b: OpenCampaignDto = read_json(&req, payload, state.settings.max_body_bytes).await?;
    let req = OpenCampaign {
        year: b.year,
        name: b.name,
        opens: b.opens,
        closes: b.closes,
        codes: b.questionnaires,
        anonymous: b.anonymous,
        profile: None,
    };
    let dir = state.settings.questionnaires_dir.clone();
    let profiles_dir = state.settings.profiles_dir();
    let profile_code = b.profile;
    let id = blocking(&state, move |app| {
        let files = questionnaires::load(&[dir])?;
        let mut req = req;
        req.profile = super::staff::resolve_profile(&profiles_dir, profile_code.as_deref())?;
        campaigns::open(app, &files, &req)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Location", format!("/api/v1/campaigns/{id}")))
        .json(CreatedDto { id: id.get() }))
}

/// The units the token's owner may see (a unit officer: their own).
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    responses((status = 200, description = "Units in scope", body = Vec<UnitDto>)))]
async fn list_units(state: web::Data<State>, staff: ApiStaff) -> Result<HttpResponse, ApiError> {
    let actor = staff.0.actor();
    let list = blocking(&state, units::list).await?;
    let visible: Vec<UnitDto> = list
        .into_iter()
        .filter(|u| allows(actor, Action::ViewUnit(u.id)))
        .map(UnitDto::from)
        .collect();
    Ok(HttpResponse::Ok().json(visible))
}

/// One unit with its response counts per campaign. Out of scope looks like absent.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units",
    params(("id" = i64, Path, description = "Unit id")),
    responses((status = 200, description = "The unit", body = UnitDetailDto)))]
async fn get_unit(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<UnitId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // A unit officer asking about another unit learns nothing, not even
    // that it exists; a role that may see no unit is simply forbidden.
    staff.require(Action::ViewUnit(id)).map_err(|e| {
        if staff.0.role == crate::domain::access::Role::UnitOfficer {
            ApiError::not_found()
        } else {
            e
        }
    })?;
    let (unit, counts) = blocking(&state, move |app| {
        Ok((units::get(app, id)?, campaigns::unit_counts(app, id)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(UnitDetailDto {
        unit: unit.into(),
        responses: counts.into_iter().map(Into::into).collect(),
    }))
}
