//! Notices to staff by e-mail, through a queue with retries: to a unit's
//! officers when an appraiser asks for an explanation, when the council
//! approves the appraisal and a few days before the dossier deadline; to
//! the appraisers of the unit's departments when it submits. Each is a
//! template in `templates/email/`, rendered when queued. Accounts without
//! an address get nothing; a failure to queue never undoes the act that
//! caused it (it is logged).

use chrono::{Duration, NaiveDateTime};

use crate::domain::access::Role;
use crate::domain::email::Email;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::vietnam_time;
use crate::mail::{render, Content, Mailer, Message, Notice, Template};
use crate::storage::notices::{self as store, NewNotice};
use crate::storage::users::UserRow;
use crate::storage::{assignments, campaigns as campaign_store, dossiers, units, users};

use super::{deadlines, App, Result, ServiceError};

/// How notices are written and when the deadline one goes out: part of the
/// service's options, from the settings.
#[derive(Debug, Clone)]
pub struct NoticeOptions {
    /// The address staff open links at (`public_url`).
    pub base_url: String,
    /// The sender's name in the text (`mail.organization`).
    pub organization: String,
    /// Days before the dossier deadline the reminder goes out. No seed
    /// states a number: a labelled setting (`notices.deadline_days_before`).
    pub deadline_days_before: i64,
}

impl Default for NoticeOptions {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".into(),
            organization: "Sở Nội vụ".into(),
            deadline_days_before: 3,
        }
    }
}

/// What happened that staff should hear of.
#[derive(Debug, Clone)]
pub enum Event {
    ExplanationRequested { criterion: String, text: String },
    AppraisalFinal,
    DossierSubmitted { departments: Vec<String> },
}

struct Subject {
    campaign: String,
    unit: String,
    link: String,
}

