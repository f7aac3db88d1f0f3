//! What analysts and a provincial portal fetch: survey results and
//! estimates, microdata (streamed), the index table, publications, dossiers
//! (read, and the unit's self-scores written), the frame and the draw.
//! Each asks the same permission as its staff page and reads through the
//! same service, so the API shows nothing a page would not (below-k cells
//! included: the services withhold them before anything leaves).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{read_json, ApiError, ApiStaff};
use crate::domain::access::Action;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::points::Points;
use crate::report::export::write_json;
use crate::service::appraisal::{self, GridSaved, On, RowErrors, SelfScoreInput};
use crate::service::{now, publication, results, sampling};
use crate::web::{blocking, State};

/// Any JSON object: the shape is the service's view, described in words on
/// each operation (the contract of the CSV/XLSX exports' columns).
pub struct AnyObject;

impl utoipa::PartialSchema for AnyObject {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(true),
            ))
            .into()
    }
}

impl ToSchema for AnyObject {}

fn json_bytes(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes)
}

fn table_json(
    table: (crate::report::table::Header, Vec<crate::report::table::Row>),
) -> Result<HttpResponse, ApiError> {
    let (header, rows) = table;
    let mut out = Vec::new();
    write_json(&mut out, &header, rows.into_iter().map(Ok::<_, String>))
        .map_err(|e| ApiError::from(crate::web::WebError::BadRequest(vec![e.to_string()])))?;
    Ok(json_bytes(out))
}

/// Survey results per unit: the 30-point component with its interval, the
/// criteria and each group's weighted shares (cells below the anonymity
/// threshold withheld). Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/results", tag = "results",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign's survey results", body = AnyObject),
        (status = 422, description = "The campaign follows no province profile, or its data cannot be computed yet", body = super::ErrorBody)))]
pub async fn campaign_results(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewResults)?;
    let id = id.into_inner();
    let r = blocking(&state, move |app| results::campaign_results(app, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(r))
}

/// The estimates as one long table (the estimates export's rows: unit ×
/// level × criterion × group, with SE and 95 % interval). Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/estimates", tag = "results",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "One object per row; keys as the CSV export's columns", body = Vec<AnyObject>),
        (status = 422, description = "The campaign follows no province profile, or its data cannot be computed yet", body = super::ErrorBody)))]
pub async fn estimates(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ExportData)?;
    let id = id.into_inner();
    let r = blocking(&state, move |app| results::campaign_results(app, id)).await?;
    Ok(json_bytes(crate::web::export::estimates_rows(&r)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MicrodataQuery {
    /// The questionnaire's code, e.g. `citizen`.
    q: String,
}

/// Anonymised microdata of one questionnaire, streamed as a JSON array:
/// one object per response × rated unit (no names, e-mails, tokens or free
/// text). Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/microdata", tag = "results",
    params(("id" = i64, Path, description = "Campaign id"), MicrodataQuery),
    responses(
        (status = 200, description = "One object per response and rated unit", body = Vec<AnyObject>),
        (status = 400, description = "The questionnaire code is missing", body = super::ErrorBody),
    ))]
pub async fn microdata(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
    q: Result<web::Query<MicrodataQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ExportData)?;
    let q = q.map_err(|_| {
        ApiError::from(crate::web::WebError::BadRequest(vec![
            "Thiếu mã phiếu: ?q=citizen (hoặc mã phiếu khác của đợt).".into(),
        ]))
    })?;
    Ok(crate::web::export::microdata_json(&state, id.into_inner(), q.into_inner().q).await?)
}

/// The index table as it stands (provisional until published): a row per
/// unit with the appraised and survey parts, index, band, rank and head
/// rating. Roles: admin, analyst, council.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/index", tag = "index",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "One object per unit; keys as the index export's columns", body = Vec<AnyObject>),
        (status = 422, description = "The campaign follows no province profile, or its data cannot be computed yet", body = super::ErrorBody)))]
pub async fn index_table(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewIndex)?;
    let id = id.into_inner();
    let t = blocking(&state, move |app| publication::table(app, id, now())).await?;
    table_json(publication::index_sheet(&t))
}

#[derive(Serialize, ToSchema)]
pub struct PublicationDto {
    pub campaign_id: i64,
    pub name: String,
    pub year: i32,
    /// Vietnam time, as the public page shows it.
    pub published_at: String,
}

/// The published index tables, newest first: what a provincial portal
/// lists. Any role.
#[utoipa::path(get, path = "/api/v1/publications", tag = "index",
    responses((status = 200, description = "Published campaigns", body = Vec<PublicationDto>)))]
pub async fn publications(
    state: web::Data<State>,
    _staff: ApiStaff,
) -> Result<HttpResponse, ApiError> {
    let list = blocking(&state, publication::published_campaigns).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(|p| PublicationDto {
                campaign_id: p.campaign_id,
                name: p.name,
                year: p.year,
                published_at: p.published_at,
            })
            .collect::<Vec<_>>(),
    ))
}

