//! Who may act on which dossier: the unit's own officers edit and explain,
//! appraisers act on the departments assigned to them in the campaign, the
//! administrator assigns and the council approves. The roles' rights are
//! `domain::access::allows`; this file adds what needs the database (the
//! assignments) and words the refusals.

use crate::domain::access::{allows, Action, Role};
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::profile::Criterion;
use crate::storage::{assignments, DbConn};

use super::{App, Ctx, Result, ServiceError, StaffUser};

fn forbidden(msg: impl Into<String>) -> ServiceError {
    ServiceError::Forbidden(msg.into())
}

/// The unit's own officer: self-scores, submission, answers.
pub(super) fn require_officer(who: &StaffUser, unit_id: i64) -> Result<()> {
    if allows(who.actor(), Action::EditDossier(UnitId(unit_id))) {
        Ok(())
    } else {
        Err(forbidden(
            "Chỉ cán bộ của đơn vị được tự chấm và giải trình hồ sơ của đơn vị.",
        ))
    }
}

/// The departments whose criteria `who` appraises in a campaign.
pub fn assigned_departments(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
) -> Result<Vec<String>> {
    let campaign_id = campaign_id.get();
    Ok(assignments::departments_of(
        &mut *app.conn()?,
        campaign_id,
        who.id,
    )?)
}

/// An appraiser reads the dossiers of a campaign only once assigned to one
/// of its departments there; other roles are scoped by `access::allows`.
pub fn may_read_dossiers(app: &App, who: &StaffUser, campaign_id: CampaignId) -> Result<()> {
    let campaign_id = campaign_id.get();
    if who.role == Role::Appraiser
        && assigned_departments(app, who, CampaignId(campaign_id))?.is_empty()
    {
        return Err(forbidden(
            "Thẩm định viên chỉ xem hồ sơ của đợt có lĩnh vực được phân công.",
        ));
    }
    Ok(())
}

/// An appraiser assigned to the department that owns criterion `c`.
pub(super) fn require_assigned(
    conn: &mut DbConn,
    ctx: &Ctx,
    who: &StaffUser,
    c: &Criterion,
) -> Result<()> {
    if !allows(who.actor(), Action::Appraise) {
        return Err(forbidden("Chỉ thẩm định viên được thẩm định."));
    }
    let mine = assignments::departments_of(conn, ctx.campaign.id, who.id)?;
    match &c.department {
        Some(dep) if mine.contains(dep) => Ok(()),
        // A criterion the profile gives no department (e.g. a bonus item)
        // is for any appraiser working on the campaign.
        None if !mine.is_empty() => Ok(()),
        dep => Err(forbidden(format!(
            "Tiêu chí \"{}\" do {} thẩm định; tài khoản này chưa được phân công lĩnh vực đó.",
            c.code,
            ctx.department_name(dep.as_deref())
        ))),
    }
}

/// The administrator, who assigns appraisers to departments.
pub(super) fn require_assigner(who: &StaffUser) -> Result<()> {
    if allows(who.actor(), Action::AssignAppraisers) {
        Ok(())
    } else {
        Err(forbidden("Chỉ quản trị được phân công thẩm định."))
    }
}

/// The council (the administrator), who approves an appraisal.
pub(super) fn require_council(who: &StaffUser) -> Result<()> {
    if allows(who.actor(), Action::ApproveAppraisal) {
        Ok(())
    } else {
        Err(forbidden(
            "Chỉ Hội đồng thẩm định (quản trị) được phê duyệt.",
        ))
    }
}
