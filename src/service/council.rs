//! The council's decisions on the cases the rules leave open: read in force
//! for the index table, recorded with a reason by the administrator. The
//! cases themselves and what may be decided on each are the domain's
//! (`domain::index::council`); the table says which cases are open.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::access::{allows, Action};
use crate::domain::ids::CampaignId;
use crate::domain::index::{Case, Decision, HeadRating, RatingOutcome};
use crate::domain::vietnam_time;
use crate::storage::council::{self as store, NewDecision};
use crate::storage::publication as published;

use super::accounts::StaffUser;
use super::{now, publication, App, Result, ServiceError};

/// A decision in force, as pages and exports show it.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub case: Case,
    pub case_label: String,
    pub decision: Decision,
    pub decision_label: &'static str,
    pub reason: String,
    pub by: String,
    /// Vietnam time, `HH:MM dd/mm/yyyy`.
    pub at: String,
}

/// The latest decision per unit and case.
#[derive(Debug, Default)]
pub struct InForce(BTreeMap<(i64, Case), DecisionView>);

impl InForce {
    pub fn decision(&self, unit_id: i64, case: &Case) -> Option<Decision> {
        self.view(unit_id, case).map(|v| v.decision)
    }

    pub fn view(&self, unit_id: i64, case: &Case) -> Option<&DecisionView> {
        self.0.get(&(unit_id, case.clone()))
    }

