//! The survey results of a campaign: every unit's survey component with its
//! interval (a chart and a table per block), and a page per unit with each
//! criterion's points, n and interval.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Staff;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::index::SurveyScore;
use crate::domain::survey::ComponentStatus;
use crate::report::chart::{interval_chart, Axis, IntervalChart, IntervalRow, ValueFormat};
use crate::report::number;
use crate::service::results::{self, UnitResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/campaigns/{id}/results", web::get().to(campaign))
        .route("/staff/campaigns/{id}/results/{unit}", web::get().to(unit));
}

#[derive(Deserialize)]
struct Query {
    /// Only this block; every block otherwise.
    block: Option<String>,
}

/// One table row of the results page.
#[derive(Serialize)]
struct Row {
    id: UnitId,
    name: String,
    code: String,
    status: &'static str,
    points: Option<String>,
    low: Option<f64>,
    high: Option<f64>,
    withheld: Vec<String>,
    problem: Option<String>,
    flags: usize,
}

fn row(u: &UnitResult) -> Row {
    let c = u.survey.as_ref().map(|s| &s.component);
    Row {
        id: UnitId(u.unit_id),
        name: u.name.clone(),
        code: u.code.clone(),
        status: match c.map(|c| c.status) {
            Some(ComponentStatus::Scored) => "scored",
            Some(ComponentStatus::Flagged) => "flagged",
            Some(ComponentStatus::Withheld) => "withheld",
            None => "problem",
        },
        points: c.and_then(|c| c.published.map(|p| number::from_point(&p.to_string()))),
        low: c.and_then(|c| c.ci.map(|ci| ci.low)),
        high: c.and_then(|c| c.ci.map(|ci| ci.high)),
        withheld: c.map(|c| c.withheld.clone()).unwrap_or_default(),
        problem: u.problem.clone(),
        flags: u.survey.as_ref().map(|s| s.shortfalls().len()).unwrap_or(0),
    }
}

