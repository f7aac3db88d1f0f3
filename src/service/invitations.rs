//! E-mail invitations and reminders to the people drawn: queued in the
//! database, sent at a steady pace, resumable after a crash.
//!
//! Each message goes `queued` → `sending` → `sent` (or `failed`, `bounced`,
//! `opted_out`, `cancelled`), each step committed. A crash between the mail
//! server's acceptance and the `sent` commit leaves the message `sending`;
//! the next run sends it again with the same Message-ID, so the person's mail
//! program shows one message. Nobody is ever queued twice: a person has one
//! row per message number.

use crate::domain::ids::CampaignId;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::contact::ContactMode;
use crate::domain::email::Email;
use crate::domain::states::{InvitationState, RespondentStatus};
use crate::mail::{render, Invitation, MailError, Mailer, Message, Template};
use crate::storage::draws;
use crate::storage::invitations::{self as inv, Job};
use crate::storage::respondents;
use crate::storage::{campaigns as store, units};

use super::campaigns::period;
use super::{now, App, Result, ServiceError};

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub public_url: String,
    pub organization: String,
    /// Messages per second at most.
    pub per_second: f64,
    /// Tries per message before it is marked failed.
    pub max_attempts: i32,
    /// How long this sender's claim on the campaign lasts unrenewed.
    pub lease_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueReport {
    pub queued: usize,
    /// People drawn without an e-mail whom the protocol reaches another way
    /// (a letter): nobody replaced.
    pub by_other_mode: usize,
    /// People no mode of the protocol can reach: marked failed, a reserve
    /// released.
    pub no_address: usize,
    pub reserves_released: usize,
}

fn draw_of(app: &App, campaign_id: i64) -> Result<draws::DrawRow> {
    draws::of_campaign(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::invalid("đợt khảo sát này chưa rút mẫu"))
}

/// Queues an invitation for everyone drawn (and every released reserve) who
/// has none yet. A person without an e-mail address whom the contact
/// protocol reaches another way (a letter) is marked so and kept; only one
/// no mode can reach is replaced: their reserve is released and queued in
/// turn.
pub fn queue_invitations(
    app: &App,
    mailer: &Mailer,
    campaign_id: CampaignId,
) -> Result<QueueReport> {
    let campaign_id = campaign_id.get();
    let draw = draw_of(app, campaign_id)?;
    let mut report = QueueReport::default();
    loop {
        let pending = draws::uninvited(&mut *app.conn()?, draw.id)?;
        if pending.is_empty() {
            return Ok(report);
        }
        for p in pending {
            let (member_id, respondent_id, email) = (p.member_id, p.respondent_id, p.email);
            let now = now();
            let id = mailer.new_message_id();
            let reach = crate::domain::contact::Reach {
                email: email.is_some(),
                address: p.has_address,
            };
            let other = app.protocol().next(None, &reach);
            match email {
                Some(_) if app.protocol().includes(ContactMode::Email) => {
                    if inv::enqueue(
                        &mut *app.writer()?,
                        respondent_id,
                        0,
                        InvitationState::Queued,
                        None,
                        &id,
                        now,
                    )? {
                        report.queued += 1;
                    }
                }
                _ if other.is_some() => {
                    inv::enqueue(
                        &mut *app.writer()?,
                        respondent_id,
                        0,
                        InvitationState::NoEmail,
                        Some("không có e-mail trong khung mẫu: liên hệ bằng thư giấy"),
                        &id,
                        now,
                    )?;
                    report.by_other_mode += 1;
                }
                _ => {
                    inv::enqueue(
                        &mut *app.writer()?,
                        respondent_id,
                        0,
                        InvitationState::Failed,
                        Some(&format!(
                            "không liên hệ được theo quy trình ({}): khung mẫu không có e-mail hay địa chỉ bưu chính",
                            app.protocol().describe()
                        )),
                        &id,
                        now,
                    )?;
                    report.no_address += 1;
                    if release(app, campaign_id, member_id)? {
                        report.reserves_released += 1;
                    }
                }
            }
        }
    }
}

