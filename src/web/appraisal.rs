//! The self-assessment dossier of a unit and its appraisal: the unit's page
//! (criteria tree, self-scores, evidence, appraised scores with the rule
//! applied, explanation threads, history), the appraisers' worklist, the
//! assignments and the council's approval. Every form carries the CSRF
//! token; evidence is served only to those who may see the dossier.

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;

use super::auth::Staff;
use super::body::FormFields;
use super::upload::{Limits, UploadForm};
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::points::Points;
use crate::domain::upload::FileKind;
use crate::service::appraisal::{
    self as svc, AnswerInput, AppraiseInput, Decision, EvidenceJudgement, GridSaved, NewFile, On,
    RowErrors, SelfScoreInput, EVIDENCE_KINDS,
};
use crate::service::{now, ServiceError};
use std::collections::{BTreeMap, HashMap};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/staff/campaigns/{id}/dossiers/{unit}",
        web::get().to(dossier),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/self-score",
        web::post().to(self_score),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/self-scores",
        web::post().to(self_scores),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/appraisals",
        web::post().to(appraisals),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/sheet",
        web::get().to(sheet_download),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/sheet",
        web::post().to(sheet_upload),
    )
    .route(
        "/staff/campaigns/{id}/scoring-sheets/{unit_type}",
        web::get().to(blank_sheet),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/submit",
        web::post().to(submit),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/appraise",
        web::post().to(appraise),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/explanations",
        web::post().to(request_explanation),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/explanations/{req}/answer",
        web::post().to(answer),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/approve",
        web::post().to(approve),
    )
    .route(
        "/staff/campaigns/{id}/dossiers/{unit}/evidence/{sha}",
        web::get().to(evidence),
    )
    .route("/staff/campaigns/{id}/appraisal", web::get().to(worklist))
    .route(
        "/staff/campaigns/{id}/appraisal/assignments",
        web::post().to(assign),
    )
    .route(
        "/staff/campaigns/{id}/appraisal/grid",
        web::post().to(assign_grid),
    );
}

/// Which scoring sheet: `?loai=tham-dinh` the appraisers', else the unit's.
#[derive(serde::Deserialize)]
struct SheetQuery {
    loai: Option<String>,
}

fn sheet_kind(raw: Option<&str>) -> Result<svc::ScoringSheetKind, WebError> {
    match raw.map(str::trim).unwrap_or("tu-cham") {
        "" | "tu-cham" => Ok(svc::ScoringSheetKind::SelfAssessment),
        "tham-dinh" => Ok(svc::ScoringSheetKind::Appraisal),
        other => Err(WebError::BadRequest(vec![format!(
            "Loại bảng chấm điểm \"{other}\" không có; dùng tu-cham hoặc tham-dinh."
        )])),
    }
}

/// Who may fill which sheet: the unit's officer its self-assessment, an
/// appraiser the appraisal.
fn require_sheet(staff: &Staff, unit: UnitId, kind: svc::ScoringSheetKind) -> Result<(), WebError> {
    match kind {
        svc::ScoringSheetKind::SelfAssessment => staff.require(Action::EditDossier(unit)),
        svc::ScoringSheetKind::Appraisal => staff.require(Action::Appraise),
    }
}

fn xlsx_file(file: svc::SheetFile) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file.file_name),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(file.bytes)
}

/// The dossier as an Excel scoring sheet, prefilled with what is stored.
async fn sheet_download(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId)>,
    q: web::Query<SheetQuery>,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    let kind = sheet_kind(q.loai.as_deref())?;
    require_sheet(&staff, unit, kind)?;
    let file = act(&state, &staff, campaign, unit, move |app, on| {
        svc::dossier_sheet(app, on, kind, now())
    })
    .await?;
    Ok(xlsx_file(file))
}

/// A blank self-assessment sheet for a unit type of the campaign.
async fn blank_sheet(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit_type) = path.into_inner();
    let who = staff.0.user.clone();
    let file = blocking(&state, move |app| {
        svc::may_read_dossiers(app, &who, campaign)?;
        svc::blank_sheet(app, campaign, &unit_type)
    })
    .await?;
    Ok(xlsx_file(file))
}

