//! Whether a command may act on a dossier now, and the words of a refusal.
//! Two separate rules answer: the lifecycle ([`DossierStage::after`] in the
//! domain: which event may happen at which stage, and what stage follows)
//! and the deadline lock with its lateness (`domain::index::late`, from the
//! profile's deadlines). Neither is decided here; this file asks them and
//! words their answers in Vietnamese for the unit and the appraisers.

use chrono::NaiveDateTime;

use crate::domain::index::{
    DossierEvent, DossierStage, DossierState, Lateness, LockReason, Refusal,
};
use crate::domain::points::Points;
use crate::domain::profile::Profile;
use crate::storage::dossiers::{self as store, DossierRow};
use crate::storage::DbConn;

use super::{fmt_local, local, Ctx, Result, ServiceError};
use crate::service::deadlines::Due;

/// The stage of a stored dossier; a unit that has none is at a draft's.
pub(super) fn stage_of(d: Option<&DossierRow>) -> DossierStage {
    d.map_or(DossierStage::Draft, |d| d.state)
}

/// The stage after `event`, or the refusal in words.
fn next_stage(d: Option<&DossierRow>, event: DossierEvent) -> Result<DossierStage> {
    stage_of(d).after(event).map_err(|r| refused(d, r))
}

fn refused(d: Option<&DossierRow>, r: Refusal) -> ServiceError {
    match r {
        Refusal::Approved => approved_error(d),
        Refusal::NotSubmitted => {
            ServiceError::invalid("Đơn vị chưa nộp hồ sơ: chưa thẩm định được.")
        }
        Refusal::SubmittedOnce => submitted_message(d, ": mỗi hồ sơ nộp một lần"),
        Refusal::AppraisalBegun => submitted_message(
            d,
            " và đang được thẩm định: không sửa điểm tự chấm được nữa",
        ),
        Refusal::NotInExplanation => ServiceError::invalid(
            "Hồ sơ không ở vòng giải trình: chỉ giải trình khi thẩm định viên yêu cầu.",
        ),
    }
}

fn approved_error(d: Option<&DossierRow>) -> ServiceError {
    let when = d
        .and_then(|d| d.approved_at)
        .map(|t| local(t).format(" ngày %d/%m/%Y %H:%M").to_string())
        .unwrap_or_default();
    ServiceError::invalid(format!(
        "Hội đồng thẩm định đã phê duyệt kết quả{when}: không thay đổi điểm và không nhận giải trình thêm."
    ))
}

fn submitted_message(d: Option<&DossierRow>, why: &str) -> ServiceError {
    let when = d
        .and_then(|d| d.submitted_at)
        .map(fmt_local)
        .unwrap_or_default();
    ServiceError::invalid(format!(
        "Hồ sơ đã nộp lúc {when}{why}; khi được yêu cầu, đơn vị giải trình và bổ sung tài liệu."
    ))
}

pub(super) fn lock_message(due: Option<&Due>, reason: LockReason) -> String {
    let deadline = due
        .map(|d| {
            if d.effective == d.date {
                d.date.format("%d/%m/%Y").to_string()
            } else {
                format!(
                    "{} (rơi vào ngày nghỉ nên dời sang {})",
                    d.date.format("%d/%m/%Y"),
                    d.effective.format("%d/%m/%Y")
                )
            }
        })
        .unwrap_or_default();
    match reason {
        LockReason::Submitted => format!(
            "Hồ sơ đã nộp và đã qua hạn {deadline}: hồ sơ đã khóa, không sửa được nữa."
        ),
        LockReason::DeadlinePassed => format!(
            "Đã quá hạn nộp hồ sơ {deadline} và hết thời gian gia hạn: hồ sơ đã khóa, không nhận tự chấm và không nộp được nữa. Sở Nội vụ có thể gia hạn cho đơn vị (có ghi lý do)."
        ),
    }
}

