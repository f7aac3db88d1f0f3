//! What the appraisal side does to a dossier: an appraiser decides on a
//! criterion or asks the unit to explain, the administrator assigns
//! appraisers to departments, and the council approves. Each checks who
//! acts ([`super::access`]) and whether the dossier allows it now
//! ([`super::lifecycle`]) inside its transaction, after taking the
//! dossier's row, then writes and appends its audit rows in the same
//! transaction.

use crate::domain::ids::{CampaignId, UnitId};
use crate::service::notices;
use chrono::NaiveDateTime;

use crate::domain::access::Role;
use crate::domain::index::{DossierEvent, DossierStage, Evidence};
use crate::domain::points::Points;
use crate::domain::profile::Kind;
use crate::storage::assignments;
use crate::storage::dossiers::{self as store, AppraisalRow, AppraisalWrite};
use crate::storage::explanations;
use crate::storage::users;

use super::access::{require_assigned, require_assigner, require_council};
use super::audit::{append, AuditAction, Change};
use super::evidence::{
    derived_status, status_code, supplemented_in_explanation, EvidenceJudgement,
};
use super::lifecycle::check_appraisal;
use super::unit_commands::{GridSaved, RowErrors};
use super::{check_points, fmt_points, load, locked, App, On, Result, ServiceError, StaffUser};

/// What the appraiser decides for one criterion.
pub enum Decision {
    /// The unit's self-score stands.
    Accept,
    /// Another score; the reason is required when it differs from the unit's.
    Change(Points),
    /// The criterion does not apply to the unit; its maximum leaves P.
    NotApplicable,
}

pub struct AppraiseInput {
    pub criterion: String,
    pub decision: Decision,
    pub reason: String,
    /// The appraiser's judgement of the evidence (Ninh Hòa art. 7.2).
    pub evidence: EvidenceJudgement,
}

/// An appraisal as the audit log records its value.
fn appraisal_value(a: &AppraisalRow) -> String {
    if a.not_applicable {
        "không áp dụng".into()
    } else {
        a.points_micro.map(fmt_points).unwrap_or_default()
    }
}

/// The appraiser decides on one criterion of a submitted dossier.
pub fn appraise_criterion(
    app: &App,
    on: &On<'_>,
    input: AppraiseInput,
    now: NaiveDateTime,
) -> Result<()> {
    match appraise_rows(app, on, vec![input], false, now)? {
        Ok(_) => Ok(()),
        // One row: its own error (a refusal of access stays one).
        Err(mut errors) => Err(errors.remove(0).1),
    }
}

/// The appraiser decides on many criteria at once (the appraisal grid):
/// every row is checked, a problem in any (including `already`, what the
/// edge could not read) stores nothing, and the rows identical to what is
/// stored are not written again.
pub fn appraise_criteria(
    app: &App,
    on: &On<'_>,
    rows: Vec<AppraiseInput>,
    already: &RowErrors,
    now: NaiveDateTime,
) -> Result<GridSaved> {
    // With problems already found the rows are still checked (and rolled
    // back), so every row's problem shows at once.
    Ok(
        match appraise_rows(app, on, rows, !already.is_empty(), now)? {
            Ok(changed) if already.is_empty() => GridSaved::Saved { changed },
            Ok(_) => GridSaved::Refused(RowErrors(already.0.clone())),
            Err(errors) => {
                let mut out = RowErrors(already.0.clone());
                for (code, e) in errors {
                    out.add(&code, e.to_string());
                }
                GridSaved::Refused(out)
            }
        },
    )
}

/// The grid's own way out of its transaction, never shown.
const ROLLED_BACK: &str = "appraisal rows rolled back";

/// Rows refused, by criterion code, with the error of each.
type Refusals = Vec<(String, ServiceError)>;

