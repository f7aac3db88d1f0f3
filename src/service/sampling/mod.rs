//! A campaign's sampling: the frame in the database, the plan its rules give,
//! the seeded draw and its verification.

use crate::domain::ids::CampaignId;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use chrono::NaiveDateTime;
use rand::SeedableRng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::questionnaire::{Rates, RespondentGroup};
use crate::domain::sampling::{
    draw as draw_sample, draw_in_clusters, plan_clustered, plan_unit_group, select_stages,
    ClusterNode, DrawSeed, GroupRule, PersonKey, PpsOrder, Role, SamplingRules, StratumId,
    StratumInput, StratumPlan, UnitGroupPlan,
};
use crate::domain::unit::UnitCode;
use crate::storage::draws::{self, NewDraw, NewMember, NewSampleRespondent, Stored};
use crate::storage::frames::{self, Activated, NewPerson};
use crate::storage::{campaigns as store, units};

use super::{now, App, Result, ServiceError};
use crate::domain::sampling::frame_csv::FrameReader;

mod classify;
use classify::{Classifier, Place};

/// Rows written per transaction while a frame loads: large enough to be
/// fast, small enough that respondents' writes get the database between.
const BATCH: usize = 20_000;
/// Problems listed before the rest are only counted.
const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    Imported,
    Replaced,
    /// The same file as the campaign's frame: nothing to do.
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub outcome: ImportOutcome,
    pub rows: u64,
    pub sha256: String,
}

fn campaign(app: &App, id: i64) -> Result<store::CampaignRow> {
    store::get(&mut *app.conn()?, id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn read_error(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::invalid(format!("không đọc được {}: {e}", path.display()))
}

/// Imports a sampling frame (CSV) for a campaign, streaming: rows are
/// checked and written in batches to a frame nobody sees, which replaces the
/// campaign's frame only when the whole file is good. Any bad row leaves the
/// campaign as it was and is reported as `file:line: column: reason`.
pub fn import_frame(
    app: &App,
    campaign_id: CampaignId,
    path: &Path,
    file_name: &str,
) -> Result<ImportReport> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let sha256 = file_sha256(path)?;
    let current = frames::active(&mut *app.conn()?, campaign_id)?;
    if let Some(f) = current.as_ref().filter(|f| f.sha256 == sha256) {
        return Ok(ImportReport {
            outcome: ImportOutcome::Unchanged,
            rows: f.row_count as u64,
            sha256,
        });
    }
    if draws::id_of_campaign(&mut *app.conn()?, campaign_id)?.is_some() {
        return Err(already_drawn());
    }
    let unit_ids: HashMap<String, i64> = units::list(&mut *app.conn()?)?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    let mut reader = FrameReader::new(std::io::BufReader::with_capacity(1 << 16, file))
        .map_err(|e| ServiceError::Invalid(vec![frame_problem(file_name, &e)]))?;
    let frame_id = frames::begin(&mut *app.writer()?, campaign_id, &sha256, file_name, now())?;

    // One thread reads and checks the file while this one writes batches:
    // on two cores the import takes the longer of the two, not their sum.
    let (batches, written) = std::sync::mpsc::sync_channel::<Vec<NewPerson>>(2);
    let (outcome, (mut problems, problem_count, rows)) = std::thread::scope(|scope| {
        let parser = scope.spawn(|| {
            let mut problems = Vec::new();
            let mut problem_count = 0usize;
            let mut batch = Vec::with_capacity(BATCH);
            let mut rows = 0u64;
            while let Some(item) = reader.next() {
                let mut problem = |text: String| {
                    problem_count += 1;
                    if problems.len() < MAX_LISTED {
                        problems.push(text);
                    }
                };
                let row = match item {
                    Ok(row) => row,
                    Err(e) => {
                        problem(frame_problem(file_name, &e));
                        continue;
                    }
                };
                rows += 1;
                let Some(&unit_id) = unit_ids.get(row.unit.as_str()) else {
                    problem(format!(
                        "{file_name}:{}: cột unit: không có đơn vị mã \"{}\"",
                        reader.line(),
                        row.unit.as_str()
                    ));
                    continue;
                };
                if problem_count > 0 {
                    continue; // keep reading to report every problem, write nothing more
                }
                batch.push(NewPerson {
                    person_key: row.person.as_str().to_string(),
                    unit_id,
                    group: row.group.code(),
                    email: row.email.map(|e| e.as_str().to_string()),
                    phone: row.phone.map(|p| p.as_str().to_string()),
                    address: row.address.map(|a| a.as_str().to_string()),
                    addressee: row.name,
                    size: row.size.map(|s| s.min(i64::MAX as u64) as i64),
                    strata: serde_json::to_string(&row.strata).unwrap_or_else(|_| "{}".into()),
                });
                // A writer that stopped on an error has hung up; its error
                // is what the import reports.
                if batch.len() >= BATCH
                    && batches
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    break;
                }
            }
            if problem_count == 0 && !batch.is_empty() {
                let _ = batches.send(batch);
            }
            drop(batches);
            (problems, problem_count, rows)
        });
        let outcome = (|| -> Result<()> {
            for batch in written {
                frames::add(&mut *app.writer()?, frame_id, &batch)?;
            }
            Ok(())
        })();
        (
            outcome,
            parser.join().expect("the frame reader does not panic"),
        )
    });
    let discard =
        |app: &App| -> Result<()> { Ok(frames::remove(&mut *app.writer()?, &[frame_id])?) };
    if let Err(e) = outcome {
        let _ = discard(app);
        return Err(e);
    }
    if problem_count > 0 {
        discard(app)?;
        if problem_count > problems.len() {
            problems.push(format!(
                "… và {} lỗi khác; tệp chưa được nhập.",
                problem_count - problems.len()
            ));
        }
        return Err(ServiceError::Invalid(problems));
    }
    if rows == 0 {
        discard(app)?;
        return Err(ServiceError::invalid(format!(
            "{file_name}: tệp không có dòng dữ liệu nào"
        )));
    }
    match frames::activate(&mut *app.writer()?, campaign_id, frame_id, rows as i64)? {
        Activated::Done => Ok(ImportReport {
            outcome: if current.is_some() {
                ImportOutcome::Replaced
            } else {
                ImportOutcome::Imported
            },
            rows,
            sha256,
        }),
        Activated::AlreadyDrawn => Err(already_drawn()),
    }
}

