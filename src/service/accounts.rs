//! Staff accounts, sessions and the throttles that protect them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::access::{check_password, Actor, Role, Username};
use crate::domain::ids::UnitId;
use crate::domain::throttle::Window;
use crate::storage::users::{self, NewUser, UserRow};
use crate::storage::{api_tokens, rate_limits, sessions, units};

use super::{now, App, Result, ServiceError};

/// Limits that keep accounts and tokens from being guessed; counted in the
/// database, so every instance behind a load balancer counts the same hits.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// A staff session ends this many hours after login.
    pub session_hours: i64,
    /// Failed logins per account, and per client address, in one window.
    pub login_failures_per_account: i32,
    pub login_failures_per_client: i32,
    /// Unknown or used survey tokens one client may try in one window.
    pub token_misses_per_client: i32,
    /// Respondent forms one client may start from open links in one window.
    pub open_starts_per_client: i32,
    pub window_minutes: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            session_hours: 8,
            login_failures_per_account: 5,
            login_failures_per_client: 20,
            token_misses_per_client: 30,
            // A counter's kiosk or a commune office behind one NAT starts many.
            open_starts_per_client: 300,
            window_minutes: 15,
        }
    }
}

/// Argon2id's cost for new password hashes (a stored hash keeps its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordCost {
    /// OWASP's recommendation for argon2id (19 MiB, 2 passes, 1 lane).
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and checks passwords at the configured cost.
pub(super) struct Hasher {
    argon: Argon2<'static>,
    /// A hash at the same cost, checked when the account is unknown.
    dummy: String,
}

impl Hasher {
    pub(super) fn new(cost: PasswordCost) -> Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| {
                ServiceError::invalid(format!("chi phí băm mật khẩu không hợp lệ: {e}"))
            })?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"chiso-dummy-salt")
            .map_err(|e| ServiceError::invalid(format!("salt: {e}")))?;
        let dummy = argon
            .hash_password(b"no account has this password", &salt)
            .map_err(|e| ServiceError::invalid(format!("không băm được mật khẩu: {e}")))?
            .to_string();
        Ok(Self { argon, dummy })
    }
}

#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
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
            unit_id: r.unit_id.map(UnitId),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: StaffUser,
    pub csrf: String,
}

pub fn random_b64(bytes: usize) -> String {
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

fn hash_password(app: &App, password: &str) -> Result<String> {
    check_password(password).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| ServiceError::invalid(format!("salt: {e}")))?;
    app.hasher
        .argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::invalid(format!("không băm được mật khẩu: {e}")))
}

/// Checks against the stored hash at its own cost (its parameters are in it).
fn verify(app: &App, password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        app.hasher
            .argon
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
    let mut conn = app.writer()?;
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
        problems
            .push("cán bộ đơn vị cần một đơn vị (mã đơn vị của họ; với lệnh: --unit)".to_string());
    }
    if let Err(e) = check_password(password) {
        problems.push(e.to_string());
    }
    let (Some(username), Some(role), true) = (username, role, problems.is_empty()) else {
        return Err(ServiceError::Invalid(problems));
    };
    let hash = hash_password(app, password)?;
    let cleaned = crate::domain::name::clean_name(display_name);
    let display = if cleaned.is_empty() {
        username.as_str()
    } else {
        cleaned.as_str()
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

/// An enabled account as the service acts for it (the CLI acting as a named
/// staff member, e.g. to publish).
pub fn staff_user(app: &App, username: &str) -> Result<StaffUser> {
    let u = user(app, username)?;
    if u.disabled {
        return Err(ServiceError::invalid(format!(
            "tài khoản \"{}\" đang bị khoá",
            u.username
        )));
    }
    StaffUser::from_row(u).ok_or_else(|| ServiceError::invalid("tài khoản không hợp lệ"))
}

pub fn set_disabled(app: &App, username: &str, disabled: bool) -> Result<()> {
    let u = user(app, username)?;
    users::set_disabled(&mut *app.writer()?, u.id, disabled, now())?;
    Ok(())
}

/// An e-mail address as typed: empty is none, anything else must be one.
pub fn parse_email(email: &str) -> Result<Option<String>> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    crate::domain::email::Email::parse(email)
        .map(|e| Some(e.as_str().to_string()))
        .map_err(|e| ServiceError::invalid(format!("Địa chỉ thư \"{email}\" không hợp lệ: {e}")))
}

