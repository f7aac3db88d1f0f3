//! A respondent group's sampling rule, as written in a province profile,
//! and the plan it gives for one unit: the size, its split over strata,
//! reserves and the margin of error to expect.
//!
//! Profile shape (one table per respondent group):
//!
//! ```toml
//! [sampling.citizen]
//! rule = "cochran"            # "cochran" | "yamane" | "quota"
//! confidence = 0.95           # optional, default 0.95 (also used for the reported margin)
//! margin = 0.05               # cochran and yamane: the margin of error wanted
//! proportion = 0.5            # optional, default 0.5
//! response_rate = 0.6         # required: the share of invited people expected to answer
//! min_per_unit = 30           # optional, default 0: the fewest invitations per unit
//! allocation = "proportional" # optional: "proportional" (default) | "equal" | "neyman"
//! min_per_stratum = 2         # optional, default 0
//! reserve_share = 0.2         # optional, default 0: reserves per stratum = ceil(n_h · share)
//! strata = ["linh_vuc"]       # optional: frame columns to stratify by, default none
//!
//! [sampling.civil_servant]
//! rule = "quota"
//! quota = { xa = 150, phuong = 200, so = 30 }   # respondents wanted per unit type
//! response_rate = 0.8
//! ```

use std::collections::BTreeMap;

use super::allocation::{allocate, AllocationRule, StratumSize};
use super::size::{
    achieved_margin, inflate, Confidence, Margin, Proportion, ResponseRate, SizeRule,
};
use super::{ceil_size, SamplingError, StratumId};
use crate::questionnaire::RespondentGroup;

/// The sampling rules of a profile, one per respondent group; a group
/// without a rule is not sampled.
pub type SamplingRules = BTreeMap<RespondentGroup, GroupRule>;

/// Column names of the frame that cannot stratify (they have their own meaning).
const RESERVED_COLUMNS: [&str; 5] = ["person_key", "unit", "group", "email", "size"];

/// One respondent group's rule, validated when the profile is read.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "RawGroupRule")]
pub struct GroupRule {
    pub size: SizeRule,
    pub confidence: Confidence,
    pub proportion: Proportion,
    pub response_rate: ResponseRate,
    pub min_per_unit: u64,
    pub allocation: AllocationRule,
    pub min_per_stratum: u64,
    /// Reserves per stratum as a share of its sample, in [0, 10].
    pub reserve_share: f64,
    /// Frame columns whose values form the strata within a unit × group.
    pub strata: Vec<String>,
    /// Cluster stages (area surveys): when set, the unit's people are not
    /// stratified but reached through clusters selected by systematic PPS.
    pub clusters: Option<ClusterDesign>,
    /// Neyman allocation's per-stratum standard deviations (e.g. last
    /// year's), keyed by the stratum's label: its column values joined by
    /// " / " (e.g. "Đất đai").
    pub std_devs: BTreeMap<String, f64>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum RuleKind {
    Quota,
    Cochran,
    Yamane,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroupRule {
    rule: RuleKind,
    quota: Option<BTreeMap<String, u64>>,
    margin: Option<Margin>,
    confidence: Option<Confidence>,
    proportion: Option<Proportion>,
    response_rate: ResponseRate,
    #[serde(default)]
    min_per_unit: u64,
    #[serde(default)]
    allocation: AllocationRule,
    #[serde(default)]
    min_per_stratum: u64,
    #[serde(default)]
    reserve_share: f64,
    #[serde(default)]
    strata: Vec<String>,
    #[serde(default)]
    std_devs: BTreeMap<String, f64>,
    clusters: Option<ClusterDesign>,
}

/// The stages of an area design within a unit, e.g. villages then people:
/// `clusters = { stages = [{ column = "thon", take = 4 }] }`. Each stage
/// takes `take` clusters by systematic PPS (size: people in the frame)
/// among the children of each cluster selected above; people are then
/// drawn by simple random sampling in each selected last-stage cluster,
/// ceil(invitations / clusters selected) each.
///
/// `icc` is the intraclass correlation ρ assumed for the margin the plan
/// reports: people of one village answer alike, so a cluster sample of b
/// respondents per cluster is worth less than a simple random one; Kish's
/// design effect deff = 1 + (b − 1)·ρ widens the margin by √deff. The
/// default 0.05 is a common planning value for attitude items; last year's
/// survey gives a better one.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterDesign {
    pub stages: Vec<Stage>,
    #[serde(default = "default_icc")]
    pub icc: f64,
}

fn default_icc() -> f64 {
    0.05
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The frame column naming the cluster of this stage.
    pub column: String,
    pub take: u64,
}

impl ClusterDesign {
    /// Last-stage clusters the design selects when every stage finds
    /// enough clusters.
    pub fn clusters_selected(&self) -> u64 {
        self.stages.iter().map(|s| s.take).product()
    }
}

impl TryFrom<RawGroupRule> for GroupRule {
    type Error = SamplingError;