/// A filled scoring sheet uploaded: stored as the grid would store it, or
/// nothing stored and every wrong cell named.
async fn sheet_upload(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    q: web::Query<SheetQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    // Who may is known from the address, before the body is read.
    let kind = sheet_kind(q.loai.as_deref())?;
    require_sheet(&staff, unit, kind)?;
    let mut form = staff
        .upload(&req, payload, &limits(&state), &[FileKind::OfficeXml])
        .await?;
    let upload = form.take_file("file")?;
    let result = act(&state, &staff, campaign, unit, move |app, on| {
        let path = upload.file.path();
        match kind {
            svc::ScoringSheetKind::SelfAssessment => svc::import_self_sheet(app, on, path, now()),
            svc::ScoringSheetKind::Appraisal => svc::import_appraisal_sheet(app, on, path, now()),
        }
        .map(|_| ())
    })
    .await;
    outcome(&state, &staff, campaign, unit, result).await
}

/// A unit officer asking for another unit's dossier learns nothing: 404.
fn may_see(staff: &Staff, unit: UnitId) -> Result<(), WebError> {
    staff.require_unit(Action::ViewDossier(unit))
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

fn dossier_path(campaign: CampaignId, unit: UnitId) -> String {
    format!("/staff/campaigns/{campaign}/dossiers/{unit}")
}

/// What a dossier grid posted, shown again beside its problems when
/// nothing was stored, so no typing is lost.
#[derive(Debug, Default, serde::Serialize)]
struct GridEcho {
    /// By criterion code, then by field prefix (`p`, `e`, `r`; `d`, `ap`,
    /// `ev`, `why`): the text as typed.
    values: HashMap<String, HashMap<&'static str, String>>,
    /// By criterion code.
    errors: BTreeMap<String, String>,
    /// Files were chosen but not kept (the browser cannot refill a file input).
    files_dropped: bool,
}

impl GridEcho {
    /// The rows of a grid form: the codes of the fields named
    /// `{first}.CODE`, each with its `{prefix}.CODE` fields (kept for the
    /// echo) in the order of `prefixes`.
    fn rows(&mut self, form: &FormFields, prefixes: &[&'static str]) -> Vec<(String, Vec<String>)> {
        let first = format!("{}.", prefixes[0]);
        let codes: Vec<String> = form
            .0
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(first.as_str()).map(str::to_string))
            .collect();
        codes
            .into_iter()
            .map(|code| {
                let values: Vec<String> = prefixes
                    .iter()
                    .map(|p| text(form, &format!("{p}.{code}")))
                    .collect();
                self.values.insert(
                    code.clone(),
                    prefixes
                        .iter()
                        .copied()
                        .zip(values.iter().cloned())
                        .collect(),
                );
                (code, values)
            })
            .collect()
    }
}

/// A number of points as typed in a grid cell ("1,5" or "1.5").
fn cell_points(code: &str, typed: &str) -> Result<Points, String> {
    Points::parse(&typed.trim().replace(',', ".")).map_err(|_| {
        format!(
            "Tiêu chí \"{code}\": \"{}\" không phải là số điểm (ví dụ đúng: 1 hoặc 1,5).",
            typed.trim()
        )
    })
}

async fn render(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    unit: UnitId,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    render_grid(
        state,
        staff,
        campaign,
        unit,
        errors,
        GridEcho::default(),
        status,
    )
    .await
}

async fn render_grid(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    unit: UnitId,
    errors: Vec<String>,
    grid: GridEcho,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let view = act(state, staff, campaign, unit, |app, on| {
        svc::view(app, on, now())
    })
    .await?;
    let leaves: Vec<_> = view
        .nodes
        .iter()
        .filter(|n| n.leaf && !n.survey)
        .map(|n| context! { code => n.code.clone(), name => n.name.clone(), max => n.max.clone(), can_appraise => n.can_appraise })
        .collect();
    let can_appraise = view.nodes.iter().any(|n| n.can_appraise);
    let body = templates::render(
        "staff/dossier.html",
        context! {
            staff => staff.context(),
            d => view,
            leaves,
            can_appraise,
            can_worklist => staff.require(Action::ViewWorklist).is_ok(),
            kinds => EVIDENCE_KINDS.iter().map(|k| k.label()).collect::<Vec<_>>().join(", "),
            errors,
            grid,
        },
    );
    Ok(html_page(status, body))
}

async fn dossier(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId)>,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    render(&state, &staff, campaign, unit, vec![], StatusCode::OK).await
}

