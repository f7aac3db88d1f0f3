use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::units;
use super::{DbConn, StorageError};
use crate::domain::unit::NewUnit;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub block: String,
    pub unit_type: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: usize,
    pub updated: usize,
}

/// Inserts new codes and updates existing ones, all or nothing.
pub fn import(
    conn: &mut DbConn,
    rows: &[NewUnit],
    now: NaiveDateTime,
) -> Result<ImportCounts, StorageError> {
    conn.transaction(|conn| {
        let mut counts = ImportCounts::default();
        for u in rows {
            // Update first: a write as the transaction's first statement takes
            // SQLite's write lock at once instead of failing to upgrade later.
            let n = diesel::update(units::table.filter(units::code.eq(u.code.as_str())))
                .set((
                    units::name.eq(&u.name),
                    units::block.eq(u.block.as_str()),
                    units::unit_type.eq(u.unit_type.as_str()),
                    units::updated_at.eq(now),
                ))
                .execute(conn)?;
            if n == 0 {
                diesel::insert_into(units::table)
                    .values((
                        units::code.eq(u.code.as_str()),
                        units::name.eq(&u.name),
                        units::block.eq(u.block.as_str()),
                        units::unit_type.eq(u.unit_type.as_str()),
                        units::created_at.eq(now),
                        units::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
        }
        Ok(counts)
    })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<UnitRow>, StorageError> {
    Ok(units::table
        .order((units::block, units::code))
        .select(UnitRow::as_select())
        .load(conn)?)
}

pub fn by_code(conn: &mut DbConn, code: &str) -> Result<Option<UnitRow>, StorageError> {
    Ok(units::table
        .filter(units::code.eq(code))
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<UnitRow>, StorageError> {
    Ok(units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?)
}

/// The units of some blocks, by code, without one unit (the rater's own).
pub fn in_blocks(
    conn: &mut DbConn,
    blocks: &[String],
    except: Option<i64>,
) -> Result<Vec<UnitRow>, StorageError> {
    let mut q = units::table
        .filter(units::block.eq_any(blocks))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(units::id.ne(id));
    }
    Ok(q.order((units::block, units::code))
        .select(UnitRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(units::table.count().get_result(conn)?)
}