    fn try_from(raw: RawGroupRule) -> Result<Self, SamplingError> {
        let size = match raw.rule {
            RuleKind::Quota => {
                if raw.margin.is_some() {
                    return Err(SamplingError::UnusedField {
                        rule: "quota",
                        field: "margin",
                    });
                }
                SizeRule::Quota(raw.quota.ok_or(SamplingError::MissingField {
                    rule: "quota",
                    field: "quota",
                })?)
            }
            RuleKind::Cochran | RuleKind::Yamane => {
                let name = if matches!(raw.rule, RuleKind::Cochran) {
                    "cochran"
                } else {
                    "yamane"
                };
                if raw.quota.is_some() {
                    return Err(SamplingError::UnusedField {
                        rule: name,
                        field: "quota",
                    });
                }
                let margin = raw.margin.ok_or(SamplingError::MissingField {
                    rule: name,
                    field: "margin",
                })?;
                if name == "cochran" {
                    SizeRule::Cochran { margin }
                } else {
                    SizeRule::Yamane { margin }
                }
            }
        };
        if !(0.0..=10.0).contains(&raw.reserve_share) {
            return Err(SamplingError::ReserveShare(raw.reserve_share));
        }
        let mut seen = std::collections::BTreeSet::new();
        for col in &raw.strata {
            let bad = col.trim().is_empty()
                || col.trim() != col
                || col.chars().any(char::is_control)
                || RESERVED_COLUMNS.contains(&col.as_str())
                || !seen.insert(col);
            if bad {
                return Err(SamplingError::IdPart(col.escape_debug().to_string()));
            }
        }
        if let Some(c) = &raw.clusters {
            if c.stages.is_empty() || c.stages.iter().any(|s| s.take == 0) {
                return Err(SamplingError::ClusterStages);
            }
            if !raw.strata.is_empty() {
                return Err(SamplingError::StrataWithClusters);
            }
            if !(0.0..=1.0).contains(&c.icc) {
                return Err(SamplingError::Icc(c.icc));
            }
            for s in &c.stages {
                let bad = s.column.trim().is_empty()
                    || s.column.trim() != s.column
                    || s.column.chars().any(char::is_control)
                    || RESERVED_COLUMNS.contains(&s.column.as_str());
                if bad {
                    return Err(SamplingError::IdPart(s.column.escape_debug().to_string()));
                }
            }
        }
        if let Some((label, sd)) = raw
            .std_devs
            .iter()
            .find(|(_, sd)| !(sd.is_finite() && **sd >= 0.0))
        {
            return Err(SamplingError::StdDev {
                stratum: label.clone(),
                value: *sd,
            });
        }
        Ok(Self {
            size,
            confidence: raw.confidence.unwrap_or_default(),
            proportion: raw.proportion.unwrap_or_default(),
            response_rate: raw.response_rate,
            min_per_unit: raw.min_per_unit,
            allocation: raw.allocation,
            min_per_stratum: raw.min_per_stratum,
            reserve_share: raw.reserve_share,
            strata: raw.strata,
            std_devs: raw.std_devs,
            clusters: raw.clusters,
        })
    }
}

/// The rule as written in a profile, so a plan can record exactly what it
/// followed and an edited rule can be shown and stored.
#[derive(serde::Serialize)]
struct WrittenRule<'a> {
    rule: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<&'a BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<f64>,
    confidence: f64,
    proportion: f64,
    response_rate: f64,
    min_per_unit: u64,
    allocation: &'static str,
    min_per_stratum: u64,
    reserve_share: f64,
    strata: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    std_devs: &'a BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clusters: Option<&'a ClusterDesign>,
}

