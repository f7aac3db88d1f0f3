//! A campaign's calendar: the profile's yearly deadline rules turned into
//! dates for the campaign's year, and the changes an administrator made to
//! them (a new date for every unit, or an extension for one unit), each with
//! its reason, in an append-only log. One home for "the deadline in force
//! for this unit": the dossier lock, its lateness and every page ask here.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::access::{allows, Action};
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::profile::Profile;
use crate::storage::campaigns::{self as campaign_store, CampaignRow};
use crate::storage::deadlines::{self as store, ChangeRow, NewChange};
use crate::storage::{units, DbConn};

use super::accounts::StaffUser;
use super::{now, App, Result, ServiceError};

/// The deadline in force for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// As set: the profile's rule for the year, or the last change.
    pub date: NaiveDate,
    /// Moved off weekends and holidays by the profile's calendar.
    pub effective: NaiveDate,
    /// Why it is not the profile's date, e.g. "Gia hạn cho đơn vị: …".
    pub note: Option<String>,
}

/// One deadline of a campaign, as the campaign page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineView {
    pub code: String,
    pub name: String,
    /// The profile's rule, e.g. "ngày 08/12 hằng năm".
    pub rule: String,
    /// The rule's date for the campaign's year.
    pub as_written: String,
    /// In force for every unit, and its working-day date.
    pub due: String,
    pub effective: String,
    pub changed: bool,
    /// Units with their own extension.
    pub extensions: Vec<ExtensionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExtensionView {
    pub unit: String,
    pub due: String,
    pub reason: String,
}

/// One entry of the change log.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub deadline: String,
    /// "Tất cả đơn vị" or the unit's name and code.
    pub scope: String,
    pub due: String,
    pub reason: String,
    pub by: String,
    /// Vietnam time.
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignCalendar {
    pub year: i32,
    pub deadlines: Vec<DeadlineView>,
    pub changes: Vec<ChangeView>,
    /// Facts the administrator should know, e.g. a year the holiday list
    /// does not cover.
    pub notes: Vec<String>,
}

fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn with_effective(profile: &Profile, d: NaiveDate) -> String {
    let eff = profile.calendar.effective_deadline(d);
    if eff == d {
        ddmmyyyy(d)
    } else {
        format!("{} (ngày nghỉ, dời sang {})", ddmmyyyy(d), ddmmyyyy(eff))
    }
}

fn scope(c: &ChangeRow) -> String {
    match (&c.unit_name, &c.unit_code) {
        (Some(name), Some(code)) => format!("{name} ({code})"),
        _ => "Tất cả đơn vị".into(),
    }
}

/// The deadline `code` in force for `unit_id` (None: for every unit), from
/// the profile's rule for the campaign's year and the changes, the latest
/// for the unit winning over the latest for all.
fn in_force(
    profile: &Profile,
    year: i32,
    changes: &[ChangeRow],
    code: &str,
    unit_id: Option<i64>,
) -> Option<Due> {
    let written = profile.deadline(code)?.rule.on(year, &profile.deadlines);
    let for_all = changes
        .iter()
        .rev()
        .find(|c| c.code == code && c.unit_id.is_none());
    let for_unit = unit_id.and_then(|u| {
        changes
            .iter()
            .rev()
            .find(|c| c.code == code && c.unit_id == Some(u))
    });
    let (date, note) = match (for_unit, for_all) {
        (Some(c), _) => (
            c.due,
            Some(format!(
                "Gia hạn riêng cho đơn vị đến {}: {} ({}, {})",
                ddmmyyyy(c.due),
                c.reason,
                c.changed_by,
                crate::domain::vietnam_time::shown(c.changed_at)
            )),
        ),
        (None, Some(c)) => (
            c.due,
            Some(format!(
                "Hạn đã đổi từ {} thành {} cho tất cả đơn vị: {} ({}, {})",
                ddmmyyyy(written),
                ddmmyyyy(c.due),
                c.reason,
                c.changed_by,
                crate::domain::vietnam_time::shown(c.changed_at)
            )),
        ),
        (None, None) => (written, None),
    };
    Some(Due {
        date,
        effective: profile.calendar.effective_deadline(date),
        note,
    })
}

/// The dossier deadline in force for a unit of the campaign (None when the
/// profile has none).
pub(crate) fn dossier_due(
    conn: &mut DbConn,
    profile: &Profile,
    campaign: &CampaignRow,
    unit_id: i64,
) -> Result<Option<Due>> {
    let Some(code) = profile.dossier_deadline_code() else {
        return Ok(None);
    };
    let changes = store::of_campaign(conn, campaign.id)?;
    Ok(in_force(
        profile,
        campaign.year,
        &changes,
        code,
        Some(unit_id),
    ))
}

