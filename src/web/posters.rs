//! QR codes of an open link: a page listing them (one for the link, one per
//! unit with `?unit=CODE`), each as SVG or PNG, and an A4 poster per unit to
//! print and hang at a one-stop-shop counter. Drawn server-side by
//! `report::qr`; nothing leaves for an outside QR service.

use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::auth::Staff;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::CampaignId;
use crate::report::qr::{qr_png, qr_svg};
use crate::service::respond::{open_link_posters, OpenLinkPosters};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/staff/campaigns/{id}/open-links/{code}/qr",
        web::get().to(page),
    )
    .route(
        "/staff/campaigns/{id}/open-links/{code}/qr.svg",
        web::get().to(svg),
    )
    .route(
        "/staff/campaigns/{id}/open-links/{code}/qr.png",
        web::get().to(png),
    )
    .route(
        "/staff/campaigns/{id}/open-links/{code}/poster",
        web::get().to(poster),
    );
}

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

/// The link, the campaign's facts and the chosen unit (code, name), once
/// the unit is checked to be one of the link's.
struct Target {
    info: OpenLinkPosters,
    url: String,
    unit: Option<(String, String)>,
}

async fn target(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    code: String,
    unit: Option<String>,
) -> Result<Target, WebError> {
    staff.require(Action::ViewCampaigns)?;
    let path_code = code.clone();
    let info = blocking(state, move |app| open_link_posters(app, id, &path_code)).await?;
    let unit = match unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(
            info.units
                .iter()
                .find(|x| x.code == u)
                .map(|x| (x.code.clone(), x.name.clone()))
                .ok_or_else(|| {
                    WebError::BadRequest(vec![format!("Không có đơn vị mã \"{u}\".")])
                })?,
        ),
    };
    let mut url = format!("{}/o/{id}/{code}", state.settings.public_url());
    if let Some((u, _)) = &unit {
        url.push('?');
        url.push_str(&serde_urlencoded::to_string([("unit", u)]).unwrap_or_default());
    }
    Ok(Target { info, url, unit })
}

fn title_of(t: &Target) -> String {
    match &t.unit {
        Some((_, name)) => format!("Mã QR: {} — {name}", t.info.title),
        None => format!("Mã QR: {}", t.info.title),
    }
}

fn qr_failed(e: crate::report::qr::QrError) -> WebError {
    WebError::BadRequest(vec![e.to_string()])
}

async fn page(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, code) = path.into_inner();
    let t = target(&state, &staff, id, code.clone(), None).await?;
    let svg = qr_svg(&t.url, &title_of(&t)).map_err(qr_failed)?;
    let units: Vec<_> = t
        .info
        .units
        .iter()
        .map(|u| context! { code => u.code.clone(), name => u.name.clone() })
        .collect();
    let body = templates::render(
        "staff/qr.html",
        context! {
            staff => staff.context(),
            campaign_id => id,
            code,
            campaign => t.info.campaign_name,
            title => t.info.title,
            url => t.url,
            svg,
            units,
        },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}

fn file_name(code: &str, unit: &Option<(String, String)>, ext: &str) -> String {
    match unit {
        Some((u, _)) => format!("qr_{code}_{u}.{ext}"),
        None => format!("qr_{code}.{ext}"),
    }
}

async fn svg(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
    q: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    image(state, staff, path, q, "svg").await
}

async fn png(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
    q: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    image(state, staff, path, q, "png").await
}

/// The code as an image file: SVG shown in the browser, PNG downloaded.
async fn image(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
    q: web::Query<UnitQuery>,
    ext: &'static str,
) -> Result<HttpResponse, WebError> {
    let (id, code) = path.into_inner();
    let t = target(&state, &staff, id, code.clone(), q.into_inner().unit).await?;
    let name = file_name(&code, &t.unit, ext);
    let (kind, disposition, body) = if ext == "png" {
        let png = qr_png(&t.url, 10).map_err(qr_failed)?;
        ("image/png", "attachment", png)
    } else {
        let svg = qr_svg(&t.url, &title_of(&t)).map_err(qr_failed)?;
        ("image/svg+xml", "inline", svg.into_bytes())
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((
            "Content-Disposition",
            format!("{disposition}; filename=\"{name}\""),
        ))
        .body(body))
}

/// An A4 page to print: the questionnaire, the unit, the code, the address.
async fn poster(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
    q: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    let (id, code) = path.into_inner();
    let t = target(&state, &staff, id, code, q.into_inner().unit).await?;
    let svg = qr_svg(&t.url, &title_of(&t)).map_err(qr_failed)?;
    let body = templates::render(
        "staff/poster.html",
        context! {
            campaign => t.info.campaign_name,
            title => t.info.title,
            unit => t.unit.map(|(_, name)| name),
            url => t.url,
            svg,
        },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}
