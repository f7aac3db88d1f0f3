//! The survey component of each unit: estimates from the running sums kept
//! with every response, and the full recomputation from the stored answers
//! that must give the same sums to the bit.

use crate::domain::ids::{CampaignId, UnitId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::domain::profile::{Profile, Reading};
use crate::domain::questionnaire::{Rates, RespondentGroup};
use crate::domain::sampling::StratumId;
use crate::domain::states::RespondentSource;
use crate::domain::survey::{unit_survey, GroupInput, Scorer, StratumFrame, Tally, UnitSurvey};
use crate::storage::campaigns::{self as store, CampaignRow};
use crate::storage::tallies::{self, OUTSIDE_DRAW};
use crate::storage::units::{self, UnitRow};
use crate::storage::{draws, responses};

use super::{now, App, Result, ServiceError};

/// One unit's survey result, or why it has none.
#[derive(Debug, Clone, Serialize)]
pub struct UnitResult {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub block: String,
    pub unit_type: String,
    pub survey: Option<UnitSurvey>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignResults {
    pub campaign_id: i64,
    pub campaign: String,
    pub profile: String,
    /// The profile's survey points (30 in Sơn La).
    pub survey_max: Option<String>,
    /// Block code → its name in the profile, for pages.
    pub block_names: BTreeMap<String, String>,
    pub units: Vec<UnitResult>,
}

/// The tally a response counts in: its stratum of the draw, or the one tally
/// of answers from outside the draw (open links, hand-issued tokens).
pub(crate) fn tally_stratum(stratum: Option<&str>, source: RespondentSource) -> String {
    match (stratum, source) {
        (Some(h), RespondentSource::Sample) => h.to_string(),
        _ => OUTSIDE_DRAW.to_string(),
    }
}

/// What one response adds to the running sums: an update per unit the
/// respondent rated, a blank one for a unit asked about but not answered
/// (the respondent still counts in the stratum). The live sums and the
/// recomputation both use this, so they agree to the bit.
pub(crate) fn tally_updates(
    scorer: &Scorer,
    stratum: &str,
    rated: &[i64],
    answers: &crate::domain::answers::Answers,
) -> Vec<tallies::Update> {
    let mut scores = scorer.by_rated_unit(answers);
    rated
        .iter()
        .map(|unit| tallies::Update {
            rated_unit_id: *unit,
            group: scorer.group().code(),
            stratum: stratum.to_string(),
            criteria: scorer.criteria().to_vec(),
            scores: scores.remove(unit).unwrap_or_else(|| scorer.blank()),
        })
        .collect()
}

/// A stratum of the draw: whose people, how many it stands for, how many
/// were invited.
#[derive(Debug, Clone)]
struct DrawStratum {
    unit: String,
    group: String,
    frame: StratumFrame,
}

fn draw_strata(app: &App, campaign_id: i64) -> Result<Vec<DrawStratum>> {
    let mut conn = app.conn()?;
    let Some(draw_id) = draws::id_of_campaign(&mut conn, campaign_id)? else {
        return Ok(vec![]);
    };
    let invited = draws::invited_per_stratum(&mut conn, draw_id)?;
    Ok(draws::represented(&mut conn, draw_id)?
        .into_iter()
        .filter_map(|(stratum, total)| {
            let id = StratumId::from_stored(&stratum);
            let (unit, group) = id.owner().map(|(u, g)| (u.to_string(), g.to_string()))?;
            Some(DrawStratum {
                unit,
                group,
                frame: StratumFrame {
                    invited: invited.get(&stratum).copied().unwrap_or(0),
                    // Σ 1/π over the sample: N_h for a stratified draw, the
                    // people a selected cluster stands for in an area design.
                    population: total.round() as u64,
                    stratum,
                },
            })
        })
        .collect())
}

/// What the results of a campaign are computed with.
struct Context {
    campaign: CampaignRow,
    profile: Arc<Profile>,
    units: Vec<UnitRow>,
    strata: Vec<DrawStratum>,
    /// Indexes into `strata` per group code and per (group, unit code), and
    /// each unit's block: a page of 300 units looks strata up 1,200 times,
    /// so none of these is rebuilt or scanned whole per lookup.
    strata_by_group: HashMap<String, Vec<usize>>,
    strata_by_owner: HashMap<(String, String), Vec<usize>>,
    blocks: HashMap<String, String>,
    /// Per group: the campaign questionnaires' scorers and what they rate.
    questionnaires: Vec<(RespondentGroup, Rates, Arc<Scorer>)>,
}

fn context(app: &App, campaign_id: i64) -> Result<Context> {
    let mut conn = app.conn()?;
    let campaign = store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let profile = app.campaign_profile(CampaignId(campaign_id))?;
    let units = units::list(&mut conn)?;
    let cqs = store::questionnaires(&mut conn, campaign_id)?;
    drop(conn);
    let mut questionnaires = Vec::new();
    for cq in cqs {
        let q = app.questionnaire_version(cq.version_id)?;
        if let Some(scorer) = app.scorer(campaign_id, cq.version_id)? {
            questionnaires.push((q.group, q.rates.clone(), scorer));
        }
    }
    let strata = draw_strata(app, campaign_id)?;
    let mut strata_by_group: HashMap<String, Vec<usize>> = HashMap::new();
    let mut strata_by_owner: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, s) in strata.iter().enumerate() {
        strata_by_group.entry(s.group.clone()).or_default().push(i);
        strata_by_owner
            .entry((s.group.clone(), s.unit.clone()))
            .or_default()
            .push(i);
    }
    let blocks = units
        .iter()
        .map(|u| (u.code.clone(), u.block.clone()))
        .collect();
    Ok(Context {
        strata,
        strata_by_group,
        strata_by_owner,
        blocks,
        campaign,
        profile,
        units,
        questionnaires,
    })
}

impl Context {
    /// The questionnaire of `group` that rates `unit`, if any.
    fn rating(
        &self,
        group: RespondentGroup,
        unit: &UnitRow,
    ) -> Option<&(RespondentGroup, Rates, Arc<Scorer>)> {
        self.questionnaires.iter().find(|(g, rates, _)| {
            *g == group
                && match rates {
                    Rates::OwnUnit => true,
                    Rates::Blocks(b) => b.contains(&unit.block),
                }
        })
    }

    /// The draw's strata whose people answer about `unit` for `group`: the
    /// unit's own, or (leaders rating other units) those of every unit
    /// outside the rated blocks.
    fn frames(&self, group: RespondentGroup, rates: &Rates, unit: &UnitRow) -> Vec<StratumFrame> {
        let none = Vec::new();
        let ids = match rates {
            Rates::OwnUnit => self
                .strata_by_owner
                .get(&(group.code().to_string(), unit.code.clone())),
            Rates::Blocks(_) => self.strata_by_group.get(group.code()),
        };
        ids.unwrap_or(&none)
            .iter()
            .map(|&i| &self.strata[i])
            .filter(|s| match rates {
                Rates::OwnUnit => true,
                Rates::Blocks(b) => {
                    s.unit != unit.code
                        && self
                            .blocks
                            .get(s.unit.as_str())
                            .is_some_and(|blk| !b.iter().any(|x| x == blk))
                }
            })
            .map(|s| s.frame.clone())
            .collect()
    }

    fn unit_result(
        &self,
        unit: &UnitRow,
        tallies: &BTreeMap<(i64, String), crate::domain::survey::UnitGroupTallies>,
    ) -> UnitResult {
        let mut result = UnitResult {
            unit_id: unit.id,
            code: unit.code.clone(),
            name: unit.name.clone(),
            block: unit.block.clone(),
            unit_type: unit.unit_type.clone(),
            survey: None,
            problem: None,
        };
        let Some(rules) = &self.profile.survey else {
            result.problem = Some("hồ sơ không có mục [survey]".into());
            return result;
        };
        // An anonymous campaign's figures wait for its close: a figure that
        // moves when one person submits is that person's answer, read off.
        let anonymous = self.campaign.anonymous;
        if anonymous {
            let p = super::campaigns::period(&self.campaign);
            if p.status(now()) != crate::domain::campaign::CampaignStatus::Closed {
                result.problem = Some(format!(
                    "Đợt khảo sát ẩn danh: số liệu chỉ hiện sau khi đợt kết thúc (ngày {}), để không ai suy ra được câu trả lời của một người từ sự thay đổi của số liệu.",
                    p.closes_on().format("%d/%m/%Y")
                ));
                return result;
            }
        }
        let anonymous_rules;
        let rules = if anonymous {
            anonymous_rules = crate::domain::survey::anonymity::anonymous_rules(rules);
            &anonymous_rules
        } else {
            rules
        };
        let Some(set) = self.profile.criteria_set_for(&unit.unit_type) else {
            result.problem = Some(format!(
                "hồ sơ không có bộ tiêu chí cho loại đơn vị \"{}\"",
                unit.unit_type
            ));
            return result;
        };
        let mut frames: Vec<(RespondentGroup, Arc<Scorer>, Vec<StratumFrame>)> = Vec::new();
        for (_, group) in RespondentGroup::ALL {
            if let Some((_, rates, scorer)) = self.rating(group, unit) {
                frames.push((group, scorer.clone(), self.frames(group, rates, unit)));
            }
        }
        let inputs: std::result::Result<Vec<GroupInput<'_>>, _> = frames
            .iter()
            .map(|(group, scorer, frame)| {
                GroupInput::from_tallies(
                    *group,
                    scorer.criteria(),
                    frame,
                    tallies.get(&(unit.id, group.code().to_string())),
                )
            })
            .collect();
        match inputs.and_then(|g| unit_survey(rules, set, self.profile.points.decimals, &g)) {
            Ok(mut s) => {
                if anonymous {
                    crate::domain::survey::anonymity::suppress_small_cells(&mut s, rules);
                }
                result.survey = Some(s)
            }
            Err(e) => result.problem = Some(e.to_string()),
        }
        result
    }
}

/// A campaign's running sums, parsed, per (rated unit, group).
pub(crate) type StoredTallies = BTreeMap<(i64, String), crate::domain::survey::UnitGroupTallies>;

/// A campaign's parsed tallies with the fingerprint they were read at.
pub(crate) type CachedTallies = ((i64, i64), Arc<StoredTallies>);

/// Loads the stored tallies, grouped per rated unit and group. Parsing them
/// is half of a results page, so the last parse of each campaign is kept
/// and reused while the tallies' fingerprint (one cheap aggregate, read
/// first) is unchanged; any instance's submission changes it.
fn stored(app: &App, campaign_id: i64) -> Result<Arc<StoredTallies>> {
    let mut conn = app.conn()?;
    let now = tallies::fingerprint(&mut conn, campaign_id)?;
    if let Some((at, cached)) = app
        .tally_cache
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&campaign_id)
    {
        if *at == now {
            return Ok(cached.clone());
        }
    }
    let mut out: StoredTallies = BTreeMap::new();
    for (unit, group, stratum, tally) in tallies::of_campaign(&mut conn, campaign_id)? {
        let cell = out.entry((unit, group)).or_default();
        if stratum == OUTSIDE_DRAW {
            cell.open = Some(tally);
        } else {
            cell.strata.insert(stratum, tally);
        }
    }
    let out = Arc::new(out);
    app.tally_cache
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(campaign_id, (now, out.clone()));
    Ok(out)
}