/// The dossier deadline in force for each of `unit_ids`, reading the
/// campaign's changes once (the overview and the reminders ask for every
/// unit at a time).
pub(crate) fn dossier_dues(
    conn: &mut DbConn,
    profile: &Profile,
    campaign: &CampaignRow,
    unit_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Due>> {
    let Some(code) = profile.dossier_deadline_code() else {
        return Ok(Default::default());
    };
    let changes = store::of_campaign(conn, campaign.id)?;
    Ok(unit_ids
        .iter()
        .filter_map(|&u| in_force(profile, campaign.year, &changes, code, Some(u)).map(|d| (u, d)))
        .collect())
}

/// The campaign's deadlines, their changes and what to know about them.
pub fn calendar(app: &App, campaign_id: CampaignId) -> Result<CampaignCalendar> {
    let profile = app.campaign_profile(campaign_id)?;
    let mut conn = app.conn()?;
    let campaign = campaign_store::get(&mut conn, campaign_id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt {campaign_id}")))?;
    let changes = store::of_campaign(&mut conn, campaign.id)?;
    let year = campaign.year;
    let deadlines = profile
        .deadlines
        .iter()
        .map(|d| {
            let written = d.rule.on(year, &profile.deadlines);
            let all = in_force(&profile, year, &changes, &d.code, None)
                .map(|x| x.date)
                .unwrap_or(written);
            // The latest extension of each unit that has one.
            let mut seen = std::collections::BTreeSet::new();
            let mut extensions: Vec<ExtensionView> = changes
                .iter()
                .rev()
                .filter(|c| c.code == d.code && c.unit_id.is_some())
                .filter(|c| seen.insert(c.unit_id))
                .map(|c| ExtensionView {
                    unit: scope(c),
                    due: with_effective(&profile, c.due),
                    reason: c.reason.clone(),
                })
                .collect();
            extensions.reverse();
            DeadlineView {
                code: d.code.clone(),
                name: d.name.clone(),
                rule: d.rule.describe(&profile.deadlines),
                as_written: ddmmyyyy(written),
                due: ddmmyyyy(all),
                effective: with_effective(&profile, all),
                changed: all != written,
                extensions,
            }
        })
        .collect();
    let name_of = |code: &str| {
        profile
            .deadline(code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let changes = changes
        .iter()
        .map(|c| ChangeView {
            deadline: name_of(&c.code),
            scope: scope(c),
            due: ddmmyyyy(c.due),
            reason: c.reason.clone(),
            by: c.changed_by.clone(),
            at: crate::domain::vietnam_time::shown(c.changed_at).to_string(),
        })
        .collect();
    Ok(CampaignCalendar {
        year,
        deadlines,
        changes,
        notes: profile.calendar_notes(year),
    })
}

/// A change an administrator asks for.
#[derive(Debug, Clone)]
pub struct ChangeDeadline {
    pub code: String,
    /// None: every unit; Some: an extension for that unit (its code).
    pub unit: Option<String>,
    pub due: NaiveDate,
    pub reason: String,
}

/// Changes a deadline for every unit, or extends it for one, with a reason;
/// the change is logged for good and shown on the dossiers it concerns.
pub fn change(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    req: &ChangeDeadline,
) -> Result<()> {
    if !allows(who.actor(), Action::ChangeDeadlines) {
        return Err(ServiceError::Forbidden(
            "Chỉ quản trị (Sở Nội vụ) được đổi hạn hoặc gia hạn.".into(),
        ));
    }
    let profile = app.campaign_profile(campaign_id)?;
    let mut problems = Vec::new();
    if profile.deadline(&req.code).is_none() {
        problems.push(format!(
            "hồ sơ {} không có hạn mã \"{}\"",
            profile.code, req.code
        ));
    }
    let reason = req.reason.trim();
    if reason.is_empty() {
        problems.push("cần ghi lý do đổi hạn hoặc gia hạn".into());
    } else if reason.chars().count() > 1000 {
        problems.push("lý do dài quá 1000 ký tự".into());
    }
    let mut conn = app.writer()?;
    let campaign = campaign_store::get(&mut conn, campaign_id.get())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt {campaign_id}")))?;
    // Lateness feeds the scores: a published table must never change.
    if crate::storage::publication::publication(&mut conn, campaign_id.get())?.is_some() {
        return Err(ServiceError::invalid(
            "Kết quả đợt này đã công bố: không đổi hạn nữa, vì bảng đã công bố không được thay đổi.",
        ));
    }
    let unit_id = match req.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(code) => match units::by_code(&mut conn, code)? {
            Some(u) => Some(UnitId(u.id)),
            None => {
                problems.push(format!("không có đơn vị mã \"{code}\""));
                None
            }
        },
    };
    // A deadline is a day of the assessment's cycle: the campaign's year or
    // the next (publication may fall in the first months of the next year).
    let year = chrono::Datelike::year(&req.due);
    if year != campaign.year && year != campaign.year + 1 {
        problems.push(format!(
            "hạn mới {} không thuộc năm đánh giá {} hoặc năm sau",
            ddmmyyyy(req.due),
            campaign.year
        ));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    store::append(
        &mut conn,
        &NewChange {
            campaign_id: campaign.id,
            code: &req.code,
            unit_id: unit_id.map(UnitId::get),
            due: req.due,
            reason,
            changed_by: who.id,
            changed_at: now(),
        },
    )?;
    Ok(())
}
