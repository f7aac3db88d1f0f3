//! A respondent answering: opening the form, moving between pages, saving,
//! submitting. The page-by-page state machine lives here; the web turns a
//! request into a [`PagePost`] and a [`PageReply`] into a response.

use crate::domain::ids::CampaignId;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::domain::answers::{
    self, encode, is_visible, missing_required, pages, prune_hidden, Answers,
};
use crate::domain::campaign::{CampaignPeriod, CampaignStatus};
use crate::domain::questionnaire::{Questionnaire, Rates};
use crate::domain::token::Token;
use crate::storage::campaigns;
use crate::storage::respondents::{
    self, NewRespondent, OpenOrigin, RespondentRow, RespondentSource, RespondentStatus,
};
use crate::storage::responses::{self, Submission, SubmitOutcome};
use crate::storage::units::{self, UnitRow};
use crate::storage::DbConn;

use super::campaigns::period;
use super::units::Unit;
use super::{accounts, now, App, Result, ServiceError};

/// Everything needed to show and check a respondent's form.
#[derive(Debug, Clone)]
pub struct FormSession {
    pub campaign_name: String,
    pub questionnaire: Arc<Questionnaire>,
    /// The units this respondent rates, in page order.
    pub rated: Vec<Unit>,
    /// The drafts saved so far.
    pub answers: Answers,
    respondent: RespondentRow,
    version_id: i64,
    campaign: CampaignFacts,
}

#[derive(Debug, Clone)]
struct CampaignFacts {
    name: String,
    period: CampaignPeriod,
    anonymous: bool,
}

impl FormSession {
    pub fn rated_ids(&self) -> Vec<i64> {
        self.rated.iter().map(|u| u.id.get()).collect()
    }

    pub fn page_count(&self) -> usize {
        self.rated.len() * self.questionnaire.sections.len()
    }
}

pub enum FormAccess {
    Open(Box<FormSession>),
    /// Already submitted; the key lets a retried submission see success again.
    Submitted {
        submit_key: Option<String>,
    },
}

fn check_open(c: &CampaignFacts) -> Result<()> {
    match c.period.status(now()) {
        CampaignStatus::Open => Ok(()),
        CampaignStatus::NotYetOpen => Err(ServiceError::CampaignNotYetOpen {
            name: c.name.clone(),
            opens_on: c.period.opens_on(),
        }),
        CampaignStatus::Closed => Err(ServiceError::CampaignClosed {
            name: c.name.clone(),
            closes_on: c.period.closes_on(),
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

/// Opens a token's form. Unknown, malformed and used tokens look the same
/// from outside.
pub fn open_form(app: &App, token: &str) -> Result<FormAccess> {
    let token = Token::parse(token).ok_or(ServiceError::TokenUnavailable)?;
    let mut conn = app.conn()?;
    let respondent = respondents::by_token_hash(&mut conn, &token.hash().0)?
        .ok_or(ServiceError::TokenUnavailable)?;
    if respondent.status == RespondentStatus::Submitted {
        return Ok(FormAccess::Submitted {
            submit_key: respondent.submit_key,
        });
    }
    let campaign =
        campaigns::get(&mut conn, respondent.campaign_id)?.ok_or(ServiceError::TokenUnavailable)?;
    let facts = CampaignFacts {
        name: campaign.name.clone(),
        period: period(&campaign),
        anonymous: campaign.anonymous,
    };
    check_open(&facts)?;
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
        app.write_answers(id, move |conn, _| respondents::mark_opened(conn, id, at))?;
    }
    Ok(FormAccess::Open(Box::new(FormSession {
        campaign_name: facts.name.clone(),
        questionnaire,
        rated: rated.into_iter().map(Unit::from).collect(),
        answers,
        respondent,
        version_id: cq.version_id,
        campaign: facts,
    })))
}

/// Like [`open_form`], for a client that may be guessing tokens: refused
/// with [`ServiceError::Throttled`] once the client has tried too many
/// unknown ones, and every unknown token counts against it.
pub fn open_guarded(app: &App, token: &str, client: &str) -> Result<FormAccess> {
    accounts::token_guarded(app, client, || open_form(app, token))
}

/// Saves one page's answers. `keys` are all the questions of the page, so an
/// answer the respondent cleared is removed. Returns false when the token was
/// used in the meantime.
fn save_page(app: &App, s: &FormSession, keys: &[(i64, String)], values: &Answers) -> Result<bool> {
    let (id, keys, values, now) = (s.respondent.id, keys.to_vec(), values.clone(), now());
    app.write_answers(id, move |conn, _| {
        respondents::save_draft(conn, id, &keys, &values, now)
    })
}

/// What a response adds to the survey's running sums: one update per unit
/// the respondent rated. The rule itself (which stratum, how a blank unit
/// counts) is [`super::results::tally_updates`], shared with the
/// recomputation so both give the same sums.
fn tally_updates(
    app: &App,
    s: &FormSession,
    answers: &Answers,
) -> Result<Vec<crate::storage::tallies::Update>> {
    let Some(scorer) = app.scorer(s.respondent.campaign_id, s.version_id)? else {
        return Ok(vec![]);
    };
    let stratum =
        super::results::tally_stratum(s.respondent.stratum.as_deref(), s.respondent.source);
    Ok(super::results::tally_updates(
        &scorer,
        &stratum,
        &s.rated_ids(),
        answers,
    ))
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
fn submit(
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
    let packed = crate::domain::survey::packed::PackedLayout::of(&s.questionnaire).pack(&answers);
    let (respondent, version_id, anonymous, key, now) = (
        s.respondent.clone(),
        s.version_id,
        s.campaign.anonymous,
        idempotency_key.to_string(),
        now(),
    );
    let outcome = app.write_answers(respondent.id, move |conn, pending| {
        let sub = Submission {
            respondent: &respondent,
            version_id,
            anonymous,
            idempotency_key: &key,
            answers: &answers,
            tallies: &tallies,
            packed: packed.as_deref(),
        };
        responses::submit(conn, &sub, now, pending)
    })?;
    Ok(match outcome {
        SubmitOutcome::Stored { response_id } => Submitted::Stored { response_id },
        SubmitOutcome::AlreadySubmitted { same_key } => Submitted::AlreadySubmitted { same_key },
    })
}

/// The button a respondent pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Prev,
    Next,
    Save,
    /// The page's script saving in the background; nothing to show.
    Autosave,
    Submit,
}

impl Nav {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "prev" => Nav::Prev,
            "next" => Nav::Next,
            "save" => Nav::Save,
            "autosave" => Nav::Autosave,
            "submit" => Nav::Submit,
            _ => return None,
        })
    }
}

