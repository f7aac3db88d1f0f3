//! Publication in two steps: the review page shows exactly what would be
//! published (every unit, its index, band, rank and head rating) and every
//! case still waiting for the council, takes the council's decisions, and
//! publishes only after a typed confirmation with nothing left open.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::auth::Staff;
use super::index::{line, load};
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::CampaignId;
use crate::domain::index::{Case, RatingOutcome};
use crate::service::council::{self, Record};
use crate::service::publication::{self, IndexTable};
use crate::service::ServiceError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/campaigns/{id}/index/review", web::get().to(page))
        .route(
            "/staff/campaigns/{id}/index/decisions",
            web::post().to(decide),
        )
        .route(
            "/staff/campaigns/{id}/index/decisions/all",
            web::post().to(decide_all),
        )
        .route(
            "/staff/campaigns/{id}/index/publish",
            web::post().to(publish),
        );
}

#[derive(Deserialize)]
struct Query {
    done: Option<String>,
}

async fn page(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<Query>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::PublishIndex)?;
    let t = load(&state, id.into_inner()).await?;
    Ok(render(
        &staff,
        &t,
        q.done.clone(),
        vec![],
        None,
        StatusCode::OK,
    ))
}

fn render(
    staff: &Staff,
    t: &IndexTable,
    done: Option<String>,
    errors: Vec<String>,
    echo: Option<minijinja::Value>,
    status: StatusCode,
) -> HttpResponse {
    let d = t.decimals;
    let lines: Vec<_> = t
        .rows
        .iter()
        .map(|r| {
            let l = line(r, d);
            context! { block => r.block_name.clone(), l }
        })
        .collect();
    let open: Vec<_> = t
        .rows
        .iter()
        .flat_map(|r| {
            r.open.iter().map(move |c| {
                context! {
                    unit => r.code.clone(),
                    name => r.name.clone(),
                    case => c.code(),
                    label => c.label(),
                    blocks => c.blocks_publication(),
                    options => c.options().into_iter().map(|o| context! { code => o.code(), label => o.label() }).collect::<Vec<_>>(),
                }
            })
        })
        .collect();
    // Cases alike from unit to unit, open for several units: one decision
    // for all of them.
    let together: Vec<_> = [Case::NoDossier, Case::SurveyWithheld]
        .into_iter()
        .filter_map(|case| {
            let n = t.rows.iter().filter(|r| r.open.contains(&case)).count();
            (n > 1).then(|| {
                context! {
                    case => case.code(),
                    label => case.label(),
                    count => n,
                    options => case.options().into_iter().map(|o| context! { code => o.code(), label => o.label() }).collect::<Vec<_>>(),
                }
            })
        })
        .collect();
    let decisions: Vec<_> = t
        .rows
        .iter()
        .flat_map(|r| {
            r.decisions.iter().map(move |d| {
                context! {
                    name => r.name.clone(), case => d.case_label.clone(),
                    decision => d.decision_label, reason => d.reason.clone(),
                    by => d.by.clone(), at => d.at.clone(),
                }
            })
        })
        .collect();
    // Heads the rules rated below the best: the council may lessen their
    // rating (mitigation), never make it harsher.
    let mitigable: Vec<_> = t
        .rows
        .iter()
        .filter_map(|r| match (&r.head_rating, r.rule_rating) {
            (RatingOutcome::Rated { .. }, Some(rule)) if rule.key() != "excellent" => Some(
                context! { unit => r.code.clone(), name => r.name.clone(), rating => rule.label() },
            ),
            _ => None,
        })
        .collect();
    let ratings = Case::Mitigation
        .options()
        .into_iter()
        .map(|o| context! { code => o.code(), label => o.label() })
        .collect::<Vec<_>>();
    let blockers = publication::blockers(t);
    let body = templates::render(
        "staff/index_review.html",
        context! {
            staff => staff.context(),
            t => context! {
                campaign_id => t.campaign_id, campaign => t.campaign.clone(), year => t.year,
                profile => t.profile_name.clone(), profile_code => t.profile_code.clone(),
                published_at => t.published_at.map(crate::domain::vietnam_time::shown),
                pari => t.profile.bands.on == crate::domain::profile::BandBasis::Pari,
                no_dossier => t.profile.council.no_dossier.label(),
            },
            lines,
            open,
            together,
            decisions,
            mitigable,
            ratings,
            blockers,
            confirmation => publication::CONFIRMATION,
            done,
            errors,
            echo,
        },
    );
    html_page(status, body)
}

/// A council decision as the review page's forms send it; the case and the
/// decision are checked against each other by the service, which words the
/// refusal.
#[derive(Deserialize)]
struct DecisionForm {
    unit: String,
    case: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct DecideAllForm {
    case: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct PublishForm {
    #[serde(default)]
    confirm: String,
}

async fn decide(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::RecordDecision)?;
    let id = id.into_inner();
    let form: DecisionForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let record = Record {
        unit: form.unit.trim().to_string(),
        case: form.case.trim().to_string(),
        decision: form.decision.trim().to_string(),
        reason: form.reason.trim().to_string(),
    };
    let echo = context! {
        unit => record.unit.clone(), case => record.case.clone(),
        decision => record.decision.clone(), reason => record.reason.clone(),
    };
    let who = staff.0.user.clone();
    match blocking(&state, move |app| council::record(app, &who, id, &record)).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/staff/campaigns/{id}/index/review?done=decision"),
            ))
            .finish()),
        Err(e) => refused(&state, &staff, id, e, Some(echo)).await,
    }
}

async fn decide_all(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::RecordDecision)?;
    let id = id.into_inner();
    let form: DecideAllForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let who = staff.0.user.clone();
    let result = blocking(&state, move |app| {
        council::record_all(app, &who, id, &form.case, &form.decision, &form.reason)
    })
    .await;
    match result {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/staff/campaigns/{id}/index/review?done=decision"),
            ))
            .finish()),
        Err(e) => refused(&state, &staff, id, e, None).await,
    }
}

async fn publish(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::PublishIndex)?;
    let id = id.into_inner();
    let form: PublishForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let confirmation = form.confirm;
    let who = staff.0.user.clone();
    match blocking(&state, move |app| {
        publication::publish(app, &who, id, &confirmation)
    })
    .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/staff/campaigns/{id}/index?done=published"),
            ))
            .finish()),
        Err(e) => refused(&state, &staff, id, e, None).await,
    }
}

/// A refused decision or publication: the review page again, every reason
/// listed, what was typed kept.
async fn refused(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    e: WebError,
    echo: Option<minijinja::Value>,
) -> Result<HttpResponse, WebError> {
    match e {
        WebError::Service(ServiceError::Invalid(errors)) | WebError::BadRequest(errors) => {
            let t = load(state, id).await?;
            Ok(render(
                staff,
                &t,
                None,
                errors,
                echo,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        e => Err(e),
    }
}