/// `file:line: cột C: reason`, like every other file problem.
fn frame_problem(file_name: &str, e: &crate::domain::sampling::frame_csv::FrameError) -> String {
    match &e.column {
        Some(c) => format!("{file_name}:{}: cột {c}: {}", e.line, e.reason),
        None => format!("{file_name}:{}: {}", e.line, e.reason),
    }
}

fn already_drawn() -> ServiceError {
    ServiceError::invalid(
        "đợt khảo sát đã rút mẫu: khung mẫu và quy tắc chọn mẫu không thay đổi được nữa",
    )
}

/// The campaign's sampling rules, per respondent group.
pub fn rules(app: &App, campaign_id: CampaignId) -> Result<SamplingRules> {
    let campaign_id = campaign_id.get();
    let rows = store::plan_rules(&mut *app.conn()?, campaign_id)?;
    parse_rules(rows.iter().map(|(g, r)| (g.as_str(), r.as_str())))
}

fn parse_rules<'a>(rows: impl Iterator<Item = (&'a str, &'a str)>) -> Result<SamplingRules> {
    let mut rules = SamplingRules::new();
    for (group, text) in rows {
        let g = RespondentGroup::parse(group)
            .ok_or_else(|| ServiceError::invalid(format!("nhóm đối tượng không rõ: {group}")))?;
        let rule = GroupRule::from_toml(text)
            .map_err(|e| ServiceError::invalid(format!("quy tắc của nhóm {group}: {e}")))?;
        rules.insert(g, rule);
    }
    Ok(rules)
}

/// Sets one group's rule (None: the group is not sampled); refused once the
/// sample is drawn.
pub fn set_rule(
    app: &App,
    campaign_id: CampaignId,
    group: RespondentGroup,
    rule: Option<&GroupRule>,
) -> Result<()> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let mut conn = app.writer()?;
    if draws::id_of_campaign(&mut conn, campaign_id)?.is_some() {
        return Err(already_drawn());
    }
    let text = rule.map(GroupRule::to_toml);
    store::set_plan_rule(&mut conn, campaign_id, group.code(), text.as_deref(), now())?;
    Ok(())
}

/// The imported frame, as the sample page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameSummary {
    pub file: String,
    pub rows: i64,
    pub sha256: String,
    pub imported_at: NaiveDateTime,
}

