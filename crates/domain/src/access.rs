//! Staff roles and what each may do. Every staff route asks [`allows`]; the
//! respondent needs no account (their token is their only key).

use crate::ids::UnitId;
use std::fmt;

use super::code::{check_code, CodeError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Home Affairs: campaigns, profiles, frames, plans, users.
    Admin,
    /// Appraises the fields assigned to them.
    Appraiser,
    /// Their own unit's self-assessment and results only.
    UnitOfficer,
    /// Reads and exports.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Appraiser,
        Role::UnitOfficer,
        Role::Analyst,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Appraiser => "appraiser",
            Role::UnitOfficer => "unit_officer",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị (Sở Nội vụ)",
            Role::Appraiser => "Thẩm định viên",
            Role::UnitOfficer => "Cán bộ đơn vị",
            Role::Analyst => "Phân tích viên",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who is asking: a role, and for a unit officer the unit they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

/// Something a staff member may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Their own account page.
    ViewOwnAccount,
    /// Campaign list, response counts, open links.
    ViewCampaigns,
    OpenCampaign,
    /// A unit's page: its results and (later) its self-assessment dossier.
    ViewUnit(UnitId),
    /// Import or update units from a file.
    ImportUnits,
    /// Read what respondents wrote (free-text answers).
    ViewAnswers,
    /// A campaign's frame, sampling rules, plan, draw and response rates.
    ViewSampling,
    /// Import the frame, change the rules, draw, send invitations.
    ManageSampling,
    /// Download anonymised microdata and estimates.
    ExportData,
    /// Every unit's survey results of a campaign.
    ViewResults,
    /// One unit's survey results.
    ViewUnitResults(UnitId),
    /// A unit's self-assessment dossier, its appraisal, history and evidence.
    ViewDossier(UnitId),
    /// Self-score, submit and answer requests to explain: the unit's own officer.
    EditDossier(UnitId),
    /// Appraise criteria (the service also checks the assigned departments).
    Appraise,
    /// The worklist of submitted dossiers per department.
    ViewWorklist,
    /// Assign appraisers to departments.
    AssignAppraisers,
    /// The appraisal council's approval of a dossier.
    ApproveAppraisal,
    /// A campaign's index table, rankings, head ratings and explain list.
    ViewIndex,
    /// One unit's scorecard.
    ViewScorecard(UnitId),
    /// Import survey points or past years' scores for the index.
    ImportIndexData,
    /// Publish a campaign's index table (freezes it).
    PublishIndex,
    /// Change a campaign's deadline or extend it for a unit.
    ChangeDeadlines,
    /// Record a decision of the council (Hội đồng) on a case the rules
    /// leave open; the Sở Nội vụ's administrator writes it in.
    RecordDecision,
    /// Create staff accounts, set their role and unit, disable them, give
    /// them a new password, end their sessions.
    ManageAccounts,
}

pub fn allows(actor: Actor, action: Action) -> bool {
    use Role::*;
    match action {
        Action::ViewOwnAccount => true,
        Action::ViewCampaigns => matches!(actor.role, Admin | Analyst),
        Action::OpenCampaign | Action::ImportUnits | Action::ManageSampling => actor.role == Admin,
        Action::ViewAnswers | Action::ViewSampling | Action::ExportData | Action::ViewResults => {
            matches!(actor.role, Admin | Analyst)
        }
        // Appraisers judge dossiers; survey results are not theirs to read.
        Action::ViewUnitResults(unit) | Action::ViewUnit(unit) => match actor.role {
            Admin | Analyst => true,
            Appraiser => false,
            UnitOfficer => actor.unit_id == Some(unit),
        },
        Action::ViewDossier(unit) => match actor.role {
            Admin | Analyst | Appraiser => true,
            UnitOfficer => actor.unit_id == Some(unit),
        },
        Action::EditDossier(unit) => actor.role == UnitOfficer && actor.unit_id == Some(unit),
        Action::Appraise => actor.role == Appraiser,
        Action::ViewWorklist => matches!(actor.role, Admin | Appraiser),
        Action::AssignAppraisers
        | Action::ApproveAppraisal
        | Action::ImportIndexData
        | Action::PublishIndex
        | Action::ChangeDeadlines
        | Action::RecordDecision
        | Action::ManageAccounts => actor.role == Admin,
        Action::ViewIndex => matches!(actor.role, Admin | Analyst),
        Action::ViewScorecard(unit) => match actor.role {
            Admin | Analyst => true,
            Appraiser => false,
            UnitOfficer => actor.unit_id == Some(unit),
        },
    }
}

/// A staff login name: lowercase ASCII, so that look-ups are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim().to_lowercase();
        check_code(&s, 64, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c)
        })?;
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự")]
    TooShort,
    #[error("mật khẩu dài quá 256 ký tự")]
    TooLong,
}

pub fn check_password(p: &str) -> Result<(), PasswordError> {
    match p.chars().count() {
        n if n < MIN_PASSWORD_CHARS => Err(PasswordError::TooShort),
        n if n > 256 => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_officer_sees_only_their_unit() {
        let officer = Actor {
            role: Role::UnitOfficer,
            unit_id: Some(UnitId(7)),
        };
        assert!(allows(officer, Action::ViewUnit(UnitId(7))));
        assert!(!allows(officer, Action::ViewUnit(UnitId(8))));
        assert!(!allows(officer, Action::ViewCampaigns));
        let admin = Actor {
            role: Role::Admin,
            unit_id: None,
        };
        assert!(allows(admin, Action::OpenCampaign));
        let analyst = Actor {
            role: Role::Analyst,
            unit_id: None,
        };
        assert!(allows(analyst, Action::ViewCampaigns) && !allows(analyst, Action::OpenCampaign));
    }

    #[test]
    fn dossiers_belong_to_their_unit_appraisal_to_appraisers_approval_to_admins() {
        let officer = Actor {
            role: Role::UnitOfficer,
            unit_id: Some(UnitId(7)),
        };
        let of = |role| Actor {
            role,
            unit_id: None,
        };
        assert!(
            allows(officer, Action::ViewDossier(UnitId(7)))
                && allows(officer, Action::EditDossier(UnitId(7)))
        );
        assert!(
            !allows(officer, Action::ViewDossier(UnitId(8)))
                && !allows(officer, Action::EditDossier(UnitId(8)))
        );
        for role in [Role::Admin, Role::Analyst, Role::Appraiser] {
            assert!(allows(of(role), Action::ViewDossier(UnitId(8))));
            assert!(!allows(of(role), Action::EditDossier(UnitId(8))));
        }
        assert!(allows(of(Role::Appraiser), Action::Appraise));
        assert!(!allows(of(Role::Admin), Action::Appraise));
        assert!(allows(of(Role::Admin), Action::ApproveAppraisal));
        assert!(!allows(of(Role::Appraiser), Action::ApproveAppraisal));
        assert!(allows(of(Role::Admin), Action::AssignAppraisers));
        assert!(!allows(of(Role::Analyst), Action::ViewWorklist));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("a b").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("đủ dài rồi nhé").is_ok());
        assert_eq!(Role::parse("unit_officer"), Some(Role::UnitOfficer));
        assert_eq!(Role::parse("root"), None);
    }
}