/// One page as the respondent sent it.
#[derive(Debug, Clone)]
pub struct PagePost {
    pub page: usize,
    pub nav: Nav,
    /// The form's one-time submission key: a retried submission with the
    /// same key sees the success page again.
    pub idempotency_key: String,
    /// The raw values sent per (rated unit, question code).
    pub fields: HashMap<(i64, String), Vec<String>>,
}

/// A note shown above a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The answers were saved; the same link resumes.
    Saved,
    /// A submission found this many required questions unanswered.
    Incomplete { missing: usize },
}

/// A page of the form to show, with the answers as they stand.
#[derive(Debug, Clone)]
pub struct PageView {
    pub form: Box<FormSession>,
    pub answers: Answers,
    pub page: usize,
    /// Question code → what is wrong with its answer.
    pub errors: BTreeMap<String, String>,
    pub notice: Option<Notice>,
}

pub enum PageReply {
    /// Show a page; `PageView::errors` non-empty means the input was refused.
    Show(PageView),
    /// Go on to a page (after previous/next/save); `saved` shows the note.
    GoTo { page: usize, saved: bool },
    /// A background save was kept.
    Saved,
    /// The response is stored (now or by an earlier try with the same key).
    Done,
    /// The page number does not exist in this form.
    NoSuchPage,
}

/// The page to show when a respondent opens the link: `page`, or where they
/// left off.
pub fn show(
    app: &App,
    token: &str,
    client: &str,
    page: Option<usize>,
    saved: bool,
) -> Result<PageReply> {
    let FormAccess::Open(form) = open_guarded(app, token, client)? else {
        return Err(ServiceError::TokenUnavailable);
    };
    let page = match page {
        Some(p) if p < form.page_count() => p,
        Some(_) => return Ok(PageReply::NoSuchPage),
        None => answers::resume_page(&form.questionnaire, &form.rated_ids(), &form.answers),
    };
    let answers = form.answers.clone();
    Ok(PageReply::Show(PageView {
        form,
        answers,
        page,
        errors: BTreeMap::new(),
        notice: saved.then_some(Notice::Saved),
    }))
}