    pub fn of_unit(&self, unit_id: i64) -> Vec<DecisionView> {
        self.0
            .iter()
            .filter(|((u, _), _)| *u == unit_id)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The decisions in force for a campaign. A stored code this version does
/// not know is an error, never skipped.
pub fn in_force(app: &App, campaign_id: i64) -> Result<InForce> {
    let rows = store::of_campaign(&mut *app.conn()?, campaign_id)?;
    let mut map = BTreeMap::new();
    for r in rows {
        let unknown = |e: crate::domain::index::council::UnknownCode| {
            ServiceError::Internal(format!("council_decisions {}: {e}", r.id))
        };
        let case = Case::parse(&r.case_code).map_err(unknown)?;
        let decision = Decision::parse(&r.decision).map_err(unknown)?;
        map.insert(
            (r.unit_id, case.clone()),
            DecisionView {
                case_label: case.label(),
                case,
                decision,
                decision_label: decision.label(),
                reason: r.reason,
                by: r.decided_by,
                at: vietnam_time::shown(r.decided_at),
            },
        );
    }
    Ok(InForce(map))
}

/// A decision as the administrator writes it in.
#[derive(Debug, Clone)]
pub struct Record {
    /// The unit's code.
    pub unit: String,
    pub case: String,
    pub decision: String,
    pub reason: String,
}

/// The shortest reason accepted: a few words or a minute's number.
const MIN_REASON_CHARS: usize = 10;

/// What every decision is checked for before its unit: the right, a
/// campaign not published, a known case, a decision that answers it, a
/// reason.
fn checked(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    case: &str,
    decision: &str,
    reason: &str,
) -> Result<(Case, Decision)> {
    if !allows(who.actor(), Action::RecordDecision) {
        return Err(ServiceError::Forbidden(
            "Chỉ quản trị (Sở Nội vụ) ghi quyết định của Hội đồng.".into(),
        ));
    }
    if published::publication(&mut *app.conn()?, campaign_id.get())?.is_some() {
        return Err(ServiceError::invalid(
            "Kết quả đợt này đã công bố: không ghi thêm quyết định của Hội đồng.",
        ));
    }
    let mut problems = Vec::new();
    let case = Case::parse(case.trim())
        .map_err(|_| problems.push("Chọn vấn đề cần Hội đồng quyết định.".to_string()))
        .ok();
    let decision = Decision::parse(decision.trim())
        .map_err(|_| problems.push("Chọn quyết định của Hội đồng.".to_string()))
        .ok();
    if reason.trim().chars().count() < MIN_REASON_CHARS {
        problems.push(format!(
            "Ghi lý do của Hội đồng (ít nhất {MIN_REASON_CHARS} ký tự, ví dụ số và ngày biên bản họp)."
        ));
    }
    if let (Some(c), Some(d)) = (&case, decision) {
        if !d.fits(c) {
            problems.push(format!(
                "\"{}\" không phải là quyết định cho vấn đề: {}.",
                d.label(),
                c.label()
            ));
        }
    }
    match (case, decision, problems.is_empty()) {
        (Some(case), Some(decision), true) => Ok((case, decision)),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

/// Appends decisions in one transaction: all or none.
fn append_all(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    units: Vec<i64>,
    case: &Case,
    decision: Decision,
    reason: &str,
) -> Result<()> {
    let (campaign_id, by, at) = (campaign_id.get(), who.id, now());
    let (code, reason) = (case.code(), reason.trim().to_string());
    app.write(move |conn| {
        crate::storage::dossiers::transaction(conn, |conn| {
            for unit_id in &units {
                store::append(
                    conn,
                    &NewDecision {
                        campaign_id,
                        unit_id: *unit_id,
                        case_code: &code,
                        decision: decision.code(),
                        reason: &reason,
                        decided_by: by,
                        decided_at: at,
                    },
                )?;
            }
            Ok::<_, crate::storage::StorageError>(())
        })
    })?;
    Ok(())
}

/// The same decision for every unit whose case is open now, for the cases
/// that are alike from unit to unit (no dossier, survey withheld): one act
/// of the council, one reason. Returns how many units it decided.
pub fn record_all(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    case: &str,
    decision: &str,
    reason: &str,
) -> Result<usize> {
    let (case, decision) = checked(app, who, campaign_id, case, decision, reason)?;
    if !matches!(case, Case::NoDossier | Case::SurveyWithheld) {
        return Err(ServiceError::invalid(
            "Chỉ quyết định chung được cho các đơn vị không nộp hồ sơ hoặc thiếu điểm điều tra; vấn đề khác quyết định từng đơn vị.",
        ));
    }
    let t = publication::table(app, campaign_id, now())?;
    let units: Vec<i64> = t
        .rows
        .iter()
        .filter(|r| r.open.contains(&case))
        .map(|r| r.unit_id)
        .collect();
    let n = units.len();
    if n == 0 {
        return Err(ServiceError::invalid(format!(
            "Không đơn vị nào còn chờ quyết định: {}.",
            case.label()
        )));
    }
    append_all(app, who, campaign_id, units, &case, decision, reason)?;
    Ok(n)
}

/// Records a council decision with its reason. The case must be one the
/// unit has in the table now (open, or decided before and decided again),
/// or a mitigation of a rating the rules gave; nothing is recorded after
/// publication.
pub fn record(app: &App, who: &StaffUser, campaign_id: CampaignId, r: &Record) -> Result<()> {
    let (case, decision) = checked(app, who, campaign_id, &r.case, &r.decision, &r.reason)?;
    let t = publication::table(app, campaign_id, now())?;
    let row = t
        .rows
        .iter()
        .find(|row| row.code == r.unit.trim())
        .ok_or_else(|| {
            ServiceError::invalid(format!(
                "Đơn vị mã \"{}\" không có trong bảng Chỉ số của đợt này.",
                r.unit.trim()
            ))
        })?;
    let decided_before = row.decisions.iter().any(|d| d.case == case);
    match (&case, row.rule_rating) {
        (Case::Mitigation, Some(rule)) => {
            if let Decision::Rate(r) = decision {
                // HeadRating orders best first: a lighter rating is smaller.
                if r >= rule {
                    return Err(ServiceError::invalid(format!(
                        "Giảm nhẹ phải là mức xếp loại cao hơn mức theo quy định (\"{}\").",
                        rule.label()
                    )));
                }
            }
        }
        (Case::Mitigation, None) => {
            return Err(ServiceError::invalid(format!(
                "Người đứng đầu {} chưa được xếp loại theo quy định nên không xét giảm nhẹ.",
                row.name
            )))
        }
        _ if row.open.contains(&case) || decided_before => {}
        _ => {
            return Err(ServiceError::invalid(format!(
                "{} ({}) không có vấn đề cần Hội đồng quyết định: {}.",
                row.name,
                row.code,
                case.label()
            )))
        }
    }
    append_all(
        app,
        who,
        campaign_id,
        vec![row.unit_id],
        &case,
        decision,
        &r.reason,
    )
}

/// The head's rating once the council's decisions are applied: an
/// undecided rating the council decided, a rating it lessened; the cases
/// still open are added to `open`.
pub fn apply_to_rating(
    decided: &InForce,
    unit_id: i64,
    rating: RatingOutcome,
    open: &mut Vec<Case>,
) -> RatingOutcome {
    use crate::domain::index::Undecided;
    match rating {
        RatingOutcome::Undecided {
            reason: Undecided::DeclineCauseUnknown { ref items, .. },
            ..
        } => {
            // Decided causes were given to the rule; these have none yet.
            open.extend(items.iter().map(|item| Case::DeclineCause { item: item.clone() }));
            rating
        }
        RatingOutcome::Undecided { ref message, .. } => {
            match decided.view(unit_id, &Case::HeadRating) {
                Some(DecisionView {
                    decision: Decision::Rate(r),
                    reason,
                    at,
                    ..
                }) => RatingOutcome::Rated {
                    rating: *r,
                    basis: format!(
                        "Hội đồng quyết định ({at}): {reason}. Quy định không tự xếp loại: {message}"
                    ),
                },
                _ => {
                    // A unit waiting for another decision (its dossier, its
                    // survey) comes back here once that one is taken.
                    if open.is_empty() {
                        open.push(Case::HeadRating);
                    }
                    rating
                }
            }
        }
        RatingOutcome::Rated {
            rating: rule,
            ref basis,
        } => match decided.view(unit_id, &Case::Mitigation) {
            Some(DecisionView {
                decision: Decision::Rate(r),
                reason,
                at,
                ..
            }) if *r < rule => RatingOutcome::Rated {
                rating: *r,
                basis: format!(
                    "Giảm nhẹ theo quyết định của Hội đồng ({at}): {reason}. Theo quy định: {} ({basis})",
                    rule.label()
                ),
            },
            _ => rating,
        },
        RatingOutcome::NotApplicable { .. } => rating,
    }
}

/// The rating the rules gave, before any council decision.
pub fn rule_rating(rating: &RatingOutcome) -> Option<HeadRating> {
    match rating {
        RatingOutcome::Rated { rating, .. } => Some(*rating),
        _ => None,
    }
}
