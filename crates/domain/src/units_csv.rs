//! The units file (`code,name,block,unit_type`) → units, or every bad line.

use std::io::Read;

use crate::problems::Problems;
use crate::unit::NewUnit;

const COLUMNS: [&str; 4] = ["code", "name", "block", "unit_type"];

/// The blocks and unit types the province's profiles know: a unit outside
/// them would never be ranked nor get a criteria set, which is almost
/// always a typo in the file.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub blocks: std::collections::BTreeSet<String>,
    pub unit_types: std::collections::BTreeSet<String>,
}

/// Parses a CSV of units (header `code,name,block,unit_type`). Any bad row
/// rejects the whole file, with every problem as `file:line: message`.
/// With `known`, a block or unit type no profile has is such a problem.
pub fn parse_csv(
    reader: impl Read,
    file_name: &str,
    known: Option<&Known>,
) -> Result<Vec<NewUnit>, Problems> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| Problems::one(format!("{file_name}:1: không đọc được dòng tiêu đề: {e}")))?
        .clone();
    let idx: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == *c)
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&idx)
        .filter(|(_, i)| i.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(Problems::one(format!(
            "{file_name}:1: thiếu cột {} (cần các cột: {})",
            missing.join(", "),
            COLUMNS.join(",")
        )));
    }
    let mut problems = crate::problems::ProblemList::new();
    let mut units: Vec<NewUnit> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(format!("{file_name}:{line}: dòng CSV không hợp lệ: {e}"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |i: usize| idx[i].and_then(|j| record.get(j)).unwrap_or("");
        match NewUnit::parse(get(0), get(1), get(2), get(3)) {
            Ok(u) => {
                if let Some(k) = known {
                    let list = |s: &std::collections::BTreeSet<String>| {
                        s.iter().cloned().collect::<Vec<_>>().join(", ")
                    };
                    if !k.blocks.contains(u.block.as_str()) {
                        problems.push(format!(
                            "{file_name}:{line}: khối \"{}\" không có trong hồ sơ tỉnh (các khối: {})",
                            u.block.as_str(),
                            list(&k.blocks)
                        ));
                    }
                    if !k.unit_types.contains(u.unit_type.as_str()) {
                        problems.push(format!(
                            "{file_name}:{line}: loại đơn vị \"{}\" không có bộ tiêu chí trong hồ sơ tỉnh (các loại: {})",
                            u.unit_type.as_str(),
                            list(&k.unit_types)
                        ));
                    }
                }
                if let Some(first) = seen.insert(u.code.clone(), line) {
                    problems.push(format!(
                        "{file_name}:{line}: mã đơn vị \"{}\" trùng với dòng {first}",
                        u.code
                    ));
                }
                units.push(u);
            }
            Err(errs) => problems.extend(errs.iter().map(|e| format!("{file_name}:{line}: {e}"))),
        }
    }
    if units.is_empty() && problems.is_empty() {
        problems.push(format!("{file_name}: tệp không có đơn vị nào"));
    }
    if problems.is_empty() {
        Ok(units)
    } else {
        Err(problems.into())
    }
}
