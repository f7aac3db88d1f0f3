//! A criteria set (bộ tiêu chí): fields → criteria → sub-criteria, each with
//! its maximum points, and the checks that the maxima add up.
//!
//! The tree is implied by the codes: `1.2.3` is a child of `1.2`, which is a
//! child of field `1`. Codes are stable: survey questionnaires and last year's
//! results refer to them.

use std::collections::HashMap;

use crate::points::Points;
use crate::questionnaire::RespondentGroup;

/// Regular criteria add up to the scale; bonus items are capped as a whole;
/// deduction items subtract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Regular,
    Bonus,
    Deduction,
}

/// Lĩnh vực, tiêu chí, tiêu chí thành phần.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Field,
    Criterion,
    SubCriterion,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Field => "lĩnh vực",
            Level::Criterion => "tiêu chí",
            Level::SubCriterion => "tiêu chí thành phần",
        }
    }
}

/// Where a leaf's points come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Self-assessed, then appraised.
    Appraised {
        /// The criterion names its evidence: none valid → 0 points.
        evidence: bool,
    },
    /// The sociological survey; each respondent group's share of the points.
    Survey {
        weights: Vec<(RespondentGroup, f64)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// e.g. `1`, `1.2`, `8.2.3`.
    pub code: String,
    pub name: String,
    /// The numbering printed in the regulation, when it differs from the code
    /// (Ninh Hòa numbers its sections I, II, III).
    pub label: Option<String>,
    pub max: Points,
    /// The field's kind, inherited by everything under it.
    pub kind: Kind,
    /// The department that appraises and answers for it (inherited from the
    /// nearest ancestor that names one).
    pub department: Option<String>,
    /// Some for leaves only.
    pub source: Option<Source>,
    /// The criterion that scores the self-assessment dossier itself: 0 when
    /// the dossier comes in after the grace days.
    pub dossier: bool,
    /// An encouragement item ("điểm khuyến khích": initiatives, new
    /// solutions), marked at any level and inherited downwards, or anything
    /// under a bonus field. Thái Bình art. 17.1.d and 19 except its declines.
    pub encouragement: bool,
    /// Index of the parent in [`CriteriaSet::nodes`].
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// 0 for a field.
    pub depth: usize,
    /// Line in the profile file.
    pub line: usize,
}

impl Criterion {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    pub fn level(&self) -> Level {
        match self.depth {
            0 => Level::Field,
            1 => Level::Criterion,
            _ => Level::SubCriterion,
        }
    }

    pub fn is_survey(&self) -> bool {
        matches!(self.source, Some(Source::Survey { .. }))
    }