fn chart(title: &str, max: f64, units: &[&UnitResult], width: u32) -> Option<String> {
    let rows: Vec<IntervalRow> = units
        .iter()
        .map(|u| {
            let c = u.survey.as_ref().map(|s| &s.component);
            match c.and_then(|c| Some((c.points?, c.ci, c.status))) {
                Some((p, Some(ci), status)) => {
                    let p = p.to_f64();
                    if status == ComponentStatus::Flagged {
                        IntervalRow::flagged(&u.name, p, ci.low, ci.high)
                    } else {
                        IntervalRow::estimate(&u.name, p, ci.low, ci.high)
                    }
                }
                Some((p, None, _)) => {
                    let p = p.to_f64();
                    IntervalRow::flagged(&u.name, p, p, p)
                }
                None => IntervalRow::withheld(
                    &u.name,
                    if u.problem.is_some() {
                        "chưa tính được"
                    } else {
                        "chưa đủ số câu trả lời"
                    },
                ),
            }
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let axis = Axis {
        max,
        format: ValueFormat::Number { decimals: 2 },
        label: format!("Điểm điều tra xã hội học (tối đa {max})"),
    };
    interval_chart(&IntervalChart::new(title, axis, width, rows))
        .map_err(|e| tracing::warn!(error = %e, "results chart"))
        .ok()
}

async fn campaign(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<Query>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewResults)?;
    let id = id.into_inner();
    let r = blocking(&state, move |app| results::campaign_results(app, id)).await?;
    let max = r
        .units
        .iter()
        .find_map(|u| u.survey.as_ref().map(|s| s.component.max.to_f64()))
        .unwrap_or(30.0);
    let mut blocks: Vec<String> = r.units.iter().map(|u| u.block.clone()).collect();
    blocks.sort();
    blocks.dedup();
    let shown: Vec<String> = match &q.block {
        Some(b) => blocks.iter().filter(|x| *x == b).cloned().collect(),
        None => blocks.clone(),
    };
    let sections: Vec<_> = shown
        .iter()
        .map(|b| {
            // Highest first; withheld units last, by name.
            let mut units: Vec<&UnitResult> = r.units.iter().filter(|u| &u.block == b).collect();
            units.sort_by(|x, y| {
                let p = |u: &UnitResult| {
                    u.survey
                        .as_ref()
                        .and_then(|s| s.component.points)
                        .map(|p| p.to_f64())
                };
                p(y).partial_cmp(&p(x))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| x.name.cmp(&y.name))
            });
            let name = r.block_names.get(b).cloned().unwrap_or_else(|| b.clone());
            context! {
                block => b,
                block_name => name.clone(),
                svg => chart(&format!("Điểm điều tra xã hội học — {name}"), max, &units, super::CHART_WIDE),
                svg_narrow => chart(&format!("Điểm điều tra xã hội học — {name}"), max, &units, super::CHART_NARROW),
                rows => units.iter().map(|u| row(u)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let readings = blocking(&state, move |app| results::survey_readings(app, id)).await?;
    let body = templates::render(
        "staff/results.html",
        context! { staff => staff.context(), r, blocks, sections, block => q.block.clone(), readings },
    );
    Ok(html_page(StatusCode::OK, body))
}

async fn unit(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId)>,
) -> Result<HttpResponse, WebError> {
    let (id, unit) = path.into_inner();
    staff.require_unit(Action::ViewUnitResults(unit))?;
    let (u, readings, origins, names) = blocking(&state, move |app| {
        Ok((
            results::unit_result(app, id, unit)?,
            results::survey_readings(app, id)?,
            crate::service::respond::open_origins(app, id, unit)?,
            results::criterion_names(app, id, unit)?,
        ))
    })
    .await?;
    let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();
    // A chart's row: the code and the name (cut with "…" and whole in its
    // tooltip when long).
    let label = |code: &str| match names.get(code) {
        Some(n) => format!("{code} {n}"),
        None => code.to_string(),
    };
    let criteria: Vec<_> = u
        .survey
        .iter()
        .flat_map(|s| s.criteria.iter())
        .map(|c| {
            let (points, short) = match &c.score {
                SurveyScore::Scored { points, short } => (Some(number::from_point(&points.to_string())), short),
                SurveyScore::Withheld { short } => (None, short),
            };
            context! {
                code => c.code.clone(),
                name => name_of(&c.code),
                max => number::from_point(&c.max.to_string()),
                points,
                se => c.se,
                low => c.ci.map(|ci| ci.low),
                high => c.ci.map(|ci| ci.high),
                short => short.iter().map(|s| format!("{}: {} / {} câu trả lời hợp lệ", s.group.label(), s.valid, s.minimum)).collect::<Vec<_>>(),
                issue => c.se_issue.as_ref().map(|i| i.message()),
            }
        })
        .collect();
    let criteria_chart = u.survey.as_ref().map(|s| {
        let rows: Vec<IntervalRow> = s
            .criteria
            .iter()
            .map(|c| match (&c.score, c.ci) {
                (SurveyScore::Scored { points, short }, Some(ci)) if short.is_empty() => {
                    IntervalRow::estimate(label(&c.code), points.to_f64(), ci.low, ci.high)
                }
                (SurveyScore::Scored { points, .. }, ci) => {
                    let p = points.to_f64();
                    let (l, h) = ci.map(|c| (c.low, c.high)).unwrap_or((p, p));
                    IntervalRow::flagged(label(&c.code), p, l, h)
                }
                (SurveyScore::Withheld { .. }, _) => {
                    IntervalRow::withheld(label(&c.code), "chưa đủ câu trả lời")
                }
            })
            .collect();
        let max = s
            .criteria
            .iter()
            .map(|c| c.max.to_f64())
            .fold(0.0, f64::max);
        let axis = Axis {
            max: if max > 0.0 { max } else { 1.0 },
            format: ValueFormat::Number { decimals: 2 },
            label: "Điểm của tiêu chí".into(),
        };
        // Both drawings (see `CHART_WIDE`): the page swaps in the narrow one on a phone.
        let draw = |width| {
            interval_chart(
                &IntervalChart::new("Điểm theo tiêu chí", axis.clone(), width, rows.clone())
                    .of_criteria(),
            )
            .ok()
        };
        (draw(super::CHART_WIDE), draw(super::CHART_NARROW))
    });
    let (criteria_chart, criteria_chart_narrow) = criteria_chart.unwrap_or((None, None));
    let groups: Vec<_> = u
        .survey
        .iter()
        .flat_map(|s| s.groups.iter())
        .map(|g| {
            context! {
                label => g.group.label(),
                invited => g.invited,
                respondents => g.respondents,
                rate => g.response_rate,
                open => g.open_respondents,
                missing => g.strata_without_respondents.len(),
                criteria => g.criteria.iter().map(|c| context! {
                    code => c.criterion.clone(),
                    name => name_of(&c.criterion),
                    share => c.estimate.as_ref().map(|e| e.share),
                    valid => c.estimate.as_ref().map(|e| e.valid),
                    se => c.estimate.as_ref().and_then(|e| e.se),
                    low => c.estimate.as_ref().and_then(|e| e.ci.map(|ci| ci.low)),
                    high => c.estimate.as_ref().and_then(|e| e.ci.map(|ci| ci.high)),
                    open_share => c.open.as_ref().map(|e| e.share),
                    open_valid => c.open.as_ref().map(|e| e.valid),
                    suppressed => c.suppressed,
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let body = templates::render(
        "staff/unit_results.html",
        context! {
            staff => staff.context(),
            campaign => id,
            u => row(&u),
            criteria,
            groups,
            svg => criteria_chart,
            svg_narrow => criteria_chart_narrow,
            can_all => staff.require(Action::ViewResults).is_ok(),
            readings,
            origins,
        },
    );
    Ok(html_page(StatusCode::OK, body))
}
