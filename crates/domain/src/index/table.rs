//! `chiso index compute`: a table of component points per unit → index, band,
//! rank in block and head-of-agency rating, with the profile's rules.
//!
//! Input columns (UTF-8, with or without BOM; header names as below):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `unit` | yes | unit code |
//! | `block` | yes | ranking block, one of the profile's |
//! | `appraised`, `survey` | yes | component points |
//! | `bonus`, `deductions` | no (0) | bonus earned (capped by the profile), points deducted (late penalty included) |
//! | `max` | no (total) | P: the maximum less criteria that did not apply |
//! | `unit_type` | no (block) | criteria set for field maxima |
//! | `field.<code>` | no | published score of a field/criterion the head answers for (Thái Bình) |
//! | `subjective_decline`, `objective_decline` | no | codes (`;`-separated) whose fall was found to have that cause |
//! | `name` | no | ignored |
//!
//! Files given with `--previous` (last year first) need `unit` and the
//! `field.<code>` columns; other columns are ignored.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use crate::index::{
    assigned_item, changes, figures, rank_and_rate, AssignedItem, Cause, Change, Components,
    Figures, Rank, RatingOutcome, Standing,
};
use crate::points::Points;
use crate::profile::{HeadRatingScheme, Profile};

use crate::problems::Problems;

type Result<T> = std::result::Result<T, Problems>;

const COMPONENTS: [&str; 6] = [
    "appraised",
    "survey",
    "bonus",
    "deductions",
    "max",
    "unit_type",
];
const OTHER: [&str; 5] = [
    "unit",
    "block",
    "name",
    "subjective_decline",
    "objective_decline",
];

/// A CSV as header + rows with their line numbers.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

