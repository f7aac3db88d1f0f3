//! The self-assessment and appraisal workflow (issue 6): a unit officer
//! scores each leaf criterion with evidence and an explanation and submits;
//! the submission time decides the late penalty and the lock; appraisers
//! accept or change scores of the departments assigned to them, mark
//! criteria not applicable, or ask for an explanation; the unit answers
//! (evidence supplied then is `supplemented`, capped by the profile); the
//! council approves, after which nothing changes. Every change writes an
//! audit row in the same transaction. The appraised component comes from
//! [`crate::domain::index::appraise`] on the stored data.
//!
//! Times are stored in UTC; the profile's deadlines are Vietnam local days,
//! so instants are shifted by Vietnam's UTC+7 (`domain::vietnam_time`) before the rules see them.
//!
//! The module is split by purpose:
//! - [`lifecycle`]: whether a command may act on the dossier now: its stage
//!   (the domain's [`DossierStage`] decides the transitions), the deadline
//!   lock and lateness, and the wording of each refusal;
//! - [`access`]: who may act on which dossier;
//! - [`unit_commands`] (self-score, submit, answer) and
//!   [`appraisal_commands`] (appraise, request an explanation, assign,
//!   approve): the seven commands, each one transaction;
//! - [`audit`]: the audit rows those transactions append;
//! - [`scores`]: the appraisal of the stored data through the domain rules;
//! - [`views`]: what the dossier page and the worklist show, as codes and
//!   typed values (the templates choose the words);
//! - [`sheet`]: the dossier as an Excel scoring sheet, down and up, through
//!   the grid's commands;
//! - [`evidence`]: evidence files (accepted kinds, storage by SHA-256,
//!   serving) and the evidence status of a criterion.
//!
//! This file keeps what they share: the context a dossier is judged in
//! (campaign, profile, unit), everything stored about a dossier, the
//! dossier's row as a command reads it in its transaction, and where a call
//! acts ([`On`]). Callers use the `service::appraisal::…` paths
//! re-exported here.

mod access;
mod appraisal_commands;
mod audit;
mod evidence;
mod lifecycle;
mod scores;
mod sheet;
mod unit_commands;
mod views;

use crate::domain::ids::{CampaignId, UnitId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::domain::index::DossierStage;
use crate::domain::points::Points;
use crate::domain::profile::{CriteriaSet, Criterion, Profile};
use crate::storage::audit::{self as audit_store, AuditRow};
use crate::storage::campaigns::{self as campaign_store, CampaignRow};
use crate::storage::dossiers::{self as store, AppraisalRow, DossierRow, SelfScoreRow};
use crate::storage::explanations::{self, ExplanationRow};
use crate::storage::units::{self, UnitRow};
use crate::storage::DbConn;

use super::accounts::StaffUser;
use super::{App, Result, ServiceError};

pub use crate::domain::vietnam_time::{local, utc};
pub use access::{assigned_departments, may_read_dossiers};
pub use appraisal_commands::{
    appraise_criteria, appraise_criterion, approve, assign, request_explanation, set_assignments,
    AppraiseInput, Decision,
};
pub use audit::AuditAction;
pub use evidence::{
    evidence_dir, evidence_file, kind_code, spawn_sweeper, store_evidence, sweep,
    EvidenceJudgement, NewFile, EVIDENCE_KINDS, UNREFERENCED_GRACE,
};
pub use scores::{
    appraised, appraised_with_survey, self_scores, NOT_SUBMITTED, NOT_YET, NO_DOSSIER,
};
pub use sheet::{
    blank_sheet, dossier_sheet, import_appraisal_sheet, import_self_sheet, ScoringSheetKind,
    SheetFile,
};
pub use unit_commands::{
    answer_explanation, save_self_score, save_self_scores, submit, AnswerInput, GridSaved,
    RowErrors, SelfScoreInput,
};
pub use views::{
    campaigns_with_dossiers, view, worklist, DossierView, EvidenceView, ExplanationView,
    HistoryView, NodeView, WorkItem, Worklist,
};

/// The stored code of an approved dossier (as `appraised_with_survey`
/// reports the stage).
pub const APPROVED: &str = DossierStage::Approved.code();

/// Where a call acts: the files it reads and writes, who acts, and on
/// which unit's dossier of which campaign.
pub struct On<'a> {
    pub data_dir: &'a Path,
    pub who: &'a StaffUser,
    pub campaign_id: CampaignId,
    pub unit_id: UnitId,
}

