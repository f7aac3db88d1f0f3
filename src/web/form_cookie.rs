//! A CSRF token for forms posted without a staff session (the login form,
//! an open link's start): the page sets a random value in a `SameSite=Strict`
//! cookie and in a hidden field; the post must carry both, equal. Another
//! site can make a browser post the field, never send the cookie along.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest};

use super::auth::served_over_tls;
use super::State;
use crate::service::accounts;

/// A fresh token and the cookie that carries it, valid `hours` on `path`.
pub fn issue(req: &HttpRequest, name: &str, path: &str, hours: i64) -> (String, Cookie<'static>) {
    let token = accounts::random_b64(24);
    let secure = req
        .app_data::<web::Data<State>>()
        .map(|s| served_over_tls(req, &s.settings))
        .unwrap_or(false);
    let cookie = Cookie::build(name.to_string(), token.clone())
        .path(path.to_string())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::hours(hours))
        .finish();
    (token, cookie)
}

/// Whether the posted field matches the request's cookie `name`.
pub fn matches(req: &HttpRequest, name: &str, sent: &str) -> bool {
    req.cookie(name)
        .is_some_and(|c| !c.value().is_empty() && same_secret(c.value(), sent))
}

/// Compares in time independent of where the first difference is.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
