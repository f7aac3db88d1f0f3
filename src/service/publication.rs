//! The 100-point index of a campaign: each unit's appraisal merged with its
//! survey points, the band, the rank in its block, the head-of-agency rating,
//! the changes against last year and the duty-to-explain list; and the
//! publication that freezes it.
//!
//! The survey points come, per unit and criterion, from `survey_points` when
//! the campaign has them (imported from a CSV because the survey ran
//! elsewhere, or frozen at publication), else from the live estimates.
//! Past years come from `published_scores` (written at publication, or
//! imported). The rules are `domain::index`'s; nothing here decides a score.

use crate::domain::ids::CampaignId;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::domain::access::{allows, Action};
use crate::domain::index::{
    assigned_item_in_frameworks, changes, comparable, explain_list, no_dossier_standing,
    rank_and_rate, table::MAXIMA_ROW, Appraisal, AssignedItem, Case, Cause, Change, Decision,
    ExplainItem, Figures, HeadRating, NoDossierStanding, Rank, RatingOutcome, Shortfall, Standing,
    SurveyScore, YearScore,
};
use crate::domain::points::Points;
use crate::domain::profile::Profile;
use crate::domain::questionnaire::RespondentGroup;
use crate::report::table::{Cell, Column, Header, Row};
use crate::storage::publication::{self as store, SurveyPointRow, KIND_ASSIGNED, KIND_OWN};
use crate::storage::{campaigns as campaign_store, draws, units};

use super::accounts::StaffUser;
use super::council::{self, DecisionView, InForce};

use super::{appraisal, now, results, App, Result, ServiceError};

pub use appraisal::{NOT_SUBMITTED, NOT_YET, NO_DOSSIER};

/// How many earlier years the trends and the explain list look back.
const YEARS_BACK: i64 = 3;