/// A published table, frozen at publication (404 before). Any role.
#[utoipa::path(get, path = "/api/v1/publications/{id}", tag = "index",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "One object per unit; keys as the public download's columns", body = Vec<AnyObject>)))]
pub async fn publication_table(
    state: web::Data<State>,
    _staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let t = blocking(&state, move |app| publication::published_table(app, id)).await?;
    table_json(publication::index_sheet(&t))
}

/// Runs a dossier call as the token's owner.
async fn on_dossier<T, F>(
    state: &web::Data<State>,
    staff: &ApiStaff,
    campaign: CampaignId,
    unit: UnitId,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&crate::service::App, &On<'_>) -> crate::service::Result<T> + Send + 'static,
{
    Ok(crate::web::appraisal::act_as(state, staff.0.clone(), campaign, unit, f).await?)
}

/// A unit's dossier: the criteria tree with self-scores, evidence, the
/// appraisal and the rule applied, explanations and history. Roles: admin,
/// analyst, appraisers assigned in the campaign, the unit's officer.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/dossiers/{unit}", tag = "dossiers",
    params(("id" = i64, Path, description = "Campaign id"), ("unit" = i64, Path, description = "Unit id")),
    responses((status = 200, description = "The dossier as its page shows it", body = AnyObject),
        (status = 422, description = "The campaign follows no province profile, or its data cannot be computed yet", body = super::ErrorBody)))]
pub async fn dossier(
    state: web::Data<State>,
    staff: ApiStaff,
    path: web::Path<(CampaignId, UnitId)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, unit) = path.into_inner();
    // Another unit's dossier looks absent to a unit officer.
    staff
        .require(Action::ViewDossier(unit))
        .map_err(|_| ApiError::not_found())?;
    let view = on_dossier(&state, &staff, campaign, unit, |app, on| {
        appraisal::view(app, on, now())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

/// Points as a number (1.5) or as a person writes them ("1,5").
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PointsDto {
    Number(f64),
    Text(String),
}

#[derive(Deserialize, ToSchema)]
pub struct SelfScoreDto {
    /// A leaf criterion's code, e.g. `1.2.1`.
    pub criterion: String,
    pub points: PointsDto,
    #[serde(default)]
    pub explanation: String,
    /// Document number, date, issuer or a link to the evidence.
    #[serde(default)]
    pub reference: String,
}

#[derive(Serialize, ToSchema)]
pub struct SavedDto {
    /// Criteria whose stored row changed (identical rows are not written).
    pub changed: usize,
}

/// A write on a dossier: out of scope looks absent, then the role decides.
fn may_write(staff: &ApiStaff, unit: UnitId, action: Action) -> Result<(), ApiError> {
    staff
        .require(Action::ViewDossier(unit))
        .map_err(|_| ApiError::not_found())?;
    staff.require(action)
}

/// A grid's outcome as the API answers it: how many rows changed, or 422
/// with every row's problem.
fn grid_answer(saved: GridSaved) -> Result<HttpResponse, ApiError> {
    match saved {
        GridSaved::Saved { changed } => Ok(HttpResponse::Ok().json(SavedDto { changed })),
        GridSaved::Refused(errors) => {
            Err(crate::service::ServiceError::Invalid(errors.0.into_values().collect()).into())
        }
    }
}

/// The unit's officer writes self-scores, like the dossier grid: every row
/// is checked and one problem anywhere stores nothing (422, each problem in
/// `details`). Evidence files go through the page. Role: the unit's officer.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/dossiers/{unit}/self-scores", tag = "dossiers",
    params(("id" = i64, Path, description = "Campaign id"), ("unit" = i64, Path, description = "Unit id")),
    request_body = Vec<SelfScoreDto>,
    responses((status = 200, description = "Stored", body = SavedDto)))]
pub async fn put_self_scores(
    state: web::Data<State>,
    staff: ApiStaff,
    path: web::Path<(CampaignId, UnitId)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (campaign, unit) = path.into_inner();
    may_write(&staff, unit, Action::EditDossier(unit))?;
    let rows: Vec<SelfScoreDto> = read_json(&req, payload, state.settings.max_body_bytes).await?;
    let mut already = RowErrors::default();
    let mut inputs = Vec::with_capacity(rows.len());
    for r in rows {
        match points_of(&r.points) {
            Some(points) => inputs.push(SelfScoreInput {
                criterion: r.criterion,
                points,
                explanation: r.explanation,
                file: None,
                reference: r.reference,
            }),
            None => already.add(
                &r.criterion,
                format!(
                    "Tiêu chí \"{}\": điểm không phải là số (ví dụ đúng: 1 hoặc 1,5).",
                    r.criterion
                ),
            ),
        }
    }
    let saved = on_dossier(&state, &staff, campaign, unit, move |app, on| {
        appraisal::save_self_scores(app, on, inputs, &already, now())
    })
    .await?;
    grid_answer(saved)
}

