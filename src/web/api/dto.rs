//! What the API sends and accepts. Kept apart from the service's types so the
//! published contract changes only on purpose.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::service::accounts::StaffUser;
use crate::service::campaigns::{CampaignSummary, QuestionnaireSummary, UnitCount};
use crate::service::units::Unit;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub username: String,
    pub display_name: String,
    /// admin, appraiser, unit_officer or analyst.
    pub role: String,
    /// The unit of a unit officer.
    pub unit_id: Option<i64>,
}

impl From<&StaffUser> for MeDto {
    fn from(u: &StaffUser) -> Self {
        Self {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_string(),
            unit_id: u.unit_id.map(|u| u.get()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireDto {
    pub code: String,
    pub title: String,
    /// First 12 hex digits of the frozen file's SHA-256.
    pub version: String,
    pub tokens: i64,
    pub not_started: i64,
    pub in_progress: i64,
    pub submitted: i64,
    pub responses_sample: i64,
    pub responses_open: i64,
}

impl From<QuestionnaireSummary> for QuestionnaireDto {
    fn from(q: QuestionnaireSummary) -> Self {
        Self {
            code: q.code,
            title: q.title,
            version: q.version,
            tokens: q.tokens,
            not_started: q.not_started,
            in_progress: q.in_progress,
            submitted: q.submitted,
            responses_sample: q.responses_sample,
            responses_open: q.responses_open,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatusDto {
    NotYetOpen,
    Open,
    Closed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: i64,
    pub year: i32,
    pub name: String,
    /// First day answers are accepted (Vietnam time).
    pub opens_on: NaiveDate,
    /// Last day answers are accepted (Vietnam time).
    pub closes_on: NaiveDate,
    pub status: CampaignStatusDto,
    pub anonymous: bool,
    pub questionnaires: Vec<QuestionnaireDto>,
}

impl From<CampaignSummary> for CampaignDto {
    fn from(c: CampaignSummary) -> Self {
        use crate::domain::campaign::CampaignStatus as S;
        Self {
            id: c.id.get(),
            year: c.year,
            name: c.name,
            opens_on: c.opens_on,
            closes_on: c.closes_on,
            status: match c.status {
                S::NotYetOpen => CampaignStatusDto::NotYetOpen,
                S::Open => CampaignStatusDto::Open,
                S::Closed => CampaignStatusDto::Closed,
            },
            anonymous: c.anonymous,
            questionnaires: c.questionnaires.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCampaignDto {
    /// The evaluation year.
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// First day answers are accepted (YYYY-MM-DD, Vietnam time).
    pub opens: NaiveDate,
    /// Last day answers are accepted (YYYY-MM-DD, Vietnam time).
    pub closes: NaiveDate,
    /// Questionnaire codes; empty or absent means every shipped questionnaire.
    #[serde(default)]
    #[schema(inline, value_type = Vec<QuestionnaireCode>)]
    pub questionnaires: Vec<String>,
    /// Submitted responses cannot be joined back to the respondent.
    #[serde(default)]
    pub anonymous: bool,
    /// The province profile whose rules apply (its code), e.g. `hai-phong-2025`.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9_-]{1,40}$")]
    pub profile: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDto {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Ranking block, e.g. so, phuong, xa_dac_khu.
    pub block: String,
    pub unit_type: String,
}

impl From<Unit> for UnitDto {
    fn from(u: Unit) -> Self {
        Self {
            id: u.id.get(),
            code: u.code,
            name: u.name,
            block: u.block,
            unit_type: u.unit_type,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitCountDto {
    pub campaign: String,
    pub year: i32,
    /// Responses from the probability sample.
    pub sample: i64,
    /// Responses through open links, outside the sample.
    pub open: i64,
}

impl From<UnitCount> for UnitCountDto {
    fn from(c: UnitCount) -> Self {
        Self {
            campaign: c.campaign,
            year: c.year,
            sample: c.sample,
            open: c.open,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetailDto {
    pub unit: UnitDto,
    pub responses: Vec<UnitCountDto>,
}

/// A questionnaire's code, e.g. `citizen`.
#[derive(ToSchema)]
#[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
#[allow(dead_code)]
pub struct QuestionnaireCode(String);
