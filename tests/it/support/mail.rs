//! Reading delivered messages back as a mail program would: encoded words,
//! quoted-printable and base64 decoded by mail-parser, not by hand.

use mail_parser::{MessageParser, MimeHeaders};

/// The parts of a message the tests look at, decoded and owned.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub from_name: Option<String>,
    pub from_address: String,
    pub to_name: Option<String>,
    pub to_address: String,
    pub reply_to: Option<String>,
    pub message_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    /// e.g. `multipart/alternative`.
    pub content_type: String,
    /// `text/plain; charset=utf-8` of the text part.
    pub text_type: String,
    pub html_type: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        let m = MessageParser::default()
            .parse(raw)
            .expect("a parseable message");
        assert_eq!(m.text_body.len(), 1, "one text part");
        assert_eq!(m.html_body.len(), 1, "one HTML part");
        assert_ne!(m.text_body, m.html_body, "text and HTML are separate parts");
        let part_type = |p: Option<&mail_parser::MessagePart>| {
            let ct = p.and_then(|p| p.content_type()).expect("part content type");
            format!(
                "{}/{}; charset={}",
                ct.ctype(),
                ct.subtype().unwrap_or(""),
                ct.attribute("charset").unwrap_or("")
            )
            .to_ascii_lowercase()
        };
        let ct = m.content_type().expect("content type");
        let first = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .map(|a| {
                    (
                        a.name().map(str::to_string),
                        a.address().unwrap_or("").to_string(),
                    )
                })
                .unwrap_or_default()
        };
        let (from_name, from_address) = first(m.from());
        let (to_name, to_address) = first(m.to());
        Mail {
            subject: m.subject().unwrap_or("").to_string(),
            from_name,
            from_address,
            to_name,
            to_address,
            reply_to: first(m.reply_to()).1.into(),
            message_id: m.message_id().map(str::to_string),
            list_unsubscribe: m
                .header_raw("List-Unsubscribe")
                .map(|v| v.trim().to_string()),
            list_unsubscribe_post: m
                .header_raw("List-Unsubscribe-Post")
                .map(|v| v.trim().to_string()),
            content_type: format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
                .to_ascii_lowercase(),
            text_type: part_type(m.text_part(0)),
            html_type: part_type(m.html_part(0)),
            text: m.body_text(0).expect("text body").into_owned(),
            html: m.body_html(0).expect("HTML body").into_owned(),
        }
    }
}

/// The first `http(s)://…/s/…` link in the plain-text part of a raw
/// message: the respondent's personal survey link.
pub fn survey_link(raw: &[u8]) -> Option<String> {
    let text = Mail::parse(raw).text;
    let link = link_tokens(&text)
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .find(|w| {
            let after_scheme = &w[w.find("://").unwrap() + 3..];
            after_scheme.contains("/s/")
        })
        .map(|w| w.trim_end_matches(['.', ',', ';', ':']).to_string());
    link
}

fn link_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')'))
}

/// How often `url` occurs as a whole link (not as the start of a longer one)
/// in text or HTML.
pub fn count_link(text: &str, url: &str) -> usize {
    link_tokens(text).filter(|w| *w == url).count()
}
