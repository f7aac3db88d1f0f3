//! A respondent answering: opening the form, saving pages, submitting.

use std::sync::Arc;

use crate::domain::answers::{missing_required, prune_hidden, Answers};
use crate::domain::campaign::CampaignStatus;
use crate::domain::questionnaire::{Questionnaire, Rates};
use crate::domain::token::Token;
use crate::storage::campaigns::{self, CampaignQuestionnaire, CampaignRow};
use crate::storage::respondents::{
    self, NewRespondent, RespondentRow, SOURCE_OPEN, STATUS_SUBMITTED,
};
use crate::storage::responses::{self, Submission, SubmitOutcome};
use crate::storage::units::{self, UnitRow};
use crate::storage::DbConn;

use super::campaigns::period;
use super::{now, App, Result, ServiceError};

/// Everything needed to show and check a respondent's form.
#[derive(Debug, Clone)]
pub struct FormSession {
    pub respondent: RespondentRow,
    pub campaign: CampaignRow,
    pub version_id: i64,
    pub questionnaire: Arc<Questionnaire>,
    /// The unit the respondent belongs to or dealt with.
    pub own_unit: Option<UnitRow>,
    /// The units this respondent rates, in page order.
    pub rated: Vec<UnitRow>,
    pub answers: Answers,
}

impl FormSession {
    pub fn rated_ids(&self) -> Vec<i64> {
        self.rated.iter().map(|u| u.id).collect()
    }
}

pub enum FormAccess {
    Open(Box<FormSession>),
    /// Already submitted; the key lets a retried submission see success again.
    Submitted {
        submit_key: Option<String>,
    },
}

fn check_open(c: &CampaignRow) -> Result<()> {
    let p = period(c);
    match p.status(now()) {
        CampaignStatus::Open => Ok(()),
        CampaignStatus::NotYetOpen => Err(ServiceError::CampaignNotYetOpen {
            name: c.name.clone(),
            opens_on: p.opens_on(),
        }),
        CampaignStatus::Closed => Err(ServiceError::CampaignClosed {
            name: c.name.clone(),
            closes_on: p.closes_on(),
        }),
    }
}

pub(crate) fn rated_units(
    conn: &mut DbConn,
    qn: &Questionnaire,
    own: Option<&UnitRow>,
) -> Result<Vec<UnitRow>> {
    match &qn.rates {
        Rates::OwnUnit => Ok(own.cloned().into_iter().collect()),
        Rates::Blocks(blocks) => Ok(units::in_blocks(conn, blocks, own.map(|u| u.id))?),
    }
}

pub fn open_form(app: &App, token: &str) -> Result<FormAccess> {
    let token = Token::parse(token).ok_or(ServiceError::TokenUnavailable)?;
    let mut conn = app.conn()?;
    let respondent = respondents::by_token_hash(&mut conn, &token.hash().0)?
        .ok_or(ServiceError::TokenUnavailable)?;
    if respondent.status == STATUS_SUBMITTED {
        return Ok(FormAccess::Submitted {
            submit_key: respondent.submit_key,
        });
    }
    let campaign =
        campaigns::get(&mut conn, respondent.campaign_id)?.ok_or(ServiceError::TokenUnavailable)?;
    check_open(&campaign)?;
    let cq = campaigns::questionnaire(&mut conn, campaign.id, &respondent.questionnaire_code)?
        .ok_or(ServiceError::TokenUnavailable)?;
    let questionnaire = app.questionnaire_version_on(&mut conn, cq.version_id)?;
    let own_unit = match respondent.unit_id {
        Some(id) => units::by_id(&mut conn, id)?,
        None => None,
    };
    let rated = rated_units(&mut conn, &questionnaire, own_unit.as_ref())?;
    if rated.is_empty() {
        // A token issued without the unit it is about cannot be answered.
        return Err(ServiceError::TokenUnavailable);
    }
    let answers = respondents::drafts(&mut conn, respondent.id)?;
    drop(conn);
    if respondent.opened_at.is_none() {
        // In an anonymous campaign even the opening is kept to the day.
        let at = match now() {
            t if campaign.anonymous => crate::domain::campaign::anonymous_time(t),
            t => t,
        };
        let id = respondent.id;
        app.write(move |conn| respondents::mark_opened(conn, id, at))?;
    }
    Ok(FormAccess::Open(Box::new(FormSession {
        respondent,
        campaign,
        version_id: cq.version_id,
        questionnaire,
        own_unit,
        rated,
        answers,
    })))
}