/// The dossier's deadline lock at `now` (UTC), against the deadline in
/// force for the unit; open when the profile has no deadline.
pub(super) fn lock_at(
    profile: &Profile,
    due: Option<&Due>,
    d: Option<&DossierRow>,
    now: NaiveDateTime,
) -> DossierState {
    match due {
        Some(due) => profile.dossier_state(
            due.date,
            d.and_then(|d| d.submitted_at).map(local),
            local(now),
        ),
        None => DossierState::Open {
            late_days: 0,
            penalty: Points::ZERO,
        },
    }
}

/// How late the dossier is: from its submission, or, unsubmitted and locked,
/// from `now` (past the grace days: the dossier criterion scores 0).
pub(super) fn lateness_of(
    profile: &Profile,
    due: Option<&Due>,
    d: Option<&DossierRow>,
    now: NaiveDateTime,
) -> Lateness {
    let Some(due) = due else {
        return Lateness::OnTime;
    };
    match d.and_then(|d| d.submitted_at) {
        Some(s) => profile.lateness(due.date, local(s)),
        None if lock_at(profile, Some(due), d, now).is_locked() => {
            profile.lateness(due.date, local(now))
        }
        None => Lateness::OnTime,
    }
}

fn check_unlocked(ctx: &Ctx, d: Option<&DossierRow>, now: NaiveDateTime) -> Result<()> {
    if let DossierState::Locked { reason } = lock_at(&ctx.profile, ctx.due.as_ref(), d, now) {
        return Err(ServiceError::invalid(lock_message(
            ctx.due.as_ref(),
            reason,
        )));
    }
    Ok(())
}

/// Whether appraisal of the dossier has begun: an appraiser has decided on
/// at least one criterion.
fn appraisal_begun(conn: &mut DbConn, d: Option<&DossierRow>) -> Result<bool> {
    Ok(match d {
        Some(d) => !store::appraisals(conn, d.id)?.is_empty(),
        None => false,
    })
}

/// Whether the unit may still change its self-scores: the lifecycle allows
/// it (a draft, or a submitted dossier before any appraisal), and the
/// deadline lock does not forbid it (the regulation locks submitted
/// dossiers at 23:59 of the deadline day).
pub(super) fn check_editable(
    conn: &mut DbConn,
    ctx: &Ctx,
    d: Option<&DossierRow>,
    now: NaiveDateTime,
) -> Result<()> {
    let appraisal_begun = appraisal_begun(conn, d)?;
    next_stage(d, DossierEvent::SaveSelfScore { appraisal_begun })?;
    check_unlocked(ctx, d, now)
}

/// Whether the unit may submit: the lifecycle allows it (a draft), and the
/// dossier is not locked. Returns the stage after submission.
pub(super) fn check_submittable(
    ctx: &Ctx,
    d: Option<&DossierRow>,
    now: NaiveDateTime,
) -> Result<DossierStage> {
    let next = next_stage(d, DossierEvent::Submit)?;
    check_unlocked(ctx, d, now)?;
    Ok(next)
}

/// An appraiser's or the council's `event` on a dossier that must exist;
/// returns the dossier and the stage after the event.
pub(super) fn check_appraisal(
    d: Option<&DossierRow>,
    event: DossierEvent,
) -> Result<(DossierRow, DossierStage)> {
    let d =
        d.ok_or_else(|| ServiceError::invalid("Đơn vị chưa nộp hồ sơ: chưa thẩm định được."))?;
    let next = next_stage(Some(d), event)?;
    Ok((d.clone(), next))
}

/// The unit's answer to a request: the dossier must exist and be in the
/// explanation round.
pub(super) fn check_answerable(d: Option<&DossierRow>) -> Result<DossierRow> {
    let d = d.ok_or_else(|| ServiceError::invalid("Đơn vị chưa có hồ sơ."))?;
    next_stage(Some(d), DossierEvent::AnswerExplanation)?;
    Ok(d.clone())
}