/// One survey criterion of a unit, as the index takes it.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyCell {
    pub criterion: String,
    pub max: Points,
    /// None while withheld.
    pub points: Option<Points>,
    /// The groups below the profile's minimum of valid answers (scored
    /// under `flag`, withheld under `withhold`).
    pub short: Vec<Shortfall>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl SurveyCell {
    pub fn flagged(&self) -> bool {
        !self.short.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexRow {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub block: String,
    pub block_name: String,
    pub unit_type: String,
    /// The dossier's state (`draft`, `submitted`, …, `approved`) or `none`.
    pub dossier: String,
    pub appraisal: Option<Appraisal>,
    /// Why the unit has no appraisal (its scores do not fit the rules).
    pub problem: Option<String>,
    pub rank: Option<Rank>,
    pub head_rating: RatingOutcome,
    /// Fields, criteria and sub-criteria against last year's published scores.
    pub changes: Vec<Change>,
    pub survey: Vec<SurveyCell>,
    pub explain: Vec<ExplainItem>,
    /// Why the unit is not ranked (no dossier, survey withheld, a problem,
    /// waiting for the council); None when it is ranked.
    pub not_ranked: Option<String>,
    /// The same in a few words, for a chart's bar.
    pub not_ranked_short: Option<&'static str>,
    /// The council's decisions in force for this unit.
    pub decisions: Vec<DecisionView>,
    /// Cases of this unit that wait for the council.
    pub open: Vec<Case>,
    /// The head's rating by the rules alone, before any council decision.
    pub rule_rating: Option<HeadRating>,
}

impl IndexRow {
    pub fn figures(&self) -> Option<&Figures> {
        self.appraisal.as_ref().and_then(|a| a.figures.as_ref())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexTable {
    /// The rules the table was computed with (pages draw its bands).
    #[serde(skip)]
    pub profile: Arc<Profile>,
    pub campaign_id: i64,
    pub campaign: String,
    pub year: i32,
    pub profile_code: String,
    pub profile_name: String,
    pub decimals: u32,
    /// `live`, `import` or `published`: where the survey points come from.
    pub survey_source: &'static str,
    pub published_at: Option<NaiveDateTime>,
    /// In the profile's block order, then rank, then unit code.
    pub rows: Vec<IndexRow>,
    /// What the explain lists compare: `assigned` (the provincial index
    /// items each head answers for, Thái Bình art. 14, 16, 19) or `own` (the
    /// unit's own index, for profiles without assigned items).
    pub explain_basis: &'static str,
    /// The day the Ministry published this year's provincial index, and the
    /// report with the explain list due from it (Thái Bình art. 20.2).
    pub national_published_on: Option<chrono::NaiveDate>,
    pub explain_due: Option<chrono::NaiveDate>,
}

struct Ctx {
    campaign: campaign_store::CampaignRow,
    profile: Arc<Profile>,
    units: Vec<units::UnitRow>,
}

fn ctx(app: &App, campaign_id: i64) -> Result<Ctx> {
    let profile = app.campaign_profile(CampaignId(campaign_id))?;
    let campaign = campaign_store::get(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt đánh giá {campaign_id}")))?;
    let units = units::list(&mut *app.conn()?)?;
    Ok(Ctx {
        campaign,
        profile,
        units,
    })
}

#[derive(serde::Deserialize)]
struct StoredShortfall {
    group: RespondentGroup,
    valid: u32,
    minimum: u32,
}

fn shortfalls_json(short: &[Shortfall]) -> String {
    serde_json::to_string(short).unwrap_or_else(|_| "[]".into())
}

fn parse_shortfalls(text: &str) -> Vec<Shortfall> {
    serde_json::from_str::<Vec<StoredShortfall>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|s| Shortfall {
            group: s.group,
            valid: s.valid,
            minimum: s.minimum,
        })
        .collect()
}

/// unit id → criterion → (score as the appraisal takes it, interval).
type SurveyMap = BTreeMap<i64, BTreeMap<String, (SurveyScore, Option<(f64, f64)>)>>;

fn survey_scores(app: &App, campaign_id: i64) -> Result<(SurveyMap, &'static str)> {
    let stored = store::survey_points(&mut *app.conn()?, campaign_id)?;
    if let Some(first) = stored.first() {
        let source = if first.source == store::SOURCE_PUBLISHED {
            "published"
        } else {
            "import"
        };
        let mut map = SurveyMap::new();
        for r in stored {
            let short = parse_shortfalls(&r.short);
            // The exact points where stored (frozen estimates), else the decimal.
            let exact = r
                .points_exact
                .as_deref()
                .and_then(|t| Points::from_exact(t).ok());
            let score = match exact.or(r.points_micro.map(Points::from_micro)) {
                Some(points) => SurveyScore::Scored { points, short },
                None => SurveyScore::Withheld { short },
            };
            let ci = r.ci_low.zip(r.ci_high);
            map.entry(r.unit_id)
                .or_default()
                .insert(r.criterion, (score, ci));
        }
        return Ok((map, source));
    }
    if draws::id_of_campaign(&mut *app.conn()?, campaign_id)?.is_none() {
        // No draw and nothing imported: no survey yet, every survey criterion withheld.
        return Ok((SurveyMap::new(), "live"));
    }
    let live = results::campaign_results(app, CampaignId(campaign_id))?;
    let mut map = SurveyMap::new();
    for u in live.units {
        let Some(s) = u.survey else { continue };
        let m = map.entry(u.unit_id).or_default();
        for c in s.criteria {
            m.insert(c.code, (c.score, c.ci.map(|ci| (ci.low, ci.high))));
        }
    }
    Ok((map, "live"))
}

/// Published scores of `kind` for the years before `year`, nearest first.
fn earlier_years(
    app: &App,
    year: i64,
    kind: &str,
) -> Result<Vec<BTreeMap<String, BTreeMap<String, Points>>>> {
    let mut conn = app.conn()?;
    let mut out = Vec::new();
    for y in 1..=YEARS_BACK {
        let by_unit = store::published(&mut conn, year - y, kind)?;
        out.push(
            by_unit
                .into_iter()
                .map(|(u, items)| {
                    (
                        u,
                        items
                            .into_iter()
                            .map(|(k, p)| (k, Points::from_micro(p)))
                            .collect(),
                    )
                })
                .collect(),
        );
    }
    Ok(out)
}

fn rounded(nodes: &BTreeMap<String, Points>, decimals: u32) -> BTreeMap<String, Points> {
    nodes
        .iter()
        .map(|(k, p)| (k.clone(), p.round(decimals)))
        .collect()
}

/// One item's published scores for a unit, this year first, for as long as
/// the years run without a gap, each with its year's framework maximum
/// (the file's maxima row) when given.
fn item_years(
    years: &[BTreeMap<String, BTreeMap<String, Points>>],
    unit: &str,
    code: &str,
) -> Vec<YearScore> {
    years
        .iter()
        .map_while(|y| {
            let points = *y.get(unit)?.get(code)?;
            let max = y.get(MAXIMA_ROW).and_then(|m| m.get(code)).copied();
            Some(YearScore { points, max })
        })
        .collect()
}

/// A unit's provincial items over the years as [`comparable`] makes them:
/// a year scored out of another maximum taken as the same share of this
/// year's, so the explain list compares like with like.
fn comparable_history(
    years: &[BTreeMap<String, BTreeMap<String, Points>>],
    unit: &str,
    decimals: u32,
) -> Vec<BTreeMap<String, Points>> {
    let mut out: Vec<BTreeMap<String, Points>> = Vec::new();
    let Some(now) = years.first().and_then(|y| y.get(unit)) else {
        return out;
    };
    for code in now.keys() {
        for (i, p) in comparable(&item_years(years, unit, code), decimals)
            .into_iter()
            .enumerate()
        {
            if out.len() <= i {
                out.resize_with(i + 1, BTreeMap::new);
            }
            out[i].insert(code.clone(), p);
        }
    }
    out
}

/// A unit not ranked, in a few words for a chart's bar.
const UNCOMPUTED: &str = "chưa tính được";
const NO_DOSSIER_SHORT: &str = "không nộp hồ sơ, không xếp hạng";
const NO_SURVEY_SHORT: &str = "thiếu điểm điều tra xã hội học";

/// Whether a unit is ranked before head ratings, by its dossier, its survey
/// component and the council's decisions: the reason it is not ranked, and
/// the cases that wait for the council.
fn standing_before_rating(
    profile: &Profile,
    unit_id: i64,
    dossier: &str,
    appraisal: &Option<Appraisal>,
    problem: &Option<String>,
    decided: &InForce,
) -> (Option<(String, &'static str)>, Vec<Case>) {
    if let Some(p) = problem {
        return (
            Some((format!("Chưa tính được Chỉ số: {p}"), UNCOMPUTED)),
            vec![],
        );
    }
    let Some(a) = appraisal else {
        return (Some(("Chưa tính được Chỉ số.".into(), UNCOMPUTED)), vec![]);
    };
    if dossier == NOT_YET {
        return (
            Some((
                "Chưa nộp hồ sơ tự đánh giá; hạn nộp chưa hết.".into(),
                "chưa nộp hồ sơ, còn trong hạn",
            )),
            vec![],
        );
    }
    if dossier == NO_DOSSIER {
        let d = decided.decision(unit_id, &Case::NoDossier);
        match no_dossier_standing(profile.council.no_dossier, d) {
            NoDossierStanding::Scored => {}
            NoDossierStanding::Excluded if d.is_some() => {
                return (
                    Some((
                        "Không nộp hồ sơ tự đánh giá; Hội đồng quyết định không xếp hạng.".into(),
                        NO_DOSSIER_SHORT,
                    )),
                    vec![],
                )
            }
            NoDossierStanding::Excluded => {
                return (
                    Some((
                        "Không nộp hồ sơ tự đánh giá; không xếp hạng theo thiết lập của hồ sơ tỉnh (council.no_dossier; văn bản quy định không nêu)."
                            .into(),
                        NO_DOSSIER_SHORT,
                    )),
                    vec![],
                )
            }
            NoDossierStanding::Pending => {
                return (
                    Some((
                        "Không nộp hồ sơ tự đánh giá; chờ Hội đồng quyết định tính điểm 0 hay không xếp hạng."
                            .into(),
                        NO_DOSSIER_SHORT,
                    )),
                    vec![Case::NoDossier],
                )
            }
        }
    }
    if !a.withheld.is_empty() {
        let list = a.withheld.join(", ");
        return match decided.decision(unit_id, &Case::SurveyWithheld) {
            Some(Decision::Exclude) => (
                Some((
                    format!("Thiếu điểm điều tra xã hội học (tiêu chí {list}); Hội đồng quyết định không xếp hạng."),
                    NO_SURVEY_SHORT,
                )),
                vec![],
            ),
            _ => (
                Some((
                    format!("Thiếu điểm điều tra xã hội học (tiêu chí {list}); chờ Hội đồng quyết định."),
                    NO_SURVEY_SHORT,
                )),
                vec![Case::SurveyWithheld],
            ),
        };
    }
    (None, vec![])
}

/// The campaign's index table as it stands: live until published, frozen after.
pub fn table(app: &App, campaign_id: CampaignId, now: NaiveDateTime) -> Result<IndexTable> {
    let campaign_id = campaign_id.get();
    let Ctx {
        campaign,
        profile,
        units,
    } = ctx(app, campaign_id)?;
    let published_at = store::publication(&mut *app.conn()?, campaign_id)?.map(|(at, _)| at);
    let (survey, survey_source) = survey_scores(app, campaign_id)?;
    let decided = council::in_force(app, campaign_id)?;
    let decimals = profile.points.decimals;
    let year = i64::from(campaign.year);
    let own_before = earlier_years(app, year, KIND_OWN)?;
    let assigned_now = store::published(&mut *app.conn()?, year, KIND_ASSIGNED)?;
    let assigned_before = earlier_years(app, year, KIND_ASSIGNED)?;
    let empty = BTreeMap::new();
    // Thái Bình art. 14, 16 and 19: the duty to explain and the sanctions
    // concern the provincial index items each head answers for, as the
    // Ministry published them, not the agency's own index.
    let items_set = crate::domain::index::standing::items_set(&profile);
    // This year's provincial scores, then the earlier years, nearest first.
    let assigned_years: Vec<BTreeMap<String, BTreeMap<String, Points>>> = std::iter::once(
        assigned_now
            .iter()
            .map(|(u, m)| {
                let m = m
                    .iter()
                    .map(|(k, p)| (k.clone(), Points::from_micro(*p)))
                    .collect();
                (u.clone(), m)
            })
            .collect(),
    )
    .chain(assigned_before.iter().cloned())
    .collect();
    let national_published_on = store::national_publication(&mut *app.conn()?, year)?;
    let unit_ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let dossiers = appraisal::campaign_dossiers(app, &profile, &campaign, &unit_ids)?;

    let mut rows: Vec<IndexRow> = Vec::new();
    for u in &units {
        let Some(block) = profile.ranking.blocks.iter().find(|b| b.code == u.block) else {
            continue;
        };
        let Some(set) = profile.criteria_set_for(&u.unit_type) else {
            continue;
        };
        let scores = survey.get(&u.id);
        let cells: Vec<SurveyCell> = set
            .leaves()
            .filter(|l| l.is_survey())
            .map(|l| {
                let (score, ci) = scores
                    .and_then(|m| m.get(&l.code))
                    .map(|(s, ci)| (Some(s), *ci))
                    .unwrap_or((None, None));
                let (points, short) = match score {
                    Some(SurveyScore::Scored { points, short }) => (Some(*points), short.clone()),
                    Some(SurveyScore::Withheld { short }) => (None, short.clone()),
                    None => (None, vec![]),
                };
                SurveyCell {
                    criterion: l.code.clone(),
                    max: l.max,
                    points,
                    short,
                    ci_low: ci.map(|c| c.0),
                    ci_high: ci.map(|c| c.1),
                }
            })
            .collect();
        let survey_inputs: BTreeMap<String, SurveyScore> = scores
            .map(|m| m.iter().map(|(k, (s, _))| (k.clone(), s.clone())).collect())
            .unwrap_or_default();
        let (appraisal, problem, dossier) =
            match appraisal::appraised_with_survey(&profile, &dossiers, u, now, &survey_inputs) {
                Ok((a, state)) => (Some(a), None, state),
                Err(e) => (None, Some(e.to_string()), NO_DOSSIER.to_string()),
            };
        let (not_ranked, open) =
            standing_before_rating(&profile, u.id, &dossier, &appraisal, &problem, &decided);
        let (not_ranked, not_ranked_short) = match not_ranked {
            Some((long, short)) => (Some(long), Some(short)),
            None => (None, None),
        };
        let current = appraisal
            .as_ref()
            .map(|a| rounded(&a.nodes, decimals))
            .unwrap_or_default();
        let last = own_before
            .first()
            .and_then(|y| y.get(&u.code))
            .unwrap_or(&empty);
        let explain = match items_set {
            Some(items) => explain_list(
                &profile,
                items,
                &comparable_history(&assigned_years, &u.code, decimals),
            ),
            None => {
                let mut history = vec![current.clone()];
                for y in &own_before {
                    match y.get(&u.code) {
                        Some(s) => history.push(s.clone()),
                        None => break,
                    }
                }
                explain_list(&profile, set, &history)
            }
        };
        rows.push(IndexRow {
            unit_id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            block: u.block.clone(),
            block_name: block.name.clone(),
            unit_type: u.unit_type.clone(),
            dossier,
            changes: changes(&current, last, decimals),
            explain,
            appraisal,
            problem,
            rank: None,
            head_rating: RatingOutcome::NotApplicable {
                message: String::new(),
            },
            survey: cells,
            not_ranked,
            not_ranked_short,
            decisions: decided.of_unit(u.id),
            open,
            rule_rating: None,
        });
    }

    // Ranks among the units with an index, block by block, and the heads'
    // ratings: the index and rank; for Thái Bình also the trend of the
    // provincial index items the agency answers for.
    let items: Vec<Vec<AssignedItem>> = rows
        .iter()
        .map(|r| {
            assigned_now
                .get(&r.code)
                .map(|now_items| {
                    now_items
                        .keys()
                        .map(|code| {
                            let cause = match decided
                                .decision(r.unit_id, &Case::DeclineCause { item: code.clone() })
                            {
                                Some(Decision::Cause(c)) => c,
                                _ => Cause::Unknown,
                            };
                            let years = item_years(&assigned_years, &r.code, code);
                            assigned_item_in_frameworks(&profile, code, &years, cause)
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let standings: Vec<Standing> = rows
        .iter()
        .zip(&items)
        .map(|(r, items)| Standing {
            unit: &r.code,
            block: &r.block,
            // A unit not ranked (excluded, or waiting for the council) has
            // no index for ranking even when its appraisal has figures.
            figures: r.figures().filter(|_| r.not_ranked.is_none()),
            items,
        })
        .collect();
    let rated = rank_and_rate(&profile, &standings);
    for (r, (rank, rating)) in rows.iter_mut().zip(rated) {
        r.rank = rank;
        r.rule_rating = council::rule_rating(&rating);
        r.head_rating = council::apply_to_rating(&decided, r.unit_id, rating, &mut r.open);
    }

    let block_order = |b: &str| {
        profile
            .ranking
            .blocks
            .iter()
            .position(|x| x.code == b)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        block_order(&a.block)
            .cmp(&block_order(&b.block))
            .then(
                a.rank
                    .map(|r| r.rank)
                    .unwrap_or(u32::MAX)
                    .cmp(&b.rank.map(|r| r.rank).unwrap_or(u32::MAX)),
            )
            .then(a.code.cmp(&b.code))
    });
    Ok(IndexTable {
        campaign_id,
        campaign: campaign.name.clone(),
        year: campaign.year,
        profile_code: profile.code.clone(),
        profile_name: profile.name.clone(),
        decimals,
        survey_source,
        published_at,
        rows,
        explain_basis: if items_set.is_some() {
            KIND_ASSIGNED
        } else {
            KIND_OWN
        },
        explain_due: national_published_on
            .and_then(|d| crate::domain::index::report_due(&profile, d)),
        national_published_on,
        profile,
    })
}

/// Records the day the Ministry published `year`'s provincial index
/// (`2024-05-17` or `17/05/2024`), from which Thái Bình art. 20.2 counts the
/// report with the explain list.
pub fn set_national_publication(app: &App, year: i64, day: &str) -> Result<chrono::NaiveDate> {
    let date = check_national_publication(year, day)?;
    let now = crate::service::now();
    app.write(move |conn| store::set_national_publication(conn, year, date, now))?;
    Ok(date)
}

/// The day as [`set_national_publication`] reads it, or why not.
pub fn check_national_publication(year: i64, day: &str) -> Result<chrono::NaiveDate> {
    let t = day.trim();
    let date = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .map_err(|_| {
            ServiceError::invalid(format!(
                "ngày Bộ Nội vụ công bố \"{t}\" không hợp lệ; viết theo dạng 17/05/{}",
                year + 1
            ))
        })?;
    if !(year..=year + 2).contains(&i64::from(chrono::Datelike::year(&date))) {
        return Err(ServiceError::invalid(format!(
            "ngày Bộ Nội vụ công bố Chỉ số năm {year} ({}) phải trong năm {year} đến {}",
            date.format("%d/%m/%Y"),
            year + 2
        )));
    }
    Ok(date)
}

/// A published campaign as the public list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedCampaign {
    pub campaign_id: i64,
    pub name: String,
    pub year: i32,
    /// Vietnam time.
    pub published_at: String,
}

/// The campaigns whose index table is published, newest first: all the
/// public results page lists.
pub fn published_campaigns(app: &App) -> Result<Vec<PublishedCampaign>> {
    let mut conn = app.conn()?;
    let mut out = Vec::new();
    for (id, at) in store::published_campaigns(&mut conn)? {
        if let Some(c) = campaign_store::get(&mut conn, id)? {
            out.push(PublishedCampaign {
                campaign_id: id,
                name: c.name,
                year: c.year,
                published_at: crate::domain::vietnam_time::shown(at),
            });
        }
    }
    Ok(out)
}

/// The published table of a campaign, for readers without an account; a
/// campaign not published is not found, so no provisional figure leaves.
pub fn published_table(app: &App, campaign_id: CampaignId) -> Result<IndexTable> {
    let not_found = || ServiceError::NotFound("Kết quả đợt này chưa được công bố.".into());
    if store::publication(&mut *app.conn()?, campaign_id.get())?.is_none() {
        return Err(not_found());
    }
    let t = table(app, campaign_id, now())?;
    t.published_at.ok_or_else(not_found)?;
    Ok(t)
}

/// What the administrator types to confirm a publication.
pub const CONFIRMATION: &str = "CÔNG BỐ";

/// Everything that stands between the table and its publication, each as a
/// sentence: dossiers the council has not approved, units whose index could
/// not be computed, cases waiting for a council decision. Empty: the table
/// may be published.
pub fn blockers(t: &IndexTable) -> Vec<String> {
    let mut out = Vec::new();
    let not_approved: Vec<String> = t
        .rows
        .iter()
        .filter(|r| {
            ![appraisal::APPROVED, NO_DOSSIER, NOT_SUBMITTED, NOT_YET].contains(&r.dossier.as_str())
        })
        .map(|r| format!("{} ({})", r.name, r.code))
        .collect();
    if !not_approved.is_empty() {
        out.push(format!(
            "{} đơn vị chưa được Hội đồng thẩm định phê duyệt hồ sơ: {}.",
            not_approved.len(),
            not_approved.join(", ")
        ));
    }
    let not_yet: Vec<String> = t
        .rows
        .iter()
        .filter(|r| r.dossier == NOT_YET)
        .map(|r| format!("{} ({})", r.name, r.code))
        .collect();
    if !not_yet.is_empty() {
        out.push(format!(
            "{} đơn vị chưa nộp hồ sơ và hạn nộp chưa hết: {}.",
            not_yet.len(),
            not_yet.join(", ")
        ));
    }
    for r in &t.rows {
        if let Some(p) = &r.problem {
            out.push(format!(
                "{} ({}): chưa tính được Chỉ số: {p}",
                r.name, r.code
            ));
        }
        for c in r.open.iter().filter(|c| c.blocks_publication()) {
            out.push(format!(
                "{} ({}): chờ Hội đồng quyết định: {}.",
                r.name,
                r.code,
                c.label()
            ));
        }
    }
    out
}

/// Publishes the table once the administrator has reviewed it and typed
/// [`CONFIRMATION`]: every dossier approved, every open case decided by the
/// council. The survey points are frozen as they are now and each unit's
/// published field, criterion and sub-criterion scores become the year's
/// record, which next year's changes and the explain list read.
pub fn publish(
    app: &App,
    who: &StaffUser,
    campaign_id: CampaignId,
    confirmation: &str,
) -> Result<IndexTable> {
    let campaign_id = campaign_id.get();
    if !allows(who.actor(), Action::PublishIndex) {
        return Err(ServiceError::Forbidden(
            "Chỉ quản trị (Sở Nội vụ) được công bố kết quả.".into(),
        ));
    }
    let at = now();
    let t = table(app, CampaignId(campaign_id), at)?;
    if let Some(when) = t.published_at {
        return Err(ServiceError::invalid(format!(
            "Kết quả đợt này đã công bố lúc {}; không công bố lại.",
            crate::domain::vietnam_time::shown(when)
        )));
    }
    let mut problems = blockers(&t);
    if !problems.is_empty() {
        problems.insert(0, "Chưa công bố được:".to_string());
    }
    if confirmation.trim() != CONFIRMATION {
        problems.push(format!(
            "Để công bố, gõ đúng \"{CONFIRMATION}\" vào ô xác nhận (chữ in hoa, có dấu)."
        ));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    // The figures as the table has them, shortfalls included, so a flagged
    // criterion stays flagged and a withheld one withheld.
    let frozen: Vec<SurveyPointRow> = t
        .rows
        .iter()
        .flat_map(|r| {
            r.survey.iter().map(|c| SurveyPointRow {
                campaign_id,
                unit_id: r.unit_id,
                criterion: c.criterion.clone(),
                points_micro: c.points.map(Points::micro),
                points_exact: c.points.map(Points::exact),
                short: shortfalls_json(&c.short),
                ci_low: c.ci_low,
                ci_high: c.ci_high,
                source: store::SOURCE_PUBLISHED.into(),
            })
        })
        .collect();
    let record: BTreeMap<String, BTreeMap<String, i64>> = t
        .rows
        .iter()
        .filter_map(|r| {
            let a = r.appraisal.as_ref()?;
            a.figures.as_ref()?;
            Some((
                r.code.clone(),
                rounded(&a.nodes, t.decimals)
                    .into_iter()
                    .map(|(k, p)| (k, p.micro()))
                    .collect(),
            ))
        })
        .collect();
    let year = i64::from(t.year);
    let by = who.id;
    let done =
        app.write(move |conn| store::publish(conn, campaign_id, by, at, &frozen, year, &record))?;
    if !done {
        return Err(ServiceError::invalid(
            "Kết quả đợt này vừa được công bố; không công bố lại.",
        ));
    }
    // The same figures, now frozen: what `table` gives from here on.
    let mut t = t;
    t.published_at = Some(at);
    t.survey_source = "published";
    Ok(t)
}

fn refuse_if_published(app: &App, campaign_id: i64) -> Result<()> {
    if store::publication(&mut *app.conn()?, campaign_id)?.is_some() {
        return Err(ServiceError::invalid(
            "Kết quả đợt này đã công bố: không thay đổi điểm điều tra xã hội học.",
        ));
    }
    Ok(())
}

/// Imports survey points per unit and survey criterion (columns `unit`,
/// `criterion`, `points`), for a campaign whose survey ran elsewhere. The
/// whole file or nothing; every problem as `file:line: column: reason`. A
/// survey criterion a unit has no row for is withheld.
pub fn import_survey(
    app: &App,
    campaign_id: CampaignId,
    reader: impl Read,
    file: &str,
) -> Result<usize> {
    let campaign_id = campaign_id.get();
    let Ctx { profile, units, .. } = ctx(app, campaign_id)?;
    refuse_if_published(app, campaign_id)?;
    let table = crate::domain::index::table::read_table(reader, file)?;
    let col = |name: &str| table.headers.iter().position(|h| h == name);
    let (Some(cu), Some(cc), Some(cp)) = (col("unit"), col("criterion"), col("points")) else {
        return Err(ServiceError::invalid(format!(
            "{file}:1: cần các cột unit, criterion, points (có: {})",
            table.headers.join(", ")
        )));
    };
    let mut rows: Vec<SurveyPointRow> = Vec::new();
    let mut seen: BTreeMap<(i64, String), u64> = BTreeMap::new();
    let mut problems = crate::domain::problems::ProblemList::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let Some(unit) = units.iter().find(|u| u.code == cell(cu)) else {
            problems.push(format!(
                "{file}:{line}: cột unit: không có đơn vị mã \"{}\"",
                cell(cu)
            ));
            continue;
        };
        let Some(set) = profile.criteria_set_for(&unit.unit_type) else {
            problems.push(format!(
                "{file}:{line}: cột unit: bộ quy tắc không có bộ tiêu chí cho loại đơn vị \"{}\"",
                unit.unit_type
            ));
            continue;
        };
        let code = cell(cc).to_string();
        let Some(leaf) = set.get(&code).filter(|c| c.is_leaf() && c.is_survey()) else {
            problems.push(format!(
                "{file}:{line}: cột criterion: \"{code}\" không phải tiêu chí điều tra xã hội học của {}",
                unit.code
            ));
            continue;
        };
        let points = match Points::parse(cell(cp)) {
            Ok(p) if p.is_negative() || p > leaf.max => {
                problems.push(format!(
                    "{file}:{line}: cột points: {p} ngoài khoảng 0 đến {} của tiêu chí {code}",
                    leaf.max
                ));
                continue;
            }
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{file}:{line}: cột points: {e}"));
                continue;
            }
        };
        if let Some(first) = seen.insert((unit.id, code.clone()), line) {
            problems.push(format!(
                "{file}:{line}: đơn vị {} và tiêu chí {code} đã có ở dòng {first}",
                unit.code
            ));
            continue;
        }
        rows.push(SurveyPointRow {
            campaign_id,
            unit_id: unit.id,
            criterion: code,
            points_micro: Some(points.micro()),
            points_exact: None,
            short: "[]".into(),
            ci_low: None,
            ci_high: None,
            source: store::SOURCE_IMPORT.into(),
        });
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems.into_vec()));
    }
    if rows.is_empty() {
        return Err(ServiceError::invalid(format!(
            "{file}: tệp không có dòng điểm nào"
        )));
    }
    let n = rows.len();
    app.write(move |conn| store::replace_survey_points(conn, campaign_id, &rows))?;
    Ok(n)
}

/// Imports a year's published scores (columns `unit`, `field.<code>`…, as
/// `chiso index compute --previous` reads): the unit's own (`own`), or the
/// items of the provincial index an agency answers for (`assigned`).
pub fn import_scores(
    app: &App,
    year: i64,
    kind: &str,
    decimals: u32,
    reader: impl Read,
    file: &str,
) -> Result<usize> {
    if kind != KIND_OWN && kind != KIND_ASSIGNED {
        return Err(ServiceError::invalid(format!(
            "loại điểm \"{kind}\" không hợp lệ; dùng own hoặc assigned"
        )));
    }
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::invalid(format!("năm {year} không hợp lệ")));
    }
    let scores = crate::domain::index::table::parse_previous(reader, file, decimals)?;
    let micro: BTreeMap<String, BTreeMap<String, i64>> = scores
        .into_iter()
        .map(|(u, items)| (u, items.into_iter().map(|(k, p)| (k, p.micro())).collect()))
        .collect();
    let kind = kind.to_string();
    app.write(move |conn| store::replace_published(conn, year, &kind, &micro))
}

/// The index table as rows for CSV, XLSX and JSON: a row per unit.
pub fn index_sheet(t: &IndexTable) -> (Header, Vec<Row>) {
    let header = Header::new(vec![
        Column::new("unit").label("Mã đơn vị"),
        Column::new("name").label("Tên đơn vị"),
        Column::new("block").label("Khối xếp hạng (mã)"),
        Column::new("block_name").label("Khối xếp hạng"),
        Column::new("dossier").label("Trạng thái hồ sơ (mã)"),
        Column::new("dossier_name").label("Trạng thái hồ sơ"),
        Column::new("appraised").label("Điểm thẩm định"),
        Column::new("survey").label("Điểm điều tra xã hội học"),
        Column::new("bonus").label("Điểm thưởng được tính"),
        Column::new("deductions").label("Điểm trừ"),
        Column::new("index").label("Chỉ số CCHC (làm tròn)"),
        Column::new("pari").label("PARI (%)"),
        Column::new("band").label("Xếp loại"),
        Column::new("rank").label("Thứ hạng trong khối"),
        Column::new("of").label("Số đơn vị trong khối"),
        Column::new("head_rating").label("Xếp loại người đứng đầu (mã)"),
        Column::new("reason_code").label("Lý do chưa xếp loại (mã)"),
        Column::new("head_message").label("Xếp loại người đứng đầu"),
        Column::new("survey_flags").label("Số tiêu chí điều tra dưới số phiếu tối thiểu"),
        Column::new("not_ranked").label("Lý do không xếp hạng"),
        Column::new("council").label("Quyết định của Hội đồng"),
        Column::new("notes").label("Ghi chú"),
    ])
    .expect("distinct columns");
    let d = t.decimals;
    let num = |p: Option<Points>| -> Cell {
        p.map(|p| Cell::Float(p.round(d).to_f64()))
            .unwrap_or(Cell::Empty)
    };
    let rows = t
        .rows
        .iter()
        .map(|r| {
            // A unit not ranked publishes no index, even one computed with
            // its appraised criteria at 0.
            let f = r.figures().filter(|_| r.not_ranked.is_none());
            let council: Vec<String> = r
                .decisions
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} ({}, {})",
                        d.case_label, d.decision_label, d.reason, d.at
                    )
                })
                .collect();
            let reason = match &r.head_rating {
                RatingOutcome::Undecided { reason, .. } => Some(reason.key()),
                _ => None,
            };
            let mut notes: Vec<String> = f
                .map(|f| f.notes.iter().map(|n| n.message()).collect())
                .unwrap_or_default();
            notes.extend(r.problem.clone());
            vec![
                Cell::from(r.code.as_str()),
                Cell::from(r.name.as_str()),
                Cell::from(r.block.as_str()),
                Cell::from(
                    t.profile
                        .block(&r.block)
                        .map_or(r.block.as_str(), |b| b.name.as_str()),
                ),
                Cell::from(r.dossier.as_str()),
                Cell::from(super::names::dossier_state(&r.dossier)),
                num(r.appraisal.as_ref().map(|a| a.components.appraised)),
                num(f.map(|f| f.components.survey)),
                num(f.map(|f| f.bonus_counted)),
                num(r.appraisal.as_ref().map(|a| a.components.deductions)),
                num(f.map(|f| f.index)),
                num(f.map(|f| f.pari)),
                Cell::from(f.map(|f| f.band.label.clone())),
                Cell::from(r.rank.map(|k| i64::from(k.rank))),
                Cell::from(r.rank.map(|k| i64::from(k.of))),
                Cell::from(r.head_rating.key()),
                Cell::from(reason),
                Cell::from(r.head_rating.message()),
                Cell::from(r.survey.iter().filter(|c| c.flagged()).count() as i64),
                Cell::from(r.not_ranked.clone()),
                Cell::from(council.join("; ")),
                Cell::from(notes.join("; ")),
            ]
        })
        .collect();
    (header, rows)
}

