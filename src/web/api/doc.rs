//! The OpenAPI document: operations come from the handlers' annotations; the
//! security scheme and the error answers every operation can give are added
//! here once, so no operation can forget them.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chiso API",
        description = "Khảo sát xã hội học và Chỉ số cải cách hành chính. Every operation needs \
                       `Authorization: Bearer <token>` (see `chiso user token`) and acts with the \
                       token owner's role and scope."
    ),
    paths(
        me, list_campaigns, get_campaign, open_campaign, list_units, get_unit,
        data::campaign_results, data::estimates, data::microdata, data::index_table,
        data::publications, data::publication_table, data::dossier, data::put_self_scores, data::put_appraisals,
        data::sampling
    ),
    components(schemas(ErrorBody)),
    modifiers(&Common)
)]
pub struct ApiDoc;

struct Common;

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build(),
    )
}

fn add_errors(path: &str, op: &mut Operation) {
    let mut codes = vec![
        ("401", "Missing, unknown, expired or revoked token"),
        ("403", "The token's role may not do this"),
        ("429", "Too many unknown tokens from this client"),
        ("503", "The database is unavailable; try again shortly"),
    ];
    if path.contains('{') {
        codes.push(("404", "Absent, or outside the token owner's scope"));
    }
    if op.request_body.is_some() {
        codes.extend([
            ("400", "The body is not valid JSON of the expected shape"),
            ("413", "The body is too large"),
            ("415", "The body is not application/json"),
            ("422", "The values are not acceptable; `details` says why"),
        ]);
    }
    for (code, description) in codes {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| error(description));
    }
    op.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
}

impl Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = doc.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_errors(path, op);
            }
        }
    }
}
