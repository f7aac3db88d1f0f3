//! What the unit's officer does to its dossier: save a self-score (with its
//! evidence), submit, and answer a request to explain. Each checks who acts
//! ([`super::access`]) and whether the dossier allows it now
//! ([`super::lifecycle`]), refuses early before a file is copied, then
//! re-checks inside its transaction after taking the dossier's row, writes,
//! and appends its audit rows in the same transaction.

use chrono::NaiveDateTime;

use crate::domain::ids::{CampaignId, UnitId};
use crate::service::notices;

use crate::domain::index::{DossierStage, Lateness};
use crate::domain::points::Points;
use crate::domain::profile::Kind;
use crate::storage::dossiers::{self as store, EvidenceCols, SelfScoreWrite};
use crate::storage::explanations;

use super::access::require_officer;
use super::audit::{append, AuditAction, Change};
use super::evidence::{discard_replaced, store_new, NewFile};
use super::lifecycle::{check_answerable, check_editable, check_submittable};
use super::{
    check_points, current, fmt_points, load, local, locked, App, On, Result, ServiceError,
};

/// A document reference, at most 1,000 characters.
fn reference_of(raw: &str) -> Result<String> {
    let reference = raw.trim().to_string();
    if reference.chars().count() > 1_000 {
        return Err(ServiceError::invalid(
            "Số, ký hiệu văn bản dài quá 1.000 ký tự.",
        ));
    }
    Ok(reference)
}

pub struct SelfScoreInput {
    pub criterion: String,
    pub points: Points,
    pub explanation: String,
    /// A new file replaces the one kept; without one the kept file stays.
    pub file: Option<NewFile>,
    /// A document reference (number, date, issuer); empty means none.
    pub reference: String,
}

/// What the dossier grid refused, by criterion code: nothing was stored.
#[derive(Debug, Default)]
pub struct RowErrors(pub std::collections::BTreeMap<String, String>);

impl RowErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the first message of a criterion.
    pub fn add(&mut self, code: &str, message: String) {
        self.0.entry(code.to_string()).or_insert(message);
    }
}

/// The unit officer enters (or replaces) the self-score of one criterion.
pub fn save_self_score(
    app: &App,
    on: &On<'_>,
    input: SelfScoreInput,
    now: NaiveDateTime,
) -> Result<()> {
    match save_self_scores(app, on, vec![input], &RowErrors::default(), now)? {
        GridSaved::Saved { .. } => Ok(()),
        GridSaved::Refused(errors) => Err(ServiceError::Invalid(errors.0.into_values().collect())),
    }
}

/// What saving the grid did.
#[derive(Debug)]
pub enum GridSaved {
    /// How many criteria changed (rows identical to the stored ones are
    /// not written and leave no audit row).
    Saved { changed: usize },
    /// Every row's problem, by criterion; nothing was stored.
    Refused(RowErrors),
}