/// After a form: back to the page, or the page again with the reasons.
async fn outcome(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    unit: UnitId,
    result: Result<(), WebError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(()) => Ok(see_other(dossier_path(campaign, unit))),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render(
                state,
                staff,
                campaign,
                unit,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(WebError::BadRequest(errors)) => {
            render(
                state,
                staff,
                campaign,
                unit,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

fn parse_points(s: &str, label: &str) -> Result<Points, WebError> {
    let s = s.trim().replace(',', ".");
    Points::parse(&s).map_err(|e| WebError::BadRequest(vec![format!("{label}: {e}.")]))
}

fn text(form: &FormFields, name: &str) -> String {
    form.get(name).unwrap_or("").to_string()
}

fn limits(state: &State) -> Limits {
    Limits {
        max_bytes: state.settings.max_upload_bytes,
        tmp_dir: state.settings.upload_tmp_dir(),
    }
}

/// An uploaded file as the service copies it (the temporary file lives
/// until the service has).
fn new_file(u: &super::upload::Upload) -> NewFile {
    NewFile {
        path: u.file.path().to_path_buf(),
        name: u.name.clone(),
        kind: u.kind,
    }
}

/// The optional evidence file of an upload form.
fn take_evidence(form: &mut UploadForm) -> Option<super::upload::Upload> {
    let i = form.files.iter().position(|(f, _)| f == "file")?;
    Some(form.files.swap_remove(i).1)
}

/// Runs a service call with the dossier's `On`.
async fn act<T, F>(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    unit: UnitId,
    f: F,
) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&crate::service::App, &On<'_>) -> crate::service::Result<T> + Send + 'static,
{
    act_as(state, staff.0.user.clone(), campaign, unit, f).await
}

/// Runs a service call on a dossier as `who` (a page's session or an API
/// token's owner).
pub(super) async fn act_as<T, F>(
    state: &web::Data<State>,
    who: crate::service::accounts::StaffUser,
    campaign: CampaignId,
    unit: UnitId,
    f: F,
) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&crate::service::App, &On<'_>) -> crate::service::Result<T> + Send + 'static,
{
    let data_dir = state.settings.data_dir.clone();
    blocking(state, move |app| {
        f(
            app,
            &On {
                data_dir: &data_dir,
                who: &who,
                campaign_id: campaign,
                unit_id: unit,
            },
        )
    })
    .await
}

async fn self_score(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::EditDossier(unit))?;
    let mut form = staff
        .upload(&req, payload, &limits(&state), &EVIDENCE_KINDS)
        .await?;
    let points = parse_points(form.fields.get("points").unwrap_or(""), "Điểm tự chấm");
    let file = take_evidence(&mut form);
    let result = match points {
        Err(e) => Err(e),
        Ok(points) => {
            let input = SelfScoreInput {
                criterion: text(&form.fields, "criterion"),
                points,
                explanation: text(&form.fields, "explanation"),
                file: None,
                reference: text(&form.fields, "reference"),
            };
            act(&state, &staff, campaign, unit, move |app, on| {
                let mut input = input;
                // The temporary file lives until the service has copied it.
                input.file = file.as_ref().map(new_file);
                svc::save_self_score(app, on, input, now())
            })
            .await
        }
    };
    outcome(&state, &staff, campaign, unit, result).await
}

/// The whole dossier saved at once from the grid: one row per leaf
/// criterion (`p.CODE` points, `e.CODE` explanation, `r.CODE` document
/// reference, `f.CODE` file). A row left entirely blank is not touched; any
/// problem in any row stores nothing and shows the grid again as typed,
/// each problem beside its row.
async fn self_scores(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::EditDossier(unit))?;
    let mut form = staff
        .upload(&req, payload, &limits(&state), &EVIDENCE_KINDS)
        .await?;
    let mut echo = GridEcho::default();
    let mut parse_errors = RowErrors::default();
    let mut rows = Vec::new();
    for (code, cells) in echo.rows(&form.fields, &["p", "e", "r"]) {
        let [points, explanation, reference]: [String; 3] = cells.try_into().expect("three fields");
        let file = form
            .files
            .iter()
            .position(|(f, _)| f.strip_prefix("f.") == Some(code.as_str()))
            .map(|i| form.files.swap_remove(i).1);
        let blank = points.trim().is_empty()
            && explanation.trim().is_empty()
            && reference.trim().is_empty()
            && file.is_none();
        if blank {
            continue;
        }
        let points = if points.trim().is_empty() {
            parse_errors.add(
                &code,
                format!("Tiêu chí \"{code}\": chưa nhập điểm tự chấm."),
            );
            continue;
        } else {
            match cell_points(&code, &points) {
                Ok(p) => p,
                Err(e) => {
                    parse_errors.add(&code, e);
                    continue;
                }
            }
        };
        rows.push((
            SelfScoreInput {
                criterion: code,
                points,
                explanation,
                file: None,
                reference,
            },
            file,
        ));
    }
    let any_file = rows.iter().any(|(_, f)| f.is_some());
    let result = act(&state, &staff, campaign, unit, move |app, on| {
        // The temporary files live until the service has copied them.
        let (inputs, uploads): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        let inputs = inputs
            .into_iter()
            .zip(&uploads)
            .map(|(mut input, upload)| {
                input.file = upload.as_ref().map(new_file);
                input
            })
            .collect();
        svc::save_self_scores(app, on, inputs, &parse_errors, now())
    })
    .await;
    match result {
        Ok(GridSaved::Saved { .. }) => {
            Ok(see_other(format!("{}#grid", dossier_path(campaign, unit))))
        }
        Ok(GridSaved::Refused(errors)) => {
            echo.files_dropped = any_file;
            refused(&state, &staff, campaign, unit, echo, errors).await
        }
        Err(e) => outcome(&state, &staff, campaign, unit, Err(e)).await,
    }
}

/// A grid refused: the page again, as typed, each problem beside its row.
async fn refused(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    unit: UnitId,
    mut echo: GridEcho,
    errors: RowErrors,
) -> Result<HttpResponse, WebError> {
    let summary = vec![format!(
        "{} tiêu chí chưa hợp lệ; chưa lưu dòng nào. Sửa các ô được đánh dấu rồi lưu lại.",
        errors.0.len()
    )];
    echo.errors = errors.0;
    render_grid(
        state,
        staff,
        campaign,
        unit,
        summary,
        echo,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The appraiser's decisions on many criteria at once, from the appraisal
/// grid: per row `d.CODE` (accept, change, not_applicable; empty leaves the
/// row as it is), `ap.CODE` points, `ev.CODE` evidence judgement, `why.CODE`
/// reason. Any problem stores nothing and shows the grid again as typed.
async fn appraisals(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::Appraise)?;
    let form = staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let mut echo = GridEcho::default();
    let mut parse_errors = RowErrors::default();
    let mut rows = Vec::new();
    for (code, cells) in echo.rows(&form, &["d", "ap", "ev", "why"]) {
        let [decision, points, evidence, reason]: [String; 4] =
            cells.try_into().expect("four fields");
        let decision = match decision.as_str() {
            "" => continue,
            "accept" => Decision::Accept,
            "not_applicable" => Decision::NotApplicable,
            "change" => match cell_points(&code, &points) {
                Ok(p) => Decision::Change(p),
                Err(e) => {
                    parse_errors.add(&code, e);
                    continue;
                }
            },
            _ => {
                parse_errors.add(
                    &code,
                    format!("Tiêu chí \"{code}\": chọn một quyết định trong danh sách."),
                );
                continue;
            }
        };
        // The judgement's own names (as the one-criterion form reads them).
        let evidence = match evidence.as_str() {
            "" => EvidenceJudgement::AsGiven,
            named => match <EvidenceJudgement as serde::Deserialize>::deserialize(
                serde::de::value::StrDeserializer::<serde::de::value::Error>::new(named),
            ) {
                Ok(judgement) => judgement,
                Err(_) => {
                    parse_errors.add(&code, format!("Tiêu chí \"{code}\": chọn một nhận định về tài liệu kiểm chứng trong danh sách."));
                    continue;
                }
            },
        };
        rows.push(AppraiseInput {
            criterion: code,
            decision,
            reason,
            evidence,
        });
    }
    let result = act(&state, &staff, campaign, unit, move |app, on| {
        svc::appraise_criteria(app, on, rows, &parse_errors, now())
    })
    .await;
    match result {
        Ok(GridSaved::Saved { .. }) => Ok(see_other(format!(
            "{}#appraisal-grid",
            dossier_path(campaign, unit)
        ))),
        Ok(GridSaved::Refused(errors)) => {
            refused(&state, &staff, campaign, unit, echo, errors).await
        }
        Err(e) => outcome(&state, &staff, campaign, unit, Err(e)).await,
    }
}

async fn submit(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::EditDossier(unit))?;
    staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let result = act(&state, &staff, campaign, unit, |app, on| {
        svc::submit(app, on, now()).map(|_| ())
    })
    .await;
    outcome(&state, &staff, campaign, unit, result).await
}

/// An appraiser's decision on one criterion. The decision is read as text
/// so a missing one gets the page's own sentence, not a field error.
#[derive(serde::Deserialize)]
struct AppraiseForm {
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
    /// as_given (the default), supplemented or invalid.
    #[serde(default = "as_given")]
    evidence: EvidenceJudgement,
}

fn as_given() -> EvidenceJudgement {
    EvidenceJudgement::AsGiven
}

#[derive(serde::Deserialize)]
struct ExplanationForm {
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    request: String,
}

#[derive(serde::Deserialize)]
struct AssignForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    department: String,
}

async fn appraise(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::Appraise)?;
    let form: AppraiseForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let decision = match form.decision.as_str() {
        "accept" => Ok(Decision::Accept),
        "change" => parse_points(&form.points, "Điểm thẩm định").map(Decision::Change),
        "not_applicable" => Ok(Decision::NotApplicable),
        _ => Err(WebError::BadRequest(vec![
            "Chọn một quyết định: giữ điểm tự chấm, chấm lại hoặc không áp dụng.".into(),
        ])),
    };
    let result = match decision {
        Err(e) => Err(e),
        Ok(decision) => {
            let input = AppraiseInput {
                criterion: form.criterion,
                decision,
                reason: form.reason,
                evidence: form.evidence,
            };
            act(&state, &staff, campaign, unit, move |app, on| {
                svc::appraise_criterion(app, on, input, now())
            })
            .await
        }
    };
    outcome(&state, &staff, campaign, unit, result).await
}