fn subject(app: &App, campaign_id: i64, unit_id: i64) -> Result<Subject> {
    let mut conn = app.conn()?;
    let c = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt {campaign_id}")))?;
    let u = units::by_id(&mut conn, unit_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị {unit_id}")))?;
    Ok(Subject {
        campaign: c.name,
        unit: u.name,
        link: format!(
            "{}/staff/campaigns/{campaign_id}/dossiers/{unit_id}",
            app.notices.base_url.trim_end_matches('/')
        ),
    })
}

fn queue(
    app: &App,
    template: Template,
    to: &[UserRow],
    dedup: &str,
    ctx: impl Fn(&UserRow) -> Notice,
    now: NaiveDateTime,
) -> Result<usize> {
    let mut queued = 0;
    for u in to {
        let content = render(template, &ctx(u))
            .map_err(|e| ServiceError::Internal(format!("thư {}: {e}", template.name())))?;
        let key = format!("{dedup}:{}", u.id);
        let n = NewNotice {
            user_id: u.id,
            kind: template.name(),
            dedup_key: &key,
            subject: &content.subject,
            body_text: &content.text,
            body_html: &content.html,
        };
        if store::enqueue(&mut *app.writer()?, &n, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues the notices of `event` on a unit's dossier. `key` tells two
/// events of the same kind apart (a request's id, a submission's time).
pub fn after(
    app: &App,
    event: &Event,
    campaign_id: CampaignId,
    unit_id: UnitId,
    key: &str,
    now: NaiveDateTime,
) -> Result<usize> {
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    let s = subject(app, campaign_id, unit_id)?;
    let notice = |u: &UserRow, criterion: Option<String>, text: Option<String>| Notice {
        name: u.display_name.clone(),
        organization: app.notices.organization.clone(),
        campaign: s.campaign.clone(),
        unit: s.unit.clone(),
        link: s.link.clone(),
        criterion,
        text,
        deadline: None,
        days_left: None,
    };
    let dedup = |kind: &str| format!("{kind}:{campaign_id}:{unit_id}:{key}");
    match event {
        Event::ExplanationRequested { criterion, text } => {
            let to = users::of_unit(&mut *app.conn()?, unit_id, Role::UnitOfficer.code())?;
            queue(
                app,
                Template::ExplanationRequested,
                &to,
                &dedup("explanation"),
                |u| notice(u, Some(criterion.clone()), Some(text.clone())),
                now,
            )
        }
        Event::AppraisalFinal => {
            let to = users::of_unit(&mut *app.conn()?, unit_id, Role::UnitOfficer.code())?;
            queue(
                app,
                Template::AppraisalFinal,
                &to,
                &dedup("final"),
                |u| notice(u, None, None),
                now,
            )
        }
        Event::DossierSubmitted { departments } => {
            let mut conn = app.conn()?;
            let ids = assignments::user_ids(&mut conn, campaign_id, departments)?;
            let to = users::reachable(&mut conn, &ids)?;
            drop(conn);
            queue(
                app,
                Template::DossierSubmitted,
                &to,
                &dedup("submitted"),
                |u| notice(u, None, None),
                now,
            )
        }
    }
}

/// Queues `event`'s notices, logging instead of failing: the act that
/// caused them is done and stays done.
pub fn after_or_log(
    app: &App,
    event: &Event,
    campaign_id: CampaignId,
    unit_id: UnitId,
    key: &str,
    now: NaiveDateTime,
) {
    if let Err(e) = after(app, event, campaign_id, unit_id, key, now) {
        tracing::warn!(error = %e, campaign = campaign_id.get(), unit = unit_id.get(), "staff notice not queued");
    }
}

/// Queues the deadline reminder for every unit of every unpublished
/// campaign with a province profile whose dossier is not submitted and
/// whose deadline falls within `deadline_days_before` days. Once per officer
/// and deadline, however often it runs.
pub fn queue_deadline_reminders(app: &App, now: NaiveDateTime) -> Result<usize> {
    let today = vietnam_time::date(now);
    let horizon = app.notices.deadline_days_before;
    let mut queued = 0;
    let campaigns = campaign_store::list(&mut *app.conn()?)?;
    let unit_rows = units::list(&mut *app.conn()?)?;
    for c in campaigns
        .into_iter()
        .filter(|c| c.profile_code.is_some() && c.archived_at.is_none())
    {
        if crate::storage::publication::publication(&mut *app.conn()?, c.id)?.is_some() {
            continue;
        }
        let profile = app.campaign_profile(CampaignId(c.id))?;
        let submitted: Vec<i64> = dossiers::of_campaign(&mut *app.conn()?, c.id)?
            .into_iter()
            .filter(|d| d.submitted_at.is_some())
            .map(|d| d.unit_id)
            .collect();
        let waiting: Vec<&units::UnitRow> = unit_rows
            .iter()
            .filter(|u| {
                !submitted.contains(&u.id) && profile.criteria_set_for(&u.unit_type).is_some()
            })
            .collect();
        let ids: Vec<i64> = waiting.iter().map(|u| u.id).collect();
        let dues = deadlines::dossier_dues(&mut *app.conn()?, &profile, &c, &ids)?;
        for u in waiting {
            let Some(due) = dues.get(&u.id) else {
                continue;
            };
            let days_left = (due.effective - today).num_days();
            if !(0..=horizon).contains(&days_left) {
                continue;
            }
            let to = users::of_unit(&mut *app.conn()?, u.id, Role::UnitOfficer.code())?;
            let s = subject(app, c.id, u.id)?;
            let deadline = due.effective.format("%d/%m/%Y").to_string();
            queued += queue(
                app,
                Template::DeadlineSoon,
                &to,
                &format!("deadline:{}:{}:{}", c.id, u.id, due.effective),
                |r| Notice {
                    name: r.display_name.clone(),
                    organization: app.notices.organization.clone(),
                    campaign: s.campaign.clone(),
                    unit: s.unit.clone(),
                    link: s.link.clone(),
                    criterion: None,
                    text: None,
                    deadline: Some(deadline.clone()),
                    days_left: Some(days_left),
                },
                now,
            )?;
        }
    }
    Ok(queued)
}

/// What one pass of the sender did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Tries after a transient failure; the waits double from 5 minutes.
const MAX_ATTEMPTS: i32 = 5;

/// Sends the notices that are due; a transient failure is tried again
/// later, a permanent one (or the fifth) is given up, with the reason kept.
pub fn send_due(app: &App, mailer: &Mailer, now: NaiveDateTime) -> Result<SendReport> {
    let mut report = SendReport::default();
    for n in store::due(&mut *app.conn()?, now, 200)? {
        let to = n.email.as_deref().and_then(|e| Email::parse(e).ok());
        let Some(to) = to else {
            store::mark_failed_try(
                &mut *app.writer()?,
                n.id,
                n.attempts + 1,
                None,
                "không có địa chỉ thư hợp lệ",
            )?;
            report.failed += 1;
            continue;
        };
        let content = Content {
            subject: n.subject.clone(),
            text: n.body_text.clone(),
            html: n.body_html.clone(),
        };
        let message = Message::new(to, content)
            .with_name(n.display_name.clone())
            .with_message_id(mailer.new_message_id());
        match mailer.send(&message) {
            Ok(_) => {
                store::mark_sent(&mut *app.writer()?, n.id, now)?;
                report.sent += 1;
            }
            Err(e) => {
                let attempts = n.attempts + 1;
                let next = (e.is_transient() && attempts < MAX_ATTEMPTS)
                    .then(|| now + Duration::minutes(5 * (1 << (attempts - 1))));
                store::mark_failed_try(&mut *app.writer()?, n.id, attempts, next, e.reason())?;
                if next.is_some() {
                    report.retried += 1;
                } else {
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

/// The notice sender of `serve`: every `every`, queues the deadline
/// reminders that are due and sends what is queued. Runs for the life of
/// the process; an error is logged and the next pass tries again.
pub fn spawn_sender(app: std::sync::Arc<App>, mailer: Mailer, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("staff-notices".into())
        .spawn(move || loop {
            let now = super::now();
            if let Err(e) = queue_deadline_reminders(&app, now) {
                tracing::warn!(error = %e, "deadline reminders not queued");
            }
            match send_due(&app, &mailer, now) {
                Ok(r) if r != SendReport::default() => {
                    tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        "staff notices"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "staff notices not sent"),
            }
            std::thread::sleep(every);
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the staff notice sender did not start");
    }
}