/// Every unit's survey component, from the running sums.
pub fn campaign_results(app: &App, campaign_id: CampaignId) -> Result<CampaignResults> {
    let campaign_id = campaign_id.get();
    let ctx = context(app, campaign_id)?;
    let tallies = stored(app, campaign_id)?;
    let units = ctx
        .units
        .iter()
        .filter(|u| ctx.profile.criteria_set_for(&u.unit_type).is_some())
        .map(|u| ctx.unit_result(u, &tallies))
        .collect();
    Ok(CampaignResults {
        campaign_id,
        campaign: ctx.campaign.name.clone(),
        profile: ctx.profile.name.clone(),
        survey_max: ctx.profile.points.survey.map(|p| p.to_string()),
        block_names: super::names::Names::of(&ctx.profile).block_names().clone(),
        units,
    })
}

/// One unit's survey result.
/// The names of the criteria of a unit's set, by code, so pages show a
/// criterion with its name, never as a bare code; empty when the campaign
/// follows no profile.
pub fn criterion_names(
    app: &App,
    campaign_id: CampaignId,
    unit_id: UnitId,
) -> Result<std::collections::HashMap<String, String>> {
    let Ok(profile) = app.campaign_profile(campaign_id) else {
        return Ok(Default::default());
    };
    let unit = super::units::get(app, unit_id)?;
    Ok(profile
        .criteria_set_for(&unit.unit_type)
        .map(|set| {
            set.nodes
                .iter()
                .map(|c| (c.code.clone(), c.name.clone()))
                .collect()
        })
        .unwrap_or_default())
}