/// The campaign's draw: what an auditor needs to replay it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DrawSummary {
    pub seed: String,
    pub frame_sha256: String,
    pub drawn_at: NaiveDateTime,
}

/// Everything the sample page shows, read together.
#[derive(Debug, Clone)]
pub struct SampleOverview {
    pub frame: Option<FrameSummary>,
    pub rules: SamplingRules,
    /// The plan once a frame is there, or why it cannot be made.
    pub plan: Option<std::result::Result<CampaignPlan, String>>,
    pub draw: Option<DrawSummary>,
    /// Invitations per state (`_nhac` marks reminders).
    pub invitation_states: BTreeMap<String, usize>,
}

pub fn overview(app: &App, campaign_id: CampaignId) -> Result<SampleOverview> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let frame = frames::active(&mut *app.conn()?, campaign_id)?.map(|f| FrameSummary {
        file: f.file_name,
        rows: f.row_count,
        sha256: f.sha256,
        imported_at: f.imported_at,
    });
    let rules = rules(app, CampaignId(campaign_id))?;
    let plan = frame
        .is_some()
        .then(|| plan(app, CampaignId(campaign_id)).map_err(|e| e.to_string()));
    let draw = draws::of_campaign(&mut *app.conn()?, campaign_id)?.map(|d| DrawSummary {
        seed: d.seed,
        frame_sha256: d.frame_sha256,
        drawn_at: d.drawn_at,
    });
    let invitation_states = super::invitations::state_counts(app, CampaignId(campaign_id))?;
    Ok(SampleOverview {
        frame,
        rules,
        plan,
        draw,
        invitation_states,
    })
}

/// Writes rules as one TOML document, as a profile's `[sampling]` would.
pub fn rules_toml(rules: &SamplingRules) -> String {
    let groups: BTreeMap<&str, toml::Value> = rules
        .iter()
        .map(|(g, r)| (g.code(), r.to_value()))
        .collect();
    let mut doc = BTreeMap::new();
    doc.insert("sampling", groups);
    toml::to_string(&doc).unwrap_or_default()
}

fn rules_from_toml(text: &str) -> Result<SamplingRules> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        sampling: SamplingRules,
    }
    toml::from_str::<Doc>(text)
        .map(|d| d.sampling)
        .map_err(|e| ServiceError::invalid(format!("quy tắc đã lưu với lần rút mẫu: {e}")))
}

/// One unit × group of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_type: String,
    pub group: RespondentGroup,
    pub plan: UnitGroupPlan,
    /// Each stratum's label (its stratifying values), in the plan's order.
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignPlan {
    pub campaign_id: i64,
    pub frame_rows: u64,
    /// Frame rows of groups without a rule (not sampled).
    pub unruled: u64,
    pub rows: Vec<PlanRow>,
    /// What keeps the plan from being drawn (a unit type without a quota,
    /// a missing stratifying column, ...), one line each.
    pub problems: Vec<String>,
    /// Anonymous campaigns: unit × group cells and strata of fewer people
    /// than the anonymity threshold k, which the results hide and the
    /// microdata merge or withhold; said before the draw so the strata can
    /// be changed first. One line each.
    pub anonymity: Vec<String>,
}

impl CampaignPlan {
    pub fn sample(&self) -> u64 {
        self.rows.iter().map(|r| r.plan.sample).sum()
    }
    pub fn reserves(&self) -> u64 {
        self.rows.iter().map(|r| r.plan.reserves).sum()
    }
}

pub(super) struct UnitInfo {
    code: UnitCode,
    name: String,
    unit_type: String,
    block: String,
}

fn unit_infos(app: &App) -> Result<HashMap<i64, UnitInfo>> {
    Ok(units::list(&mut *app.conn()?)?
        .into_iter()
        .filter_map(|u| {
            Some((
                u.id,
                UnitInfo {
                    code: UnitCode::parse(&u.code).ok()?,
                    name: u.name,
                    unit_type: u.unit_type,
                    block: u.block,
                },
            ))
        })
        .collect())
}

/// The plan the campaign's rules give on its frame: for every unit, group
/// and stratum N, n, reserves and the margin of error expected.
pub fn plan(app: &App, campaign_id: CampaignId) -> Result<CampaignPlan> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let rules = rules(app, CampaignId(campaign_id))?;
    plan_with(app, campaign_id, &rules)
}