async fn request_explanation(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::Appraise)?;
    let form: ExplanationForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let (criterion, request) = (form.criterion, form.request);
    let result = act(&state, &staff, campaign, unit, move |app, on| {
        svc::request_explanation(app, on, &criterion, &request, now())
    })
    .await;
    outcome(&state, &staff, campaign, unit, result).await
}

async fn answer(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    let request_id: i64 = path.2.parse().map_err(|_| WebError::NotFound)?;
    may_see(&staff, unit)?;
    staff.require(Action::EditDossier(unit))?;
    let mut form = staff
        .upload(&req, payload, &limits(&state), &EVIDENCE_KINDS)
        .await?;
    let file = take_evidence(&mut form);
    let (text_answer, reference) = (
        text(&form.fields, "answer"),
        text(&form.fields, "reference"),
    );
    let result = act(&state, &staff, campaign, unit, move |app, on| {
        let input = AnswerInput {
            request_id,
            answer: text_answer,
            file: file.as_ref().map(new_file),
            reference,
        };
        svc::answer_explanation(app, on, input, now())
    })
    .await;
    outcome(&state, &staff, campaign, unit, result).await
}

async fn approve(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(CampaignId, UnitId)>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    staff.require(Action::ApproveAppraisal)?;
    staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let result = act(&state, &staff, campaign, unit, |app, on| {
        svc::approve(app, on, now())
    })
    .await;
    outcome(&state, &staff, campaign, unit, result).await
}