    pub fn needs_evidence(&self) -> bool {
        matches!(self.source, Some(Source::Appraised { evidence: true }))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriteriaSet {
    /// e.g. `so`, `phu_luc_1`.
    pub code: String,
    pub name: String,
    /// Unit types (`units.csv` column `unit_type`) assessed with this set.
    pub unit_types: Vec<String>,
    /// The regulation's name for it, e.g. "Phụ lục 1".
    pub appendix: Option<String>,
    /// In file order; parents before or after their children.
    pub nodes: Vec<Criterion>,
    pub line: usize,
}

impl CriteriaSet {
    /// Whether any survey criterion of the set weighs answers of `group`.
    pub fn asks(&self, group: crate::questionnaire::RespondentGroup) -> bool {
        self.leaves().any(|c| match &c.source {
            Some(Source::Survey { weights }) => weights.iter().any(|(g, _)| *g == group),
            _ => false,
        })
    }

    pub fn get(&self, code: &str) -> Option<&Criterion> {
        self.nodes.iter().find(|c| c.code == code)
    }

    pub fn fields(&self) -> impl Iterator<Item = &Criterion> {
        self.nodes.iter().filter(|c| c.parent.is_none())
    }

    pub fn children<'a>(&'a self, c: &'a Criterion) -> impl Iterator<Item = &'a Criterion> {
        c.children.iter().map(|&i| &self.nodes[i])
    }

    pub fn leaves(&self) -> impl Iterator<Item = &Criterion> {
        self.nodes.iter().filter(|c| c.is_leaf())
    }

    pub fn parent(&self, c: &Criterion) -> Option<&Criterion> {
        c.parent.map(|i| &self.nodes[i])
    }

    /// The field a code belongs to.
    pub fn field_of(&self, code: &str) -> Option<&Criterion> {
        let mut c = self.get(code)?;
        while let Some(p) = self.parent(c) {
            c = p;
        }
        Some(c)
    }

    /// The criterion scoring the dossier's timeliness, if the set has one.
    pub fn dossier(&self) -> Option<&Criterion> {
        self.nodes.iter().find(|c| c.dossier)
    }

    /// Sum of the maxima of the leaves of one kind and source.
    pub fn leaf_max(&self, kind: Kind, survey: bool) -> Points {
        self.leaves()
            .filter(|c| c.kind == kind && c.is_survey() == survey)
            .map(|c| c.max)
            .sum()
    }
}

/// A criterion as written, before the tree is known.
pub(super) struct Draft {
    pub code: String,
    pub name: String,
    pub label: Option<String>,
    pub max: Points,
    pub kind: Option<(Kind, usize)>,
    pub department: Option<String>,
    pub source: Option<(Source, usize)>,
    pub evidence: Option<usize>,
    pub dossier: Option<usize>,
    pub encouragement: bool,
    pub line: usize,
}

/// What the set must add up to.
pub(super) struct Totals {
    pub total: Points,
    pub appraised: Option<Points>,
    pub survey: Option<Points>,
    pub bonus_cap: Points,
    pub needs_dossier: bool,
}

/// Builds the tree and checks it. Problems come back as `(line, message)`.
pub(super) fn build(
    drafts: Vec<Draft>,
    totals: &Totals,
    set_line: usize,
) -> (Vec<Criterion>, Vec<(usize, String)>) {
    let mut errs = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut nodes: Vec<Criterion> = Vec::with_capacity(drafts.len());
    let mut drafts_kept = Vec::with_capacity(drafts.len());
    for d in drafts {
        if let Some(&first) = index.get(&d.code) {
            errs.push((
                d.line,
                format!(
                    "trùng mã tiêu chí \"{}\" (đã có ở dòng {})",
                    d.code, nodes[first].line
                ),
            ));
            continue;
        }
        index.insert(d.code.clone(), nodes.len());
        nodes.push(Criterion {
            code: d.code.clone(),
            name: d.name.clone(),
            label: d.label.clone(),
            max: d.max,
            kind: Kind::Regular,
            department: d.department.clone(),
            source: None,
            dossier: d.dossier.is_some(),
            encouragement: d.encouragement,
            parent: None,
            children: Vec::new(),
            depth: 0,
            line: d.line,
        });
        drafts_kept.push(d);
    }

    // Parents.
    let mut orphan = vec![false; nodes.len()];
    for i in 0..nodes.len() {
        let code = nodes[i].code.clone();
        if let Some((parent, _)) = code.rsplit_once('.') {
            match index.get(parent) {
                Some(&p) => {
                    nodes[i].parent = Some(p);
                    nodes[p].children.push(i);
                }
                None => {
                    orphan[i] = true;
                    errs.push((
                        nodes[i].line,
                        format!("tiêu chí \"{code}\" thiếu tiêu chí cha \"{parent}\""),
                    ));
                }
            }
        }
    }

    // Depth, kind and department flow down from the field.
    for i in 0..nodes.len() {
        let mut chain = vec![i];
        let mut cur = i;
        while let Some(p) = nodes[cur].parent {
            chain.push(p);
            cur = p;
            if chain.len() > nodes.len() {
                break;
            }
        }
        nodes[i].depth = chain.len() - 1;
        let field = *chain.last().unwrap_or(&i);
        if let Some((kind, line)) = drafts_kept[i].kind {
            if nodes[i].parent.is_some() || orphan[i] {
                errs.push((
                    line,
                    "khóa kind (bonus/deduction) chỉ đặt ở lĩnh vực (cấp cao nhất)".into(),
                ));
            }
            nodes[i].kind = kind;
        }
        if nodes[i].parent.is_some() {
            nodes[i].kind = drafts_kept[field]
                .kind
                .map(|(k, _)| k)
                .unwrap_or(Kind::Regular);
        }
        if nodes[i].department.is_none() {
            nodes[i].department = chain
                .iter()
                .find_map(|&j| drafts_kept[j].department.clone());
        }
        nodes[i].encouragement =
            nodes[i].kind == Kind::Bonus || chain.iter().any(|&j| drafts_kept[j].encouragement);
    }

    // Leaves carry the source; inner nodes carry none.
    for i in 0..nodes.len() {
        let d = &drafts_kept[i];
        let leaf = nodes[i].children.is_empty();
        let code = nodes[i].code.clone();
        if !leaf {
            for (present, key) in [
                (d.source.as_ref().map(|(_, l)| *l), "survey"),
                (d.evidence, "evidence"),
                (d.dossier, "dossier"),
            ] {
                if let Some(line) = present {
                    errs.push((
                        line,
                        format!("\"{code}\" có tiêu chí con nên không đặt {key}; hãy đặt ở tiêu chí con"),
                    ));
                }
            }
            continue;
        }
        let source = match &d.source {
            Some((Source::Survey { weights }, line)) => {
                if nodes[i].kind != Kind::Regular {
                    errs.push((
                        *line,
                        format!(
                            "\"{code}\" là điểm thưởng/điểm trừ, không lấy từ điều tra xã hội học"
                        ),
                    ));
                }
                if let Some(l) = d.evidence {
                    errs.push((
                        l,
                        format!("\"{code}\" lấy điểm từ điều tra xã hội học nên không có tài liệu kiểm chứng (evidence)"),
                    ));
                }
                if let Some(l) = d.dossier {
                    errs.push((
                        l,
                        format!("\"{code}\" lấy điểm từ điều tra xã hội học, không thể là tiêu chí hồ sơ (dossier)"),
                    ));
                }
                Source::Survey {
                    weights: weights.clone(),
                }
            }
            _ => Source::Appraised {
                evidence: d.evidence.is_some(),
            },
        };
        if nodes[i].dossier && nodes[i].kind != Kind::Regular {
            errs.push((
                nodes[i].line,
                format!("tiêu chí hồ sơ (dossier) \"{code}\" phải là tiêu chí thường"),
            ));
        }
        nodes[i].source = Some(source);
    }

    // Children add up to their parent.
    for n in &nodes {
        if n.children.is_empty() {
            continue;
        }
        let sum: Points = n.children.iter().map(|&c| nodes[c].max).sum();
        if sum != n.max {
            errs.push((
                n.line,
                format!(
                    "điểm tối đa của \"{}\" là {} nhưng các tiêu chí con cộng lại được {}",
                    n.code, n.max, sum
                ),
            ));
        }
    }

    // Fields add up to the scale.
    let fields = |kind: Kind| -> Points {
        nodes
            .iter()
            .filter(|n| n.parent.is_none() && !orphan_code(&n.code, &index) && n.kind == kind)
            .map(|n| n.max)
            .sum()
    };
    let regular = fields(Kind::Regular);
    let bonus = fields(Kind::Bonus);
    let counted_bonus = bonus.min(totals.bonus_cap);
    if regular + counted_bonus != totals.total {
        let detail = if totals.bonus_cap > Points::ZERO {
            format!(
                "các lĩnh vực cộng lại được {regular} cộng điểm thưởng tính tối đa {counted_bonus} (trần {})",
                totals.bonus_cap
            )
        } else {
            format!("các lĩnh vực cộng lại được {regular}")
        };
        errs.push((
            set_line,
            format!("tổng điểm phải là {} nhưng {detail}", totals.total),
        ));
    }
    if bonus > Points::ZERO && totals.bonus_cap == Points::ZERO {
        errs.push((
            set_line,
            "có lĩnh vực điểm thưởng nhưng points.bonus_cap là 0".into(),
        ));
    }
    let leaves = |survey: bool| -> Points {
        nodes
            .iter()
            .filter(|n| n.children.is_empty() && n.kind == Kind::Regular)
            .filter(|n| matches!(n.source, Some(Source::Survey { .. })) == survey)
            .map(|n| n.max)
            .sum()
    };
    if let Some(want) = totals.appraised {
        let got = leaves(false);
        if got != want {
            errs.push((
                set_line,
                format!("phần tự đánh giá, thẩm định phải là {want} điểm (points.appraised) nhưng các tiêu chí thẩm định cộng lại được {got}"),
            ));
        }
    }
    if let Some(want) = totals.survey {
        let got = leaves(true);
        if got != want {
            errs.push((
                set_line,
                format!("phần điều tra xã hội học phải là {want} điểm (points.survey) nhưng các tiêu chí khảo sát cộng lại được {got}"),
            ));
        }
    }

    let dossiers: Vec<&Criterion> = nodes.iter().filter(|n| n.dossier).collect();
    if dossiers.len() > 1 {
        for d in &dossiers[1..] {
            errs.push((
                d.line,
                format!(
                    "chỉ một tiêu chí hồ sơ (dossier) cho mỗi bộ tiêu chí; đã có \"{}\"",
                    dossiers[0].code
                ),
            ));
        }
    }
    if totals.needs_dossier && dossiers.is_empty() {
        errs.push((
            set_line,
            "có quy định nộp hồ sơ muộn (appraisal.late) nên cần một tiêu chí dossier = true"
                .into(),
        ));
    }
    (nodes, errs)
}

fn orphan_code(code: &str, index: &HashMap<String, usize>) -> bool {
    code.rsplit_once('.')
        .is_some_and(|(p, _)| !index.contains_key(p))
}
