//! The audit log of a dossier: every change a command makes is appended,
//! in the same transaction, with who, when, the old and new value and the
//! reason. The database refuses to change or remove a row. Actions are
//! stored by code; the dossier page's history words them
//! (`templates/labels.html`).

use chrono::NaiveDateTime;

use crate::storage::audit::{self, AuditEntry};
use crate::storage::dossiers::DossierRow;
use crate::storage::DbConn;

use super::{Result, StaffUser};

/// What an audit row records, stored by [`AuditAction::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SelfScore,
    SelfEvidence,
    Submit,
    Appraise,
    NotApplicable,
    EvidenceStatus,
    ExplanationRequest,
    ExplanationAnswer,
    Approve,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::SelfScore,
        AuditAction::SelfEvidence,
        AuditAction::Submit,
        AuditAction::Appraise,
        AuditAction::NotApplicable,
        AuditAction::EvidenceStatus,
        AuditAction::ExplanationRequest,
        AuditAction::ExplanationAnswer,
        AuditAction::Approve,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            AuditAction::SelfScore => "self_score",
            AuditAction::SelfEvidence => "self_evidence",
            AuditAction::Submit => "submit",
            AuditAction::Appraise => "appraise",
            AuditAction::NotApplicable => "not_applicable",
            AuditAction::EvidenceStatus => "evidence_status",
            AuditAction::ExplanationRequest => "explanation_request",
            AuditAction::ExplanationAnswer => "explanation_answer",
            AuditAction::Approve => "approve",
        }
    }
}

/// One audit row's content.
pub(super) struct Change<'a> {
    pub(super) criterion: Option<&'a str>,
    pub(super) action: AuditAction,
    pub(super) old: Option<&'a str>,
    pub(super) new: Option<&'a str>,
    pub(super) reason: Option<&'a str>,
}

pub(super) fn append(
    conn: &mut DbConn,
    d: &DossierRow,
    who: &StaffUser,
    now: NaiveDateTime,
    c: Change<'_>,
) -> Result<()> {
    audit::append(
        conn,
        &AuditEntry {
            dossier_id: d.id,
            criterion: c.criterion,
            actor_id: who.id,
            at: now,
            action: c.action.code(),
            old_value: c.old,
            new_value: c.new,
            reason: c.reason,
        },
    )?;
    Ok(())
}
