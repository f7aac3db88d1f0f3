//! Errors of the JSON API: the same statuses as the HTML pages, as JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::ServiceError;
use crate::web::WebError;

/// Every error answer of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `unauthorized`, `not_found`.
    pub error: String,
    /// What went wrong, in Vietnamese.
    pub message: String,
    /// One line per problem where there are several (validation).
    pub details: Vec<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: vec![],
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Cần mã API hợp lệ trong tiêu đề Authorization: Bearer <mã>.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không tìm thấy tài nguyên này.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        let status = e.status_code();
        let (code, message, details) = match e {
            WebError::Service(ServiceError::Invalid(d)) => {
                ("invalid", "Dữ liệu chưa hợp lệ.".to_string(), d)
            }
            WebError::Service(ServiceError::NotFound(m)) => ("not_found", m, vec![]),
            WebError::Service(e @ ServiceError::OpenLinkClosed { .. }) => {
                ("not_found", e.to_string(), vec![])
            }
            WebError::Service(ServiceError::Forbidden(m)) => ("forbidden", m, vec![]),
            WebError::NotFound | WebError::Service(ServiceError::TokenUnavailable) => {
                return ApiError::not_found()
            }
            WebError::BadRequest(d) => ("bad_request", "Yêu cầu không hợp lệ.".into(), d),
            WebError::TooLarge(limit) => (
                "too_large",
                format!("Dữ liệu gửi lên vượt quá giới hạn {} KB.", limit / 1024),
                vec![],
            ),
            WebError::Forbidden | WebError::BadCsrf => (
                "forbidden",
                "Tài khoản không có quyền thực hiện thao tác này.".into(),
                vec![],
            ),
            WebError::TooManyRequests | WebError::Service(ServiceError::Throttled) => (
                "too_many_requests",
                "Quá nhiều lần thử không thành công; vui lòng đợi rồi thử lại.".into(),
                vec![],
            ),
            WebError::LoginRequired(_) => return ApiError::unauthorized(),
            WebError::UnsupportedType { file, allowed } => (
                "unsupported_media_type",
                format!(
                    "Tệp \"{file}\" không đúng loại được phép ({}).",
                    allowed.join(", ")
                ),
                vec![],
            ),
            other if status == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %other, "api: database unavailable");
                (
                    "unavailable",
                    "Hệ thống tạm thời không phục vụ được; vui lòng thử lại sau ít phút.".into(),
                    vec![],
                )
            }
            other => {
                tracing::error!(error = %other, "api request failed");
                (
                    "internal",
                    "Hệ thống gặp lỗi khi xử lý yêu cầu.".into(),
                    vec![],
                )
            }
        };
        Self {
            status,
            code,
            message,
            details,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        WebError::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        match self.status {
            StatusCode::UNAUTHORIZED => {
                r.insert_header(("WWW-Authenticate", "Bearer realm=\"chiso\""));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                r.insert_header(("Retry-After", "30"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                r.insert_header(("Retry-After", "900"));
            }
            _ => {}
        }
        r.insert_header(("Cache-Control", "no-store"))
            .json(ErrorBody {
                error: self.code.to_string(),
                message: self.message.clone(),
                details: self.details.clone(),
            })
    }
}

pub enum JsonError {
    ContentType,
    TooLarge(usize),
    Read(String),
    Parse(String),
}

/// A JSON body that cannot be read gets a JSON answer saying why.
pub fn json_error(e: JsonError) -> ApiError {
    match e {
        JsonError::TooLarge(limit) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("Dữ liệu gửi lên vượt quá giới hạn {} KB.", limit / 1024),
        ),
        JsonError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Dữ liệu phải gửi dạng application/json.",
        ),
        JsonError::Read(d) | JsonError::Parse(d) => {
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Nội dung JSON không hợp lệ.",
            );
            err.details = vec![d];
            err
        }
    }
}