fn content_type(kind: &str) -> &'static str {
    match kind {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpeg" => "image/jpeg",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn evidence(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId, String)>,
) -> Result<HttpResponse, WebError> {
    let (campaign, unit) = (path.0, path.1);
    may_see(&staff, unit)?;
    let sha = path.2.clone();
    let data_dir = state.settings.data_dir.clone();
    let who = staff.0.user.clone();
    let (bytes, name, kind) = blocking(&state, move |app| {
        svc::may_read_dossiers(app, &who, campaign)?;
        let (file, name, kind) = svc::evidence_file(app, &data_dir, campaign, unit, &sha)?;
        let bytes = std::fs::read(&file)
            .map_err(|_| ServiceError::NotFound("Tệp kiểm chứng không còn trên máy chủ.".into()))?;
        Ok((bytes, name, kind))
    })
    .await?;
    // Always a download, never rendered by the browser in our origin.
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: name.into_bytes(),
        })],
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type(&kind))
        .insert_header(disposition)
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

async fn worklist(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewWorklist)?;
    let campaign = id.into_inner();
    render_worklist(&state, &staff, campaign, vec![], StatusCode::OK).await
}

async fn render_worklist(
    state: &web::Data<State>,
    staff: &Staff,
    campaign: CampaignId,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let who = staff.0.user.clone();
    let admin = staff.require(Action::AssignAppraisers).is_ok();
    let (list, unit_list) = blocking(state, move |app| {
        let list = svc::worklist(app, &who, campaign)?;
        let unit_list = if admin {
            crate::service::units::list(app)?
        } else {
            vec![]
        };
        Ok((list, unit_list))
    })
    .await?;
    let body = templates::render(
        "staff/appraisal.html",
        context! {
            staff => staff.context(),
            campaign,
            w => list,
            admin,
            units => unit_list.iter().map(|u| context! { id => u.id, name => u.name.clone(), code => u.code.clone() }).collect::<Vec<_>>(),
            errors,
        },
    );
    Ok(html_page(status, body))
}

