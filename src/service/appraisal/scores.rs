//! A dossier's scores from what is stored, through the domain's rules
//! ([`crate::domain::index::appraise`]): each leaf's input (the appraisal,
//! else the self-score as it stands, else nothing), the lateness, and with
//! the survey's points the whole index of a unit. Nothing here decides a
//! score.

use crate::domain::ids::{CampaignId, UnitId};
use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::domain::index::{appraise, Appraisal, Evidence, LeafInput, SurveyScore};
use crate::domain::points::Points;
use crate::domain::profile::{CriteriaSet, Kind, Profile};
use crate::storage::dossiers::{AppraisalRow, SelfScoreRow};
use crate::storage::explanations::ExplanationRow;
use crate::storage::units::UnitRow;

use super::evidence::{derived_status, parse_status};
use super::lifecycle::{lateness_of, lock_at};
use super::{load, stored, stored_scores, App, Ctx, Result, ServiceError, Stored};
use crate::service::deadlines::Due;

/// The dossier state of a unit that never opened one (or, without a late
/// rule, never sent the one it opened before its deadline passed).
pub const NO_DOSSIER: &str = "none";
/// The dossier state of a unit that sent nothing by the end of the grace
/// days of the profile's late rule: scored by that rule, not the council.
pub const NOT_SUBMITTED: &str = "not_submitted";
/// The dossier state of a unit that has opened no dossier while its
/// deadline still runs: nothing to decide yet, and nothing to publish.
pub const NOT_YET: &str = "not_yet";

/// The domain's inputs for each leaf, from what is stored: the appraisal
/// where there is one, else the self-score as it stands (provisional),
/// else nothing (0, evidence missing). Survey leaves are withheld here: the
/// survey component is merged with the index, not with the appraisal.
fn leaf_inputs(
    set: &CriteriaSet,
    own: &[SelfScoreRow],
    done: &[AppraisalRow],
    answers: &[ExplanationRow],
) -> BTreeMap<String, LeafInput> {
    let mut inputs = BTreeMap::new();
    for leaf in set.leaves() {
        let code = leaf.code.clone();
        let mine = own.iter().find(|s| s.criterion == code);
        let input = if leaf.is_survey() {
            LeafInput::Survey(SurveyScore::Withheld { short: vec![] })
        } else if let Some(a) = done.iter().find(|a| a.criterion == code) {
            if a.not_applicable {
                LeafInput::NotApplicable
            } else {
                LeafInput::Appraised {
                    points: Points::from_micro(a.points_micro.unwrap_or(0)),
                    evidence: parse_status(&a.evidence),
                }
            }
        } else if let Some(s) = mine {
            LeafInput::Appraised {
                points: Points::from_micro(s.points_micro),
                evidence: derived_status(&code, Some(s), answers),
            }
        } else if leaf.kind == Kind::Regular {
            LeafInput::Appraised {
                points: Points::ZERO,
                evidence: Evidence::Missing,
            }
        } else {
            continue;
        };
        inputs.insert(code, input);
    }
    inputs
}

pub(super) fn compute(ctx: &Ctx, s: &Stored, now: NaiveDateTime) -> Result<Appraisal> {
    compute_for(&ctx.profile, ctx.set(), ctx.due.as_ref(), s, now, None)
}

/// The domain's appraisal of stored data. `survey` scores the survey
/// criteria (one missing from it is withheld); without it they all are,
/// which is the appraisal on its own.
fn compute_for(
    profile: &Profile,
    set: &CriteriaSet,
    due: Option<&Due>,
    s: &Stored,
    now: NaiveDateTime,
    survey: Option<&BTreeMap<String, SurveyScore>>,
) -> Result<Appraisal> {
    let mut inputs = leaf_inputs(set, &s.own, &s.done, &s.answers);
    if let Some(survey) = survey {
        for (code, input) in inputs.iter_mut() {
            if let LeafInput::Survey(_) = input {
                *input = LeafInput::Survey(
                    survey
                        .get(code)
                        .cloned()
                        .unwrap_or(SurveyScore::Withheld { short: vec![] }),
                );
            }
        }
    }
    let lateness = lateness_of(profile, due, s.dossier.as_ref(), now);
    appraise(profile, set, &inputs, lateness)
        .map_err(|errs| ServiceError::Invalid(errs.into_iter().map(|e| e.to_string()).collect()))
}

/// The unit's appraisal from the stored data, through
/// [`crate::domain::index::appraise`]: per-leaf scores with the rule that
/// decided each, and the components (the appraised one among them).
pub fn appraised(
    app: &App,
    campaign_id: CampaignId,
    unit_id: UnitId,
    now: NaiveDateTime,
) -> Result<Appraisal> {
    let campaign_id = campaign_id.get();
    let unit_id = unit_id.get();
    let ctx = load(app, campaign_id, unit_id)?;
    let s = stored(app, campaign_id, unit_id)?;
    compute(&ctx, &s, now)
}

/// The unit's self-scores by criterion (none without a dossier).
pub fn self_scores(
    app: &App,
    campaign_id: CampaignId,
    unit_id: UnitId,
) -> Result<BTreeMap<String, Points>> {
    let campaign_id = campaign_id.get();
    let unit_id = unit_id.get();
    let s = stored_scores(app, campaign_id, unit_id)?;
    Ok(s.own
        .iter()
        .map(|o| (o.criterion.clone(), Points::from_micro(o.points_micro)))
        .collect())
}

/// The unit's appraisal with its survey criteria scored as `survey` says
/// (a criterion missing from it is withheld): the whole index of the unit,
/// from what [`super::campaign_dossiers`] read once for every unit. Also
/// the dossier's stage as its stored code ([`NO_DOSSIER`] without a dossier).
pub fn appraised_with_survey(
    profile: &Profile,
    dossiers: &super::CampaignDossiers,
    unit: &UnitRow,
    now: NaiveDateTime,
    survey: &BTreeMap<String, SurveyScore>,
) -> Result<(Appraisal, String)> {
    let set = profile.criteria_set_for(&unit.unit_type).ok_or_else(|| {
        ServiceError::invalid(format!(
            "Bộ quy tắc {} không có bộ tiêu chí cho loại đơn vị \"{}\".",
            profile.code, unit.unit_type
        ))
    })?;
    let s = dossiers.of(unit.id);
    let due = dossiers.due.get(&unit.id);
    // A unit that never submitted by the end of its time is one case,
    // whether it opened a draft or not: under a late rule the seed scores it
    // (art. 7.5: its dossier scores 0, as `too_late` reads it); without one,
    // it has no dossier, and its unsent draft counts for nothing.
    let unsent = s.dossier.as_ref().is_none_or(|d| d.submitted_at.is_none())
        && lock_at(profile, due, s.dossier.as_ref(), now).is_locked();
    let (s, state) = match (unsent, &profile.appraisal.late) {
        (true, Some(_)) => (s, NOT_SUBMITTED),
        (true, None) => (&dossiers.none, NO_DOSSIER),
        (false, _) => {
            let none = if due.is_some() { NOT_YET } else { NO_DOSSIER };
            let state = s.dossier.as_ref().map_or(none, |d| d.state.code());
            (s, state)
        }
    };
    let a = compute_for(profile, set, due, s, now, Some(survey))?;
    Ok((a, state.to_string()))
}