/// Applies the rows in one transaction: Ok(how many changed), or every
/// row's refusal with nothing stored. `check_only` rolls back even when
/// every row holds (other problems were found before). An error of the
/// dossier as a whole (not submitted, approved) is the outer error.
fn appraise_rows(
    app: &App,
    on: &On<'_>,
    rows: Vec<AppraiseInput>,
    check_only: bool,
    now: NaiveDateTime,
) -> Result<std::result::Result<usize, Refusals>> {
    let On {
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    let ctx = load(app, campaign_id, unit_id)?;
    let mut refusals: Refusals = Vec::new();
    let mut leaves = Vec::with_capacity(rows.len());
    for input in rows {
        match ctx.leaf(&input.criterion) {
            Ok(c) => leaves.push((c.clone(), input)),
            Err(e) => refusals.push((input.criterion.clone(), e)),
        }
    }
    let mut conn = app.writer()?;
    let outcome = store::transaction(&mut conn, |conn| {
        // Appraising does not move the dossier's stage.
        let (d, _) = check_appraisal(
            locked(conn, campaign_id, unit_id)?.as_ref(),
            DossierEvent::Appraise,
        )?;
        let own_all = store::self_scores(conn, d.id)?;
        let answers = explanations::of_dossier(conn, d.id)?;
        let old_all = store::appraisals(conn, d.id)?;
        let mut changed = 0;
        for (c, input) in &leaves {
            let own = own_all.iter().find(|s| s.criterion == c.code);
            let old = old_all.iter().find(|a| a.criterion == c.code);
            match appraise_one(conn, &ctx, &d, who, c, input, own, &answers, old, now) {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e @ (ServiceError::Invalid(_) | ServiceError::Forbidden(_))) => {
                    refusals.push((c.code.clone(), e))
                }
                Err(e) => return Err(e),
            }
        }
        if refusals.is_empty() && !check_only {
            Ok(changed)
        } else {
            // Undoes the rows already written.
            Err(ServiceError::Internal(ROLLED_BACK.into()))
        }
    });
    match outcome {
        Ok(changed) => Ok(Ok(changed)),
        Err(ServiceError::Internal(m)) if m == ROLLED_BACK => Ok(if refusals.is_empty() {
            Ok(0)
        } else {
            Err(refusals)
        }),
        Err(e) => Err(e),
    }
}

/// One criterion's decision, checked and written with its audit rows;
/// false when it equals what is stored (nothing written).
#[allow(clippy::too_many_arguments)]
fn appraise_one(
    conn: &mut crate::storage::DbConn,
    ctx: &super::Ctx,
    d: &crate::storage::dossiers::DossierRow,
    who: &StaffUser,
    c: &crate::domain::profile::Criterion,
    input: &AppraiseInput,
    own: Option<&crate::storage::dossiers::SelfScoreRow>,
    answers: &[crate::storage::explanations::ExplanationRow],
    old: Option<&AppraisalRow>,
    now: NaiveDateTime,
) -> Result<bool> {
    require_assigned(conn, ctx, who, c)?;
    let reason = input.reason.trim().to_string();
    let (points, not_applicable) = match input.decision {
        Decision::Accept => {
            let own = own.ok_or_else(|| {
                ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": đơn vị không tự chấm; hãy nhập điểm thẩm định và lý do.",
                    c.code
                ))
            })?;
            (Some(own.points_micro), false)
        }
        Decision::Change(p) => {
            check_points(c, p)?;
            if own.map(|o| o.points_micro) != Some(p.micro()) && reason.is_empty() {
                let own_txt = own
                    .as_ref()
                    .map(|o| format!("điểm tự chấm {}", fmt_points(o.points_micro)))
                    .unwrap_or_else(|| "đơn vị không tự chấm".into());
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": điểm thẩm định {p} khác {own_txt} nên phải ghi lý do.",
                    c.code
                )));
            }
            (Some(p.micro()), false)
        }
        Decision::NotApplicable => {
            if c.kind != Kind::Regular {
                return Err(ServiceError::invalid(format!(
                    "\"{}\" là điểm thưởng/điểm trừ: không có trường hợp không áp dụng, hãy chấm 0.",
                    c.code
                )));
            }
            if reason.is_empty() {
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": ghi lý do không áp dụng (chưa được cấp trên chỉ đạo hoặc không phù hợp với đơn vị).",
                    c.code
                )));
            }
            (None, true)
        }
    };
    let evidence = match input.evidence {
        EvidenceJudgement::AsGiven => derived_status(&c.code, own, answers),
        EvidenceJudgement::Invalid => {
            if reason.is_empty() {
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": ghi lý do tài liệu kiểm chứng không hợp lệ.",
                    c.code
                )));
            }
            Evidence::Missing
        }
        EvidenceJudgement::Supplemented => {
            if !supplemented_in_explanation(&c.code, answers) {
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": đơn vị chưa gửi tài liệu kiểm chứng nào khi giải trình, nên không áp dụng mức {} % cho tài liệu bổ sung.",
                    c.code,
                    ctx.profile.appraisal.supplement_factor.percent()
                )));
            }
            if reason.is_empty() {
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": ghi lý do tài liệu kiểm chứng ban đầu chưa đầy đủ.",
                    c.code
                )));
            }
            Evidence::Supplemented
        }
    };
    let new = AppraisalRow {
        criterion: c.code.clone(),
        points_micro: points,
        evidence: status_code(evidence).to_string(),
        not_applicable,
        reason: reason.clone(),
        appraiser_id: who.id,
        updated_at: now,
    };
    if old.is_some_and(|o| {
        o.points_micro == new.points_micro
            && o.not_applicable == new.not_applicable
            && o.evidence == new.evidence
            && o.reason == new.reason
    }) {
        return Ok(false);
    }
    store::put_appraisal(
        conn,
        &AppraisalWrite {
            dossier_id: d.id,
            criterion: &c.code,
            points_micro: points,
            evidence: &new.evidence,
            not_applicable,
            reason: &reason,
            by: who.id,
            now,
        },
    )?;
    let old_value = old
        .map(appraisal_value)
        .or_else(|| own.map(|o| format!("tự chấm {}", fmt_points(o.points_micro))));
    let action = if not_applicable {
        AuditAction::NotApplicable
    } else {
        AuditAction::Appraise
    };
    append(
        conn,
        d,
        who,
        now,
        Change {
            criterion: Some(&c.code),
            action,
            old: old_value.as_deref(),
            new: Some(&appraisal_value(&new)),
            reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
        },
    )?;
    let old_evidence = old
        .as_ref()
        .map(|o| o.evidence.clone())
        .unwrap_or_else(|| status_code(derived_status(&c.code, own, answers)).into());
    if old_evidence != new.evidence {
        append(
            conn,
            d,
            who,
            now,
            Change {
                criterion: Some(&c.code),
                action: AuditAction::EvidenceStatus,
                old: Some(&old_evidence),
                new: Some(&new.evidence),
                reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
            },
        )?;
    }
    Ok(true)
}

