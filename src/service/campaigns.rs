//! Opening survey campaigns and issuing respondent tokens.

use crate::domain::ids::{CampaignId, UnitId};
use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::access::{allows, Action};
use crate::domain::campaign::{check_year, CampaignPeriod, CampaignStatus};
use crate::domain::questionnaire::Rates;
use crate::domain::token::Token;
use crate::storage::campaigns::{self as store, CampaignRow, NewCampaign};
use crate::storage::respondents::{self, NewRespondent, RespondentSource, RespondentStatus};
use crate::storage::{questionnaires, responses, units};

use super::accounts::StaffUser;
use super::questionnaires::QuestionnaireFile;
use super::{now, App, Result, ServiceError};

#[derive(Debug, Clone)]
pub struct OpenCampaign {
    pub year: i32,
    pub name: String,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
    /// Questionnaire codes; empty means every file given.
    pub codes: Vec<String>,
    pub anonymous: bool,
    /// The province profile whose rules the campaign follows, frozen with
    /// it; its sampling rules become the campaign's plan rules, editable
    /// until the draw.
    pub profile: Option<super::profiles::ProfileFile>,
}

/// Opens a campaign and freezes the current version of each questionnaire:
/// later edits of the files make new versions for later campaigns.
pub fn open(app: &App, files: &[QuestionnaireFile], req: &OpenCampaign) -> Result<CampaignId> {
    let mut problems = Vec::new();
    if let Err(e) = check_year(req.year) {
        problems.push(e.to_string());
    }
    let name = crate::domain::name::clean_name(&req.name);
    let name = name.as_str();
    if name.is_empty() {
        problems.push("tên đợt khảo sát trống".to_string());
    } else if name.chars().count() > 200 {
        problems.push("tên đợt khảo sát dài quá 200 ký tự".to_string());
    }
    if let Some(p) = &req.profile {
        problems.extend(p.profile.check_year(req.year));
    }
    let period = CampaignPeriod::from_local_dates(req.opens, req.closes)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let chosen: Vec<&QuestionnaireFile> = if req.codes.is_empty() {
        files.iter().collect()
    } else {
        req.codes
            .iter()
            .filter_map(|c| {
                let f = files.iter().find(|f| &f.questionnaire.code == c);
                if f.is_none() {
                    problems.push(format!("không có phiếu mã \"{c}\""));
                }
                f
            })
            .collect()
    };
    if chosen.is_empty() {
        problems.push("chưa chọn phiếu nào".to_string());
    }
    let (Some(period), true) = (period, problems.is_empty()) else {
        return Err(ServiceError::Invalid(problems));
    };
    let mut conn = app.writer()?;
    let now = now();
    let mut versions = Vec::new();
    for f in chosen {
        let q = &f.questionnaire;
        let id = questionnaires::freeze(&mut conn, &q.code, &f.hash, &q.title, &f.source, now)?;
        versions.push((q.code.clone(), id, q.group.open_link_by_default()));
    }
    let rules: Vec<(&str, String)> = req
        .profile
        .iter()
        .flat_map(|p| p.profile.sampling.iter())
        .map(|(group, rule)| (group.code(), rule.to_toml()))
        .collect();
    let profile_sha256 = req
        .profile
        .as_ref()
        .map(|p| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(p.source.as_bytes())));
    let campaign = NewCampaign {
        profile_sha256: profile_sha256.as_deref(),
        year: req.year,
        name,
        opens_at: period.opens_at,
        closes_at: period.closes_at,
        anonymous: req.anonymous,
        profile_code: req.profile.as_ref().map(|p| p.profile.code.as_str()),
        profile_source: req.profile.as_ref().map(|p| p.source.as_str()),
    };
    Ok(CampaignId(store::insert(
        &mut conn, &campaign, &versions, &rules, now,
    )?))
}

pub fn period(c: &CampaignRow) -> CampaignPeriod {
    CampaignPeriod {
        opens_at: c.opens_at,
        closes_at: c.closes_at,
    }
}