/// Sets the address an account's notices go to (empty: none).
pub fn set_email(app: &App, username: &str, email: &str) -> Result<()> {
    let email = parse_email(email)?;
    let u = user(app, username)?;
    users::set_email(&mut *app.writer()?, u.id, email.as_deref(), now())?;
    Ok(())
}

pub fn reset_password(app: &App, username: &str, password: &str) -> Result<()> {
    let u = user(app, username)?;
    let hash = hash_password(app, password)?;
    users::set_password(&mut *app.writer()?, u.id, &hash, now())?;
    Ok(())
}

pub fn has_users(app: &App) -> Result<bool> {
    Ok(!users::list(&mut *app.conn()?)?.is_empty())
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

pub fn login(app: &App, username: &str, password: &str, client: &str) -> Result<LoginOutcome> {
    let now = now();
    let window = Window::at(now, app.limits.window_minutes);
    let name = Username::parse(username)
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let account_bucket = format!("login-user:{name}");
    let client_bucket = format!("login-client:{client}");
    // Every attempt takes its place in the client's counter before the
    // password is checked, atomically, so a burst of parallel tries cannot
    // all pass a count read before any of them is recorded; a success gives
    // it back. A client over its limit is refused without touching the
    // account's counter, so a stranger cannot lock an account by hammering
    // it from one address. An account over its limit still lets in a client
    // that has not been failing (its first try in the window), so the real
    // owner gets in from their own machine, while each address gets at most
    // one guess at an account under attack.
    let client_limit = f64::from(app.limits.login_failures_per_client);
    let per_client = {
        let c = client_bucket.clone();
        app.write(move |conn| rate_limits::hit(conn, &c, &window))?
    };
    if per_client > client_limit {
        return Ok(LoginOutcome::Throttled);
    }
    let per_account = {
        let a = account_bucket.clone();
        app.write(move |conn| rate_limits::hit(conn, &a, &window))?
    };
    let fresh_client = per_client <= 1.0;
    if per_account > f64::from(app.limits.login_failures_per_account) && !fresh_client {
        return Ok(LoginOutcome::Throttled);
    }
    let row = users::by_username(&mut *app.conn()?, &name)?;
    // Verify against a fixed hash when the account is unknown, so the answer
    // takes as long either way and does not reveal which accounts exist.
    let ok = match &row {
        Some(u) if !u.disabled => verify(app, password, &u.password_hash),
        _ => {
            verify(app, password, &app.hasher.dummy);
            false
        }
    };
    let Some(user) = row.and_then(StaffUser::from_row).filter(|_| ok) else {
        return Ok(LoginOutcome::Invalid);
    };
    let cookie = random_b64(32);
    let expires = now + Duration::hours(app.limits.session_hours.max(1));
    let mut conn = app.writer()?;
    sessions::create(
        &mut conn,
        &sha256(&cookie),
        user.id,
        &random_b64(24),
        now,
        expires,
    )?;
    rate_limits::give_back(&mut conn, &account_bucket, window.start)?;
    rate_limits::give_back(&mut conn, &client_bucket, window.start)?;
    rate_limits::purge(&mut conn, window.start - Duration::days(1))?;
    Ok(LoginOutcome::LoggedIn { cookie, user })
}

pub fn session(app: &App, cookie: &str) -> Result<Option<Session>> {
    let found = sessions::find(&mut *app.conn()?, &sha256(cookie), now())?;
    Ok(found.and_then(|(csrf, row)| StaffUser::from_row(row).map(|user| Session { user, csrf })))
}

pub fn logout(app: &App, cookie: &str) -> Result<()> {
    Ok(sessions::delete(&mut *app.writer()?, &sha256(cookie))?)
}

/// Prefix of API tokens, so a leaked one is recognisable in a scanner's report.
const API_TOKEN_PREFIX: &str = "chiso_";

/// Creates an API token acting as `username` for `days` days; the token is
/// returned once and only its hash is kept.
pub fn create_api_token(app: &App, username: &str, label: &str, days: i64) -> Result<String> {
    if !(1..=366).contains(&days) {
        return Err(ServiceError::invalid(
            "thời hạn mã API phải từ 1 đến 366 ngày",
        ));
    }
    let label = label.trim();
    if label.chars().count() > 100 {
        return Err(ServiceError::invalid("nhãn mã API dài quá 100 ký tự"));
    }
    let u = user(app, username)?;
    if u.disabled {
        return Err(ServiceError::invalid(format!(
            "tài khoản \"{}\" đang bị khoá",
            u.username
        )));
    }
    let token = format!("{API_TOKEN_PREFIX}{}", random_b64(32));
    let now = now();
    api_tokens::insert(
        &mut *app.writer()?,
        u.id,
        &sha256(&token),
        label,
        now,
        now + Duration::days(days),
    )?;
    Ok(token)
}

pub fn revoke_api_tokens(app: &App, username: &str) -> Result<usize> {
    let u = user(app, username)?;
    Ok(api_tokens::revoke_all(&mut *app.writer()?, u.id, now())?)
}

pub enum ApiAuth {
    User(StaffUser),
    Invalid,
    Throttled,
}

/// The owner of a bearer token. Unknown tokens count against the client like
/// unknown survey tokens, so API keys cannot be guessed either.
pub fn api_user(app: &App, token: &str, client: &str) -> Result<ApiAuth> {
    let found = token_guarded(app, client, || {
        let row = if token.starts_with(API_TOKEN_PREFIX) && token.len() < 200 {
            api_tokens::owner(&mut *app.conn()?, &sha256(token), now())?
        } else {
            None
        };
        row.and_then(StaffUser::from_row)
            .ok_or(ServiceError::TokenUnavailable)
    });
    match found {
        Ok(u) => Ok(ApiAuth::User(u)),
        Err(ServiceError::TokenUnavailable) => Ok(ApiAuth::Invalid),
        Err(ServiceError::Throttled) => Ok(ApiAuth::Throttled),
        Err(e) => Err(e),
    }
}

/// Runs a lookup by a token a client sent, as if the client were guessing:
/// refused with [`ServiceError::Throttled`] once it has tried too many
/// unknown tokens in the window, and an unknown token counts against it.
///
/// An unknown token is counted in one atomic step that returns the new
/// count, and only a try within the limit is answered "unknown": a burst of
/// parallel guesses learns the outcome of exactly as many guesses as the
/// limit allows, however they interleave. A token that exists costs a read,
/// not a write (issue 16: two durable writes per request halved the
/// submissions a second). Once a client is over the limit every token,
/// real or not, is refused and counted the same way, so neither the answer
/// nor the work tells a real token apart.
pub fn token_guarded<T>(app: &App, client: &str, lookup: impl FnOnce() -> Result<T>) -> Result<T> {
    let window = Window::at(now(), app.limits.window_minutes);
    let bucket = format!("token-miss:{client}");
    let limit = f64::from(app.limits.token_misses_per_client);
    let count = |app: &App| -> Result<f64> {
        let (b, w) = (bucket.clone(), window);
        app.write(move |conn| rate_limits::hit(conn, &b, &w))
    };
    if rate_limits::count(&mut *app.conn()?, &bucket, &window)? >= limit {
        count(app)?;
        return Err(ServiceError::Throttled);
    }
    match lookup() {
        Err(ServiceError::TokenUnavailable) => {
            if count(app)? > limit {
                Err(ServiceError::Throttled)
            } else {
                Err(ServiceError::TokenUnavailable)
            }
        }
        other => other,
    }
}

/// Counts a form started from an open link; false once this client has
/// started more than the window allows (each start makes a respondent row).
pub fn note_open_start(app: &App, client: &str) -> Result<bool> {
    let window = Window::at(now(), app.limits.window_minutes);
    let bucket = format!("open-start:{client}");
    let n = app.write(move |conn| rate_limits::hit(conn, &bucket, &window))?;
    Ok(n <= f64::from(app.limits.open_starts_per_client))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_has_the_configured_cost_so_unknown_accounts_cost_the_same() {
        let cost = PasswordCost {
            memory_kib: 64,
            iterations: 3,
            parallelism: 1,
        };
        let h = Hasher::new(cost).unwrap();
        let parsed = PasswordHash::new(&h.dummy).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(h.dummy.contains("m=64,t=3,p=1"), "{}", h.dummy);
        let default = Hasher::new(PasswordCost::default()).unwrap();
        assert!(
            default.dummy.contains("m=19456,t=2,p=1"),
            "{}",
            default.dummy
        );
    }

    #[test]
    fn a_cost_argon2_refuses_is_a_clear_error() {
        let bad = PasswordCost {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        };
        assert!(Hasher::new(bad).is_err());
    }
}
