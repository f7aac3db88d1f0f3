//! Errors → status codes and Vietnamese pages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use minijinja::context;

use super::templates;
use crate::service::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("service: {0}")]
    Service(ServiceError),
    #[error("bad request")]
    BadRequest(Vec<String>),
    #[error("payload too large")]
    TooLarge(usize),
    #[error("not found")]
    NotFound,
    #[error("busy")]
    Busy,
    /// No live staff session: go to the login page, then come back here.
    #[error("login required")]
    LoginRequired(String),
    #[error("forbidden")]
    Forbidden,
    #[error("bad csrf token")]
    BadCsrf,
    #[error("too many requests")]
    TooManyRequests,
    /// An upload could not be written to disk (full, unwritable).
    #[error("upload not stored: {0}")]
    Upload(String),
    #[error("unsupported file type")]
    UnsupportedType {
        file: String,
        allowed: Vec<&'static str>,
    },
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        WebError::Service(e)
    }
}

impl WebError {
    /// The page's title, message and reasons, for the respondents' layout
    /// and the staff one alike.
    fn view(&self) -> (&'static str, String, Vec<String>) {
        match self {
            WebError::Service(ServiceError::TokenUnavailable) => (
                "Liên kết không dùng được",
                "Liên kết khảo sát này không hợp lệ hoặc đã được sử dụng. Nếu Ông/Bà đã gửi phiếu, \
                 ý kiến đã được ghi nhận — xin cảm ơn. Nếu cần hỗ trợ, vui lòng liên hệ cơ quan đã gửi thư mời."
                    .into(),
                vec![],
            ),
            WebError::Service(ServiceError::CampaignClosed { name, closes_on }) => (
                "Đợt khảo sát đã kết thúc",
                format!("{name} đã kết thúc ngày {}. Cảm ơn Ông/Bà đã quan tâm.", closes_on.format("%d/%m/%Y")),
                vec![],
            ),
            WebError::Service(ServiceError::CampaignNotYetOpen { name, opens_on }) => (
                "Đợt khảo sát chưa bắt đầu",
                format!("{name} sẽ bắt đầu từ ngày {}. Vui lòng quay lại sau.", opens_on.format("%d/%m/%Y")),
                vec![],
            ),
            WebError::Service(ServiceError::OpenLinkClosed { campaign, title }) => (
                "Phiếu chỉ dành cho người được mời",
                format!(
                    "{title} ({campaign}) không nhận trả lời qua liên kết mở: chỉ người được mời mới trả lời được. \
                     Nếu Ông/Bà đã nhận thư mời, vui lòng dùng liên kết trong thư; nếu cần hỗ trợ, xin liên hệ cơ quan tổ chức khảo sát."
                ),
                vec![],
            ),
            WebError::Service(ServiceError::NotFound(m)) => ("Không tìm thấy", m.clone(), vec![]),
            WebError::Service(ServiceError::Forbidden(m)) => ("Không có quyền", m.clone(), vec![]),
            WebError::Service(ServiceError::Invalid(reasons)) => {
                // Never a page of unbounded size, whatever built the list.
                let mut listed = crate::domain::problems::ProblemList::new();
                listed.extend(reasons.iter().cloned());
                ("Dữ liệu chưa hợp lệ", "Vui lòng sửa các lỗi sau:".into(), listed.into_vec())
            }
            WebError::Service(ServiceError::Unavailable(_)) | WebError::Busy => (
                "Hệ thống đang bận",
                "Hệ thống tạm thời không phục vụ được. Câu trả lời của Ông/Bà chưa bị mất: vui lòng thử lại sau ít phút."
                    .into(),
                vec![],
            ),
            WebError::Service(ServiceError::Internal(_)) => (
                "Đã có lỗi",
                "Hệ thống gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại; nếu lỗi lặp lại, xin báo cho cơ quan tổ chức khảo sát."
                    .into(),
                vec![],
            ),
            WebError::BadRequest(reasons) => ("Yêu cầu không hợp lệ", "Không xử lý được dữ liệu gửi lên:".into(), reasons.clone()),
            WebError::TooLarge(limit) => (
                "Dữ liệu quá lớn",
                format!("Dữ liệu gửi lên vượt quá giới hạn {} KB.", limit / 1024),
                vec![],
            ),
            WebError::NotFound => ("Không tìm thấy trang", "Địa chỉ này không tồn tại.".into(), vec![]),
            WebError::Forbidden => ("Không có quyền", "Tài khoản của Ông/Bà không có quyền xem hoặc thực hiện thao tác này.".into(), vec![]),
            WebError::BadCsrf => (
                "Phiên làm việc không hợp lệ",
                "Biểu mẫu đã cũ hoặc không gửi từ trang của hệ thống. Vui lòng tải lại trang và thử lại.".into(),
                vec![],
            ),
            WebError::TooManyRequests | WebError::Service(ServiceError::Throttled) => (
                "Quá nhiều lần thử",
                "Có quá nhiều lần thử không thành công từ thiết bị hoặc tài khoản này. Vui lòng đợi 15 phút rồi thử lại.".into(),
                vec![],
            ),
            WebError::LoginRequired(_) => ("Cần đăng nhập", String::new(), vec![]),
            WebError::Upload(_) => (
                "Không lưu được tệp",
                "Máy chủ không lưu được tệp tải lên (có thể đã hết chỗ trên đĩa). Vui lòng thử lại; nếu lỗi lặp lại, xin báo cho quản trị hệ thống."
                    .into(),
                vec![],
            ),
            WebError::UnsupportedType { file, allowed } => (
                "Loại tệp không được nhận",
                format!(
                    "Tệp \"{file}\" không đúng loại được phép ({}). Nội dung và phần mở rộng của tệp phải khớp nhau.",
                    allowed.join(", ")
                ),
                vec![],
            ),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::Service(e) => match e {
                ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::NotFound(_)
                | ServiceError::TokenUnavailable
                | ServiceError::OpenLinkClosed { .. } => StatusCode::NOT_FOUND,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::CampaignNotYetOpen { .. } => StatusCode::FORBIDDEN,
                ServiceError::CampaignClosed { .. } => StatusCode::GONE,
            },
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::LoginRequired(_) => StatusCode::SEE_OTHER,
            WebError::Forbidden | WebError::BadCsrf => StatusCode::FORBIDDEN,
            WebError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            WebError::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::Upload(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let WebError::LoginRequired(next) = self {
            let next: String = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header(("Location", format!("/login?{next}")))
                .finish();
        }
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let (title, message, reasons) = self.view();
        let body = templates::render(
            "error.html",
            context! { title, message, reasons, status => status.as_u16() },
        );
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.insert_header(("Retry-After", "30"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            resp.insert_header(("Retry-After", "900"));
        }
        resp.content_type("text/html; charset=utf-8").body(body)
    }
}

/// Where a staff error page leads back to: the dossier or the campaign the
/// failed address belongs to, else the staff home.
fn way_back(path: &str) -> (String, &'static str) {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let number = |i: usize| parts.get(i).is_some_and(|p| p.parse::<i64>().is_ok());
    match parts.as_slice() {
        ["staff", "campaigns", id, "dossiers", unit, _, ..] if number(2) && number(4) => (
            format!("/staff/campaigns/{id}/dossiers/{unit}"),
            "Quay lại hồ sơ của đơn vị",
        ),
        ["staff", "campaigns", id, _, ..] if number(2) => {
            (format!("/staff/campaigns/{id}"), "Quay lại đợt khảo sát")
        }
        _ => ("/staff".to_string(), "Về trang quản trị"),
    }
}

/// Staff pages show their errors in the staff layout, with a way back to
/// where the officer was; respondents keep the plain page. A middleware,
/// because `error_response` does not see the request's address.
pub async fn staff_error_page(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<
        actix_web::body::EitherBody<impl actix_web::body::MessageBody, String>,
    >,
    actix_web::Error,
> {
    let path = req.path().to_string();
    let res = next.call(req).await?;
    let staff = path == "/staff" || path.starts_with("/staff/");
    let view = res
        .response()
        .error()
        .and_then(|e| e.as_error::<WebError>())
        .filter(|e| staff && !matches!(e, WebError::LoginRequired(_)))
        .map(|e| (e.view(), e.status_code()));
    let Some(((title, message, reasons), status)) = view else {
        return Ok(res.map_into_left_body());
    };
    let (back, back_label) = way_back(&path);
    let body = templates::render(
        "staff/error.html",
        context! { title, message, reasons, status => status.as_u16(), back, back_label },
    );
    Ok(res.map_body(|_, _| actix_web::body::EitherBody::right(body)))
}

#[cfg(test)]
mod tests {
    use super::way_back;

    #[test]
    fn a_staff_error_leads_back_to_its_dossier_or_campaign() {
        assert_eq!(
            way_back("/staff/campaigns/3/dossiers/7/sheet").0,
            "/staff/campaigns/3/dossiers/7"
        );
        assert_eq!(way_back("/staff/campaigns/3/frame").0, "/staff/campaigns/3");
        assert_eq!(way_back("/staff/units/import").0, "/staff");
        assert_eq!(way_back("/staff/campaigns/abc/x").0, "/staff");
    }
}