/// What a dossier is judged with: its campaign's profile and the unit's set.
struct Ctx {
    campaign: CampaignRow,
    profile: Arc<Profile>,
    unit: UnitRow,
    /// The dossier deadline in force for the unit (the profile's rule for
    /// the campaign's year, or an administrator's change).
    due: Option<crate::service::deadlines::Due>,
}

impl Ctx {
    fn set(&self) -> &CriteriaSet {
        // Checked in `load`.
        self.profile
            .criteria_set_for(&self.unit.unit_type)
            .expect("criteria set checked on load")
    }

    fn leaf(&self, code: &str) -> Result<&Criterion> {
        let c = self.set().get(code).ok_or_else(|| {
            ServiceError::invalid(format!("Không có tiêu chí \"{code}\" trong bộ tiêu chí."))
        })?;
        if !c.is_leaf() {
            return Err(ServiceError::invalid(format!(
                "\"{code}\" có tiêu chí con; hãy chấm từng tiêu chí con."
            )));
        }
        if c.is_survey() {
            return Err(ServiceError::invalid(format!(
                "Tiêu chí \"{code}\" lấy điểm từ điều tra xã hội học, không tự chấm, không thẩm định."
            )));
        }
        Ok(c)
    }

    fn department_name(&self, code: Option<&str>) -> String {
        super::names::department(&self.profile, code)
    }
}

fn load(app: &App, campaign_id: i64, unit_id: i64) -> Result<Ctx> {
    let mut conn = app.conn()?;
    let campaign = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("Không có đợt đánh giá {campaign_id}.")))?;
    let unit = units::by_id(&mut conn, unit_id)?
        .ok_or_else(|| ServiceError::NotFound("Không có đơn vị này.".into()))?;
    let profile = app.campaign_profile(CampaignId(campaign_id))?;
    let due = crate::service::deadlines::dossier_due(&mut conn, &profile, &campaign, unit.id)?;
    drop(conn);
    if profile.criteria_set_for(&unit.unit_type).is_none() {
        return Err(ServiceError::invalid(format!(
            "Bộ quy tắc {} không có bộ tiêu chí cho loại đơn vị \"{}\".",
            profile.code, unit.unit_type
        )));
    }
    Ok(Ctx {
        campaign,
        profile,
        unit,
        due,
    })
}

/// Everything stored about a dossier.
#[derive(Default)]
struct Stored {
    dossier: Option<DossierRow>,
    own: Vec<SelfScoreRow>,
    done: Vec<AppraisalRow>,
    answers: Vec<ExplanationRow>,
    history: Vec<AuditRow>,
}

fn stored(app: &App, campaign_id: i64, unit_id: i64) -> Result<Stored> {
    stored_with(app, campaign_id, unit_id, true)
}

/// What the scores need, without the audit history (the index reads every
/// unit's dossier; only the dossier page shows the history).
fn stored_scores(app: &App, campaign_id: i64, unit_id: i64) -> Result<Stored> {
    stored_with(app, campaign_id, unit_id, false)
}

