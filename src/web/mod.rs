//! The only module that imports actix-web: routes, forms → domain values,
//! errors → HTTP, templates and static files.

mod accounts;
pub mod api;
mod appraisal;
mod auth;
mod body;
mod error;
mod export;
mod form_cookie;
mod index;
mod letters;
mod posters;
mod public;
mod request_span;
mod results;
mod review;
mod sampling;
mod staff;
mod static_files;
mod survey;
pub mod templates;
mod upload;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App as ActixApp, HttpResponse, HttpServer};

pub use error::WebError;

use crate::config::Settings;
use crate::service::App;

pub struct State {
    pub app: Arc<App>,
    pub settings: Settings,
    pub mailer: crate::mail::Mailer,
    /// Campaigns whose invitations this instance is sending right now.
    pub senders: crate::service::sender::Senders,
    /// One permit per download streaming now (`exports.streams`).
    pub export_streams: Arc<tokio::sync::Semaphore>,
}

impl State {
    /// The mail settings are checked here, so a wrong `[mail]` stops the
    /// start instead of the first invitation.
    pub fn new(app: Arc<App>, settings: Settings) -> Result<Self, crate::mail::SettingsError> {
        let mailer = crate::mail::Mailer::from_settings(&settings.mail, &settings.data_dir)?;
        Ok(Self {
            app,
            mailer,
            senders: Default::default(),
            export_streams: Arc::new(tokio::sync::Semaphore::new(settings.exports.streams.max(1))),
            settings,
        })
    }
}

/// Runs a blocking service call on actix's thread pool.
pub async fn blocking<T, F>(state: &web::Data<State>, f: F) -> Result<T, WebError>
where
    F: FnOnce(&App) -> crate::service::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let app = state.app.clone();
    web::block(move || f(&app))
        .await
        .map_err(|_| WebError::Busy)?
        .map_err(WebError::from)
}

/// An HTML page that no shared cache may keep: forms carry answers and
/// staff pages carry what only their reader may see.
pub fn html_page(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    // A page whose template failed is a server error, whatever it was meant to be.
    let status = if body == templates::RENDER_FAILED {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// Whether the service and its database answer. Which database it is tells
/// an attacker what to try, so only signed-in staff see it.
async fn health(state: web::Data<State>, staff: Option<auth::Staff>) -> HttpResponse {
    let ok = blocking(&state, |app| app.ping()).await;
    match ok {
        Ok(()) if staff.is_some() => HttpResponse::Ok()
            .json(serde_json::json!({"status": "ok", "database": state.app.backend()})),
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        _ => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"})),
    }
}

/// Chart widths: the wide drawing for a laptop, the narrow one (with
/// legible text at 360 px) that the stylesheet swaps in on a phone.
pub(crate) const CHART_WIDE: u32 = 760;
pub(crate) const CHART_NARROW: u32 = crate::report::chart::MIN_WIDTH;

async fn index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/staff"))
        .finish()
}

async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/healthz", web::get().to(health))
        .configure(api::routes)
        .configure(auth::routes)
        .configure(survey::routes)
        .configure(staff::routes)
        .configure(posters::routes)
        .configure(sampling::routes)
        .configure(letters::routes)
        .configure(export::routes)
        .configure(results::routes)
        .configure(appraisal::routes)
        .configure(accounts::routes)
        .configure(public::routes)
        // Before index's `/index/{unit}`, which would take `review`.
        .configure(review::routes)
        .configure(index::routes)
        .configure(static_files::routes);
}

/// Serves on a bound listener until the server stops, on a runtime of its
/// own: what `chiso serve` calls, so that only `web` names actix-web.
pub fn run(state: State, listener: TcpListener) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move { server(state, listener)?.await })
}

/// Builds the HTTP server on a bound listener (port 0 in tests).
pub fn server(state: State, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let workers = state.settings.workers;
    // Blocking calls wait for a database connection anyway: more threads
    // than connections only add context switches under load.
    let blocking_threads = (state.settings.pool_size as usize * 2).max(4);
    let state = web::Data::new(state);
    let mut srv = HttpServer::new(move || {
        ActixApp::new()
            .app_data(state.clone())
            // A path that names no id (`/staff/campaigns/abc`) is a page that
            // does not exist: the friendly 404, as for an unknown id.
            .app_data(web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    // Tokens travel in URLs: never send them to another site.
                    .add(("Referrer-Policy", "no-referrer"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                         frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                    )),
            )
            .wrap(actix_web::middleware::from_fn(error::staff_error_page))
            .wrap(tracing_actix_web::TracingLogger::<request_span::RedactedSpan>::new())
            .configure(configure)
            .default_service(web::to(not_found))
    })
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?;
    if let Some(w) = workers {
        srv = srv.workers(w.max(1));
    }
    Ok(srv.run())
}