/// The unit officer saves the whole dossier at once (the grid, or a row):
/// every row is checked first, and a single problem anywhere (including
/// `already`, what the edge could not read, e.g. "2,5,1" as points) stores
/// nothing, so a half-saved dossier never happens. Then one transaction
/// writes the rows that changed, with their audit rows.
pub fn save_self_scores(
    app: &App,
    on: &On<'_>,
    rows: Vec<SelfScoreInput>,
    already: &RowErrors,
    now: NaiveDateTime,
) -> Result<GridSaved> {
    let On {
        data_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    require_officer(who, unit_id)?;
    let ctx = load(app, campaign_id, unit_id)?;
    let mut errors = RowErrors(already.0.clone());
    let mut checked = Vec::with_capacity(rows.len());
    for row in rows {
        let explanation = row.explanation.trim().to_string();
        let outcome = ctx.leaf(&row.criterion).and_then(|c| {
            check_points(c, row.points)?;
            if explanation.chars().count() > 10_000 {
                return Err(ServiceError::invalid(format!(
                    "Tiêu chí \"{}\": phần giải thích dài quá 10.000 ký tự.",
                    c.code
                )));
            }
            let reference = reference_of(&row.reference)?;
            Ok((c.clone(), reference))
        });
        match outcome {
            Ok((c, reference)) => checked.push((c, row.points, explanation, reference, row.file)),
            Err(e) => errors.add(&row.criterion, e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Ok(GridSaved::Refused(errors));
    }
    // Refuse early, before a file is copied.
    {
        let mut conn = app.conn()?;
        let d = current(&mut conn, campaign_id, unit_id)?;
        check_editable(&mut conn, &ctx, d.as_ref(), now)?;
    }
    let mut files = Vec::with_capacity(checked.len());
    for (_, _, _, _, file) in &checked {
        files.push(store_new(data_dir, file.as_ref())?);
    }
    let mut conn = app.writer()?;
    let (changed, replaced) = store::transaction(&mut conn, |conn| {
        let existing = locked(conn, campaign_id, unit_id)?;
        check_editable(conn, &ctx, existing.as_ref(), now)?;
        let d = store::get_or_create(conn, campaign_id, unit_id, now)?;
        let stored = store::self_scores(conn, d.id)?;
        let mut changed = 0;
        let mut replaced = Vec::new();
        for ((c, points, explanation, reference, _), file) in checked.iter().zip(&files) {
            let old = stored.iter().find(|s| s.criterion == c.code);
            let mut evidence = match (file, old) {
                (Some(f), _) => f.clone(),
                (None, Some(o)) => o.evidence(),
                (None, None) => EvidenceCols::default(),
            };
            evidence.reference = (!reference.is_empty()).then(|| reference.clone());
            let same = old.is_some_and(|o| {
                o.points_micro == points.micro()
                    && o.explanation == *explanation
                    && o.evidence() == evidence
            });
            if same {
                continue;
            }
            changed += 1;
            store::put_self_score(
                conn,
                &SelfScoreWrite {
                    dossier_id: d.id,
                    criterion: &c.code,
                    points_micro: points.micro(),
                    explanation,
                    evidence: &evidence,
                    by: who.id,
                    now,
                },
            )?;
            let old_value = old.map(|o| fmt_points(o.points_micro));
            append(
                conn,
                &d,
                who,
                now,
                Change {
                    criterion: Some(&c.code),
                    action: AuditAction::SelfScore,
                    old: old_value.as_deref(),
                    new: Some(&points.to_string()),
                    reason: None,
                },
            )?;
            // An evidence row only when the evidence changed (a first score
            // without a file or reference has none to record).
            if file.is_some() || old.map(|o| o.evidence()).unwrap_or_default() != evidence {
                let describe = |e: &EvidenceCols| {
                    let mut parts = Vec::new();
                    if let (Some(name), Some(sha)) = (&e.name, &e.sha256) {
                        parts.push(format!("{name} (SHA-256 {sha})"));
                    }
                    if let Some(r) = &e.reference {
                        parts.push(r.clone());
                    }
                    parts.join("; ")
                };
                let old_e = old.map(|o| describe(&o.evidence()));
                append(
                    conn,
                    &d,
                    who,
                    now,
                    Change {
                        criterion: Some(&c.code),
                        action: AuditAction::SelfEvidence,
                        old: old_e.as_deref().filter(|s| !s.is_empty()),
                        new: Some(describe(&evidence))
                            .as_deref()
                            .filter(|s| !s.is_empty()),
                        reason: None,
                    },
                )?;
            }
            // The file this save replaced, if it brought another.
            if let Some(sha) = old
                .and_then(|o| o.evidence().sha256)
                .filter(|sha| evidence.sha256.as_ref() != Some(sha))
            {
                replaced.push(sha);
            }
        }
        Ok::<_, ServiceError>((changed, replaced))
    })?;
    drop(conn);
    // A replaced file goes once nothing references it (the audit keeps its
    // name and SHA-256); a failure to remove it leaves it to the sweep.
    for sha in replaced {
        let _ = discard_replaced(app, data_dir, &sha);
    }
    Ok(GridSaved::Saved { changed })
}

/// The unit officer submits the dossier; the moment decides the penalty.
pub fn submit(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<Lateness> {
    let On {
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    require_officer(who, unit_id)?;
    let ctx = load(app, campaign_id, unit_id)?;
    let mut conn = app.writer()?;
    let result: Result<_> = store::transaction(&mut conn, |conn| {
        let existing = locked(conn, campaign_id, unit_id)?;
        let next = check_submittable(&ctx, existing.as_ref(), now)?;
        let d = store::get_or_create(conn, campaign_id, unit_id, now)?;
        let scored: Vec<String> = store::self_scores(conn, d.id)?
            .into_iter()
            .map(|s| s.criterion)
            .collect();
        let missing: Vec<String> = ctx
            .set()
            .leaves()
            .filter(|l| l.kind == Kind::Regular && !l.is_survey())
            .filter(|l| !scored.contains(&l.code))
            .map(|l| format!("Tiêu chí \"{}\" ({}) chưa tự chấm.", l.code, l.name))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::Invalid(missing));
        }
        debug_assert_eq!(next, DossierStage::Submitted);
        store::mark_submitted(conn, d.id, now)?;
        let lateness = match &ctx.due {
            Some(due) => ctx.profile.lateness(due.date, local(now)),
            None => Lateness::OnTime,
        };
        let note = match lateness {
            Lateness::OnTime => "đúng hạn".to_string(),
            Lateness::Late { days, penalty } => format!("muộn {days} ngày, trừ {penalty} điểm"),
            Lateness::TooLate { days } => format!("muộn {days} ngày, quá thời gian gia hạn"),
        };
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: None,
                action: AuditAction::Submit,
                old: Some(d.state.code()),
                new: Some(next.code()),
                reason: Some(&note),
            },
        )?;
        Ok(lateness)
    });
    // The single writer is free again before the notices take it.
    drop(conn);
    let lateness = result?;
    // The appraisers of every department with criteria in the unit's set.
    let departments: Vec<String> = ctx
        .set()
        .leaves()
        .filter_map(|l| l.department.clone())
        .collect();
    notices::after_or_log(
        app,
        &notices::Event::DossierSubmitted { departments },
        CampaignId(campaign_id),
        UnitId(unit_id),
        &now.and_utc().timestamp_micros().to_string(),
        now,
    );
    Ok(lateness)
}

pub struct AnswerInput {
    pub request_id: i64,
    pub answer: String,
    pub file: Option<NewFile>,
    pub reference: String,
}

/// The unit answers a request to explain; evidence given with the answer
/// makes the criterion's evidence `supplemented`.
pub fn answer_explanation(
    app: &App,
    on: &On<'_>,
    input: AnswerInput,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        data_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    // Storage and the rules below take the plain ids.
    let (campaign_id, unit_id) = (campaign_id.get(), unit_id.get());
    require_officer(who, unit_id)?;
    load(app, campaign_id, unit_id)?;
    let answer = input.answer.trim().to_string();
    if answer.is_empty() {
        return Err(ServiceError::invalid(
            "Nội dung giải trình không được để trống.",
        ));
    }
    if answer.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "Nội dung giải trình dài quá 10.000 ký tự.",
        ));
    }
    let reference = reference_of(&input.reference)?;
    check_answerable(current(&mut *app.conn()?, campaign_id, unit_id)?.as_ref())?;
    let file = store_new(data_dir, input.file.as_ref())?;
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        let d = check_answerable(locked(conn, campaign_id, unit_id)?.as_ref())?;
        let req = explanations::of_dossier(conn, d.id)?
            .into_iter()
            .find(|r| r.id == input.request_id)
            .ok_or_else(|| ServiceError::NotFound("Không có yêu cầu giải trình này.".into()))?;
        let mut evidence = file.clone().unwrap_or_default();
        evidence.reference = (!reference.is_empty()).then(|| reference.clone());
        // Evidence added with an answer counts as given; whether it makes up
        // for incomplete evidence (the 70 % rule) is the appraiser's call.
        if !explanations::answer(conn, req.id, &answer, &evidence, who.id, now)? {
            return Err(ServiceError::invalid(
                "Yêu cầu này đã được giải trình; mỗi yêu cầu nhận một lần trả lời.",
            ));
        }
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&req.criterion),
                action: AuditAction::ExplanationAnswer,
                old: None,
                new: Some(&answer),
                reason: None,
            },
        )?;
        Ok(())
    })
}