/// Releases the next reserve of a member's stratum in its place.
fn release(app: &App, campaign_id: i64, member_id: i64) -> Result<bool> {
    let secret = app.secret()?.clone();
    let hash = move |person: i64| secret.invitation_token(campaign_id, person).hash().0;
    Ok(draws::release_reserve(&mut *app.writer()?, member_id, now(), &hash)?.is_some())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub sent: usize,
    /// Transient failures left queued for the next run.
    pub retry: usize,
    pub failed: usize,
    pub bounced: usize,
    /// Not sent: the person answered or refused meanwhile.
    pub skipped: usize,
    pub reserves_released: usize,
}

/// Sends the campaign's queued messages (and any a crash left `sending`), at
/// most `per_second`, until none is left or `stop` says so. Each message's
/// state is committed before and after the mail server is asked.
pub fn send(
    app: &App,
    mailer: &Mailer,
    settings: &Settings,
    campaign_id: CampaignId,
    stop: &dyn Fn() -> bool,
) -> Result<SendReport> {
    let campaign_id = campaign_id.get();
    let campaign = store::get(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let closes_on = period(&campaign).closes_on();
    let gap = Duration::from_secs_f64(1.0 / settings.per_second.clamp(0.01, 10_000.0));
    let mut report = SendReport::default();
    let mut lease = Lease::take(app, campaign_id, settings.lease_seconds)?;
    let mut cursor = 0;
    let mut next_at = Instant::now();
    while !stop() {
        lease.keep(app)?;
        let Some(job) = inv::claim_next(&mut *app.writer()?, campaign_id, cursor, now())? else {
            break;
        };
        cursor = job.id;
        if job.submitted.is_some() {
            inv::finish(
                &mut *app.writer()?,
                job.id,
                InvitationState::Cancelled,
                Some("đã trả lời"),
                now(),
            )?;
            report.skipped += 1;
            continue;
        }
        if job.opted_out_at.is_some() {
            inv::finish(
                &mut *app.writer()?,
                job.id,
                InvitationState::OptedOut,
                None,
                now(),
            )?;
            report.skipped += 1;
            continue;
        }
        let wait = next_at.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        next_at = Instant::now() + gap;
        match deliver(app, mailer, settings, &campaign, closes_on, &job) {
            Ok(()) => {
                inv::finish(
                    &mut *app.writer()?,
                    job.id,
                    InvitationState::Sent,
                    None,
                    now(),
                )?;
                report.sent += 1;
            }
            Err(e) if e.is_transient() && job.attempts + 1 < settings.max_attempts => {
                inv::finish(
                    &mut *app.writer()?,
                    job.id,
                    InvitationState::Queued,
                    Some(&why(&e)),
                    now(),
                )?;
                report.retry += 1;
            }
            Err(e) if e.is_transient() => {
                inv::finish(
                    &mut *app.writer()?,
                    job.id,
                    InvitationState::Failed,
                    Some(&why(&e)),
                    now(),
                )?;
                report.failed += 1;
            }
            Err(e) => {
                inv::finish(
                    &mut *app.writer()?,
                    job.id,
                    InvitationState::Bounced,
                    Some(&why(&e)),
                    now(),
                )?;
                report.bounced += 1;
                // A person the protocol can reach no other way is replaced,
                // once; one with a postal address gets a letter instead.
                let reach = draws::reach_of(&mut *app.conn()?, job.respondent_id)?;
                let other = app.protocol().next(Some(ContactMode::Email), &reach);
                if job.seq == 0 && other.is_none() {
                    if let Some(member) = draws::member_of(&mut *app.conn()?, job.respondent_id)? {
                        if release(app, campaign_id, member)? {
                            report.reserves_released += 1;
                        }
                    }
                }
            }
        }
    }
    lease.give_up(app)?;
    Ok(report)
}

/// This sender's claim on a campaign's queue. Only the holder sends, so a
/// message left `sending` is one whose sender died (its lease ran out), and
/// taking it again cannot double a message another live sender is handling.
struct Lease {
    campaign_id: i64,
    holder: String,
    length: chrono::Duration,
    renew_after: chrono::NaiveDateTime,
}

impl Lease {
    fn take(app: &App, campaign_id: i64, seconds: u64) -> Result<Self> {
        let holder = crate::service::accounts::random_b64(12);
        let length = chrono::Duration::seconds(seconds.clamp(1, 86_400) as i64);
        let mut lease = Self {
            campaign_id,
            holder,
            length,
            renew_after: now(),
        };
        lease.keep(app)?;
        Ok(lease)
    }

    /// Renews the lease once half of it has passed; an error if another
    /// sender holds it (ours ran out while this one stalled).
    fn keep(&mut self, app: &App) -> Result<()> {
        let now = now();
        if now < self.renew_after {
            return Ok(());
        }
        let (c, h, until) = (self.campaign_id, self.holder.clone(), now + self.length);
        if app.write(move |conn| inv::take_lease(conn, c, &h, now, until))? {
            self.renew_after = now + self.length / 2;
            return Ok(());
        }
        let until = inv::lease_expiry(&mut *app.conn()?, self.campaign_id)?;
        Err(ServiceError::invalid(format!(
            "Một tiến trình khác đang gửi thư của đợt khảo sát này{}; thử lại sau.",
            until
                .map(|t| {
                    let local = crate::domain::vietnam_time::local(t);
                    format!(
                        " (giữ quyền gửi đến {} giờ Việt Nam)",
                        local.format("%H:%M:%S %d/%m/%Y")
                    )
                })
                .unwrap_or_default()
        )))
    }

    fn give_up(self, app: &App) -> Result<()> {
        let (c, h) = (self.campaign_id, self.holder);
        app.write(move |conn| inv::drop_lease(conn, c, &h))
    }
}

/// The mail server's reply code and text, as the staff will read it.
fn why(e: &MailError) -> String {
    match e.code() {
        Some(code) => format!("{code} {}", e.reason()),
        None => e.reason().to_string(),
    }
}

fn deliver(
    app: &App,
    mailer: &Mailer,
    settings: &Settings,
    campaign: &store::CampaignRow,
    closes_on: NaiveDate,
    job: &Job,
) -> std::result::Result<(), MailError> {
    let internal = |e: ServiceError| MailError::transient(e.to_string());
    let address = job
        .email
        .as_deref()
        .ok_or_else(|| MailError::permanent("không có địa chỉ e-mail".to_string()))?;
    let to = Email::parse(address)
        .map_err(|e| MailError::permanent(format!("địa chỉ không hợp lệ: {e}")))?;
    let token = app
        .secret()
        .map_err(internal)?
        .invitation_token(campaign.id, job.frame_person_id);
    let unit = match job.unit_id {
        Some(id) => units::by_id(&mut *app.conn().map_err(internal)?, id)
            .map_err(|e| internal(e.into()))?
            .map(|u| u.name),
        None => None,
    };
    let base = settings.public_url.trim_end_matches('/');
    let ctx = Invitation {
        name: None,
        organization: settings.organization.clone(),
        campaign: campaign.name.clone(),
        unit,
        survey_url: format!("{base}/s/{}", token.as_str()),
        opt_out_url: format!("{base}/optout/{}", token.as_str()),
        closes_on,
        anonymous: campaign.anonymous,
    };
    let template = if job.seq == 0 {
        Template::Invitation
    } else {
        Template::Reminder
    };
    let content = render(template, &ctx).map_err(|e| MailError::transient(e.to_string()))?;
    let message = Message::new(to, content)
        .with_unsubscribe(ctx.opt_out_url.clone())
        .with_message_id(job.message_id.clone());
    mailer.send(&message).map(|_| ())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RemindReport {
    pub queued: usize,
}

/// Queues a reminder for everyone invited whose last message went out at
/// least `after_days` ago, who has neither answered nor refused, and who has
/// had fewer than `max_reminders` reminders.
pub fn queue_reminders(
    app: &App,
    mailer: &Mailer,
    campaign_id: CampaignId,
    after_days: i64,
    max_reminders: i32,
) -> Result<RemindReport> {
    let campaign_id = campaign_id.get();
    draw_of(app, campaign_id)?;
    let rows = inv::of_campaign(&mut *app.conn()?, campaign_id)?;
    let mut last: std::collections::BTreeMap<i64, &inv::InvitationRow> = Default::default();
    for r in &rows {
        let e = last.entry(r.respondent_id).or_insert(r);
        if r.seq > e.seq {
            *e = r;
        }
    }
    let cutoff = now() - chrono::Duration::days(after_days.max(0));
    let mut report = RemindReport::default();
    for (respondent_id, latest) in last {
        let due = latest.state == InvitationState::Sent
            && latest.sent_at.is_some_and(|t| t <= cutoff)
            && latest.seq < max_reminders;
        if !due {
            continue;
        }
        let r = respondents::by_id(&mut *app.conn()?, respondent_id)?;
        let Some(r) = r else { continue };
        if r.status == RespondentStatus::Submitted || r.opted_out_at.is_some() {
            continue;
        }
        if inv::enqueue(
            &mut *app.writer()?,
            respondent_id,
            latest.seq + 1,
            InvitationState::Queued,
            None,
            &mailer.new_message_id(),
            now(),
        )? {
            report.queued += 1;
        }
    }
    Ok(report)
}

pub enum OptOut {
    /// Recorded now; a reserve took the place when one was left.
    Done,
    /// Recorded before.
    Already,
    /// The answers are in: nothing to stop.
    Answered,
}

/// A drawn person asks not to be contacted: no more messages, and the next
/// reserve of the stratum takes the place.
pub fn opt_out(app: &App, token: &str) -> Result<OptOut> {
    let token = crate::domain::token::Token::parse(token).ok_or(ServiceError::TokenUnavailable)?;
    let r = respondents::by_token_hash(&mut *app.conn()?, &token.hash().0)?
        .ok_or(ServiceError::TokenUnavailable)?;
    if r.status == RespondentStatus::Submitted {
        return Ok(OptOut::Answered);
    }
    if r.opted_out_at.is_some() {
        return Ok(OptOut::Already);
    }
    let now = now();
    if !respondents::opt_out(&mut *app.writer()?, r.id, now)? {
        return Ok(OptOut::Already);
    }
    inv::cancel_for(&mut *app.writer()?, r.id, now)?;
    if let Some(member) = draws::member_of(&mut *app.conn()?, r.id)? {
        release(app, r.campaign_id, member)?;
    }
    Ok(OptOut::Done)
}

/// Invitations per state; a reminder's state carries `_nhac`.
pub fn state_counts(
    app: &App,
    campaign_id: CampaignId,
) -> Result<std::collections::BTreeMap<String, usize>> {
    let campaign_id = campaign_id.get();
    let mut states = std::collections::BTreeMap::new();
    for r in inv::of_campaign(&mut *app.conn()?, campaign_id)? {
        let key = format!("{}{}", r.state, if r.seq > 0 { "_nhac" } else { "" });
        *states.entry(key).or_insert(0) += 1;
    }
    Ok(states)
}

/// Who was reached and who answered, for one unit × group × stratum (or a
/// total over them).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Rates {
    /// Drawn into the sample.
    pub sampled: u64,
    /// Reserves drawn, and how many were released to replace someone.
    pub reserves: u64,
    pub released: u64,
    /// Invitations the mail server accepted.
    pub invited: u64,
    /// Invitations that could not be delivered (no address, refused address, gave up).
    pub undeliverable: u64,
    /// Opened the form at least once.
    pub opened: u64,
    pub answered: u64,
    /// Asked not to be contacted.
    pub refused: u64,
    /// The final dispositions in AAPOR's groups.
    pub outcomes: crate::domain::disposition::Outcomes,
}

impl Rates {
    fn add(&mut self, m: &draws::MemberState) {
        if m.reserve_rank.is_some() {
            self.reserves += 1;
            if !m.released {
                return;
            }
            self.released += 1;
        } else {
            self.sampled += 1;
        }
        let invitation = m.invitation.as_deref().map(InvitationState::parse);
        // Reached: an e-mail the server accepted, or a letter printed
        // (whether the post delivered it is not known unless it comes back).
        match invitation {
            Some(Ok(InvitationState::Sent)) => self.invited += 1,
            _ if m.lettered => self.invited += 1,
            Some(Ok(InvitationState::Failed | InvitationState::Bounced)) => self.undeliverable += 1,
            _ => {}
        }
        self.opened += u64::from(m.opened);
        let submitted = m.status.as_deref() == Some(RespondentStatus::Submitted.code());
        self.answered += u64::from(submitted);
        self.refused += u64::from(m.opted_out);
        let facts = crate::domain::disposition::CaseFacts {
            submitted,
            opened: m.opened,
            opted_out: m.opted_out,
            invited: m.lettered || matches!(invitation, Some(Ok(InvitationState::Sent))),
            undeliverable: matches!(
                invitation,
                Some(Ok(InvitationState::Failed | InvitationState::Bounced))
            ),
        };
        self.outcomes
            .add(crate::domain::disposition::Disposition::of(&facts));
    }

    /// Answers over invitations delivered.
    pub fn response_rate(&self) -> Option<f64> {
        (self.invited > 0).then(|| self.answered as f64 / self.invited as f64)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RateRow {
    pub unit: String,
    pub group: String,
    /// The group's name.
    pub group_label: String,
    /// The stratum's label (its stratifying values), empty for a unit × group total.
    pub stratum: String,
    pub rates: Rates,
    pub response_rate: Option<f64>,
    /// AAPOR's rates (`domain::disposition`), RR3 with the setting's e.
    pub rr1: Option<f64>,
    pub rr3: Option<f64>,
    pub coop1: Option<f64>,
    pub ref1: Option<f64>,
    pub con1: Option<f64>,
}

/// Response rates per unit, group and stratum, with a total per unit and
/// group, and the campaign's total last.
pub fn response_rates(app: &App, campaign_id: CampaignId) -> Result<Vec<RateRow>> {
    let campaign_id = campaign_id.get();
    let draw = draw_of(app, campaign_id)?;
    let states = draws::member_states(&mut *app.conn()?, draw.id)?;
    let names: std::collections::HashMap<i64, String> = units::list(&mut *app.conn()?)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    type Key = (String, String, String);
    let mut strata: std::collections::BTreeMap<Key, Rates> = Default::default();
    let mut totals: std::collections::BTreeMap<(String, String), Rates> = Default::default();
    let mut all = Rates::default();
    for m in &states {
        let unit = names.get(&m.unit_id).cloned().unwrap_or_default();
        let label = crate::domain::sampling::StratumId::from_stored(&m.stratum).label();
        strata
            .entry((unit.clone(), m.group.clone(), label))
            .or_default()
            .add(m);
        totals.entry((unit, m.group.clone())).or_default().add(m);
        all.add(m);
    }
    let e = app.eligible_share();
    let row = |unit: String, group: String, stratum: String, rates: Rates| RateRow {
        response_rate: rates.response_rate(),
        rr1: rates.outcomes.rr1(),
        rr3: rates.outcomes.rr3(e),
        coop1: rates.outcomes.coop1(),
        ref1: rates.outcomes.ref1(),
        con1: rates.outcomes.con1(),
        group_label: crate::domain::questionnaire::RespondentGroup::parse(&group)
            .map_or_else(|| group.clone(), |g| g.label().to_string()),
        unit,
        group,
        stratum,
        rates,
    };
    let mut out = Vec::new();
    for ((unit, group), total) in totals {
        let parts: Vec<_> = strata
            .iter()
            .filter(|((u, g, _), _)| *u == unit && *g == group)
            .collect();
        if parts.len() > 1 {
            for ((_, _, label), r) in parts {
                out.push(row(unit.clone(), group.clone(), label.clone(), r.clone()));
            }
        }
        out.push(row(unit, group, String::new(), total));
    }
    out.push(row("Tất cả".into(), String::new(), String::new(), all));
    Ok(out)
}

/// Where a link's holder stands, for the opt-out page.
pub fn opt_out_state(app: &App, token: &str) -> Result<OptOut> {
    let token = crate::domain::token::Token::parse(token).ok_or(ServiceError::TokenUnavailable)?;
    let r = respondents::by_token_hash(&mut *app.conn()?, &token.hash().0)?
        .ok_or(ServiceError::TokenUnavailable)?;
    Ok(if r.status == RespondentStatus::Submitted {
        OptOut::Answered
    } else if r.opted_out_at.is_some() {
        OptOut::Already
    } else {
        OptOut::Done
    })
}
