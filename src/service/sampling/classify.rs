//! Each frame row's place under the campaign's sampling rules: its stratum,
//! or in an area design its cluster path. A frame keeps every extra column
//! (names, addresses) in the row's JSON, so rows rarely share that text;
//! each row's JSON is read once, borrowing its strings, and each stratum is
//! named once however many people fall in it. The plan and the draw both go
//! through here, so they cannot disagree.

use std::collections::{BTreeMap, HashMap};

use crate::domain::questionnaire::RespondentGroup;
use crate::domain::sampling::{GroupRule, SamplingRules, StratumId};
use crate::domain::unit::UnitCode;

use super::{UnitGroup, UnitInfo};

/// Where a frame row falls.
pub(super) enum Place {
    /// Index into [`Classifier::strata`].
    Stratum(usize),
    /// An area design's cluster path, one value per stage.
    Cluster(Vec<String>),
    /// Not drawn from: no rule for the group, an unknown unit, or a problem
    /// already listed.
    Outside,
}

/// A stratum met in the frame.
pub(super) struct Met {
    pub id: StratumId,
    pub label: String,
    pub cell: UnitGroup,
    pub population: u64,
}

pub(super) struct Classifier<'a> {
    rules: &'a SamplingRules,
    units: &'a HashMap<i64, UnitInfo>,
    /// What keeps the plan from being drawn, one line each.
    pub problems: Vec<String>,
    /// People of groups without a rule.
    pub unruled: u64,
    pub total: u64,
    pub strata: Vec<Met>,
    /// Area designs: (unit, group) → first-stage cluster → people.
    pub clustered: BTreeMap<UnitGroup, BTreeMap<String, u64>>,
    named: HashMap<String, usize>,
    key: String,
}

/// A row's JSON object of extra columns: borrowed from the text when no
/// value needs unescaping (as the frame import writes it), else owned.
enum Cells<'j> {
    Borrowed(BTreeMap<&'j str, &'j str>),
    Owned(BTreeMap<String, String>),
}

impl<'j> Cells<'j> {
    fn read(json: &'j str) -> Self {
        match serde_json::from_str(json) {
            Ok(m) => Cells::Borrowed(m),
            Err(_) => Cells::Owned(serde_json::from_str(json).unwrap_or_default()),
        }
    }

    fn get(&self, column: &str) -> Option<&str> {
        match self {
            Cells::Borrowed(m) => m.get(column).copied(),
            Cells::Owned(m) => m.get(column).map(String::as_str),
        }
    }
}

impl<'a> Classifier<'a> {
    pub fn new(rules: &'a SamplingRules, units: &'a HashMap<i64, UnitInfo>) -> Self {
        Self {
            rules,
            units,
            problems: Vec::new(),
            unruled: 0,
            total: 0,
            strata: Vec::new(),
            clustered: BTreeMap::new(),
            named: HashMap::new(),
            key: String::new(),
        }
    }

    fn problem(&mut self, group: RespondentGroup, text: String) {
        let line = format!("nhóm {}: {text}", group.code());
        if !self.problems.contains(&line) {
            self.problems.push(line);
        }
    }

    /// Counts one person of a unit and group with the given extra columns.
    pub fn add(&mut self, unit_id: i64, group: &str, strata_json: &str) -> Place {
        let n = 1;
        self.total += n;
        let Some(group) = RespondentGroup::parse(group) else {
            return Place::Outside;
        };
        let Some(rule) = self.rules.get(&group) else {
            self.unruled += n;
            return Place::Outside;
        };
        let Some(unit) = self.units.get(&unit_id) else {
            return Place::Outside;
        };
        let cells = Cells::read(strata_json);
        let cell = || (unit.code.as_str().to_string(), group, unit_id);
        if let Some(design) = &rule.clusters {
            let mut path = Vec::with_capacity(design.stages.len());
            for stage in &design.stages {
                match cells.get(&stage.column) {
                    Some(v) => path.push(v.to_string()),
                    None => {
                        let text = format!("khung mẫu không có cột cụm \"{}\"", stage.column);
                        self.problem(group, text);
                        return Place::Outside;
                    }
                }
            }
            *self
                .clustered
                .entry(cell())
                .or_default()
                .entry(path[0].clone())
                .or_insert(0) += n;
            return Place::Cluster(path);
        }
        self.key.clear();
        self.key.push_str(&unit_id.to_string());
        self.key.push('\u{1f}');
        self.key.push_str(group.code());
        let mut values = Vec::with_capacity(rule.strata.len());
        for col in &rule.strata {
            match cells.get(col) {
                Some(v) => {
                    self.key.push('\u{1f}');
                    self.key.push_str(v);
                    values.push((col.as_str(), v));
                }
                None => {
                    self.problem(group, format!("khung mẫu không có cột phân tầng \"{col}\""));
                    return Place::Outside;
                }
            }
        }
        if let Some(&i) = self.named.get(self.key.as_str()) {
            self.strata[i].population += n;
            return Place::Stratum(i);
        }
        match named(&unit.code, group, &values) {
            Ok((id, label)) => {
                let i = self.strata.len();
                self.strata.push(Met {
                    id,
                    label,
                    cell: cell(),
                    population: n,
                });
                self.named.insert(self.key.clone(), i);
                Place::Stratum(i)
            }
            Err(e) => {
                self.problem(group, e);
                Place::Outside
            }
        }
    }

    /// Unit × group → stratum → (population, label), in plan order.
    pub fn grouped(&self) -> BTreeMap<UnitGroup, BTreeMap<StratumId, (u64, String)>> {
        let mut out: BTreeMap<UnitGroup, BTreeMap<StratumId, (u64, String)>> = BTreeMap::new();
        for m in &self.strata {
            out.entry(m.cell.clone())
                .or_default()
                .insert(m.id.clone(), (m.population, m.label.clone()));
        }
        out
    }
}

/// A stratum's id and label from its stratifying values.
fn named(
    unit: &UnitCode,
    group: RespondentGroup,
    cells: &[(&str, &str)],
) -> Result<(StratumId, String), String> {
    let id = StratumId::survey(unit, group, cells).map_err(|e| e.to_string())?;
    let label = GroupRule::stratum_label(&cells.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    Ok((id, label))
}