/// Handles one page sent by a respondent: checks its answers, saves them as
/// drafts, moves to the next page, or submits the whole response.
pub fn post_page(app: &App, token: &str, client: &str, post: &PagePost) -> Result<PageReply> {
    let form = match open_guarded(app, token, client)? {
        FormAccess::Open(form) => form,
        FormAccess::Submitted { submit_key } => {
            return if post.nav == Nav::Submit
                && submit_key.as_deref() == Some(post.idempotency_key.as_str())
            {
                Ok(PageReply::Done)
            } else {
                Err(ServiceError::TokenUnavailable)
            };
        }
    };
    let all = pages(&form.questionnaire, form.rated.len());
    let Some(&page) = all.get(post.page) else {
        return Ok(PageReply::NoSuchPage);
    };
    let qn = form.questionnaire.clone();
    let unit = form.rated[page.unit_index].id.get();
    let section = &qn.sections[page.section_index];

    // The page's values as stored text, and the answers not acceptable.
    let mut values = Answers::new();
    let mut errors = BTreeMap::new();
    for q in &section.questions {
        let raw: Vec<&str> = post
            .fields
            .get(&(unit, q.code.clone()))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        match encode(q, &raw) {
            Ok(Some(v)) => {
                values.insert((unit, q.code.clone()), v);
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(q.code.clone(), e.to_string());
            }
        }
    }
    let keys: Vec<(i64, String)> = section
        .questions
        .iter()
        .map(|q| (unit, q.code.clone()))
        .collect();
    let mut merged: Answers = form
        .answers
        .iter()
        .filter(|(k, _)| !keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    merged.extend(values);
    let merged = prune_hidden(&qn, &merged);
    errors.retain(|code, _| {
        qn.question(code)
            .is_some_and(|q| is_visible(&qn, q, unit, &merged))
    });
    let page_values: Answers = merged
        .iter()
        .filter(|(k, _)| keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    // A submission stores every answer and drops the drafts in one
    // transaction, so the page is saved first only when it is not submitted.
    // Not saved: submitted from another tab or a concurrent request meanwhile.
    if post.nav != Nav::Submit && !save_page(app, &form, &keys, &page_values)? {
        return Err(ServiceError::TokenUnavailable);
    }
    if post.nav == Nav::Autosave {
        return Ok(PageReply::Saved);
    }
    let show = |form: Box<FormSession>, page, errors, notice| {
        PageReply::Show(PageView {
            form,
            answers: merged.clone(),
            page,
            errors,
            notice,
        })
    };
    if !errors.is_empty() {
        return Ok(show(form, post.page, errors, None));
    }
    let p = post.page;
    match post.nav {
        Nav::Prev => Ok(PageReply::GoTo {
            page: p.saturating_sub(1),
            saved: false,
        }),
        Nav::Save | Nav::Autosave => Ok(PageReply::GoTo {
            page: p,
            saved: true,
        }),
        Nav::Next => {
            let missing = answers::missing_in_section(&qn, page.section_index, unit, &merged);
            if missing.is_empty() {
                Ok(PageReply::GoTo {
                    page: (p + 1).min(all.len() - 1),
                    saved: false,
                })
            } else {
                Ok(show(form, p, required_errors(missing), None))
            }
        }
        Nav::Submit => match submit(app, &form, &merged, &post.idempotency_key)? {
            Submitted::Stored { .. } | Submitted::AlreadySubmitted { same_key: true } => {
                Ok(PageReply::Done)
            }
            Submitted::AlreadySubmitted { same_key: false } => Err(ServiceError::TokenUnavailable),
            Submitted::Incomplete(missing) => {
                // Keep what this page had before pointing to what is missing.
                if !save_page(app, &form, &keys, &page_values)? {
                    return Err(ServiceError::TokenUnavailable);
                }
                let (first_unit, first_code) = &missing[0];
                let target =
                    answers::page_of(&qn, &form.rated_ids(), *first_unit, first_code).unwrap_or(p);
                let target_page = all[target];
                let target_unit = form.rated[target_page.unit_index].id.get();
                let on_target = answers::missing_in_section(
                    &qn,
                    target_page.section_index,
                    target_unit,
                    &merged,
                );
                let notice = Notice::Incomplete {
                    missing: missing.len(),
                };
                Ok(show(form, target, required_errors(on_target), Some(notice)))
            }
        },
    }
}

fn required_errors(codes: Vec<String>) -> BTreeMap<String, String> {
    let message = answers::FieldError::Required.to_string();
    codes.into_iter().map(|c| (c, message.clone())).collect()
}

/// What the landing page of an open link needs.
pub struct OpenLink {
    pub campaign_name: String,
    pub questionnaire: Arc<Questionnaire>,
    /// The units a respondent may say they dealt with.
    pub units: Vec<Unit>,
}

pub fn open_link(app: &App, campaign_id: CampaignId, code: &str) -> Result<OpenLink> {
    let campaign_id = campaign_id.get();
    let mut conn = app.conn()?;
    let not_found = || ServiceError::NotFound("không có đợt khảo sát hoặc phiếu này".to_string());
    let campaign = campaigns::get(&mut conn, campaign_id)?.ok_or_else(not_found)?;
    let entry = campaigns::questionnaire(&mut conn, campaign_id, code)?.ok_or_else(not_found)?;
    if !entry.open_link {
        return Err(ServiceError::OpenLinkClosed {
            campaign: campaign.name,
            title: entry.title,
        });
    }
    check_open(&CampaignFacts {
        name: campaign.name.clone(),
        period: period(&campaign),
        anonymous: campaign.anonymous,
    })?;
    let units = units::list(&mut conn)?;
    drop(conn);
    let questionnaire = app.questionnaire_version(entry.version_id)?;
    Ok(OpenLink {
        campaign_name: campaign.name,
        questionnaire,
        units: units.into_iter().map(Unit::from).collect(),
    })
}

/// What an open link's QR codes and posters need. Unlike the landing page
/// this does not ask whether the campaign is open now: posters are printed
/// and hung before it opens.
pub struct OpenLinkPosters {
    pub campaign_name: String,
    pub title: String,
    /// The units a poster can point the link at (`?unit=CODE`).
    pub units: Vec<Unit>,
}

pub fn open_link_posters(
    app: &App,
    campaign_id: CampaignId,
    code: &str,
) -> Result<OpenLinkPosters> {
    let mut conn = app.conn()?;
    let not_found = || ServiceError::NotFound("không có đợt khảo sát hoặc phiếu này".to_string());
    let campaign = campaigns::get(&mut conn, campaign_id.get())?.ok_or_else(not_found)?;
    let entry =
        campaigns::questionnaire(&mut conn, campaign_id.get(), code)?.ok_or_else(not_found)?;
    if !entry.open_link {
        return Err(ServiceError::invalid(format!(
            "Liên kết mở của phiếu \"{}\" đang tắt: mở liên kết mở ở trang đợt khảo sát trước khi in mã QR.",
            entry.title
        )));
    }
    let units = units::list(&mut conn)?;
    Ok(OpenLinkPosters {
        campaign_name: campaign.name,
        title: entry.title,
        units: units.into_iter().map(Unit::from).collect(),
    })
}

/// The open link's landing page, and whether the respondent's earlier start
/// (the token in their resume cookie) can still be continued.
/// The resume cookie is tried like any token: an unknown one counts against
/// the client, and a throttled client simply gets no "continue" link.
pub fn open_landing(
    app: &App,
    campaign_id: CampaignId,
    code: &str,
    resume: Option<&str>,
    client: &str,
) -> Result<(OpenLink, Option<String>)> {
    let campaign_id = campaign_id.get();
    let link = open_link(app, CampaignId(campaign_id), code)?;
    let resumable = resume
        .filter(|t| {
            matches!(
                accounts::token_guarded(app, client, || open_form(app, t)),
                Ok(FormAccess::Open(_))
            )
        })
        .map(str::to_string);
    Ok((link, resumable))
}

/// Starts an answer through an open link: a fresh token outside the sample.
/// A client that starts more forms than the window allows is throttled.
/// The client's address and device cookie are kept as keyed fingerprints so
/// staff see how many forms came from one origin ([`open_origins`]).
pub fn start_open(
    app: &App,
    campaign_id: CampaignId,
    code: &str,
    unit_code: &str,
    client: &str,
    device: Option<&str>,
) -> Result<Token> {
    let campaign_id = campaign_id.get();
    if !accounts::note_open_start(app, client)? {
        return Err(ServiceError::Throttled);
    }
    let link = open_link(app, CampaignId(campaign_id), code)?;
    let unit = link
        .units
        .iter()
        .find(|u| u.code == unit_code)
        .ok_or_else(|| ServiceError::invalid("Vui lòng chọn đơn vị."))?;
    let token = Token::generate(&mut rand::rng());
    let secret = app.secret()?;
    let client_key = secret.origin_key(campaign_id, "client", client);
    let device_key = device.map(|d| secret.origin_key(campaign_id, "device", d));
    let r = NewRespondent {
        campaign_id,
        questionnaire_code: code,
        unit_id: Some(unit.id.get()),
        source: RespondentSource::Open,
        origin: Some(OpenOrigin {
            client: &client_key,
            device: device_key.as_deref(),
        }),
    };
    respondents::insert_many(&mut *app.writer()?, &r, &[token.hash().0], now())?;
    Ok(token)
}

/// How many of a unit's open-link responses came from one address or one
/// device: what staff look at to see a survey stuffed through an open link.
pub fn open_origins(
    app: &App,
    campaign_id: CampaignId,
    unit_id: crate::domain::ids::UnitId,
) -> Result<crate::domain::survey::origins::OpenOrigins> {
    let rows = respondents::open_origins(&mut *app.conn()?, campaign_id.get(), unit_id.get())?;
    Ok(crate::domain::survey::origins::OpenOrigins::count(
        rows.iter().map(|(c, d)| (c.as_deref(), d.as_deref())),
    ))
}