/// Issues `count` tokens for one questionnaire of a campaign. The tokens are
/// returned once and stored only as hashes.
pub fn issue_tokens(
    app: &App,
    campaign_id: CampaignId,
    code: &str,
    unit_code: Option<&str>,
    count: usize,
    source: RespondentSource,
) -> Result<Vec<Token>> {
    let campaign_id = campaign_id.get();
    if !(1..=100_000).contains(&count) {
        return Err(ServiceError::invalid("số lượng mã phải từ 1 đến 100000"));
    }
    let mut conn = app.writer()?;
    store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let cq = store::questionnaire(&mut conn, campaign_id, code)?.ok_or_else(|| {
        ServiceError::NotFound(format!(
            "đợt khảo sát {campaign_id} không có phiếu \"{code}\""
        ))
    })?;
    let unit = match unit_code {
        Some(c) => Some(
            units::by_code(&mut conn, c)?
                .ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị mã \"{c}\"")))?,
        ),
        None => None,
    };
    let qn = app.questionnaire_version(cq.version_id)?;
    if qn.rates == Rates::OwnUnit && unit.is_none() {
        return Err(ServiceError::invalid(format!(
            "phiếu \"{code}\" đánh giá đơn vị của người trả lời: cần chỉ rõ đơn vị"
        )));
    }
    let mut rng = rand::rng();
    let tokens: Vec<Token> = (0..count).map(|_| Token::generate(&mut rng)).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| t.hash().0).collect();
    let r = NewRespondent {
        campaign_id,
        questionnaire_code: code,
        unit_id: unit.map(|u| u.id),
        source,
        origin: None,
    };
    respondents::insert_many(&mut conn, &r, &hashes, now())?;
    Ok(tokens)
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionnaireSummary {
    pub code: String,
    pub title: String,
    pub version: String,
    pub tokens: i64,
    pub not_started: i64,
    pub in_progress: i64,
    pub submitted: i64,
    pub responses_sample: i64,
    pub responses_open: i64,
    /// Whether its open link takes new respondents.
    pub open_link: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignSummary {
    pub id: CampaignId,
    pub year: i32,
    pub name: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub status: CampaignStatus,
    pub anonymous: bool,
    pub questionnaires: Vec<QuestionnaireSummary>,
    /// The province profile frozen with the campaign, if any.
    pub profile: Option<ProfileSummary>,
    /// Archived: out of the lists, data kept.
    pub archived: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    pub code: String,
    /// Hex SHA-256 of the frozen text (None for a campaign opened before
    /// profiles were frozen: its rules are read from the file).
    pub sha256: Option<String>,
}

pub fn summaries(app: &App) -> Result<Vec<CampaignSummary>> {
    let mut conn = app.conn()?;
    let list = store::list(&mut conn)?;
    list.into_iter().map(|c| summary_of(app, c)).collect()
}

/// The campaign's questionnaires' titles by code, as frozen with it.
pub fn questionnaire_titles(
    app: &App,
    id: CampaignId,
) -> Result<std::collections::HashMap<String, String>> {
    Ok(store::questionnaires(&mut *app.conn()?, id.get())?
        .into_iter()
        .map(|q| (q.code, q.title))
        .collect())
}

pub fn summary(app: &App, id: CampaignId) -> Result<CampaignSummary> {
    let c = store::get(&mut *app.conn()?, id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))?;
    summary_of(app, c)
}

fn summary_of(app: &App, c: CampaignRow) -> Result<CampaignSummary> {
    let mut conn = app.conn()?;
    let statuses = respondents::status_counts(&mut conn, c.id)?;
    let resp = responses::counts(&mut conn, c.id)?;
    let p = period(&c);
    let questionnaires = store::questionnaires(&mut conn, c.id)?
        .into_iter()
        .map(|q| {
            let count = |status: &str| {
                statuses
                    .iter()
                    .filter(|(code, s, _)| *code == q.code && s == status)
                    .map(|x| x.2)
                    .sum()
            };
            let resp_count = |source: &str| {
                resp.iter()
                    .filter(|(v, s, _)| *v == q.version_id && s == source)
                    .map(|x| x.2)
                    .sum()
            };
            let (not_started, in_progress, submitted) = (
                count(RespondentStatus::New.code()),
                count(RespondentStatus::InProgress.code()),
                count(RespondentStatus::Submitted.code()),
            );
            QuestionnaireSummary {
                tokens: not_started + in_progress + submitted,
                not_started,
                in_progress,
                submitted,
                responses_sample: resp_count(RespondentSource::Sample.code()),
                responses_open: resp_count(RespondentSource::Open.code()),
                version: q.content_hash[..12].to_string(),
                open_link: q.open_link,
                code: q.code,
                title: q.title,
            }
        })
        .collect();
    Ok(CampaignSummary {
        id: CampaignId(c.id),
        year: c.year,
        name: c.name,
        opens_on: p.opens_on(),
        closes_on: p.closes_on(),
        status: p.status(now()),
        anonymous: c.anonymous,
        questionnaires,
        profile: c.profile_code.map(|code| ProfileSummary {
            code,
            sha256: c.profile_sha256,
        }),
        archived: c.archived_at.is_some(),
    })
}

/// A change of a campaign's survey period by the administrator.
#[derive(Debug, Clone, Copy)]
pub enum PeriodChange {
    /// Close the survey now (links stop taking answers).
    CloseNow,
    /// The survey closes at the end of this Vietnam day: later to extend
    /// it (or reopen a closed one), earlier to shorten it.
    CloseOn(NaiveDate),
}

fn require_admin(who: &StaffUser) -> Result<()> {
    if allows(who.actor(), Action::OpenCampaign) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Chỉ quản trị (Sở Nội vụ) được mở, đóng, gia hạn hay lưu trữ đợt.".into(),
        ))
    }
}