fn stored_with(app: &App, campaign_id: i64, unit_id: i64, history: bool) -> Result<Stored> {
    let mut conn = app.conn()?;
    let dossier = store::find(&mut conn, campaign_id, unit_id)?;
    let Some(d) = &dossier else {
        return Ok(Stored {
            dossier,
            own: vec![],
            done: vec![],
            answers: vec![],
            history: vec![],
        });
    };
    Ok(Stored {
        own: store::self_scores(&mut conn, d.id)?,
        done: store::appraisals(&mut conn, d.id)?,
        answers: explanations::of_dossier(&mut conn, d.id)?,
        history: if history {
            audit_store::of_dossier(&mut conn, d.id)?
        } else {
            vec![]
        },
        dossier,
    })
}

/// Every unit's stored dossier (without its audit history) and dossier
/// deadline in a campaign, read in five queries: the index table asks for
/// all 300 units at once, and one round trip per unit and table is what
/// made it slow on PostgreSQL.
pub struct CampaignDossiers {
    stored: HashMap<i64, Stored>,
    due: HashMap<i64, crate::service::deadlines::Due>,
    none: Stored,
}

impl CampaignDossiers {
    fn of(&self, unit_id: i64) -> &Stored {
        self.stored.get(&unit_id).unwrap_or(&self.none)
    }
}

pub fn campaign_dossiers(
    app: &App,
    profile: &Profile,
    campaign: &CampaignRow,
    unit_ids: &[i64],
) -> Result<CampaignDossiers> {
    let mut conn = app.conn()?;
    let dossiers = store::of_campaign(&mut conn, campaign.id)?;
    let ids: Vec<i64> = dossiers.iter().map(|d| d.id).collect();
    let mut by_dossier: HashMap<i64, Stored> = HashMap::new();
    for (d, row) in store::self_scores_of(&mut conn, &ids)? {
        by_dossier.entry(d).or_default().own.push(row);
    }
    for (d, row) in store::appraisals_of(&mut conn, &ids)? {
        by_dossier.entry(d).or_default().done.push(row);
    }
    for row in explanations::of_dossiers(&mut conn, &ids)? {
        by_dossier
            .entry(row.dossier_id)
            .or_default()
            .answers
            .push(row);
    }
    let stored = dossiers
        .into_iter()
        .map(|d| {
            let mut s = by_dossier.remove(&d.id).unwrap_or_default();
            let unit = d.unit_id;
            s.dossier = Some(d);
            (unit, s)
        })
        .collect();
    let due = crate::service::deadlines::dossier_dues(&mut conn, profile, campaign, unit_ids)?;
    Ok(CampaignDossiers {
        stored,
        due,
        none: Stored::default(),
    })
}

fn fmt_points(micro: i64) -> String {
    Points::from_micro(micro).to_string()
}

// A stored instant as the pages and messages write it, in Vietnam time.
use crate::domain::vietnam_time::shown as fmt_local;

/// Reads the dossier again inside the transaction, so checks see what the
/// write will change.
fn current(conn: &mut DbConn, campaign_id: i64, unit_id: i64) -> Result<Option<DossierRow>> {
    Ok(store::find(conn, campaign_id, unit_id)?)
}

/// Inside a transaction: takes the dossier's row first (a write, so
/// PostgreSQL serialises concurrent changes on it and SQLite takes its write
/// lock at once), then reads it. An approval and an appraisal racing each
/// other cannot both see the dossier open.
fn locked(conn: &mut DbConn, campaign_id: i64, unit_id: i64) -> Result<Option<DossierRow>> {
    store::touch(conn, campaign_id, unit_id)?;
    current(conn, campaign_id, unit_id)
}

/// A score the criterion allows: not negative, not above its maximum.
fn check_points(c: &Criterion, p: Points) -> Result<()> {
    if p.is_negative() {
        return Err(ServiceError::invalid(format!(
            "Tiêu chí \"{}\": điểm không được âm.",
            c.code
        )));
    }
    if p > c.max {
        return Err(ServiceError::invalid(format!(
            "Tiêu chí \"{}\": {p} điểm vượt điểm tối đa {}.",
            c.code, c.max
        )));
    }
    Ok(())
}