/// Saves one page's answers. `keys` are all the questions of the page, so an
/// answer the respondent cleared is removed. Returns false when the token was
/// used in the meantime.
pub fn save_page(
    app: &App,
    s: &FormSession,
    keys: &[(i64, String)],
    values: &Answers,
) -> Result<bool> {
    let (id, keys, values, now) = (s.respondent.id, keys.to_vec(), values.clone(), now());
    app.write(move |conn| respondents::save_draft(conn, id, &keys, &values, now))
}

/// What a response adds to the survey's running sums: one update per unit
/// the respondent rated (a blank one for a unit asked about but not
/// answered, so the respondent still counts in the stratum). Answers from
/// outside the draw go to their own tally.
fn tally_updates(
    app: &App,
    s: &FormSession,
    answers: &Answers,
) -> Result<Vec<crate::storage::tallies::Update>> {
    let Some(scorer) = app.scorer(s.version_id)? else {
        return Ok(vec![]);
    };
    let stratum = match (&s.respondent.stratum, s.respondent.source.as_str()) {
        (Some(h), respondents::SOURCE_SAMPLE) => h.clone(),
        _ => crate::storage::tallies::OUTSIDE_DRAW.to_string(),
    };
    let mut scores = scorer.by_rated_unit(answers);
    Ok(s.rated
        .iter()
        .map(|u| crate::storage::tallies::Update {
            rated_unit_id: u.id,
            group: scorer.group().code(),
            stratum: stratum.clone(),
            criteria: scorer.criteria().to_vec(),
            scores: scores.remove(&u.id).unwrap_or_else(|| scorer.blank()),
        })
        .collect())
}

pub enum Submitted {
    Stored {
        response_id: i64,
    },
    /// Required questions still unanswered: (rated unit, question code).
    Incomplete(Vec<(i64, String)>),
    AlreadySubmitted {
        same_key: bool,
    },
}

/// Submits the respondent's whole set of answers (drafts merged with the last
/// page), or says what is still missing.
pub fn submit(
    app: &App,
    s: &FormSession,
    answers: &Answers,
    idempotency_key: &str,
) -> Result<Submitted> {
    check_open(&s.campaign)?;
    let answers = prune_hidden(&s.questionnaire, answers);
    let missing = missing_required(&s.questionnaire, &s.rated_ids(), &answers);
    if !missing.is_empty() {
        return Ok(Submitted::Incomplete(missing));
    }
    let tallies = tally_updates(app, s, &answers)?;
    let (respondent, version_id, anonymous, key, now) = (
        s.respondent.clone(),
        s.version_id,
        s.campaign.anonymous,
        idempotency_key.to_string(),
        now(),
    );
    let outcome = app.write(move |conn| {
        let sub = Submission {
            respondent: &respondent,
            version_id,
            anonymous,
            idempotency_key: &key,
            answers: &answers,
            tallies: &tallies,
        };
        responses::submit(conn, &sub, now)
    })?;
    Ok(match outcome {
        SubmitOutcome::Stored { response_id } => Submitted::Stored { response_id },
        SubmitOutcome::AlreadySubmitted { same_key } => Submitted::AlreadySubmitted { same_key },
    })
}

/// What the landing page of an open link needs.
pub struct OpenLink {
    pub campaign: CampaignRow,
    pub questionnaire: Arc<Questionnaire>,
    pub entry: CampaignQuestionnaire,
    pub units: Vec<UnitRow>,
}

pub fn open_link(app: &App, campaign_id: i64, code: &str) -> Result<OpenLink> {
    let mut conn = app.conn()?;
    let not_found = || ServiceError::NotFound("không có đợt khảo sát hoặc phiếu này".to_string());
    let campaign = campaigns::get(&mut conn, campaign_id)?.ok_or_else(not_found)?;
    let entry = campaigns::questionnaire(&mut conn, campaign_id, code)?.ok_or_else(not_found)?;
    check_open(&campaign)?;
    let units = units::list(&mut conn)?;
    drop(conn);
    let questionnaire = app.questionnaire_version(entry.version_id)?;
    Ok(OpenLink {
        campaign,
        questionnaire,
        entry,
        units,
    })
}

/// Starts an answer through an open link: a fresh token outside the sample.
pub fn start_open(app: &App, campaign_id: i64, code: &str, unit_code: &str) -> Result<Token> {
    let link = open_link(app, campaign_id, code)?;
    let unit = link
        .units
        .iter()
        .find(|u| u.code == unit_code)
        .ok_or_else(|| ServiceError::invalid("Vui lòng chọn đơn vị."))?;
    let token = Token::generate(&mut rand::rng());
    let r = NewRespondent {
        campaign_id,
        questionnaire_code: code,
        unit_id: Some(unit.id),
        source: SOURCE_OPEN,
    };
    respondents::insert_many(&mut *app.writer()?, &r, &[token.hash().0], now())?;
    Ok(token)
}
