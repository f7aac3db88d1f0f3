//! An addressed message, and how it becomes a MIME message: multipart/
//! alternative (text, then HTML), UTF-8, encoded words for Vietnamese headers.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::template::Content;
use super::MailError;
use crate::domain::email::Email;

/// One rendered message for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: Email,
    /// Shown beside the address in the To line, when known.
    pub to_name: Option<String>,
    pub content: Content,
    /// The opt-out link, also sent as a `List-Unsubscribe` header so mail
    /// programs can offer their own "unsubscribe" button.
    pub unsubscribe_url: Option<String>,
    /// A Message-ID chosen in advance (angle brackets included). A queue that
    /// must send a message again after a crash gives it the same one, so
    /// mail programs show one message, not two.
    pub message_id: Option<String>,
}

impl Message {
    pub fn new(to: Email, content: Content) -> Self {
        Self {
            to,
            to_name: None,
            content,
            unsubscribe_url: None,
            message_id: None,
        }
    }

    pub fn with_message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.to_name = Some(name.into());
        self
    }

    pub fn with_unsubscribe(mut self, url: impl Into<String>) -> Self {
        self.unsubscribe_url = Some(url.into());
        self
    }
}

/// What a sender says about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentId {
    /// The `Message-ID` header, angle brackets included; unique per send.
    pub message_id: String,
    /// The SMTP server's acceptance reply, the outbox file, or the memory slot.
    pub receipt: String,
}

impl std::fmt::Display for SentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_id)
    }
}

const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
/// RFC 8058: the link takes a one-click POST (the form's own POST handler
/// needs no body), as the large mail providers require of bulk senders.
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");
const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");

/// A fresh Message-ID in the sender's domain, so replies and bounces can be
/// matched to the invitation that caused them.
pub(crate) fn new_message_id(from: &Mailbox) -> String {
    format!(
        "<{}.{:016x}@{}>",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        rand::random::<u64>(),
        from.email.domain()
    )
}

pub(crate) fn build(
    m: &Message,
    from: &Mailbox,
    reply_to: Option<&Mailbox>,
    message_id: &str,
) -> Result<lettre::Message, MailError> {
    let address =
        m.to.as_str()
            .parse()
            .map_err(|e| MailError::permanent(format!("địa chỉ người nhận {}: {e}", m.to)))?;
    let mut b = lettre::Message::builder()
        .from(from.clone())
        .to(Mailbox::new(m.to_name.clone(), address))
        .subject(m.content.subject.as_str())
        .message_id(Some(message_id.to_string()))
        .date_now()
        .raw_header(HeaderValue::new(CONTENT_LANGUAGE, "vi".to_string()));
    if let Some(r) = reply_to {
        b = b.reply_to(r.clone());
    }
    if let Some(url) = &m.unsubscribe_url {
        if url
            .chars()
            .any(|c| !c.is_ascii_graphic() || c == '<' || c == '>')
        {
            return Err(MailError::permanent(format!(
                "đường dẫn từ chối nhận thư không hợp lệ: {url:?}"
            )));
        }
        b = b
            .raw_header(HeaderValue::new(LIST_UNSUBSCRIBE, format!("<{url}>")))
            .raw_header(HeaderValue::new(
                LIST_UNSUBSCRIBE_POST,
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    b.multipart(MultiPart::alternative_plain_html(
        m.content.text.clone(),
        m.content.html.clone(),
    ))
    .map_err(|e| MailError::permanent(format!("không tạo được thư: {e}")))
}