/// A unit × group in plan order: unit code, group, unit id.
pub(super) type UnitGroup = (String, RespondentGroup, i64);
/// A person of an area design: the cluster path (one value per stage) and key.
/// A person of an area design: their cluster path, key, and the size
/// measure of their last-stage cluster when the frame gives one.
type AreaPerson = (Vec<String>, PersonKey, Option<u64>);

fn plan_with(app: &App, campaign_id: i64, rules: &SamplingRules) -> Result<CampaignPlan> {
    let mut conn = app.conn()?;
    let frame_id = frames::active(&mut conn, campaign_id)?
        .ok_or_else(|| {
            ServiceError::invalid(
                "đợt khảo sát chưa có khung mẫu: nhập tệp bằng `chiso frame import` hoặc trên trang kế hoạch mẫu",
            )
        })?
        .id;
    let persons = frames::persons(&mut conn, frame_id)?;
    drop(conn);
    let units = unit_infos(app)?;
    let mut classes = Classifier::new(rules, &units);
    for p in &persons {
        classes.add(p.unit_id, &p.respondent_group, &p.strata);
    }
    plan_from(app, campaign_id, rules, &units, classes)
}

/// The plan from the frame's people placed in their strata and clusters.
fn plan_from(
    app: &App,
    campaign_id: i64,
    rules: &SamplingRules,
    units: &HashMap<i64, UnitInfo>,
    classes: Classifier<'_>,
) -> Result<CampaignPlan> {
    let grouped = classes.grouped();
    let Classifier {
        mut problems,
        unruled,
        total,
        clustered,
        ..
    } = classes;
    let mut rows = Vec::new();
    for ((_, group, unit_id), firsts) in clustered {
        let unit = &units[&unit_id];
        let rule = &rules[&group];
        let population = firsts.values().sum();
        match plan_clustered(rule, &unit.unit_type, population, firsts.len() as u64) {
            Ok(plan) => rows.push(plan_row(unit_id, unit, group, vec![], plan)),
            Err(e) => problems.push(format!("{} ({}): {e}", unit.name, group.label())),
        }
    }
    for ((_, group, unit_id), strata) in grouped {
        let unit = &units[&unit_id];
        let rule = &rules[&group];
        let labels: BTreeMap<StratumId, String> = strata
            .iter()
            .map(|(k, v)| (k.clone(), v.1.clone()))
            .collect();
        let inputs = strata
            .into_iter()
            .map(|(id, (population, label))| StratumInput {
                std_dev: rule.std_devs.get(&label).copied(),
                id,
                population,
            })
            .collect();
        match plan_unit_group(rule, &unit.unit_type, inputs) {
            Ok(plan) => {
                let labels = plan.strata.iter().map(|s| labels[&s.id].clone()).collect();
                rows.push(plan_row(unit_id, unit, group, labels, plan))
            }
            Err(e) => problems.push(format!("{} ({}): {e}", unit.name, group.label())),
        }
    }
    let anonymity = small_cells(app, campaign_id, &rows)?;
    Ok(CampaignPlan {
        campaign_id,
        frame_rows: total,
        unruled,
        rows,
        problems,
        anonymity,
    })
}

fn plan_row(
    unit_id: i64,
    unit: &UnitInfo,
    group: RespondentGroup,
    labels: Vec<String>,
    plan: UnitGroupPlan,
) -> PlanRow {
    PlanRow {
        labels,
        unit_id,
        unit_code: unit.code.as_str().to_string(),
        unit_name: unit.name.clone(),
        unit_type: unit.unit_type.clone(),
        group,
        plan,
    }
}