/// The grid of appraisers × departments: the boxes checked are the
/// campaign's assignments afterwards.
async fn assign_grid(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    id: web::Path<CampaignId>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::AssignAppraisers)?;
    let campaign = id.into_inner();
    let form = staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let wanted: Vec<(String, String)> = form
        .all("a")
        .into_iter()
        .filter_map(|v| v.split_once('|'))
        .map(|(u, d)| (u.to_string(), d.to_string()))
        .collect();
    let who = staff.0.user.clone();
    let result = blocking(&state, move |app| {
        svc::set_assignments(app, &who, campaign, &wanted, now())
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(format!(
            "/staff/campaigns/{campaign}/appraisal#assign-h"
        ))),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_worklist(
                &state,
                &staff,
                campaign,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn assign(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    id: web::Path<CampaignId>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::AssignAppraisers)?;
    let campaign = id.into_inner();
    let form: AssignForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let (username, department) = (form.username, form.department);
    let who = staff.0.user.clone();
    let result = blocking(&state, move |app| {
        svc::assign(app, &who, campaign, &username, &department, now())
    })
    .await;
    match result {
        Ok(_) => Ok(see_other(format!("/staff/campaigns/{campaign}/appraisal"))),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_worklist(
                &state,
                &staff,
                campaign,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