/// The appraiser asks the unit to explain a criterion or add evidence.
pub fn request_explanation(
    app: &App,
    on: &On<'_>,
    criterion: &str,
    request: &str,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    let ctx = load(app, campaign_id, unit_id)?;
    let c = ctx.leaf(criterion)?.clone();
    let request = request.trim().to_string();
    if request.is_empty() {
        return Err(ServiceError::invalid(
            "Ghi nội dung cần giải trình hoặc tài liệu cần bổ sung.",
        ));
    }
    if request.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "Nội dung yêu cầu giải trình dài quá 10.000 ký tự.",
        ));
    }
    let mut conn = app.writer()?;
    let result: Result<_> = store::transaction(&mut conn, |conn| {
        require_assigned(conn, &ctx, who, &c)?;
        let (d, next) = check_appraisal(
            locked(conn, campaign_id, unit_id)?.as_ref(),
            DossierEvent::RequestExplanation,
        )?;
        explanations::insert_request(conn, d.id, &c.code, &request, who.id, now)?;
        if d.state != next {
            store::set_state(conn, d.id, next, now)?;
        }
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&c.code),
                action: AuditAction::ExplanationRequest,
                old: Some(d.state.code()),
                new: Some(next.code()),
                reason: Some(&request),
            },
        )?;
        Ok(())
    });
    // The single writer is free again before the notices take it.
    drop(conn);
    result?;
    notices::after_or_log(
        app,
        &notices::Event::ExplanationRequested {
            criterion: c.code.clone(),
            text: request.clone(),
        },
        CampaignId(campaign_id),
        UnitId(unit_id),
        &now.and_utc().timestamp_micros().to_string(),
        now,
    );
    Ok(())
}

// ---------------------------------------------------------------- admin