/// An anonymous campaign's unit × group cells and strata with fewer people
/// in the frame than k: however many answer, fewer than k answers.
fn small_cells(app: &App, campaign_id: i64, rows: &[PlanRow]) -> Result<Vec<String>> {
    use crate::domain::survey::anonymity::threshold_or_least;
    if !campaign(app, campaign_id)?.anonymous {
        return Ok(vec![]);
    }
    let profile = app.campaign_profile(CampaignId(campaign_id)).ok();
    let k_of = |g: RespondentGroup| {
        threshold_or_least(profile.as_ref().and_then(|p| p.survey.as_ref()), g)
    };
    let mut lines = Vec::new();
    for r in rows {
        let k = u64::from(k_of(r.group));
        if r.plan.population < k {
            lines.push(format!(
                "{} ({}): {} người trong khung mẫu, ít hơn ngưỡng ẩn danh k = {k}: mọi số liệu của nhóm này ở đơn vị sẽ bị ẩn và phiếu của nhóm không có trong dữ liệu vi mô.",
                r.unit_name,
                r.group.label(),
                r.plan.population
            ));
            continue;
        }
        for (s, label) in r.plan.strata.iter().zip(&r.labels) {
            if s.population < k {
                lines.push(format!(
                    "{} ({}), tầng \"{label}\": {} người trong khung mẫu, ít hơn ngưỡng ẩn danh k = {k}: dữ liệu vi mô sẽ gộp tầng này với các tầng nhỏ khác của đơn vị; nên gộp giá trị phân tầng trước khi rút mẫu.",
                    r.unit_name,
                    r.group.label(),
                    s.population
                ));
            }
        }
    }
    Ok(lines)
}

#[derive(Debug, Clone, Serialize)]
pub struct DrawReport {
    pub draw_id: i64,
    pub seed: String,
    pub sample: u64,
    pub reserves: u64,
    pub frame_digest: String,
}

