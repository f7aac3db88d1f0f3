//! Staff login, sessions and the role check every staff route makes.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::body::{read_form, FormFields};
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::{allows, Action};
use crate::service::accounts::{self, LoginOutcome, Session};

pub const SESSION_COOKIE: &str = "chiso_session";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// The client address used for throttling: the TCP peer. A forwarded-for
/// header is not trusted, since any client can set it.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
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

    fn check_csrf(&self, form: &FormFields) -> Result<(), WebError> {
        let sent = form.get("csrf").unwrap_or("");
        let ok = sent.len() == self.0.csrf.len()
            && sent
                .bytes()
                .zip(self.0.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if ok {
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

/// Only local paths are followed after login, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/staff") && !n.contains("//") && !n.contains('\\') => {
            n.to_string()
        }
        _ => "/staff/me".to_string(),
    }
}

fn login_form(
    status: actix_web::http::StatusCode,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> HttpResponse {
    html_page(
        status,
        templates::render("staff/login.html", context! { error, username, next }),
    )
}

async fn login_page(q: web::Query<NextQuery>) -> HttpResponse {
    login_form(
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
    let client = client_address(&req);
    let limits = state.settings.security.clone();
    let name = username.clone();
    let outcome = blocking(&state, move |app| {
        accounts::login(app, &limits, &name, &password, &client)
    })
    .await?;
    match outcome {
        LoginOutcome::LoggedIn { cookie, .. } => {
            let c = Cookie::build(SESSION_COOKIE, cookie)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(req.connection_info().scheme() == "https")
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