impl GroupRule {
    /// The rule in the profile's TOML shape; parsing it gives the same rule.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.to_value()).unwrap_or_default()
    }

    /// The rule as a TOML value, to be placed in a larger document.
    pub fn to_value(&self) -> toml::Value {
        let (rule, quota, margin) = match &self.size {
            SizeRule::Quota(q) => ("quota", Some(q), None),
            SizeRule::Cochran { margin } => ("cochran", None, Some(margin.value())),
            SizeRule::Yamane { margin } => ("yamane", None, Some(margin.value())),
        };
        let written = WrittenRule {
            rule,
            quota,
            margin,
            confidence: self.confidence.level(),
            proportion: self.proportion.value(),
            response_rate: self.response_rate.value(),
            min_per_unit: self.min_per_unit,
            allocation: match self.allocation {
                AllocationRule::Proportional => "proportional",
                AllocationRule::Equal => "equal",
                AllocationRule::Neyman => "neyman",
            },
            min_per_stratum: self.min_per_stratum,
            reserve_share: self.reserve_share,
            strata: &self.strata,
            std_devs: &self.std_devs,
            clusters: self.clusters.as_ref(),
        };
        toml::Value::try_from(&written).unwrap_or(toml::Value::Table(Default::default()))
    }

    /// Parses one rule in the profile's TOML shape (one group's table).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// A stratum's label for `std_devs`: its column values joined by " / ".
    pub fn stratum_label(values: &[&str]) -> String {
        values.join(" / ")
    }
}

/// A stratum of one unit × group, as counted in the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumInput {
    pub id: StratumId,
    pub population: u64,
    /// Needed for Neyman allocation only (e.g. last year's standard deviation).
    pub std_dev: Option<f64>,
}

/// The plan of one stratum: what the draw takes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StratumPlan {
    pub id: StratumId,
    pub population: u64,
    pub sample: u64,
    /// Reserves drawn after the sample, released one by one.
    pub reserves: u64,
    /// Expected margin of error in this stratum at the assumed response rate.
    pub margin: Option<f64>,
}

impl StratumPlan {
    /// n_h / N_h; 0 for an empty stratum.
    pub fn inclusion_probability(&self) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            self.sample as f64 / self.population as f64
        }
    }

    /// N_h / n_h, the design weight of each sampled person; None when nobody
    /// is sampled.
    pub fn design_weight(&self) -> Option<f64> {
        (self.sample > 0).then(|| self.population as f64 / self.sample as f64)
    }
}

/// The plan of one unit × respondent group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitGroupPlan {
    /// People in the frame (ΣN_h).
    pub population: u64,
    /// Respondents the size rule asks for, before non-response.
    pub respondents_wanted: u64,
    /// Invitations after inflation by the response rate, the minimum per
    /// unit and the cap at the population.
    pub target: u64,
    /// Invitations actually planned (Σn_h): equals `target` unless the
    /// minimums per stratum alone exceed it.
    pub sample: u64,
    pub reserves: u64,
    /// Respondents expected: sample × response rate.
    pub expected_respondents: f64,
    /// Expected margin of error for the unit × group (from the totals, as
    /// for a simple random sample; see README).
    pub margin: Option<f64>,
    pub minimums_exceed_target: bool,
    /// In stratum-id order.
    pub strata: Vec<StratumPlan>,
    /// For an area design: how the clusters are taken (no strata then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<ClusterPlan>,
}