/// The frame as an auditor can rebuild it: every person in key order with
/// unit, group and strata, hashed. A changed row changes the digest.
///
/// The hashed text is the rows' lines `key\tunit\tgroup\tstrata[\tsize]\n`
/// sorted as strings; lines are hashed piece by piece in key order (a key
/// followed by a tab sorts before any longer key it begins), and only rows
/// sharing a key are compared as whole lines.
fn frame_digest(persons: &[frames::DrawPerson], units: &HashMap<i64, UnitInfo>) -> String {
    let unit_code =
        |p: &frames::DrawPerson| units.get(&p.unit_id).map(|u| u.code.as_str()).unwrap_or("");
    // The size measure steers PPS, so it is part of the frame; a frame
    // without one hashes as it always did.
    let line = |p: &frames::DrawPerson| {
        let size = p.size.map(|s| format!("\t{s}")).unwrap_or_default();
        format!(
            "{}\t{}\t{}\t{}{size}\n",
            p.person_key,
            unit_code(p),
            p.respondent_group,
            p.strata
        )
    };
    let mut order: Vec<&frames::DrawPerson> = persons.iter().collect();
    order.sort_unstable_by(|a, b| {
        a.person_key
            .cmp(&b.person_key)
            .then_with(|| line(a).cmp(&line(b)))
    });
    let mut h = Sha256::new();
    let mut size_text = String::new();
    for p in order {
        h.update(p.person_key.as_bytes());
        h.update(b"\t");
        h.update(unit_code(p).as_bytes());
        h.update(b"\t");
        h.update(p.respondent_group.as_bytes());
        h.update(b"\t");
        h.update(p.strata.as_bytes());
        if let Some(size) = p.size {
            use std::fmt::Write;
            size_text.clear();
            let _ = write!(size_text, "\t{size}");
            h.update(size_text.as_bytes());
        }
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The questionnaire each unit's people of a group answer: the campaign's
/// questionnaire of that group that rates their own unit, or that rates
/// blocks other than their unit's (a commune leader rates the sở).
fn questionnaire_for(
    app: &App,
    campaign_id: i64,
    group: RespondentGroup,
    block: &str,
) -> Result<Option<String>> {
    let mut found = Vec::new();
    for cq in store::questionnaires(&mut *app.conn()?, campaign_id)? {
        let q = app.questionnaire_version(cq.version_id)?;
        if q.group != group {
            continue;
        }
        let fits = match &q.rates {
            Rates::OwnUnit => true,
            Rates::Blocks(blocks) => !blocks.iter().any(|b| b == block),
        };
        if fits {
            found.push(cq.code);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(ServiceError::invalid(format!(
            "nhóm {} ở khối {block} có nhiều phiếu phù hợp ({}); chỉ giữ một phiếu cho nhóm này trong đợt khảo sát",
            group.code(),
            found.join(", ")
        ))),
    }
}

struct Drawing {
    drawn: Vec<crate::domain::sampling::Drawn>,
    /// The frame's rows (the drawn people's are stored with the draw).
    persons: Vec<frames::DrawPerson>,
    digest: String,
    plan_json: String,
}

/// An area design in one unit × group: the unit's clusters as a tree under
/// one root (`UNIT/group`, taken with certainty, so each unit has its own
/// random streams), systematic PPS at each stage, then people in each
/// selected last-stage cluster.
fn draw_area(
    seed: &DrawSeed,
    unit: &str,
    group: RespondentGroup,
    design: &crate::domain::sampling::ClusterDesign,
    cp: &crate::domain::sampling::ClusterPlan,
    people: Vec<AreaPerson>,
) -> Result<Vec<crate::domain::sampling::Drawn>> {
    #[derive(Default)]
    struct Tree {
        size: u64,
        /// The frame's size measure of a last-stage cluster, if given.
        measure: Option<u64>,
        children: BTreeMap<String, Tree>,
        people: Vec<PersonKey>,
    }
    fn nodes(t: &BTreeMap<String, Tree>) -> Vec<ClusterNode> {
        t.iter()
            .map(|(k, v)| ClusterNode {
                key: k.clone(),
                size: v.size,
                children: nodes(&v.children),
            })
            .collect()
    }
    /// Sizes from the measures: a last-stage cluster's own, a higher one's
    /// the sum of its children's.
    fn sum_measures(t: &mut Tree) -> u64 {
        if t.children.is_empty() {
            t.size = t.measure.unwrap_or(0);
        } else {
            t.size = t.children.values_mut().map(sum_measures).sum();
        }
        t.size
    }
    let measured = people.iter().filter(|p| p.2.is_some()).count();
    if measured != 0 && measured != people.len() {
        return Err(ServiceError::invalid(format!(
            "{unit}, nhóm {}: cột size phải có giá trị cho mọi người của thiết kế theo cụm ({measured}/{} người có)",
            group.code(),
            people.len()
        )));
    }
    let mut root = Tree::default();
    for (path, key, measure) in people {
        root.size += 1;
        let mut at = &mut root;
        for part in &path {
            at = at.children.entry(part.clone()).or_default();
            at.size += 1;
        }
        if let Some(m) = measure {
            match at.measure {
                Some(seen) if seen != m => {
                    return Err(ServiceError::invalid(format!(
                        "{unit}, cụm {}: cột size khác nhau giữa những người cùng cụm ({seen} và {m}); size là quy mô của cụm cuối",
                        path.join(" / ")
                    )))
                }
                _ => at.measure = Some(m),
            }
        }
        at.people.push(key);
    }
    if measured != 0 {
        sum_measures(&mut root);
    }
    let root_key = format!("{unit}/{}", group.code());
    let tree = vec![ClusterNode {
        key: root_key,
        size: root.size,
        children: nodes(&root.children),
    }];
    let mut take = vec![1usize];
    take.extend(design.stages.iter().map(|s| s.take as usize));
    let invalid = |e: crate::domain::sampling::SamplingError| ServiceError::invalid(e.to_string());
    let selected = select_stages(seed, &tree, &take, PpsOrder::ByKey).map_err(invalid)?;
    draw_in_clusters(
        seed,
        &selected,
        cp.per_cluster,
        cp.reserves_per_cluster,
        |c| {
            let mut at = &root;
            for part in &c.path[1..] {
                match at.children.get(part) {
                    Some(t) => at = t,
                    None => return vec![],
                }
            }
            at.people.clone()
        },
    )
    .map_err(invalid)
}

/// Draws (or re-draws, for verification) from a frame under given rules.
fn run_draw(
    app: &App,
    campaign_id: i64,
    frame_id: i64,
    rules: &SamplingRules,
    seed: &DrawSeed,
) -> Result<Drawing> {
    let units = unit_infos(app)?;
    let persons = frames::persons(&mut *app.conn()?, frame_id)?;
    let digest = frame_digest(&persons, &units);
    let mut classes = Classifier::new(rules, &units);
    let places: Vec<Place> = persons
        .iter()
        .map(|p| classes.add(p.unit_id, &p.respondent_group, &p.strata))
        .collect();
    let ids: Vec<StratumId> = classes.strata.iter().map(|m| m.id.clone()).collect();
    let plan = plan_from(app, campaign_id, rules, &units, classes)?;
    if !plan.problems.is_empty() {
        return Err(ServiceError::Invalid(plan.problems));
    }
    let plans: Vec<StratumPlan> = plan
        .rows
        .iter()
        .flat_map(|r| r.plan.strata.iter().cloned())
        .collect();
    let mut frame = Vec::with_capacity(persons.len());
    // Area designs: (unit, group) → people with their cluster path.
    let mut areas: BTreeMap<(String, RespondentGroup), Vec<AreaPerson>> = BTreeMap::new();
    for (p, place) in persons.iter().zip(places) {
        let key = || {
            PersonKey::parse(&p.person_key)
                .map_err(|e| ServiceError::invalid(format!("{}: {e}", p.person_key)))
        };
        match place {
            Place::Stratum(i) => frame.push((ids[i].clone(), key()?)),
            Place::Cluster(path) => {
                let group = RespondentGroup::parse(&p.respondent_group).expect("placed");
                areas
                    .entry((units[&p.unit_id].code.as_str().to_string(), group))
                    .or_default()
                    .push((path, key()?, p.size.and_then(|s| u64::try_from(s).ok())));
            }
            Place::Outside => {}
        }
    }
    let mut drawn =
        draw_sample(seed, &plans, frame).map_err(|e| ServiceError::invalid(e.to_string()))?;
    for ((unit, group), people) in areas {
        let Some(row) = plan
            .rows
            .iter()
            .find(|r| r.unit_code == unit && r.group == group)
        else {
            continue;
        };
        let (Some(cp), Some(design)) = (&row.plan.clusters, &rules[&group].clusters) else {
            continue;
        };
        drawn.extend(draw_area(seed, &unit, group, design, cp, people)?);
    }
    let plan_json = serde_json::to_string(&plan.rows).unwrap_or_default();
    Ok(Drawing {
        drawn,
        persons,
        digest,
        plan_json,
    })
}

/// Draws the campaign's sample: seeded (a new random seed unless given), in
/// one transaction with a respondent and token for each sampled person;
/// the reserves wait in order. The seed, rules, plan and frame digest are
/// kept so that [`verify`] (and an auditor) can repeat it.
pub fn draw(app: &App, campaign_id: CampaignId, seed: Option<&str>) -> Result<DrawReport> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let seed = match seed {
        Some(s) => DrawSeed::parse(s).map_err(|e| ServiceError::invalid(e.to_string()))?,
        None => DrawSeed::generate(&mut rand::rngs::StdRng::from_os_rng()),
    };
    if draws::id_of_campaign(&mut *app.conn()?, campaign_id)?.is_some() {
        return Err(ServiceError::invalid("đợt khảo sát này đã rút mẫu"));
    }
    let frame = frames::active(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::invalid("đợt khảo sát chưa có khung mẫu"))?;
    let rules = rules(app, CampaignId(campaign_id))?;
    if rules.is_empty() {
        return Err(ServiceError::invalid(
            "đợt khảo sát chưa có quy tắc chọn mẫu cho nhóm nào",
        ));
    }
    let d = run_draw(app, campaign_id, frame.id, &rules, &seed)?;
    let secret = app.secret()?;
    let units = unit_infos(app)?;
    let mut questionnaires: HashMap<(i64, RespondentGroup), Option<String>> = HashMap::new();
    let wanted: std::collections::HashSet<&str> =
        d.drawn.iter().map(|m| m.person.as_str()).collect();
    let rows: HashMap<&str, &frames::DrawPerson> = d
        .persons
        .iter()
        .filter(|p| wanted.contains(p.person_key.as_str()))
        .map(|p| (p.person_key.as_str(), p))
        .collect();
    let mut members = Vec::with_capacity(d.drawn.len());
    let mut missing = Vec::new();
    for m in &d.drawn {
        let p = rows[m.person.as_str()];
        let group = RespondentGroup::parse(&p.respondent_group).expect("parsed when drawn");
        let respondent = match m.role {
            Role::Sample => {
                let key = (p.unit_id, group);
                if let std::collections::hash_map::Entry::Vacant(e) = questionnaires.entry(key) {
                    let block = &units[&p.unit_id].block;
                    e.insert(questionnaire_for(app, campaign_id, group, block)?);
                }
                match &questionnaires[&key] {
                    Some(code) => Some(NewSampleRespondent {
                        questionnaire_code: code.clone(),
                        unit_id: p.unit_id,
                        token_hash: secret.invitation_token(campaign_id, p.id).hash().0,
                    }),
                    None => {
                        let line = format!(
                            "đợt khảo sát không có phiếu cho nhóm {} ở khối {}",
                            group.code(),
                            units[&p.unit_id].block
                        );
                        if !missing.contains(&line) {
                            missing.push(line);
                        }
                        None
                    }
                }
            }
            Role::Reserve { .. } => None,
        };
        members.push(NewMember {
            frame_person_id: p.id,
            stratum: m.stratum.as_str().to_string(),
            reserve_rank: match m.role {
                Role::Sample => None,
                Role::Reserve { rank } => Some(rank as i64),
            },
            draw_order: m.order as i64,
            design_weight: m.design_weight,
            respondent,
        });
    }
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing));
    }
    let rules_text = rules_toml(&rules);
    let new = NewDraw {
        campaign_id,
        frame_id: frame.id,
        seed: seed.as_str(),
        frame_sha256: &d.digest,
        rules: &rules_text,
        plan: &d.plan_json,
    };
    match draws::insert(&mut *app.writer()?, &new, &members, now())? {
        Stored::Drawn(draw_id) => Ok(DrawReport {
            draw_id,
            seed: seed.as_str().to_string(),
            sample: d.drawn.iter().filter(|m| m.role == Role::Sample).count() as u64,
            reserves: d.drawn.iter().filter(|m| m.role != Role::Sample).count() as u64,
            frame_digest: d.digest,
        }),
        Stored::AlreadyDrawn => Err(ServiceError::invalid("đợt khảo sát này đã rút mẫu")),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub seed: String,
    pub frame_digest: String,
    pub members: usize,
    /// Empty when the stored draw is exactly what the seed, rules and frame give.
    pub problems: Vec<String>,
}

