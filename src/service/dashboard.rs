//! A campaign at a glance for the people running it: each unit's dossier
//! with its deadline and whether it is late, answers against the sample by
//! group, invitations by state, and the cases waiting for the council.
//! Everything here is read from the other services' own figures.

use serde::Serialize;

use crate::domain::ids::CampaignId;
use crate::domain::questionnaire::RespondentGroup;
use crate::domain::vietnam_time;
use crate::storage::{campaigns as campaign_store, dossiers, publication as published, units};

use super::{deadlines, invitations, now, publication, App, Result, ServiceError};

/// One unit's dossier.
#[derive(Debug, Clone, Serialize)]
pub struct DossierLine {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    /// The dossier's stage code, `none` before the unit opens one.
    pub state: String,
    /// The deadline in force for the unit (after weekends and holidays),
    /// `dd/mm/yyyy`.
    pub due: Option<String>,
    /// Why the deadline differs from the profile's (an extension).
    pub due_note: Option<String>,
    /// Past the deadline and not submitted.
    pub late: bool,
}

/// Answers against the sample for one respondent group (of one unit, in
/// `by_unit`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupLine {
    /// Empty in the totals per group.
    pub unit: String,
    pub group: String,
    pub sampled: u64,
    pub answered: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// Dossiers (campaigns that follow a province profile).
    pub dossiers: Vec<DossierLine>,
    /// (stage code, count), in the lifecycle's order.
    pub by_state: Vec<(String, usize)>,
    pub late: usize,
    /// None before the draw.
    pub groups: Option<Vec<GroupLine>>,
    /// Each unit × group, as drawn and answered (empty before the draw).
    pub by_unit: Vec<GroupLine>,
    /// (state code, count); a reminder's code ends in `_nhac`.
    pub invitations: Vec<(String, usize)>,
    /// Cases the council has still to decide (None without a profile).
    pub open_decisions: Option<usize>,
    /// The blank scoring sheets: (first unit type, criteria set's name).
    pub sheets: Vec<(String, String)>,
    pub published: bool,
}

const STAGES: [&str; 5] = ["none", "draft", "submitted", "in_explanation", "approved"];

pub fn overview(app: &App, campaign_id: CampaignId) -> Result<Dashboard> {
    let at = now();
    let today = vietnam_time::date(at);
    let (campaign, unit_rows, dossier_rows, published) = {
        let mut conn = app.conn()?;
        let c = campaign_store::get(&mut conn, campaign_id.get())?.ok_or_else(|| {
            ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}"))
        })?;
        let u = units::list(&mut conn)?;
        let d = dossiers::of_campaign(&mut conn, campaign_id.get())?;
        let p = published::publication(&mut conn, campaign_id.get())?.is_some();
        (c, u, d, p)
    };
    let mut lines = Vec::new();
    let mut open_decisions = None;
    let mut sheets = Vec::new();
    if campaign.profile_code.is_some() {
        let profile = app.campaign_profile(campaign_id)?;
        sheets = profile
            .criteria_sets
            .iter()
            .filter_map(|s| Some((s.unit_types.first()?.clone(), s.name.clone())))
            .collect();
        let assessed: Vec<&units::UnitRow> = unit_rows
            .iter()
            .filter(|u| profile.criteria_set_for(&u.unit_type).is_some())
            .collect();
        let ids: Vec<i64> = assessed.iter().map(|u| u.id).collect();
        let mut dues = deadlines::dossier_dues(&mut *app.conn()?, &profile, &campaign, &ids)?;
        for u in assessed {
            let d = dossier_rows.iter().find(|d| d.unit_id == u.id);
            let due = dues.remove(&u.id);
            let submitted = d.is_some_and(|d| d.submitted_at.is_some());
            lines.push(DossierLine {
                unit_id: u.id,
                code: u.code.clone(),
                name: u.name.clone(),
                state: d.map_or("none", |d| d.state.code()).to_string(),
                late: !submitted && due.as_ref().is_some_and(|due| today > due.effective),
                due: due
                    .as_ref()
                    .map(|d| d.effective.format("%d/%m/%Y").to_string()),
                due_note: due.and_then(|d| d.note),
            });
        }
        let table = publication::table(app, campaign_id, at)?;
        open_decisions = Some(
            table
                .rows
                .iter()
                .flat_map(|r| r.open.iter())
                .filter(|c| c.blocks_publication())
                .count(),
        );
    }
    let by_state = STAGES
        .iter()
        .map(|s| {
            (
                s.to_string(),
                lines.iter().filter(|l| l.state == *s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut by_unit = Vec::new();
    let groups = match invitations::response_rates(app, campaign_id) {
        Ok(rows) => {
            let mut out: Vec<GroupLine> = Vec::new();
            for r in rows
                .iter()
                .filter(|r| r.stratum.is_empty() && !r.group.is_empty())
            {
                let label = RespondentGroup::parse(&r.group)
                    .map_or_else(|| r.group.clone(), |g| g.label().to_string());
                by_unit.push(GroupLine {
                    unit: r.unit.clone(),
                    group: label.clone(),
                    sampled: r.rates.sampled,
                    answered: r.rates.answered,
                    rate: (r.rates.sampled > 0)
                        .then(|| r.rates.answered as f64 / r.rates.sampled as f64),
                });
                let line = match out.iter_mut().find(|g| g.group == label) {
                    Some(g) => g,
                    None => {
                        out.push(GroupLine {
                            unit: String::new(),
                            group: label,
                            sampled: 0,
                            answered: 0,
                            rate: None,
                        });
                        out.last_mut().expect("just pushed")
                    }
                };
                line.sampled += r.rates.sampled;
                line.answered += r.rates.answered;
            }
            for g in &mut out {
                g.rate = (g.sampled > 0).then(|| g.answered as f64 / g.sampled as f64);
            }
            Some(out)
        }
        // No draw yet: nothing to count against.
        Err(ServiceError::Invalid(_)) => None,
        Err(e) => return Err(e),
    };
    let invitations = invitations::state_counts(app, campaign_id)?
        .into_iter()
        .collect();
    Ok(Dashboard {
        late: lines.iter().filter(|l| l.late).count(),
        dossiers: lines,
        by_state,
        groups,
        by_unit,
        invitations,
        open_decisions,
        sheets,
        published,
    })
}
