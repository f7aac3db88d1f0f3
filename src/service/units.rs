//! Units (sở, phường, xã, đặc khu): import from CSV and the unit views every
//! page uses.

use std::io::Read;

use crate::domain::ids::UnitId;
use crate::domain::units_csv::{parse_csv, Known};
use crate::storage::units::{self, UnitRow};

use super::{now, App, Result, ServiceError};

/// A unit as pages, exports and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    /// Ranking block, e.g. `so`, `phuong`, `xa_dac_khu`.
    pub block: String,
    pub unit_type: String,
}

impl From<UnitRow> for Unit {
    fn from(u: UnitRow) -> Self {
        Self {
            id: UnitId(u.id),
            code: u.code,
            name: u.name,
            block: u.block,
            unit_type: u.unit_type,
        }
    }
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
}

/// Every row or none: a file with any bad line changes nothing.
pub fn import(app: &App, reader: impl Read, file_name: &str) -> Result<ImportReport> {
    let known = known(app);
    let rows = parse_csv(reader, file_name, known.as_ref())?;
    let c = units::import(&mut *app.writer()?, &rows, now())?;
    Ok(ImportReport {
        inserted: c.inserted,
        updated: c.updated,
    })
}

/// The blocks and unit types of the province's profiles, or None without
/// any profile (a bare installation checks nothing) or when they cannot be
/// read (`chiso check` reports that).
fn known(app: &App) -> Option<Known> {
    let files = super::profiles::load(std::slice::from_ref(&app.profiles_dir)).ok()?;
    if files.is_empty() {
        return None;
    }
    let mut k = Known::default();
    for f in files {
        k.blocks
            .extend(f.profile.ranking.blocks.iter().map(|b| b.code.clone()));
        for b in &f.profile.ranking.blocks {
            k.block_names
                .entry(b.code.clone())
                .or_insert_with(|| b.name.clone());
        }
        k.unit_types.extend(
            f.profile
                .criteria_sets
                .iter()
                .flat_map(|s| s.unit_types.iter().cloned()),
        );
        for set in &f.profile.criteria_sets {
            for t in &set.unit_types {
                k.unit_type_sets
                    .entry(t.clone())
                    .or_insert_with(|| set.name.clone());
            }
        }
    }
    Some(k)
}

/// The name of each ranking block the province's profiles define (the
/// first profile naming a code wins), for pages that list units by block.
pub fn block_names(app: &App) -> std::collections::BTreeMap<String, String> {
    known(app).map(|k| k.block_names).unwrap_or_default()
}

/// A unit's block and unit type in words: the block's name and the name of
/// the criteria set its type takes, from the province's profiles (None
/// where no profile names them).
pub fn unit_words(app: &App, unit: &Unit) -> (Option<String>, Option<String>) {
    let k = known(app).unwrap_or_default();
    (
        k.block_names.get(&unit.block).cloned(),
        k.unit_type_sets.get(&unit.unit_type).cloned(),
    )
}

/// All units by block, then code.
pub fn list(app: &App) -> Result<Vec<Unit>> {
    Ok(units::list(&mut *app.conn()?)?
        .into_iter()
        .map(Unit::from)
        .collect())
}

pub fn find(app: &App, id: UnitId) -> Result<Option<Unit>> {
    Ok(units::by_id(&mut *app.conn()?, id.get())?.map(Unit::from))
}

pub fn get(app: &App, id: UnitId) -> Result<Unit> {
    find(app, id)?.ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị {id}")))
}