/// The plan of an area design in one unit × group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClusterPlan {
    /// Clusters in the frame at the first stage.
    pub first_stage_clusters: u64,
    /// Last-stage clusters the design selects (fewer when a stage has fewer).
    pub selected: u64,
    /// People invited in each selected cluster (all of it when smaller).
    pub per_cluster: u64,
    pub reserves_per_cluster: u64,
}

/// Plans one unit × group of an area design: the size rule gives the
/// invitations, split evenly over the clusters the stages will select. The
/// margin is the simple random sample's widened by Kish's design effect
/// 1 + (b − 1)·ρ, b the respondents expected per cluster and ρ the rule's
/// `icc`: an assumption, shown as such.
pub fn plan_clustered(
    rule: &GroupRule,
    unit_type: &str,
    population: u64,
    first_stage_clusters: u64,
) -> Result<UnitGroupPlan, SamplingError> {
    let design = rule.clusters.as_ref().ok_or(SamplingError::ClusterStages)?;
    let respondents_wanted =
        rule.size
            .respondents(unit_type, population, rule.confidence, rule.proportion)?;
    let target = inflate(
        respondents_wanted,
        population,
        rule.response_rate,
        rule.min_per_unit,
    );
    let first_take = design.stages[0].take.min(first_stage_clusters);
    let selected = first_take * design.stages[1..].iter().map(|s| s.take).product::<u64>();
    let per_cluster = if selected == 0 {
        0
    } else {
        target.div_ceil(selected)
    };
    let reserves_per_cluster = ceil_size(per_cluster as f64 * rule.reserve_share);
    let sample = (per_cluster * selected).min(population);
    let per_cluster_respondents = (per_cluster as f64 * rule.response_rate.value()).max(1.0);
    let deff = 1.0 + (per_cluster_respondents - 1.0) * design.icc;
    let margin = achieved_margin(
        population,
        sample,
        rule.response_rate,
        rule.confidence,
        rule.proportion,
    )
    .map(|m| m * deff.sqrt());
    Ok(UnitGroupPlan {
        population,
        respondents_wanted,
        target,
        sample,
        reserves: (reserves_per_cluster * selected).min(population - sample),
        expected_respondents: sample as f64 * rule.response_rate.value(),
        margin,
        minimums_exceed_target: false,
        strata: vec![],
        clusters: Some(ClusterPlan {
            first_stage_clusters,
            selected,
            per_cluster,
            reserves_per_cluster,
        }),
    })
}

