//! The only module that imports actix-web: routes, forms → domain values,
//! errors → HTTP, templates and static files.

mod auth;
mod body;
mod error;
mod request_span;
mod staff;
mod static_files;
mod survey;
pub mod templates;

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
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

async fn health(state: web::Data<State>) -> HttpResponse {
    let ok = blocking(&state, |app| {
        let mut conn = app.conn()?;
        Ok(crate::storage::integrity_check(&mut conn)?)
    })
    .await;
    match ok {
        Ok(true) => HttpResponse::Ok()
            .json(serde_json::json!({"status": "ok", "database": state.app.backend})),
        _ => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"})),
    }
}

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
        .configure(auth::routes)
        .configure(survey::routes)
        .configure(staff::routes)
        .configure(static_files::routes);
}

/// Builds the HTTP server on a bound listener (port 0 in tests).
pub fn server(state: State, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let workers = state.settings.workers;
    let state = web::Data::new(state);
    let mut srv = HttpServer::new(move || {
        ActixApp::new()
            .app_data(state.clone())
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
            .wrap(tracing_actix_web::TracingLogger::<request_span::RedactedSpan>::new())
            .configure(configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?;
    if let Some(w) = workers {
        srv = srv.workers(w.max(1));
    }
    Ok(srv.run())
}