pub fn unit_result(app: &App, campaign_id: CampaignId, unit_id: UnitId) -> Result<UnitResult> {
    let campaign_id = campaign_id.get();
    let unit_id = unit_id.get();
    let ctx = context(app, campaign_id)?;
    let unit = ctx
        .units
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị {unit_id}")))?;
    Ok(ctx.unit_result(unit, &*stored(app, campaign_id)?))
}

/// The scores of `unit` in the response being read, taken from the spare
/// ones (or made) the first time the response names it.
fn scores_of<'a>(
    active: &'a mut Vec<(i64, crate::domain::survey::RespondentScores)>,
    spare: &mut Vec<crate::domain::survey::RespondentScores>,
    scorer: &Scorer,
    unit: i64,
) -> &'a mut crate::domain::survey::RespondentScores {
    let i = match active.iter().position(|(u, _)| *u == unit) {
        Some(i) => i,
        None => {
            active.push((unit, spare.pop().unwrap_or_else(|| scorer.blank())));
            active.len() - 1
        }
    };
    &mut active[i].1
}

/// A page of responses and, for those without packed answers, their rows.
type Page = (
    Vec<responses::PackedRow>,
    HashMap<i64, crate::domain::answers::Answers>,
);

/// The responses after `after` (None once there are no more).
fn read_page(app: &App, campaign_id: i64, version_id: i64, after: i64) -> Result<Option<Page>> {
    let mut conn = app.conn()?;
    let page = responses::packed_page(&mut conn, campaign_id, version_id, after, RECOMPUTE_PAGE)?;
    if page.is_empty() {
        return Ok(None);
    }
    let unpacked: Vec<i64> = page
        .iter()
        .filter(|r| r.packed.is_none())
        .map(|r| r.id)
        .collect();
    let mut from_rows: HashMap<i64, crate::domain::answers::Answers> = HashMap::new();
    if !unpacked.is_empty() {
        for (response, unit, code, value) in responses::answers_of_many(&mut conn, &unpacked)? {
            from_rows
                .entry(response)
                .or_default()
                .insert((unit, code), value);
        }
    }
    Ok(Some((page, from_rows)))
}

