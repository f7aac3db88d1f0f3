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
    /// The fields as a typed form (`#[derive(Deserialize)]`), each field
    /// parsed once here. Fields the type does not name (the CSRF token) are
    /// ignored; a field given twice keeps its first value.
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, WebError> {
        let mut seen = std::collections::HashSet::new();
        let first: Vec<&(String, String)> = self
            .0
            .iter()
            .filter(|(k, _)| seen.insert(k.as_str()))
            .collect();
        let encoded = serde_urlencoded::to_string(&first).map_err(|e| {
            WebError::BadRequest(vec![format!("Biểu mẫu gửi lên không hợp lệ: {e}")])
        })?;
        serde_urlencoded::from_str(&encoded)
            .map_err(|e| WebError::BadRequest(vec![form_error(&e.to_string())]))
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// serde's message for a form field, in Vietnamese with the field's name.
fn form_error(e: &str) -> String {
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or("").to_string();
    if e.starts_with("missing field") {
        format!("Biểu mẫu thiếu ô \"{}\".", quoted(e))
    } else if e.starts_with("unknown variant") {
        format!("Giá trị \"{}\" không hợp lệ cho biểu mẫu này.", quoted(e))
    } else {
        format!("Biểu mẫu gửi lên không hợp lệ: {e}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Action {
        Close,
        Extend,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Form {
        action: Action,
        #[serde(default)]
        closes: String,
    }

    fn fields(pairs: &[(&str, &str)]) -> FormFields {
        FormFields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn message(e: WebError) -> String {
        match e {
            WebError::BadRequest(m) => m.join(" "),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_typed_form_takes_its_fields_and_names_what_is_wrong() {
        let f: Form = fields(&[
            ("csrf", "x"),
            ("action", "extend"),
            ("closes", "2026-12-31"),
        ])
        .typed()
        .unwrap();
        assert_eq!(f.action, Action::Extend);
        assert_eq!(f.closes, "2026-12-31");
        let f: Form = fields(&[("action", "close")]).typed().unwrap();
        assert_eq!((f.action, f.closes.as_str()), (Action::Close, ""));
        let missing = fields(&[("closes", "x")]).typed::<Form>().unwrap_err();
        assert_eq!(message(missing), "Biểu mẫu thiếu ô \"action\".");
        let unknown = fields(&[("action", "drop")]).typed::<Form>().unwrap_err();
        assert_eq!(
            message(unknown),
            "Giá trị \"drop\" không hợp lệ cho biểu mẫu này."
        );
    }
}