/// Repeats the campaign's draw from its stored seed, rules and frame and
/// compares: the frame digest, the plan, and every drawn person's stratum,
/// role and place.
pub fn verify(app: &App, campaign_id: CampaignId) -> Result<VerifyReport> {
    let campaign_id = campaign_id.get();
    campaign(app, campaign_id)?;
    let stored = draws::of_campaign(&mut *app.conn()?, campaign_id)?
        .ok_or_else(|| ServiceError::invalid("đợt khảo sát này chưa rút mẫu"))?;
    let rules = rules_from_toml(&stored.rules)?;
    let seed = DrawSeed::parse(&stored.seed).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let again = run_draw(app, campaign_id, stored.frame_id, &rules, &seed)?;
    let mut problems = Vec::new();
    if again.digest != stored.frame_sha256 {
        problems.push(format!(
            "khung mẫu đã thay đổi sau khi rút mẫu: mã băm lưu {} ≠ hiện tại {}",
            stored.frame_sha256, again.digest
        ));
    }
    if again.plan_json != stored.plan {
        problems.push("kế hoạch mẫu tính lại khác kế hoạch đã lưu".to_string());
    }
    let members = draws::members(&mut *app.conn()?, stored.id)?;
    type Place = (String, Option<i64>, i64);
    let stored_set: BTreeMap<String, Place> = members
        .iter()
        .map(|m| {
            (
                m.person_key.clone(),
                (m.stratum.clone(), m.reserve_rank, m.draw_order),
            )
        })
        .collect();
    let again_set: BTreeMap<String, Place> = again
        .drawn
        .iter()
        .map(|m| {
            (
                m.person.as_str().to_string(),
                (
                    m.stratum.as_str().to_string(),
                    match m.role {
                        Role::Sample => None,
                        Role::Reserve { rank } => Some(rank as i64),
                    },
                    m.order as i64,
                ),
            )
        })
        .collect();
    for (key, place) in &again_set {
        match stored_set.get(key) {
            None => problems.push(format!(
                "{key}: được chọn khi rút lại nhưng không có trong mẫu đã lưu"
            )),
            Some(s) if s != place => {
                problems.push(format!("{key}: vị trí hoặc vai trò khác mẫu đã lưu"))
            }
            _ => {}
        }
    }
    for key in stored_set.keys().filter(|k| !again_set.contains_key(*k)) {
        problems.push(format!(
            "{key}: có trong mẫu đã lưu nhưng không được chọn khi rút lại"
        ));
    }
    if problems.len() > MAX_LISTED {
        let more = problems.len() - MAX_LISTED;
        problems.truncate(MAX_LISTED);
        problems.push(format!("… và {more} khác biệt khác"));
    }
    Ok(VerifyReport {
        seed: stored.seed,
        frame_digest: stored.frame_sha256,
        members: members.len(),
        problems,
    })
}