/// The administrator assigns an appraiser to a department's criteria.
pub fn assign(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    username: &str,
    department: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    let campaign_id = campaign_id.get();
    require_assigner(who)?;
    let mut conn = app.writer()?;
    let profile = app.campaign_profile(CampaignId(campaign_id))?;
    if profile.department(department).is_none() {
        return Err(ServiceError::invalid(format!(
            "Bộ quy tắc {} không có cơ quan thẩm định \"{department}\".",
            profile.code
        )));
    }
    let user = users::by_username(&mut conn, username.trim())?.ok_or_else(|| {
        ServiceError::invalid(format!("Không có tài khoản \"{}\".", username.trim()))
    })?;
    if Role::parse(&user.role) != Some(Role::Appraiser) || user.disabled {
        return Err(ServiceError::invalid(format!(
            "Tài khoản \"{}\" không phải thẩm định viên đang hoạt động.",
            user.username
        )));
    }
    Ok(assignments::assign(
        &mut conn,
        campaign_id,
        user.id,
        department,
        who.id,
        now,
    )?)
}

/// The administrator's grid: exactly these (appraiser, department) pairs
/// are the campaign's assignments afterwards. Each pair is checked as
/// [`assign`] checks one; nothing changes unless all are valid.
pub fn set_assignments(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    wanted: &[(String, String)],
    now: NaiveDateTime,
) -> Result<()> {
    require_assigner(who)?;
    let profile = app.campaign_profile(campaign_id)?;
    let mut problems = Vec::new();
    let mut pairs = Vec::new();
    {
        let mut conn = app.conn()?;
        for (username, department) in wanted {
            if profile.department(department).is_none() {
                problems.push(format!(
                    "Bộ quy tắc {} không có cơ quan thẩm định \"{department}\".",
                    profile.code
                ));
                continue;
            }
            match users::by_username(&mut conn, username.trim())? {
                Some(u) if Role::parse(&u.role) == Some(Role::Appraiser) && !u.disabled => {
                    pairs.push((u.id, department.clone()))
                }
                _ => problems.push(format!(
                    "Tài khoản \"{}\" không phải thẩm định viên đang hoạt động.",
                    username.trim()
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let campaign = campaign_id.get();
    let mut conn = app.writer()?;
    let current: Vec<(i64, String)> = {
        let names = assignments::of_campaign(&mut conn, campaign)?;
        let mut out = Vec::new();
        for (username, department) in names {
            if let Some(u) = users::by_username(&mut conn, &username)? {
                out.push((u.id, department));
            }
        }
        out
    };
    store::transaction(&mut conn, |conn| {
        for (user, department) in &current {
            if !pairs.contains(&(*user, department.clone())) {
                assignments::unassign(conn, campaign, *user, department)?;
            }
        }
        for (user, department) in &pairs {
            assignments::assign(conn, campaign, *user, department, who.id, now)?;
        }
        Ok(())
    })
}

/// The council approves a dossier's appraisal; nothing changes after it.
pub fn approve(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<()> {
    let On {
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    require_council(who)?;
    let ctx = load(app, campaign_id, unit_id)?;
    let mut conn = app.writer()?;
    let result: Result<_> = store::transaction(&mut conn, |conn| {
        let (d, next) = check_appraisal(
            locked(conn, campaign_id, unit_id)?.as_ref(),
            DossierEvent::Approve,
        )?;
        let done: Vec<String> = store::appraisals(conn, d.id)?
            .into_iter()
            .map(|a| a.criterion)
            .collect();
        let missing: Vec<String> = ctx
            .set()
            .leaves()
            .filter(|l| l.kind == Kind::Regular && !l.is_survey())
            .filter(|l| !done.contains(&l.code))
            .map(|l| format!("Tiêu chí \"{}\" ({}) chưa được thẩm định.", l.code, l.name))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::Invalid(missing));
        }
        debug_assert_eq!(next, DossierStage::Approved);
        store::mark_approved(conn, d.id, who.id, now)?;
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: None,
                action: AuditAction::Approve,
                old: Some(d.state.code()),
                new: Some(next.code()),
                reason: None,
            },
        )?;
        Ok(())
    });
    // The single writer is free again before the notices take it.
    drop(conn);
    result?;
    notices::after_or_log(
        app,
        &notices::Event::AppraisalFinal,
        CampaignId(campaign_id),
        UnitId(unit_id),
        "approved",
        now,
    );
    Ok(())
}