/// The duty-to-explain list: a row per unit and fallen item.
pub fn explain_sheet(t: &IndexTable) -> (Header, Vec<Row>) {
    let header = Header::new(vec![
        Column::new("unit").label("Mã đơn vị"),
        Column::new("name").label("Tên đơn vị"),
        Column::new("code").label("Mã lĩnh vực / tiêu chí"),
        Column::new("item").label("Lĩnh vực / tiêu chí"),
        Column::new("department").label("Cơ quan giải trình"),
        Column::new("current").label("Điểm năm nay"),
        Column::new("previous").label("Điểm năm trước"),
        Column::new("change").label("Thay đổi"),
        Column::new("falling_years").label("Số năm giảm liên tiếp"),
        Column::new("sanctions").label("Hình thức xử lý nếu do nguyên nhân chủ quan"),
        Column::new("report_due").label("Hạn Sở Nội vụ báo cáo UBND tỉnh"),
    ])
    .expect("distinct columns");
    let due = t.explain_due.map(|d| d.format("%d/%m/%Y").to_string());
    let due = due.as_deref();
    let rows = t
        .rows
        .iter()
        .flat_map(|r| {
            r.explain.iter().map(move |e| {
                vec![
                    Cell::from(r.code.as_str()),
                    Cell::from(r.name.as_str()),
                    Cell::from(e.code.as_str()),
                    Cell::from(e.name.as_str()),
                    Cell::from(e.department_name.clone()),
                    Cell::Float(e.current.to_f64()),
                    Cell::Float(e.previous.to_f64()),
                    Cell::Float(e.change.to_f64()),
                    Cell::from(i64::from(e.falling_years)),
                    Cell::from(
                        e.sanctions
                            .iter()
                            .map(|s| match &s.article {
                                Some(a) => format!("{} ({a})", s.action),
                                None => s.action.clone(),
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    Cell::from(due.map(str::to_string)),
                ]
            })
        })
        .collect();
    (header, rows)
}

/// The readings and choices a table rests on (`Profile::readings`), as a
/// sheet that goes with the table into a workbook.
pub fn readings_sheet(readings: &[crate::domain::profile::Reading]) -> (Header, Vec<Row>) {
    let header = Header::new(vec![
        Column::new("setting").label("Thiết lập trong hồ sơ tỉnh"),
        Column::new("value").label("Giá trị"),
        Column::new("meaning").label("Ý nghĩa"),
        Column::new("basis").label("Căn cứ"),
    ])
    .expect("distinct columns");
    let rows = readings
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.setting),
                Cell::from(r.value.as_str()),
                Cell::from(r.meaning.as_str()),
                Cell::from(r.basis.label()),
            ]
        })
        .collect();
    (header, rows)
}