/// Responses read per page by a recomputation.
const RECOMPUTE_PAGE: i64 = 20_000;

/// The tallies a full recomputation gives: every stored response streamed
/// through the same scoring as at submission, read from its packed answers
/// (one row per response) or, for a response without them (stored before
/// they were kept), from its answer rows.
pub fn recomputed(app: &App, campaign_id: CampaignId) -> Result<Vec<(i64, String, String, Tally)>> {
    use crate::domain::survey::packed::PackedLayout;
    let campaign_id = campaign_id.get();
    let mut conn = app.conn()?;
    let cqs = store::questionnaires(&mut conn, campaign_id)?;
    drop(conn);
    let mut sums: BTreeMap<(i64, String, String), Tally> = BTreeMap::new();
    for cq in cqs {
        let Some(scorer) = app.scorer(campaign_id, cq.version_id)? else {
            continue;
        };
        let q = app.questionnaire_version(cq.version_id)?;
        let layout = PackedLayout::of(&q);
        // The packed questions resolved once (None: not scored).
        let slots: Vec<Option<crate::domain::survey::QuestionRef<'_>>> =
            layout.codes().iter().map(|c| scorer.lookup(c)).collect();
        let group = scorer.group().code().to_string();
        let mut rated_cache: HashMap<Option<i64>, Vec<i64>> = HashMap::new();
        // The response being read: its scores per rated unit (usually one),
        // with cleared ones kept for the next response.
        let mut active: Vec<(i64, crate::domain::survey::RespondentScores)> = Vec::new();
        let mut spare: Vec<crate::domain::survey::RespondentScores> = Vec::new();
        let blank = scorer.blank();
        // Strata by number, so the tally of a (rated unit, stratum) is
        // found by two integers, not by hashing and cloning the stratum.
        let mut strata: HashMap<String, usize> = HashMap::new();
        let mut stratum_names: Vec<String> = Vec::new();
        let mut index: HashMap<(i64, usize), usize> = HashMap::new();
        let mut tallies: Vec<((i64, usize), Tally)> = Vec::new();
        // One thread reads the pages while this one scores the last: the
        // reading and the scoring each take about half the time.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Page>>(2);
        let version_id = cq.version_id;
        std::thread::scope(|scope| -> Result<()> {
            scope.spawn(move || {
                let mut after = 0;
                loop {
                    let step = read_page(app, campaign_id, version_id, after);
                    let next = match &step {
                        Ok(Some((page, _))) => page.last().map(|r| r.id),
                        _ => None,
                    };
                    let Some(next) = next else {
                        if let Err(e) = step {
                            let _ = tx.send(Err(e));
                        }
                        break;
                    };
                    after = next;
                    let Ok(Some(page)) = step else { break };
                    if tx.send(Ok(page)).is_err() {
                        break;
                    }
                }
            });
            for item in rx {
                let (page, from_rows) = item?;
                let mut conn = app.conn()?;
                for r in &page {
                    let rated: &Vec<i64> = match rated_cache.entry(r.unit_id) {
                        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                        std::collections::hash_map::Entry::Vacant(e) => {
                            let own = match r.unit_id {
                                Some(id) => units::by_id(&mut conn, id)?,
                                None => None,
                            };
                            e.insert(
                                super::respond::rated_units(&mut conn, &q, own.as_ref())?
                                    .into_iter()
                                    .map(|u| u.id)
                                    .collect(),
                            )
                        }
                    };
                    let name = match (r.stratum.as_deref(), r.source) {
                        (Some(h), RespondentSource::Sample) => h,
                        _ => OUTSIDE_DRAW,
                    };
                    let stratum = match strata.get(name) {
                        Some(n) => *n,
                        None => {
                            stratum_names.push(tally_stratum(r.stratum.as_deref(), r.source));
                            strata.insert(name.to_string(), stratum_names.len() - 1);
                            stratum_names.len() - 1
                        }
                    };
                    for (_, mut s) in active.drain(..) {
                        s.clear();
                        spare.push(s);
                    }
                    match &r.packed {
                        Some(packed) => {
                            let mut record = |unit: i64, slot: usize, value: &str| {
                                if let Some(question) = slots[slot] {
                                    let s = scores_of(&mut active, &mut spare, &scorer, unit);
                                    scorer.record_at(s, question, value);
                                }
                            };
                            layout.unpack(packed, &mut record).map_err(|e| {
                                ServiceError::Internal(format!("phiếu {}: {e}", r.id))
                            })?
                        }
                        None => {
                            for ((u, c), v) in from_rows.get(&r.id).into_iter().flatten() {
                                let s = scores_of(&mut active, &mut spare, &scorer, *u);
                                scorer.record(s, c, v);
                            }
                        }
                    }
                    for unit in rated {
                        let s = active
                            .iter()
                            .find(|(u, _)| u == unit)
                            .map(|(_, s)| s)
                            .unwrap_or(&blank);
                        let key = (*unit, stratum);
                        let at = match index.get(&key) {
                            Some(at) => *at,
                            None => {
                                tallies.push((key, scorer.tally()));
                                index.insert(key, tallies.len() - 1);
                                tallies.len() - 1
                            }
                        };
                        tallies[at]
                            .1
                            .add(s)
                            .map_err(|e| ServiceError::invalid(e.to_string()))?;
                    }
                }
            }
            Ok(())
        })?;
        for ((unit, stratum), tally) in tallies {
            sums.insert((unit, group.clone(), stratum_names[stratum].clone()), tally);
        }
    }
    Ok(sums
        .into_iter()
        .map(|((u, g, s), t)| (u, g, s, t))
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct RecomputeReport {
    pub tallies: usize,
    /// Rows whose stored running sums differed from the recomputation
    /// (should be none; replaced by the recomputed ones).
    pub differed: usize,
}

/// Rebuilds the running sums from the stored answers and replaces them,
/// saying how many differed.
pub fn recompute(app: &App, campaign_id: CampaignId) -> Result<RecomputeReport> {
    let campaign_id = campaign_id.get();
    store::get(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let fresh = recomputed(app, CampaignId(campaign_id))?;
    let old = tallies::of_campaign(&mut *app.conn()?, campaign_id)?;
    let old: BTreeMap<(i64, String, String), Tally> =
        old.into_iter().map(|(u, g, s, t)| ((u, g, s), t)).collect();
    let differed = fresh
        .iter()
        .filter(|(u, g, s, t)| old.get(&(*u, g.clone(), s.clone())) != Some(t))
        .count()
        + old.len().saturating_sub(fresh.len());
    let rows: Vec<(i64, &str, String, Tally)> = fresh
        .iter()
        .map(|(u, g, s, t)| (*u, g.as_str(), s.clone(), t.clone()))
        .collect();
    tallies::replace(&mut *app.writer()?, campaign_id, &rows, now())?;
    Ok(RecomputeReport {
        tallies: fresh.len(),
        differed,
    })
}

/// What the campaign's survey figures rest on that no seed states: how
/// answers become points, the split of points among groups, the minimum of
/// answers and the open links (the profile's readings on the survey); none
/// for a campaign without a profile.
pub fn survey_readings(app: &App, campaign_id: CampaignId) -> Result<Vec<Reading>> {
    match app.campaign_profile(campaign_id) {
        Ok(p) => Ok(p
            .readings()
            .into_iter()
            .filter(|r| r.setting.starts_with("survey.") || r.setting == "criteria_sets")
            .collect()),
        Err(ServiceError::Invalid(_)) => Ok(vec![]),
        Err(e) => Err(e),
    }
}
