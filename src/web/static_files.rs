//! The stylesheet and the small script, served from the binary: no CDN.

use actix_web::{web, HttpResponse};

const STYLE: &str = include_str!("../../static/style.css");
const SCRIPT: &str = include_str!("../../static/form.js");
const ICON: &str = include_str!("../../static/favicon.svg");

fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/static/style.css",
        web::get().to(|| async { asset(STYLE, "text/css; charset=utf-8") }),
    )
    .route(
        "/static/form.js",
        web::get().to(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
    )
    .route(
        "/static/favicon.svg",
        web::get().to(|| async { asset(ICON, "image/svg+xml") }),
    )
    // Browsers ask for /favicon.ico whatever the page links; the icon is
    // an SVG, which they follow a redirect to.
    .route(
        "/favicon.ico",
        web::get().to(|| async {
            HttpResponse::MovedPermanently()
                .insert_header(("Location", "/static/favicon.svg"))
                .insert_header(("Cache-Control", "public, max-age=86400"))
                .finish()
        }),
    );
}
