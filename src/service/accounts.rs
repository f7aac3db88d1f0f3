//! Staff accounts, sessions and the throttles that protect them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime, Timelike};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Security;
use crate::domain::access::{check_password, Actor, Role, Username};
use crate::storage::users::{self, NewUser, UserRow};
use crate::storage::{rate_limits, sessions, units};

use super::{now, App, Result, ServiceError};

#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
}

impl StaffUser {
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            unit_id: self.unit_id,
        }
    }

    fn from_row(r: UserRow) -> Option<Self> {
        Some(Self {
            role: Role::parse(&r.role)?,
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            unit_id: r.unit_id,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: StaffUser,
    pub csrf: String,
}

fn random_b64(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A password for a new or reset account, shown once.
pub fn generate_password() -> String {
    random_b64(12)
}

fn hash_password(password: &str) -> Result<String> {
    check_password(password).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| ServiceError::invalid(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::invalid(format!("không băm được mật khẩu: {e}")))
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn add_user(
    app: &App,
    username: &str,
    display_name: &str,
    role: &str,
    unit_code: Option<&str>,
    password: &str,
) -> Result<()> {
    let mut problems = Vec::new();
    let username = Username::parse(username)
        .map_err(|e| problems.push(format!("tên đăng nhập: {e}")))
        .ok();
    let role = Role::parse(role);
    if role.is_none() {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
        problems.push(format!(
            "vai trò không hợp lệ; dùng một trong: {}",
            names.join(", ")
        ));
    }
    let mut conn = app.conn()?;
    let unit = match unit_code {
        Some(c) => {
            let u = units::by_code(&mut conn, c)?;
            if u.is_none() {
                problems.push(format!("không có đơn vị mã \"{c}\""));
            }
            u
        }
        None => None,
    };
    if role == Some(Role::UnitOfficer) && unit.is_none() && unit_code.is_none() {
        problems.push("cán bộ đơn vị cần --unit (mã đơn vị của họ)".to_string());
    }
    if let Err(e) = check_password(password) {
        problems.push(e.to_string());
    }
    let (Some(username), Some(role), true) = (username, role, problems.is_empty()) else {
        return Err(ServiceError::Invalid(problems));
    };
    let hash = hash_password(password)?;
    let display = if display_name.trim().is_empty() {
        username.as_str()
    } else {
        display_name.trim()
    };
    let new = NewUser {
        username: username.as_str(),
        display_name: display,
        role: role.code(),
        unit_id: unit.map(|u| u.id),
        password_hash: &hash,
    };
    users::insert(&mut conn, &new, now()).map_err(|e| {
        if e.is_unique_violation() {
            ServiceError::invalid(format!("tài khoản \"{}\" đã có", username.as_str()))
        } else {
            e.into()
        }
    })
}

fn user(app: &App, username: &str) -> Result<UserRow> {
    let name = Username::parse(username).map_err(|e| ServiceError::invalid(e.to_string()))?;
    users::by_username(&mut *app.conn()?, name.as_str())?
        .ok_or_else(|| ServiceError::NotFound(format!("không có tài khoản \"{username}\"")))
}

pub fn set_disabled(app: &App, username: &str, disabled: bool) -> Result<()> {
    let u = user(app, username)?;
    users::set_disabled(&mut *app.conn()?, u.id, disabled, now())?;
    Ok(())
}

pub fn reset_password(app: &App, username: &str, password: &str) -> Result<()> {
    let u = user(app, username)?;
    let hash = hash_password(password)?;
    users::set_password(&mut *app.conn()?, u.id, &hash, now())?;
    Ok(())
}

pub fn has_users(app: &App) -> Result<bool> {
    Ok(!users::list(&mut *app.conn()?)?.is_empty())
}

fn window_start(now: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    let secs = minutes.max(1) * 60;
    let t = now.and_utc().timestamp();
    chrono::DateTime::from_timestamp(t - t.rem_euclid(secs), 0)
        .map(|d| d.naive_utc())
        .unwrap_or(now.with_nanosecond(0).unwrap_or(now))
}

pub enum LoginOutcome {
    /// The cookie value to set; only its hash is stored.
    LoggedIn {
        cookie: String,
        user: StaffUser,
    },
    Invalid,
    Throttled,
}

pub fn login(
    app: &App,
    limits: &Security,
    username: &str,
    password: &str,
    client: &str,
) -> Result<LoginOutcome> {
    let now = now();
    let window = window_start(now, limits.window_minutes);
    let name = Username::parse(username)
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let account_bucket = format!("login-user:{name}");
    let client_bucket = format!("login-client:{client}");
    let mut conn = app.conn()?;
    if rate_limits::count(&mut conn, &account_bucket, window)? >= limits.login_failures_per_account
        || rate_limits::count(&mut conn, &client_bucket, window)?
            >= limits.login_failures_per_client
    {
        return Ok(LoginOutcome::Throttled);
    }
    let row = users::by_username(&mut conn, &name)?;
    drop(conn);
    // Verify against a fixed hash when the account is unknown, so the answer
    // takes as long either way and does not reveal which accounts exist.
    let ok = match &row {
        Some(u) if !u.disabled => verify(password, &u.password_hash),
        _ => {
            verify(password, DUMMY_HASH);
            false
        }
    };
    let mut conn = app.conn()?;
    match row.and_then(StaffUser::from_row).filter(|_| ok) {
        Some(user) => {
            let cookie = random_b64(32);
            let expires = now + Duration::hours(limits.session_hours.max(1));
            sessions::create(
                &mut conn,
                &sha256(&cookie),
                user.id,
                &random_b64(24),
                now,
                expires,
            )?;
            rate_limits::purge(&mut conn, window - Duration::days(1))?;
            Ok(LoginOutcome::LoggedIn { cookie, user })
        }
        None => {
            rate_limits::hit(&mut conn, &account_bucket, window)?;
            rate_limits::hit(&mut conn, &client_bucket, window)?;
            Ok(LoginOutcome::Invalid)
        }
    }
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JQ3P3qQd5wJ6Hq0k2m9VbI4zZ7bq3n0YxH8mJ6kYl1c";

pub fn session(app: &App, cookie: &str) -> Result<Option<Session>> {
    let found = sessions::find(&mut *app.conn()?, &sha256(cookie), now())?;
    Ok(found.and_then(|(csrf, row)| StaffUser::from_row(row).map(|user| Session { user, csrf })))
}

pub fn logout(app: &App, cookie: &str) -> Result<()> {
    Ok(sessions::delete(&mut *app.conn()?, &sha256(cookie))?)
}

/// Whether this client has tried too many unknown tokens in the current window.
pub fn token_guessing_blocked(app: &App, limits: &Security, client: &str) -> Result<bool> {
    let window = window_start(now(), limits.window_minutes);
    Ok(
        rate_limits::count(&mut *app.conn()?, &format!("token-miss:{client}"), window)?
            >= limits.token_misses_per_client,
    )
}

pub fn note_token_miss(app: &App, limits: &Security, client: &str) -> Result<()> {
    let window = window_start(now(), limits.window_minutes);
    rate_limits::hit(&mut *app.conn()?, &format!("token-miss:{client}"), window)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash_so_unknown_accounts_cost_the_same() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify("anything", DUMMY_HASH));
    }

    #[test]
    fn windows_are_aligned() {
        let t: NaiveDateTime = "2026-11-22T10:37:12".parse().unwrap();
        assert_eq!(window_start(t, 15).to_string(), "2026-11-22 10:30:00");
    }
}