/// Closes a campaign's survey now, or moves its last day. Refused once the
/// index is published (its survey points are frozen) and for a last day
/// already past or before the first.
pub fn change_period(
    app: &App,
    who: &StaffUser,
    id: CampaignId,
    change: PeriodChange,
) -> Result<()> {
    require_admin(who)?;
    let mut conn = app.writer()?;
    let c = store::get(&mut conn, id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))?;
    if crate::storage::publication::publication(&mut conn, id.get())?.is_some() {
        return Err(ServiceError::invalid(
            "Kết quả đợt này đã công bố: thời gian khảo sát không đổi nữa.",
        ));
    }
    let at = now();
    let p = period(&c);
    let closes_at = match change {
        PeriodChange::CloseNow => {
            if p.status(at) != CampaignStatus::Open {
                return Err(ServiceError::invalid(
                    "Đợt khảo sát không đang mở nên không đóng được.",
                ));
            }
            at
        }
        PeriodChange::CloseOn(day) => {
            let today = crate::domain::vietnam_time::date(at);
            if day < today {
                return Err(ServiceError::invalid(format!(
                    "Ngày đóng mới {} đã qua; chọn từ hôm nay ({}) trở đi.",
                    day.format("%d/%m/%Y"),
                    today.format("%d/%m/%Y")
                )));
            }
            CampaignPeriod::from_local_dates(p.opens_on(), day)
                .map_err(|e| ServiceError::invalid(e.to_string()))?
                .closes_at
        }
    };
    store::set_closes_at(&mut conn, id.get(), closes_at)?;
    Ok(())
}

/// Opens or closes one questionnaire's open link. Forms already started
/// through it can still be finished; no new one starts while it is closed.
pub fn set_open_link(
    app: &App,
    who: &StaffUser,
    id: CampaignId,
    code: &str,
    open: bool,
) -> Result<()> {
    require_admin(who)?;
    let mut conn = app.writer()?;
    store::get(&mut conn, id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))?;
    if !store::set_open_link(&mut conn, id.get(), code, open)? {
        return Err(ServiceError::NotFound(format!(
            "đợt khảo sát không có phiếu mã \"{code}\""
        )));
    }
    Ok(())
}

/// Archives a closed campaign (it leaves the lists; nothing is deleted) or
/// brings it back.
pub fn set_archived(app: &App, who: &StaffUser, id: CampaignId, archived: bool) -> Result<()> {
    require_admin(who)?;
    let mut conn = app.writer()?;
    let c = store::get(&mut conn, id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))?;
    if archived && period(&c).status(now()) == CampaignStatus::Open {
        return Err(ServiceError::invalid(
            "Đợt khảo sát đang mở: đóng đợt trước khi lưu trữ.",
        ));
    }
    store::set_archived(&mut conn, id.get(), archived.then(now))?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitCount {
    pub campaign: String,
    pub year: i32,
    pub sample: i64,
    pub open: i64,
}

/// Responses about one unit (as the respondent's unit) per campaign.
pub fn unit_counts(app: &App, unit_id: UnitId) -> Result<Vec<UnitCount>> {
    let unit_id = unit_id.get();
    let mut conn = app.conn()?;
    let rows = responses::counts_for_unit(&mut conn, unit_id)?;
    let mut out = Vec::new();
    for c in store::list(&mut conn)? {
        let count = |source: &str| {
            rows.iter()
                .filter(|(cid, s, _)| *cid == c.id && s == source)
                .map(|x| x.2)
                .sum()
        };
        out.push(UnitCount {
            campaign: c.name.clone(),
            year: c.year,
            sample: count(RespondentSource::Sample.code()),
            open: count(RespondentSource::Open.code()),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct TextAnswers {
    pub questionnaire: String,
    pub question: String,
    pub answers: Vec<TextAnswer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TextAnswer {
    pub unit: String,
    pub text: String,
}

/// Free-text answers of a campaign, per questionnaire and question, newest
/// first, at most `limit` per questionnaire. Respondents wrote these: pages
/// must show them as text, never as markup.
pub fn text_answers(app: &App, campaign_id: CampaignId, limit: i64) -> Result<Vec<TextAnswers>> {
    let campaign_id = campaign_id.get();
    let mut conn = app.conn()?;
    store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let mut out = Vec::new();
    for cq in store::questionnaires(&mut conn, campaign_id)? {
        let q = app.questionnaire_version(cq.version_id)?;
        let text_questions: Vec<_> = q
            .questions()
            .filter(|x| {
                matches!(
                    x.kind,
                    crate::domain::questionnaire::QuestionKind::Text { .. }
                )
            })
            .collect();
        if text_questions.is_empty() {
            continue;
        }
        let codes: Vec<String> = text_questions.iter().map(|x| x.code.clone()).collect();
        let rows = responses::answers_to(&mut conn, campaign_id, cq.version_id, &codes, limit)?;
        for question in text_questions {
            out.push(TextAnswers {
                questionnaire: cq.title.clone(),
                question: question.text.clone(),
                answers: rows
                    .iter()
                    .filter(|(code, _, _)| *code == question.code)
                    .map(|(_, unit, text)| TextAnswer {
                        unit: unit.clone(),
                        text: text.clone(),
                    })
                    .collect(),
            });
        }
    }
    Ok(out)
}
