//! What the dossier page and the appraisers' worklist show, as `who` may act
//! at `now`. The views carry codes and typed values (the dossier's stage,
//! evidence statuses, score rules, audit actions); the words for them are
//! the templates' (`templates/labels.html`). Sentences that are
//! also refusals (the deadline lock) come from [`super::lifecycle`].

use crate::domain::ids::{CampaignId, UnitId};
use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::domain::access::{allows, Action, Role};
use crate::domain::index::{
    DossierEvent, DossierStage, DossierState, Evidence, Lateness, ScoreRule,
};
use crate::domain::profile::{Criterion, Kind};
use crate::storage::assignments;
use crate::storage::campaigns as campaign_store;
use crate::storage::dossiers::{self as store, EvidenceCols};
use crate::storage::explanations;
use crate::storage::units;

use super::access::{assigned_departments, may_read_dossiers};
use super::evidence::parse_status;
use super::lifecycle::{lateness_of, lock_at, lock_message, stage_of};
use super::scores::compute;
use super::{fmt_local, fmt_points, load, stored, App, On, Result, ServiceError, StaffUser};

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    pub sha256: Option<String>,
    pub name: Option<String>,
    pub kib: Option<i64>,
    pub kind: Option<String>,
    pub reference: Option<String>,
}

fn evidence_view(e: &EvidenceCols) -> Option<EvidenceView> {
    e.is_some().then(|| EvidenceView {
        sha256: e.sha256.clone(),
        name: e.name.clone(),
        kib: e.size.map(|s| (s + 1023) / 1024),
        kind: e.kind.clone(),
        reference: e.reference.clone(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplanationView {
    pub id: i64,
    pub request: String,
    pub requested_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub evidence: Option<EvidenceView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeView {
    pub code: String,
    pub label: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub leaf: bool,
    pub survey: bool,
    pub kind: Kind,
    pub needs_evidence: bool,
    pub department: String,
    pub self_points: Option<String>,
    pub explanation: Option<String>,
    pub evidence: Option<EvidenceView>,
    pub appraised: bool,
    pub appraisal_reason: Option<String>,
    /// The appraisers' evidence status, once appraised.
    pub evidence_status: Option<Evidence>,
    /// The score after the rules (None when not applicable or survey).
    pub score: Option<String>,
    /// The rule that decided a leaf's score (serialized with its code under
    /// `rule`); provisional while `appraised` is false.
    pub rule: Option<ScoreRule>,
    /// The cap of a `supplemented` rule, written as the page writes points.
    pub rule_cap: Option<String>,
    pub explanations: Vec<ExplanationView>,
    /// The viewer may appraise this criterion now.
    pub can_appraise: bool,
    /// The viewer (the unit) may answer a request on it now.
    pub can_answer: bool,
}

/// One audit row, with the action and values as stored (codes for stages
/// and evidence statuses).
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub criterion: Option<String>,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DossierView {
    pub campaign_id: i64,
    pub campaign: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_code: String,
    pub profile: String,
    pub set_name: String,
    /// The lifecycle stage (a draft when the unit has no dossier yet).
    pub state: DossierStage,
    pub submitted_at: Option<String>,
    pub approved_at: Option<String>,
    pub deadline: Option<String>,
    /// Why the deadline is not the profile's: a change or an extension.
    pub deadline_note: Option<String>,
    /// Why the unit can no longer edit, or the price of submitting now.
    pub lock: Option<String>,
    pub late_note: Option<String>,
    pub lateness: Lateness,
    pub nodes: Vec<NodeView>,
    pub history: Vec<HistoryView>,
    pub appraised_component: Option<String>,
    pub applicable_max: Option<String>,
    pub bonus: Option<String>,
    pub deductions: Option<String>,
    pub problems: Vec<String>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_approve: bool,
    pub departments: Vec<(String, String)>,
    /// The profile's share for evidence supplemented in the explanation
    /// round (Ninh Hòa art. 7.2: 70), as a whole percentage.
    pub supplement_percent: i64,
}

/// The dossier page's content, as `who` may act on it at `now`.
pub fn view(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<DossierView> {
    let On {
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    may_read_dossiers(app, who, CampaignId(campaign_id))?;
    let ctx = load(app, campaign_id, unit_id)?;
    let s = stored(app, campaign_id, unit_id)?;
    let mine = assigned_departments(app, who, CampaignId(campaign_id))?;
    let computed = compute(&ctx, &s, now);
    let d = s.dossier.as_ref();
    let state = stage_of(d);
    let lock_state = lock_at(&ctx.profile, ctx.due.as_ref(), d, now);
    let officer = allows(who.actor(), Action::EditDossier(UnitId(unit_id)));
    let editable = state.allows(DossierEvent::SaveSelfScore {
        appraisal_begun: !s.done.is_empty(),
    }) && !lock_state.is_locked();
    let submittable = state.allows(DossierEvent::Submit) && !lock_state.is_locked();
    let appraising = state.allows(DossierEvent::Appraise);
    let answering = state.allows(DossierEvent::AnswerExplanation);
    let appraiser = allows(who.actor(), Action::Appraise);
    let leaves: BTreeMap<&str, _> = computed
        .as_ref()
        .map(|a| a.leaves.iter().map(|l| (l.code.as_str(), l)).collect())
        .unwrap_or_default();
    let nodes = ctx
        .set()
        .nodes
        .iter()
        .map(|c| {
            let own = s.own.iter().find(|x| x.criterion == c.code);
            let done = s.done.iter().find(|x| x.criterion == c.code);
            let scored = leaves
                .get(c.code.as_str())
                .filter(|_| c.is_leaf())
                .map(|l| l.rule);
            let explanations = s
                .answers
                .iter()
                .filter(|e| e.criterion == c.code)
                .map(|e| ExplanationView {
                    id: e.id,
                    request: e.request.clone(),
                    requested_at: fmt_local(e.requested_at),
                    answer: e.answer.clone(),
                    answered_at: e.answered_at.map(fmt_local),
                    evidence: evidence_view(&e.evidence()),
                })
                .collect::<Vec<_>>();
            let can_answer =
                officer && answering && explanations.iter().any(|e| e.answer.is_none());
            NodeView {
                code: c.code.clone(),
                label: c.label.clone().unwrap_or_else(|| c.code.clone()),
                name: c.name.clone(),
                depth: c.depth,
                max: c.max.to_string(),
                leaf: c.is_leaf(),
                survey: c.is_survey(),
                kind: c.kind,
                needs_evidence: c.needs_evidence(),
                department: ctx.department_name(c.department.as_deref()),
                self_points: own.map(|o| fmt_points(o.points_micro)),
                explanation: own.map(|o| o.explanation.clone()).filter(|e| !e.is_empty()),
                evidence: own.and_then(|o| evidence_view(&o.evidence())),
                appraised: done.is_some(),
                appraisal_reason: done.map(|a| a.reason.clone()).filter(|r| !r.is_empty()),
                evidence_status: done.map(|a| parse_status(&a.evidence)),
                score: leaves
                    .get(c.code.as_str())
                    .and_then(|l| l.score)
                    .map(|p| p.to_string()),
                rule: scored,
                rule_cap: match scored {
                    Some(ScoreRule::Supplemented { cap }) => Some(cap.to_string()),
                    _ => None,
                },
                explanations,
                can_appraise: appraiser
                    && appraising
                    && c.is_leaf()
                    && !c.is_survey()
                    && c.department.as_ref().is_some_and(|dep| mine.contains(dep)),
                can_answer,
            }
        })
        .collect();
    let history = s
        .history
        .iter()
        .map(|h| HistoryView {
            at: fmt_local(h.at),
            actor: h.actor.clone(),
            criterion: h.criterion.clone(),
            action: h.action.clone(),
            old_value: h.old_value.clone(),
            new_value: h.new_value.clone(),
            reason: h.reason.clone(),
        })
        .collect();
    let lateness = lateness_of(&ctx.profile, ctx.due.as_ref(), d, now);
    let late_note = match lateness {
        Lateness::OnTime => None,
        Lateness::Late { days, penalty } => {
            Some(format!("Nộp muộn {days} ngày: trừ {penalty} điểm."))
        }
        Lateness::TooLate { days } => Some(format!(
            "Muộn {days} ngày, quá thời gian gia hạn: tiêu chí hồ sơ 0 điểm."
        )),
    };
    let lock = match lock_state {
        DossierState::Locked { reason }
            if matches!(state, DossierStage::Draft | DossierStage::Submitted) =>
        {
            Some(lock_message(ctx.due.as_ref(), reason))
        }
        DossierState::Open { late_days, penalty }
            if late_days > 0 && state == DossierStage::Draft =>
        {
            Some(format!(
                "Đã quá hạn {late_days} ngày: nộp bây giờ bị trừ {penalty} điểm."
            ))
        }
        _ => None,
    };
    let deadline = ctx.due.as_ref().map(|due| {
        if due.effective == due.date {
            due.date.format("%d/%m/%Y").to_string()
        } else {
            format!(
                "{} (ngày nghỉ, dời sang {})",
                due.date.format("%d/%m/%Y"),
                due.effective.format("%d/%m/%Y")
            )
        }
    });
    let deadline_note = ctx.due.as_ref().and_then(|due| due.note.clone());
    let (component, problems) = match &computed {
        Ok(a) => (Some(&a.components), vec![]),
        Err(ServiceError::Invalid(p)) => (None, p.clone()),
        Err(e) => (None, vec![e.to_string()]),
    };
    Ok(DossierView {
        campaign_id,
        campaign: ctx.campaign.name.clone(),
        unit_id,
        unit_name: ctx.unit.name.clone(),
        unit_code: ctx.unit.code.clone(),
        profile: ctx.profile.name.clone(),
        set_name: ctx.set().name.clone(),
        state,
        submitted_at: d.and_then(|d| d.submitted_at).map(fmt_local),
        approved_at: d.and_then(|d| d.approved_at).map(fmt_local),
        deadline,
        deadline_note,
        lock,
        late_note,
        lateness,
        nodes,
        history,
        appraised_component: component.map(|c| c.appraised.to_string()),
        applicable_max: component.map(|c| c.applicable_max.to_string()),
        bonus: component.map(|c| c.bonus.to_string()),
        deductions: component.map(|c| c.deductions.to_string()),
        problems,
        can_edit: officer && editable,
        can_submit: officer && submittable,
        can_approve: allows(who.actor(), Action::ApproveAppraisal)
            && state.allows(DossierEvent::Approve),
        departments: ctx
            .profile
            .departments
            .iter()
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect(),
        supplement_percent: ctx.profile.appraisal.supplement_factor.percent(),
    })
}

/// One dossier on an appraiser's worklist, for one department.
#[derive(Debug, Clone, Serialize)]
pub struct WorkItem {
    pub unit_id: i64,
    pub unit_name: String,
    pub department: String,
    pub state: DossierStage,
    pub criteria: usize,
    pub appraised: usize,
    pub open_requests: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worklist {
    pub campaign: String,
    pub departments: Vec<(String, String)>,
    pub assignments: Vec<(String, String)>,
    /// `username|department` of each assignment, for the grid's boxes.
    pub assigned_keys: Vec<String>,
    /// Active appraiser accounts: (user name, display name).
    pub appraisers: Vec<(String, String)>,
    pub items: Vec<WorkItem>,
}

/// The submitted dossiers and, per department `who` appraises (every
/// department for the administrator), how far their appraisal is.
pub fn worklist(app: &App, who: &StaffUser, campaign_id: CampaignId) -> Result<Worklist> {
    let campaign_id = campaign_id.get();
    let profile = app.campaign_profile(CampaignId(campaign_id))?;
    let mut conn = app.conn()?;
    let campaign = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("Không có đợt đánh giá {campaign_id}.")))?;
    let mine: Vec<String> = if who.role == Role::Admin {
        profile.departments.iter().map(|d| d.code.clone()).collect()
    } else {
        assignments::departments_of(&mut conn, campaign_id, who.id)?
    };
    let mut items = Vec::new();
    for d in store::of_campaign(&mut conn, campaign_id)? {
        if d.state == DossierStage::Draft {
            continue;
        }
        let Some(unit) = units::by_id(&mut conn, d.unit_id)? else {
            continue;
        };
        let Some(set) = profile.criteria_set_for(&unit.unit_type) else {
            continue;
        };
        let done = store::appraisals(&mut conn, d.id)?;
        let answers = explanations::of_dossier(&mut conn, d.id)?;
        for dep in &mine {
            let leaves: Vec<&Criterion> = set
                .leaves()
                .filter(|l| !l.is_survey() && l.department.as_deref() == Some(dep.as_str()))
                .collect();
            if leaves.is_empty() {
                continue;
            }
            let has = |code: &str| leaves.iter().any(|l| l.code == code);
            items.push(WorkItem {
                unit_id: unit.id,
                unit_name: unit.name.clone(),
                department: profile
                    .department(dep)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| dep.clone()),
                state: d.state,
                criteria: leaves.len(),
                appraised: done.iter().filter(|a| has(&a.criterion)).count(),
                open_requests: answers
                    .iter()
                    .filter(|e| e.answered_at.is_none() && has(&e.criterion))
                    .count(),
            });
        }
    }
    Ok(Worklist {
        campaign: campaign.name,
        departments: profile
            .departments
            .iter()
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect(),
        assigned_keys: assignments::of_campaign(&mut conn, campaign_id)?
            .into_iter()
            .map(|(u, d)| format!("{u}|{d}"))
            .collect(),
        appraisers: crate::storage::users::list(&mut conn)?
            .into_iter()
            .filter(|u| Role::parse(&u.role) == Some(Role::Appraiser) && !u.disabled)
            .map(|u| (u.username, u.display_name))
            .collect(),
        assignments: assignments::of_campaign(&mut conn, campaign_id)?,
        items,
    })
}

/// Campaigns that follow a province profile (and so have dossiers to
/// self-assess and appraise), newest first: (id, name, year).
pub fn campaigns_with_dossiers(app: &App) -> Result<Vec<(i64, String, i32)>> {
    Ok(campaign_store::list(&mut *app.conn()?)?
        .into_iter()
        .filter(|c| c.profile_code.is_some())
        .map(|c| (c.id, c.name, c.year))
        .collect())
}
