//! One tracing span per request, named by route pattern, never by path: a
//! survey path carries the respondent's token, a credential.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub struct RedactedSpan;

impl RootSpanBuilder for RedactedSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = tracing::info_span!(
            "http",
            method = %request.method(),
            route = tracing::field::Empty,
            status = tracing::field::Empty
        );
        // Matching the route again costs as much as a small handler; only
        // when the span is logged at all.
        if !span.is_disabled() {
            let route = request.match_pattern();
            span.record("route", route.as_deref().unwrap_or("(unmatched)"));
        }
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        if status >= 500 {
            tracing::warn!(parent: &span, status, "server error");
        } else {
            tracing::debug!(parent: &span, status, "done");
        }
    }
}