pub fn read_table(reader: impl Read, file: &str) -> Result<Table> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Problems::one(format!("{file}:1: không đọc được dòng tiêu đề: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rows = Vec::new();
    let mut problems = crate::problems::ProblemList::new();
    for record in rdr.records() {
        match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                rows.push((line, r.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(format!("{file}:{line}: dòng CSV không hợp lệ: {e}"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    Ok(Table { headers, rows })
}

/// One unit's row, parsed.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub line: u64,
    pub unit: String,
    pub block: String,
    pub unit_type: Option<String>,
    pub components: Components,
    /// Field, criterion or sub-criterion code → published score.
    pub fields: BTreeMap<String, Points>,
    pub causes: BTreeMap<String, Cause>,
}

fn codes(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', ' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn field_columns(headers: &[String]) -> Vec<(usize, String)> {
    headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.strip_prefix("field.").map(|c| (i, c.to_string())))
        .collect()
}

/// Parses the current year's table; every problem as `file:line: column: reason`.
pub fn parse_scores(reader: impl Read, file: &str, profile: &Profile) -> Result<Vec<UnitRow>> {
    let table = read_table(reader, file)?;
    let col = |name: &str| table.headers.iter().position(|h| h == name);
    let mut problems = crate::problems::ProblemList::new();
    for required in ["unit", "block", "appraised", "survey"] {
        if col(required).is_none() {
            problems.push(format!("{file}:1: thiếu cột {required}"));
        }
    }
    for (i, h) in table.headers.iter().enumerate() {
        let known = COMPONENTS.contains(&h.as_str()) || OTHER.contains(&h.as_str());
        if !known && !h.starts_with("field.") {
            problems.push(format!(
                "{file}:1: cột \"{h}\" (cột {}) không được hỗ trợ; dùng: unit, block, appraised, survey, bonus, deductions, max, unit_type, field.<mã>, subjective_decline, objective_decline, name",
                i + 1
            ));
        }
        if table.headers[..i].contains(h) {
            problems.push(format!("{file}:1: cột \"{h}\" lặp lại"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let fields = field_columns(&table.headers);
    let needs_sets = matches!(profile.head_rating, HeadRatingScheme::ThaiBinh2021(_));
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    if table.rows.is_empty() {
        problems.push(format!("{file}: tệp không có đơn vị nào"));
    }
    for (line, cells) in &table.rows {
        let line = *line;
        let get = |name: &str| {
            col(name)
                .and_then(|i| cells.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let mut row_problems = Vec::new();
        let mut num = |name: &str, default: Option<Points>| -> Option<Points> {
            let cell = get(name);
            if cell.is_empty() {
                if default.is_none() {
                    row_problems.push(format!("{file}:{line}: {name}: ô trống"));
                }
                return default;
            }
            match Points::parse(cell) {
                Ok(p) => Some(p),
                Err(e) => {
                    row_problems.push(format!("{file}:{line}: {name}: {e}"));
                    None
                }
            }
        };
        let appraised = num("appraised", None);
        let survey = num("survey", None);
        let bonus = num("bonus", Some(Points::ZERO));
        let deductions = num("deductions", Some(Points::ZERO));
        let max = num("max", Some(profile.points.total));
        let unit = get("unit").to_string();
        if unit.is_empty() {
            row_problems.push(format!("{file}:{line}: unit: ô trống"));
        } else if let Some(first) = seen.insert(unit.clone(), line) {
            row_problems.push(format!(
                "{file}:{line}: unit: mã đơn vị \"{unit}\" trùng với dòng {first}"
            ));
        }
        let block = get("block").to_string();
        if profile.block(&block).is_none() {
            let names: Vec<&str> = profile
                .ranking
                .blocks
                .iter()
                .map(|b| b.code.as_str())
                .collect();
            row_problems.push(format!(
                "{file}:{line}: block: khối \"{block}\" không có trong hồ sơ {}; dùng: {}",
                profile.code,
                names.join(", ")
            ));
        }
        let unit_type = Some(get("unit_type").to_string()).filter(|s| !s.is_empty());
        let mut field_scores = BTreeMap::new();
        for (i, code) in &fields {
            let cell = cells.get(*i).map(|s| s.trim()).unwrap_or("");
            if cell.is_empty() {
                continue;
            }
            match Points::parse(cell) {
                Ok(p) if p.is_negative() => {
                    row_problems.push(format!("{file}:{line}: field.{code}: không được âm"))
                }
                Ok(p) => {
                    field_scores.insert(code.clone(), p.round(profile.points.decimals));
                }
                Err(e) => row_problems.push(format!("{file}:{line}: field.{code}: {e}")),
            }
        }
        if needs_sets && !field_scores.is_empty() {
            let ty = unit_type.as_deref().unwrap_or(&block);
            match profile.criteria_set_for(ty) {
                None => row_problems.push(format!(
                    "{file}:{line}: unit_type: không có bộ tiêu chí cho loại đơn vị \"{ty}\" (cần để biết điểm tối đa của các cột field.)"
                )),
                Some(set) => {
                    for code in field_scores.keys() {
                        if set.get(code).is_none() {
                            row_problems.push(format!(
                                "{file}:{line}: field.{code}: không có tiêu chí \"{code}\" trong bộ tiêu chí \"{}\"",
                                set.code
                            ));
                        }
                    }
                }
            }
        }
        let mut causes = BTreeMap::new();
        for (column, cause) in [
            ("subjective_decline", Cause::Subjective),
            ("objective_decline", Cause::Objective),
        ] {
            for code in codes(get(column)) {
                if !field_scores.contains_key(code) {
                    row_problems.push(format!(
                        "{file}:{line}: {column}: \"{code}\" không có điểm trong cột field.{code}"
                    ));
                } else if causes.insert(code.to_string(), cause).is_some() {
                    row_problems.push(format!(
                        "{file}:{line}: {column}: \"{code}\" đã được ghi nguyên nhân khác"
                    ));
                }
            }
        }
        let components = match (appraised, survey, bonus, deductions, max) {
            (
                Some(appraised),
                Some(survey),
                Some(bonus),
                Some(deductions),
                Some(applicable_max),
            ) => {
                let c = Components {
                    appraised,
                    survey,
                    bonus,
                    deductions,
                    applicable_max,
                };
                if let Err(errs) = figures(profile, &c) {
                    row_problems.extend(errs.iter().map(|e| format!("{file}:{line}: {e}")));
                }
                Some(c)
            }
            _ => None,
        };
        if let (Some(components), true) = (components, row_problems.is_empty()) {
            rows.push(UnitRow {
                line,
                unit,
                block,
                unit_type,
                components,
                fields: field_scores,
                causes,
            });
        }
        problems.extend(row_problems);
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems.into())
    }
}

/// The key of the maxima row of a published-scores file: a row whose `unit`
/// is `*` or "tối đa" gives the maximum of each item in the framework that
/// scored that year (never a unit code: codes have no `*`).
pub const MAXIMA_ROW: &str = "*";

fn maxima_row(unit: &str) -> bool {
    let u = unit.trim().to_lowercase();
    u == MAXIMA_ROW || u == "tối đa" || u == "toi_da" || u == "toi da"
}

/// A previous year's table: unit → field scores ([`MAXIMA_ROW`] → the
/// framework's maxima, when the file has that row).
pub fn parse_previous(
    reader: impl Read,
    file: &str,
    decimals: u32,
) -> Result<BTreeMap<String, BTreeMap<String, Points>>> {
    let table = read_table(reader, file)?;
    let Some(unit_col) = table.headers.iter().position(|h| h == "unit") else {
        return Err(Problems::one(format!("{file}:1: thiếu cột unit")));
    };
    let fields = field_columns(&table.headers);
    let mut out: BTreeMap<String, BTreeMap<String, Points>> = BTreeMap::new();
    let mut problems = crate::problems::ProblemList::new();
    for (line, cells) in &table.rows {
        let unit = cells.get(unit_col).map(|s| s.trim()).unwrap_or("");
        if unit.is_empty() {
            problems.push(format!("{file}:{line}: unit: ô trống"));
            continue;
        }
        let unit = if maxima_row(unit) { MAXIMA_ROW } else { unit };
        let mut scores = BTreeMap::new();
        for (i, code) in &fields {
            let cell = cells.get(*i).map(|s| s.trim()).unwrap_or("");
            if cell.is_empty() {
                continue;
            }
            match Points::parse(cell) {
                Ok(p) => {
                    scores.insert(code.clone(), p.round(decimals));
                }
                Err(e) => problems.push(format!("{file}:{line}: field.{code}: {e}")),
            }
        }
        if out.insert(unit.to_string(), scores).is_some() {
            problems.push(format!(
                "{file}:{line}: unit: {} lặp lại",
                if unit == MAXIMA_ROW {
                    "dòng điểm tối đa".to_string()
                } else {
                    format!("mã đơn vị \"{unit}\"")
                }
            ));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.into())
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitResult {
    pub unit: String,
    pub block: String,
    pub figures: Figures,
    pub rank: Rank,
    pub head_rating: RatingOutcome,
    /// Field columns against last year's.
    pub changes: Vec<Change>,
}

/// Applies the profile to the parsed rows. `previous[0]` is last year's table.
pub fn compute(
    profile: &Profile,
    rows: &[UnitRow],
    previous: &[BTreeMap<String, BTreeMap<String, Points>>],
) -> Result<Vec<UnitResult>> {
    let mut figs: Vec<Figures> = Vec::with_capacity(rows.len());
    let mut problems = crate::problems::ProblemList::new();
    for r in rows {
        match figures(profile, &r.components) {
            Ok(f) => figs.push(f),
            Err(errs) => {
                problems.extend(errs.iter().map(|e| format!("{} ({}): {e}", r.unit, r.line)))
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let decimals = profile.points.decimals;
    // Each field column is an item the head answers for: this year's score,
    // then the earlier years' as far as they run without a gap.
    let items: Vec<Vec<AssignedItem>> = rows
        .iter()
        .map(|r| {
            r.fields
                .iter()
                .map(|(code, now)| {
                    let earlier = previous
                        .iter()
                        .map_while(|year| year.get(&r.unit).and_then(|y| y.get(code)).copied());
                    let cause = r.causes.get(code).copied().unwrap_or(Cause::Unknown);
                    assigned_item(profile, code, std::iter::once(*now).chain(earlier), cause)
                })
                .collect()
        })
        .collect();
    let standings: Vec<Standing> = rows
        .iter()
        .zip(&figs)
        .zip(&items)
        .map(|((r, f), items)| Standing {
            unit: &r.unit,
            block: &r.block,
            figures: Some(f),
            items,
        })
        .collect();
    let rated = rank_and_rate(profile, &standings);
    let empty = BTreeMap::new();
    Ok(rows
        .iter()
        .zip(figs)
        .zip(rated)
        .map(|((r, f), (rank, head_rating))| {
            let last = previous
                .first()
                .and_then(|y| y.get(&r.unit))
                .unwrap_or(&empty);
            UnitResult {
                unit: r.unit.clone(),
                block: r.block.clone(),
                changes: changes(&r.fields, last, decimals),
                figures: f,
                rank: rank.expect("every row has figures, so every row is ranked"),
                head_rating,
            }
        })
        .collect())
}

fn reason_code(o: &RatingOutcome) -> &'static str {
    match o {
        RatingOutcome::Undecided { reason, .. } => reason.key(),
        _ => "",
    }
}

/// One CSV line per unit, in input order.
pub fn to_csv(profile: &Profile, results: &[UnitResult]) -> Result<String> {
    let d = profile.points.decimals;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Problems::one(format!("không ghi được CSV: {e}"));
    w.write_record([
        "unit",
        "block",
        "index",
        "pari",
        "band",
        "rank",
        "of",
        "head_rating",
        "reason_code",
        "message",
        "notes",
    ])
    .map_err(io)?;
    for r in results {
        let notes: Vec<String> = r.figures.notes.iter().map(|n| n.message()).collect();
        w.write_record([
            r.unit.as_str(),
            r.block.as_str(),
            &r.figures.index.fixed(d),
            &r.figures.pari.fixed(d),
            &r.figures.band.label,
            &r.rank.rank.to_string(),
            &r.rank.of.to_string(),
            r.head_rating.key(),
            reason_code(&r.head_rating),
            &r.head_rating.message(),
            &notes.join("; "),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Problems::one(format!("không ghi được CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn to_json(results: &[UnitResult]) -> Result<String> {
    serde_json::to_string_pretty(results)
        .map_err(|e| Problems::one(format!("không ghi được JSON: {e}")))
}
