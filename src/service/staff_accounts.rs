//! Staff accounts as the administrator manages them on the web: the list
//! with each account's live sessions, creating an account (its first
//! password generated and shown once), role and unit, disabling, a new
//! password, ending every session. Signing in and the checks on each
//! request are `accounts`'.

use serde::Serialize;

use crate::domain::access::{allows, Action, Role};
use crate::storage::users::{self, UserRow};
use crate::storage::{sessions, units};

use super::accounts::{self, StaffUser};
use super::{now, App, Result, ServiceError};
use crate::domain::vietnam_time::shown;

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Vietnam time.
    pub started: String,
    pub expires: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: &'static str,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    /// Where notices go; none, none sent.
    pub email: Option<String>,
    pub disabled: bool,
    pub sessions: Vec<SessionView>,
    /// The administrator looking at the list.
    pub is_self: bool,
}

fn require(who: &StaffUser) -> Result<()> {
    if allows(who.actor(), Action::ManageAccounts) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Chỉ quản trị (Sở Nội vụ) quản lý tài khoản.".into(),
        ))
    }
}

/// Every account, by user name, with its live sessions.
pub fn list(app: &App, who: &StaffUser) -> Result<Vec<AccountView>> {
    require(who)?;
    let mut conn = app.conn()?;
    let rows = users::list(&mut conn)?;
    let units = units::list(&mut conn)?;
    let live = sessions::live(&mut conn, now())?;
    Ok(rows
        .into_iter()
        .map(|u| {
            let unit = u.unit_id.and_then(|id| units.iter().find(|x| x.id == id));
            let role = Role::parse(&u.role);
            AccountView {
                is_self: u.id == who.id,
                sessions: live
                    .iter()
                    .filter(|(id, ..)| *id == u.id)
                    .map(|(_, started, expires)| SessionView {
                        started: shown(*started),
                        expires: shown(*expires),
                    })
                    .collect(),
                role_label: role.map_or("không rõ", Role::label),
                role: u.role,
                unit_code: unit.map(|x| x.code.clone()),
                unit_name: unit.map(|x| x.name.clone()),
                username: u.username,
                display_name: u.display_name,
                email: u.email,
                disabled: u.disabled,
            }
        })
        .collect())
}

/// A new account; returns its first password, to hand to its owner once.
pub fn create(
    app: &App,
    who: &StaffUser,
    username: &str,
    display_name: &str,
    role: &str,
    unit_code: Option<&str>,
    email: &str,
) -> Result<String> {
    require(who)?;
    // Checked before the account exists, so a wrong address creates nothing.
    accounts::parse_email(email)?;
    let password = accounts::generate_password();
    accounts::add_user(app, username, display_name, role, unit_code, &password)?;
    accounts::set_email(app, username, email)?;
    Ok(password)
}

/// Sets the address the account's notices go to (empty: none).
pub fn set_email(app: &App, who: &StaffUser, username: &str, email: &str) -> Result<()> {
    require(who)?;
    accounts::set_email(app, username, email)
}

fn account(app: &App, username: &str) -> Result<UserRow> {
    users::by_username(&mut *app.conn()?, username.trim())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có tài khoản \"{username}\"")))
}

/// Refuses what would lock the administrator out of their own account.
fn not_self(who: &StaffUser, u: &UserRow, what: &str) -> Result<()> {
    if u.id == who.id {
        return Err(ServiceError::invalid(format!(
            "Không {what} chính tài khoản đang dùng; nhờ một quản trị khác."
        )));
    }
    Ok(())
}

/// A new role and unit. A unit officer needs a unit; other roles have none.
pub fn set_role(
    app: &App,
    who: &StaffUser,
    username: &str,
    role: &str,
    unit_code: Option<&str>,
) -> Result<()> {
    require(who)?;
    let u = account(app, username)?;
    let Some(role) = Role::parse(role.trim()) else {
        return Err(ServiceError::invalid("Chọn vai trò."));
    };
    if role != Role::Admin {
        not_self(who, &u, "bỏ quyền quản trị của")?;
    }
    let mut conn = app.writer()?;
    let unit_id = match (role, unit_code.map(str::trim).filter(|c| !c.is_empty())) {
        (Role::UnitOfficer, Some(code)) => Some(
            units::by_code(&mut conn, code)?
                .ok_or_else(|| ServiceError::invalid(format!("Không có đơn vị mã \"{code}\".")))?
                .id,
        ),
        (Role::UnitOfficer, None) => {
            return Err(ServiceError::invalid(
                "Cán bộ đơn vị cần một đơn vị: chọn đơn vị của họ.",
            ))
        }
        (_, _) => None,
    };
    users::set_role(&mut conn, u.id, role.code(), unit_id, now())?;
    Ok(())
}

/// Disables (ending every session and API token) or re-enables an account.
pub fn set_disabled(app: &App, who: &StaffUser, username: &str, disabled: bool) -> Result<()> {
    require(who)?;
    let u = account(app, username)?;
    if disabled {
        not_self(who, &u, "khoá")?;
    }
    users::set_disabled(&mut *app.writer()?, u.id, disabled, now())?;
    Ok(())
}

/// A new generated password (every session and API token ended); returned
/// to hand to the owner once.
pub fn reset_password(app: &App, who: &StaffUser, username: &str) -> Result<String> {
    require(who)?;
    let u = account(app, username)?;
    let password = accounts::generate_password();
    accounts::reset_password(app, &u.username, &password)?;
    Ok(password)
}

/// Signs the account out everywhere.
pub fn end_sessions(app: &App, who: &StaffUser, username: &str) -> Result<()> {
    require(who)?;
    let u = account(app, username)?;
    users::end_sessions(&mut *app.writer()?, u.id, now())?;
    Ok(())
}
