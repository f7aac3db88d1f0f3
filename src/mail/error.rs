//! Why a message was not sent, split the way the invitation queue needs it:
//! retry later, or mark this recipient failed.

/// `Permanent` means this message to this recipient will never be accepted
/// (a 5xx answer, an address no server takes): mark it failed with the reason.
/// Everything about the path rather than the recipient (network, TLS, a full
/// disk, credentials, a server that does not offer what we need) is
/// `Transient`: not the recipient's fault, so retry after an operator fixes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("gửi thư tạm thời không được, sẽ thử lại{}: {reason}", code_text(*.code))]
    Transient { code: Option<u16>, reason: String },
    #[error("thư không gửi được{}: {reason}", code_text(*.code))]
    Permanent { code: Option<u16>, reason: String },
}

fn code_text(code: Option<u16>) -> String {
    code.map(|c| format!(" ({c})")).unwrap_or_default()
}

/// 5xx answers to AUTH: wrong or missing credentials are the sender's
/// configuration, not the recipient; failing every recipient for them would
/// throw the whole queue away.
const AUTH_CODES: [u16; 4] = [530, 534, 535, 538];

impl MailError {
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            code: None,
            reason: reason.into(),
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            code: None,
            reason: reason.into(),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent { .. })
    }

    /// The SMTP reply code, when a server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Transient { code, .. } | Self::Permanent { code, .. } => *code,
        }
    }

    /// The server's own words (or the local cause), for the queue's record.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient { reason, .. } | Self::Permanent { reason, .. } => reason,
        }
    }

    pub(crate) fn from_smtp(e: &lettre::transport::smtp::Error) -> Self {
        use std::error::Error as _;
        let Some(code) = e.status().map(u16::from) else {
            // Connection, network, TLS, response-parse and client errors: the
            // path failed, the recipient was never judged.
            return Self::transient(chain(e));
        };
        // lettre keeps the reply's text as the error's source.
        let reason = e
            .source()
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        if e.is_permanent() && !AUTH_CODES.contains(&code) {
            Self::Permanent {
                code: Some(code),
                reason,
            }
        } else {
            Self::Transient {
                code: Some(code),
                reason,
            }
        }
    }
}

/// "Connection error: Connection refused (os error 111)" rather than the
/// outermost word only.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text = format!("{text}: {s_text}");
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_code_and_reason() {
        let e = MailError::Permanent {
            code: Some(550),
            reason: "5.1.1 no such user".into(),
        };
        assert_eq!(
            e.to_string(),
            "thư không gửi được (550): 5.1.1 no such user"
        );
        assert!(e.is_permanent() && !e.is_transient());
        assert_eq!(e.code(), Some(550));
        let t = MailError::transient("disk full");
        assert_eq!(
            t.to_string(),
            "gửi thư tạm thời không được, sẽ thử lại: disk full"
        );
        assert_eq!(t.reason(), "disk full");
    }
}
