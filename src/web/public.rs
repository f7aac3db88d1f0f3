//! The published results, for everyone (no account): the list of published
//! campaigns, each table by block with bands, ranks, head ratings and
//! charts, each unit's scorecard, and the table as CSV or Excel. Only a
//! published table is shown; a campaign not published is not found, so no
//! provisional figure and nothing the council has not decided leaves here.
//! The province's portal links these pages or embeds them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::index::{card, download, line, sections};
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::ids::{CampaignId, UnitId};
use crate::service::publication;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ket-qua", web::get().to(list))
        .route("/ket-qua/{id}", web::get().to(table))
        .route("/ket-qua/{id}/tai-ve", web::get().to(export))
        .route("/ket-qua/{id}/don-vi/{unit}", web::get().to(scorecard));
}

async fn list(state: web::Data<State>) -> Result<HttpResponse, WebError> {
    let campaigns = blocking(&state, publication::published_campaigns).await?;
    let body = templates::render("public/list.html", context! { campaigns });
    Ok(html_page(StatusCode::OK, body))
}

#[derive(Deserialize)]
struct BlockQuery {
    block: Option<String>,
}

async fn table(
    state: web::Data<State>,
    id: web::Path<CampaignId>,
    q: web::Query<BlockQuery>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let t = blocking(&state, move |app| publication::published_table(app, id)).await?;
    let (blocks, sections) = sections(&t, q.block.as_deref());
    let body = templates::render(
        "public/table.html",
        context! {
            t => context! {
                campaign_id => t.campaign_id, campaign => t.campaign.clone(), year => t.year,
                profile => t.profile_name.clone(),
                published_at => t.published_at.map(crate::domain::vietnam_time::shown),
                pari => t.profile.bands.on == crate::domain::profile::BandBasis::Pari,
            },
            blocks => blocks.iter().map(|(c, n)| context! { code => c, name => n }).collect::<Vec<_>>(),
            block => q.block.clone(),
            readings => t.profile.readings(),
            sections,
        },
    );
    Ok(html_page(StatusCode::OK, body))
}

use super::export::FormatQuery;

async fn export(
    state: web::Data<State>,
    id: web::Path<CampaignId>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let t = blocking(&state, move |app| publication::published_table(app, id)).await?;
    let format = match q.format.as_deref() {
        Some("json") | None => Some("csv"),
        other => other,
    };
    download(
        &state,
        format,
        &q.csv_options()?,
        &format!("chi-so-cchc-{}_dot{id}", t.year),
        super::index::INDEX_SHEET,
        publication::index_sheet(&t),
        &t.profile.readings(),
    )
}

async fn scorecard(
    state: web::Data<State>,
    path: web::Path<(CampaignId, UnitId)>,
) -> Result<HttpResponse, WebError> {
    let (id, unit) = path.into_inner();
    blocking(&state, move |app| {
        publication::published_table(app, id).map(|_| ())
    })
    .await?;
    let c = card(&state, id, unit).await?;
    let body = templates::render(
        "public/scorecard.html",
        context! {
            campaign_id => id,
            campaign => c.campaign.clone(),
            year => c.year,
            u => line(&c.row, c.decimals),
            lines => c.lines,
        },
    );
    Ok(html_page(StatusCode::OK, body))
}