#[derive(Serialize, ToSchema)]
pub struct FrameDto {
    pub file: String,
    pub rows: i64,
    pub sha256: String,
    /// UTC.
    pub imported_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DrawDto {
    /// The seed that replays the draw (ChaCha20).
    pub seed: String,
    /// The frame the draw was made from.
    pub frame_sha256: String,
    /// UTC.
    pub drawn_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SamplingDto {
    /// The active sampling frame (its file, rows and SHA-256; never its
    /// people); null before one is imported.
    pub frame: Option<FrameDto>,
    /// The draw, to replay and audit it; null before the draw.
    pub draw: Option<DrawDto>,
    /// Invitations per state (`_nhac` marks reminders).
    pub invitations: std::collections::BTreeMap<String, usize>,
}

/// The campaign's frame and draw as they stand. Roles: admin, analyst.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/sampling", tag = "sampling",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "Frame and draw (null until they exist)", body = SamplingDto)))]
pub async fn sampling(
    state: web::Data<State>,
    staff: ApiStaff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    staff.require(Action::ViewSampling)?;
    let id = id.into_inner();
    let o = blocking(&state, move |app| sampling::overview(app, id)).await?;
    Ok(HttpResponse::Ok().json(SamplingDto {
        frame: o.frame.map(|f| FrameDto {
            file: f.file,
            rows: f.rows,
            sha256: f.sha256,
            imported_at: f.imported_at.and_utc().to_rfc3339(),
        }),
        draw: o.draw.map(|d| DrawDto {
            seed: d.seed,
            frame_sha256: d.frame_sha256,
            drawn_at: d.drawn_at.and_utc().to_rfc3339(),
        }),
        invitations: o.invitation_states,
    }))
}

/// The appraiser's decision on a criterion.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionDto {
    /// The unit's self-score stands.
    Accept,
    /// Another score (`points`); a reason is required when it differs.
    Change,
    /// The criterion does not apply to the unit.
    NotApplicable,
}

/// The appraiser's judgement of the evidence (Ninh Hòa art. 7.2).
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceDto {
    #[default]
    AsGiven,
    Supplemented,
    Invalid,
}

#[derive(Deserialize, ToSchema)]
pub struct AppraisalDto {
    pub criterion: String,
    pub decision: DecisionDto,
    /// With `change`: the appraised points.
    pub points: Option<PointsDto>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub evidence: EvidenceDto,
}

fn points_of(p: &PointsDto) -> Option<Points> {
    match p {
        PointsDto::Number(x) => Points::from_f64(*x),
        PointsDto::Text(t) => Points::parse(&t.trim().replace(',', ".")).ok(),
    }
}

/// An appraiser decides on criteria of a submitted dossier, like the
/// appraisal grid: only the departments assigned to them, every row
/// checked, one problem anywhere stores nothing (422, each in `details`).
/// Role: appraiser (assigned in the campaign).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/dossiers/{unit}/appraisals", tag = "dossiers",
    params(("id" = i64, Path, description = "Campaign id"), ("unit" = i64, Path, description = "Unit id")),
    request_body = Vec<AppraisalDto>,
    responses((status = 200, description = "Stored", body = SavedDto)))]
pub async fn put_appraisals(
    state: web::Data<State>,
    staff: ApiStaff,
    path: web::Path<(CampaignId, UnitId)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (campaign, unit) = path.into_inner();
    may_write(&staff, unit, Action::Appraise)?;
    let rows: Vec<AppraisalDto> = read_json(&req, payload, state.settings.max_body_bytes).await?;
    let mut already = RowErrors::default();
    let mut inputs = Vec::with_capacity(rows.len());
    for r in rows {
        let decision = match r.decision {
            DecisionDto::Accept => appraisal::Decision::Accept,
            DecisionDto::NotApplicable => appraisal::Decision::NotApplicable,
            DecisionDto::Change => match r.points.as_ref().and_then(points_of) {
                Some(p) => appraisal::Decision::Change(p),
                None => {
                    already.add(
                        &r.criterion,
                        format!(
                            "Tiêu chí \"{}\": chấm lại thì phải có điểm thẩm định (points), ví dụ 1 hoặc \"1,5\".",
                            r.criterion
                        ),
                    );
                    continue;
                }
            },
        };
        inputs.push(appraisal::AppraiseInput {
            criterion: r.criterion,
            decision,
            reason: r.reason,
            evidence: match r.evidence {
                EvidenceDto::AsGiven => appraisal::EvidenceJudgement::AsGiven,
                EvidenceDto::Supplemented => appraisal::EvidenceJudgement::Supplemented,
                EvidenceDto::Invalid => appraisal::EvidenceJudgement::Invalid,
            },
        });
    }
    let saved = on_dossier(&state, &staff, campaign, unit, move |app, on| {
        // An appraiser not assigned in the campaign learns nothing of the
        // dossier, not even its stage (as its GET answers).
        appraisal::may_read_dossiers(app, on.who, on.campaign_id)?;
        appraisal::appraise_criteria(app, on, inputs, &already, now())
    })
    .await?;
    grid_answer(saved)
}