/// Plans one unit × group from its strata counts. Strata are put in the
/// order of their ids (which decides ties in the rounding), whatever the
/// order given.
pub fn plan_unit_group(
    rule: &GroupRule,
    unit_type: &str,
    mut strata: Vec<StratumInput>,
) -> Result<UnitGroupPlan, SamplingError> {
    strata.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = strata.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(SamplingError::DuplicateStratum(w[0].id.to_string()));
    }
    let population: u64 = strata.iter().map(|s| s.population).sum();
    let respondents_wanted =
        rule.size
            .respondents(unit_type, population, rule.confidence, rule.proportion)?;
    let target = inflate(
        respondents_wanted,
        population,
        rule.response_rate,
        rule.min_per_unit,
    );
    let sizes: Vec<StratumSize> = strata
        .iter()
        .map(|s| StratumSize {
            population: s.population,
            std_dev: s.std_dev,
        })
        .collect();
    let allocation = allocate(
        rule.allocation,
        &sizes,
        target,
        rule.min_per_stratum,
        &|h| strata[h].id.to_string(),
    )?;
    let plans: Vec<StratumPlan> = strata
        .into_iter()
        .zip(&allocation.sizes)
        .map(|(s, &n)| {
            let reserves = ceil_size(n as f64 * rule.reserve_share).min(s.population - n);
            StratumPlan {
                margin: achieved_margin(
                    s.population,
                    n,
                    rule.response_rate,
                    rule.confidence,
                    rule.proportion,
                ),
                id: s.id,
                population: s.population,
                sample: n,
                reserves,
            }
        })
        .collect();
    let sample = allocation.total();
    Ok(UnitGroupPlan {
        population,
        respondents_wanted,
        target,
        sample,
        reserves: plans.iter().map(|p| p.reserves).sum(),
        expected_respondents: sample as f64 * rule.response_rate.value(),
        margin: achieved_margin(
            population,
            sample,
            rule.response_rate,
            rule.confidence,
            rule.proportion,
        ),
        minimums_exceed_target: allocation.minimums_exceed_total,
        strata: plans,
        clusters: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Profile {
        sampling: SamplingRules,
    }

    const PROFILE: &str = r#"
[sampling.citizen]
rule = "cochran"
confidence = 0.95
margin = 0.05
response_rate = 0.6
min_per_unit = 30
allocation = "proportional"
min_per_stratum = 2
reserve_share = 0.2
strata = ["linh_vuc"]

[sampling.business]
rule = "yamane"
margin = 0.1
response_rate = 0.5

[sampling.civil_servant]
rule = "quota"
quota = { xa = 150, phuong = 200, so = 30 }
response_rate = 0.8
"#;

    fn stratum(parts: &[&str], n: u64) -> StratumInput {
        StratumInput {
            id: StratumId::from_parts(parts).unwrap(),
            population: n,
            std_dev: None,
        }
    }

    #[test]
    fn the_profile_shape_deserializes() {
        let p: Profile = toml::from_str(PROFILE).unwrap();
        let c = &p.sampling[&RespondentGroup::Citizen];
        assert_eq!(
            c.size,
            SizeRule::Cochran {
                margin: Margin::new(0.05).unwrap()
            }
        );
        assert_eq!(c.response_rate.value(), 0.6);
        assert_eq!(c.min_per_unit, 30);
        assert_eq!(c.min_per_stratum, 2);
        assert_eq!(c.reserve_share, 0.2);
        assert_eq!(c.strata, ["linh_vuc"]);
        let b = &p.sampling[&RespondentGroup::Business];
        assert_eq!(b.confidence.level(), 0.95, "default confidence");
        assert_eq!(b.proportion.value(), 0.5, "default p");
        assert_eq!(b.allocation, AllocationRule::Proportional);
        assert_eq!(b.reserve_share, 0.0);
        let cs = &p.sampling[&RespondentGroup::CivilServant];
        match &cs.size {
            SizeRule::Quota(q) => assert_eq!(q["phuong"], 200),
            other => panic!("{other:?}"),
        }
        assert!(!p.sampling.contains_key(&RespondentGroup::Leader));
    }

    #[test]
    fn bad_profiles_say_what_is_wrong_and_where() {
        let cases = [
            ("rule = \"cochran\"\nresponse_rate = 0.6", "cần khóa margin"),
            (
                "rule = \"cochran\"\nmargin = 0\nresponse_rate = 0.6",
                "sai số",
            ),
            (
                "rule = \"cochran\"\nmargin = 0.05\nconfidence = 95\nresponse_rate = 0.6",
                "mức tin cậy",
            ),
            (
                "rule = \"yamane\"\nmargin = 0.05\nresponse_rate = 1.5",
                "tỷ lệ phản hồi",
            ),
            ("rule = \"yamane\"\nmargin = 0.05", "response_rate"),
            ("rule = \"quota\"\nresponse_rate = 0.5", "cần khóa quota"),
            (
                "rule = \"quota\"\nquota = { xa = 1 }\nmargin = 0.05\nresponse_rate = 0.5",
                "không dùng với",
            ),
            (
                "rule = \"yamane\"\nmargn = 0.05\nresponse_rate = 0.5",
                "margn",
            ),
            ("rule = \"srs\"\nresponse_rate = 0.5", "srs"),
            (
                "rule = \"yamane\"\nmargin = 0.05\nresponse_rate = 0.5\nallocation = \"optimal\"",
                "optimal",
            ),
            (
                "rule = \"yamane\"\nmargin = 0.05\nresponse_rate = 0.5\nreserve_share = -1",
                "dự phòng",
            ),
            (
                "rule = \"yamane\"\nmargin = 0.05\nresponse_rate = 0.5\nstrata = [\"email\"]",
                "email",
            ),
            (
                "rule = \"yamane\"\nmargin = 0.05\nresponse_rate = 0.5\nstrata = [\"a\", \"a\"]",
                "\"a\"",
            ),
        ];
        for (body, want) in cases {
            let text = format!("[sampling.citizen]\n{body}\n");
            let err = toml::from_str::<Profile>(&text).err().unwrap().to_string();
            assert!(err.contains(want), "{body}\n→ {err}");
            // toml reports the place of the bad table or key.
            assert!(err.contains("line"), "{err}");
        }
    }

    #[test]
    fn a_cochran_plan_by_hand() {
        let p: Profile = toml::from_str(PROFILE).unwrap();
        let rule = &p.sampling[&RespondentGroup::Citizen];
        // 1000 people: Cochran 278 respondents → 278/0.6 = 463.3 → 464 invitations,
        // split 600/300/100 → 278.4, 139.2, 46.4 → floors 278, 139, 46 and one more
        // for the largest remainder: "a" and "c" tie at 0.4, "a" comes first by id.
        let strata = vec![
            stratum(&["X", "citizen", "linh_vuc", "c"], 100),
            stratum(&["X", "citizen", "linh_vuc", "a"], 600),
            stratum(&["X", "citizen", "linh_vuc", "b"], 300),
        ];
        let plan = plan_unit_group(rule, "xa", strata).unwrap();
        assert_eq!(plan.population, 1000);
        assert_eq!(plan.respondents_wanted, 278);
        assert_eq!(plan.target, 464);
        assert_eq!(plan.sample, 464);
        let sizes: Vec<u64> = plan.strata.iter().map(|s| s.sample).collect();
        assert_eq!(sizes, [279, 139, 46]);
        let last: Vec<&str> = plan
            .strata
            .iter()
            .map(|s| s.id.parts().last().unwrap())
            .collect();
        assert_eq!(last, ["a", "b", "c"], "strata in id order");
        // Reserves: ceil(0.2 · n_h): 55.8 → 56, 27.8 → 28, 9.2 → 10.
        let reserves: Vec<u64> = plan.strata.iter().map(|s| s.reserves).collect();
        assert_eq!(reserves, [56, 28, 10]);
        assert_eq!(plan.reserves, 94);
        assert!((plan.expected_respondents - 278.4).abs() < 1e-9);
        let m = plan.margin.unwrap();
        assert!(m <= 0.05 && m > 0.049, "{m}");
        // A stratum's margin is wider than the unit's.
        assert!(plan.strata[2].margin.unwrap() > 0.1);
        assert!((plan.strata[0].design_weight().unwrap() - 600.0 / 279.0).abs() < 1e-12);
    }

    #[test]
    fn small_units_are_censuses_and_reserves_stop_at_the_population() {
        let p: Profile = toml::from_str(PROFILE).unwrap();
        let rule = &p.sampling[&RespondentGroup::Citizen];
        let plan = plan_unit_group(
            rule,
            "xa",
            vec![stratum(&["X", "citizen", "linh_vuc", "a"], 25)],
        )
        .unwrap();
        assert_eq!(plan.target, 25);
        assert_eq!(plan.strata[0].sample, 25);
        assert_eq!(plan.strata[0].reserves, 0);
        let empty = plan_unit_group(rule, "xa", vec![]).unwrap();
        assert_eq!((empty.target, empty.sample, empty.margin), (0, 0, None));
    }

    #[test]
    fn quota_plans_need_the_unit_type() {
        let p: Profile = toml::from_str(PROFILE).unwrap();
        let rule = &p.sampling[&RespondentGroup::CivilServant];
        let s = || vec![stratum(&["SNV", "civil_servant"], 500)];
        // 30 respondents / 0.8 = 37.5 → 38 invitations.
        assert_eq!(plan_unit_group(rule, "so", s()).unwrap().target, 38);
        // 200 / 0.8 = 250
        assert_eq!(plan_unit_group(rule, "phuong", s()).unwrap().target, 250);
        assert_eq!(
            plan_unit_group(rule, "dac_khu", s()),
            Err(SamplingError::NoQuota("dac_khu".into()))
        );
    }

    #[test]
    fn duplicate_strata_are_refused() {
        let p: Profile = toml::from_str(PROFILE).unwrap();
        let rule = &p.sampling[&RespondentGroup::Business];
        let s = vec![stratum(&["A"], 10), stratum(&["A"], 20)];
        assert!(matches!(
            plan_unit_group(rule, "xa", s),
            Err(SamplingError::DuplicateStratum(_))
        ));
    }

    #[test]
    fn a_rule_written_back_as_toml_reads_the_same() {
        let rules: Profile = toml::from_str(PROFILE).unwrap();
        for rule in rules.sampling.values() {
            let text = rule.to_toml();
            assert_eq!(&GroupRule::from_toml(&text).unwrap(), rule, "{text}");
        }
        let neyman = GroupRule::from_toml(
            "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\nallocation = \"neyman\"\n\
             strata = [\"linh_vuc\"]\nstd_devs = { \"Đất đai\" = 0.4, \"Hộ tịch\" = 0.2 }\n",
        )
        .unwrap();
        assert_eq!(neyman.std_devs.get("Đất đai"), Some(&0.4));
        assert_eq!(GroupRule::from_toml(&neyman.to_toml()).unwrap(), neyman);
        assert!(GroupRule::from_toml(
            "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\nstd_devs = { a = -1.0 }\n"
        )
        .is_err());
    }

    #[test]
    fn an_area_plan_widens_the_margin_by_the_design_effect() {
        let rule = GroupRule::from_toml(
            "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\n\
             clusters = { stages = [{ column = \"thon\", take = 3 }] }\n",
        )
        .unwrap();
        let p = plan_clustered(&rule, "xa", 450, 6).unwrap();
        // Yamane 450 at 10 % → 82 respondents → 164 invitations → 55 in each
        // of 3 villages, 165 in all, 82.5 expected to answer.
        assert_eq!((p.target, p.sample), (164, 165));
        // SRS margin 1.959964·√(0.25·(450 − 82.5)/(82.5·449)) = 0.0976105;
        // b = 27.5 per village, deff = 1 + 26.5·0.05 = 2.325 → × 1.524795.
        let m = p.margin.unwrap();
        assert!((m - 0.148836038).abs() < 1e-8, "{m}");
        let flat = GroupRule::from_toml(
            "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\n\
             clusters = { stages = [{ column = \"thon\", take = 3 }], icc = 0.0 }\n",
        )
        .unwrap();
        let srs = plan_clustered(&flat, "xa", 450, 6).unwrap().margin.unwrap();
        assert!(
            (srs - 0.097610519).abs() < 1e-8,
            "ρ = 0 is a simple random sample: {srs}"
        );
        let bad = GroupRule::from_toml(
            "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\n\
             clusters = { stages = [{ column = \"thon\", take = 3 }], icc = 1.5 }\n",
        );
        let e = bad.unwrap_err();
        assert!(e.contains("icc"), "{e}");
    }
}
