//! Staff login, sessions and the role check every staff route makes.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::body::{read_form, FormFields};
use super::{blocking, form_cookie, html_page, templates, State, WebError};
use crate::config::Security;
use crate::domain::access::{allows, Action};
use crate::service::accounts::{self, LoginOutcome, Session};

pub const SESSION_COOKIE: &str = "chiso_session";
/// Login CSRF by double submit: the login page sets this cookie and repeats
/// its value in the form, so another site cannot log a browser into an
/// account of its choosing. Needs no server state, so any instance checks it.
const LOGIN_COOKIE: &str = "chiso_login";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// The client address used for throttling: the TCP peer, or, when the peer
/// is a trusted proxy, the nearest address in `X-Forwarded-For` that is not
/// itself a trusted proxy. Anyone can send that header, so it is read only
/// from the proxies the settings name.
pub fn client_address(req: &HttpRequest, security: &Security) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    if !security.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|a| a.trim().parse().ok())
        .collect();
    // The rightmost entries were added by our own proxies; the first one
    // they did not add is the client as the outermost proxy saw it.
    forwarded
        .into_iter()
        .rev()
        .find(|a| !security.trusted_proxies.contains(a))
        .unwrap_or(peer)
        .to_string()
}

/// Whether cookies must be `Secure`: the service is reached over HTTPS,
/// directly, through its public URL, or as a trusted proxy says.
pub fn served_over_tls(req: &HttpRequest, settings: &crate::config::Settings) -> bool {
    if req.app_config().secure() || settings.public_url().starts_with("https://") {
        return true;
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|a| settings.security.trusted_proxies.contains(&a.ip()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A logged-in staff member. Extracting it from a request without a live
/// session sends the browser to the login page.
pub struct Staff(pub Session);

impl Staff {
    pub fn require(&self, action: Action) -> Result<(), WebError> {
        if allows(self.0.user.actor(), action) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// For an action on one unit: a role that may never do it gets 403; a
    /// unit officer asking about another unit gets 404, as if it did not
    /// exist, so they learn nothing of other units, not even their ids.
    pub fn require_unit(&self, action: Action) -> Result<(), WebError> {
        match self.require(action) {
            Err(_) if self.0.user.role == crate::domain::access::Role::UnitOfficer => {
                Err(WebError::NotFound)
            }
            other => other,
        }
    }

    /// Reads a state-changing staff form and checks the session's CSRF token
    /// in the same step, so no handler can read one without the check.
    pub async fn form(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        limit: usize,
    ) -> Result<FormFields, WebError> {
        let form = read_form(req, payload, limit).await?;
        self.check_csrf(&form)?;
        Ok(form)
    }

    /// Reads a state-changing staff form into its typed fields, after the
    /// CSRF check; a missing field or a value outside its type (an action
    /// no button sends) is a 400 naming the field.
    pub async fn form_as<T: serde::de::DeserializeOwned>(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        limit: usize,
    ) -> Result<T, WebError> {
        self.form(req, payload, limit).await?.typed()
    }

    pub(super) fn check_csrf(&self, form: &FormFields) -> Result<(), WebError> {
        if form_cookie::same_secret(form.get("csrf").unwrap_or(""), &self.0.csrf) {
            Ok(())
        } else {
            Err(WebError::BadCsrf)
        }
    }

    /// What every staff template needs to show the header and its forms.
    pub fn context(&self) -> minijinja::Value {
        context! {
            name => self.0.user.display_name.clone(),
            role => self.0.user.role.label(),
            admin => self.0.user.role == crate::domain::access::Role::Admin,
            csrf => self.0.csrf.clone(),
        }
    }
}

impl FromRequest for Staff {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let state = req.app_data::<web::Data<State>>().cloned();
        let next = req.uri().path().to_string();
        Box::pin(async move {
            let (Some(cookie), Some(state)) = (cookie, state) else {
                return Err(WebError::LoginRequired(next));
            };
            match blocking(&state, move |app| accounts::session(app, &cookie)).await? {
                Some(s) => Ok(Staff(s)),
                None => Err(WebError::LoginRequired(next)),
            }
        })
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a staff path of this site is followed after login, written in
/// characters that cannot end a header or leave the site (no CR/LF, spaces,
/// backslashes, `//` or `..`); anything else goes to the staff home page.
fn safe_next(next: Option<&str>) -> String {
    let safe = |n: &str| {
        (n == "/staff" || n.starts_with("/staff/") || n.starts_with("/staff?"))
            && n.len() <= 512
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%+".contains(&b))
            && !n.contains("//")
            && !n.contains("..")
    };
    match next {
        Some(n) if safe(n) => n.to_string(),
        _ => "/staff/me".to_string(),
    }
}

fn login_form(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> HttpResponse {
    let (token, cookie) = form_cookie::issue(req, LOGIN_COOKIE, "/login", 2);
    let mut page = html_page(
        status,
        templates::render(
            "staff/login.html",
            context! { error, username, next, login_csrf => token },
        ),
    );
    let _ = page.add_cookie(&cookie);
    page
}

async fn login_page(req: HttpRequest, q: web::Query<NextQuery>) -> HttpResponse {
    login_form(
        &req,
        actix_web::http::StatusCode::OK,
        None,
        "",
        &safe_next(q.next.as_deref()),
    )
}

async fn login(
    state: web::Data<State>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let form = read_form(&req, payload, state.settings.max_body_bytes).await?;
    let username = form.get("username").unwrap_or("").to_string();
    let password = form.get("password").unwrap_or("").to_string();
    let next = safe_next(form.get("next"));
    if !form_cookie::matches(&req, LOGIN_COOKIE, form.get("login_csrf").unwrap_or("")) {
        return Ok(login_form(
            &req,
            actix_web::http::StatusCode::FORBIDDEN,
            Some("Trang đăng nhập đã hết hạn hoặc không được mở từ chiso. Vui lòng đăng nhập lại."),
            &username,
            &next,
        ));
    }
    let client = client_address(&req, &state.settings.security);
    let name = username.clone();
    let outcome = blocking(&state, move |app| {
        accounts::login(app, &name, &password, &client)
    })
    .await?;
    match outcome {
        LoginOutcome::LoggedIn { cookie, .. } => {
            let c = Cookie::build(SESSION_COOKIE, cookie)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(served_over_tls(&req, &state.settings))
                .max_age(actix_web::cookie::time::Duration::hours(
                    state.settings.security.session_hours.max(1),
                ))
                .finish();
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .cookie(c)
                .finish())
        }
        LoginOutcome::Invalid => Ok(login_form(
            &req,
            actix_web::http::StatusCode::UNAUTHORIZED,
            Some("Tên đăng nhập hoặc mật khẩu không đúng."),
            &username,
            &next,
        )),
        LoginOutcome::Throttled => Err(WebError::TooManyRequests),
    }
}

async fn logout(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let value = c.value().to_string();
        blocking(&state, move |app| accounts::logout(app, &value)).await?;
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login"))
        .cookie(gone)
        .finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_staff_path_of_safe_characters_is_followed_after_login() {
        for ok in ["/staff", "/staff/campaigns/3/index?block=so", "/staff/me"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "/staff\r\nSet-Cookie: x=1",
            "/staff/\nx",
            "//evil.example/staff",
            "/staff//evil.example",
            "/staff/../login",
            "/staffx",
            "https://evil.example/staff",
            "/staff/a b",
            "/staff/\\evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/staff/me", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/staff/me");
    }
}
