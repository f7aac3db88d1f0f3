//! Reading a urlencoded form body with a size limit and clear errors.

use actix_web::{http::header, web, HttpRequest};
use futures_util::StreamExt;

use super::WebError;

/// A parsed form: repeated names keep every value (checkbox groups).
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub async fn read_form(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<FormFields, WebError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(WebError::BadRequest(vec![format!(
            "Dữ liệu phải gửi theo kiểu application/x-www-form-urlencoded (nhận được: \"{}\").",
            content_type.chars().take(80).collect::<String>()
        )]));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(WebError::TooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            WebError::BadRequest(vec![format!("Không đọc được dữ liệu gửi lên: {e}")])
        })?;
        if body.len() + chunk.len() > limit {
            return Err(WebError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| WebError::BadRequest(vec![format!("Dữ liệu biểu mẫu không hợp lệ: {e}")]))?;
    Ok(FormFields(fields))
}
