//! The only module that imports lettre: renders mail from embedded templates
//! and sends it through SMTP, a file outbox, or memory (tests).
//!
//! Rendering and sending are separate steps, so the invitation queue can
//! render a message, store it, and send it later:
//!
//! ```no_run
//! # use chiso::mail::*;
//! # fn f(mailer: &Mailer, ctx: &Invitation, to: chiso::domain::email::Email) -> Result<(), Box<dyn std::error::Error>> {
//! let content = render(Template::Invitation, ctx)?;
//! let message = Message::new(to, content).with_unsubscribe(ctx.opt_out_url.clone());
//! match mailer.send(&message) {
//!     Ok(sent) => println!("sent {}", sent.message_id),
//!     Err(e) if e.is_transient() => { /* retry later */ }
//!     Err(e) => println!("failed: {}", e.reason()),
//! }
//! # Ok(()) }
//! ```

mod error;
mod memory;
mod message;
mod outbox;
mod settings;
mod smtp;
mod template;

use std::path::Path;

use lettre::message::Mailbox;

pub use error::MailError;
pub use memory::{Delivered, Memory};
pub use message::{Message, SentId};
pub use outbox::FileOutbox;
pub use settings::{MailSettings, Security, SettingsError, SmtpSettings, TransportKind};
pub use smtp::Smtp;
pub use template::{render, Content, Invitation, Notice, RenderError, Template};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Transport {
    Smtp(Smtp),
    FileOutbox(FileOutbox),
    Memory(Memory),
}

/// Sends rendered messages from the configured From address. Cheap to
/// clone; clones share the SMTP connection pool or the memory store.
#[derive(Debug, Clone)]
pub struct Mailer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    transport: Transport,
}

impl Mailer {
    /// The transport `[mail]` names; the outbox defaults to `{data_dir}/outbox`.
    pub fn from_settings(s: &MailSettings, data_dir: &Path) -> Result<Self, SettingsError> {
        let transport = match s.transport {
            TransportKind::Smtp => Transport::Smtp(Smtp::new(&s.smtp)?),
            TransportKind::File => {
                let dir = s.outbox_dir(data_dir);
                Transport::FileOutbox(FileOutbox::new(&dir).map_err(|e| {
                    SettingsError::new(
                        "outbox_dir",
                        format!("không tạo được thư mục {}: {e}", dir.display()),
                    )
                })?)
            }
        };
        Self::with_transport(s, transport)
    }

    /// The From and Reply-To of `s` with any transport, e.g. `Memory` in tests.
    pub fn with_transport(s: &MailSettings, transport: Transport) -> Result<Self, SettingsError> {
        let mut from: Mailbox = s.from.trim().parse().map_err(|e| {
            SettingsError::new(
                "from",
                format!("địa chỉ gửi {:?} không hợp lệ: {e}", s.from),
            )
        })?;
        if from.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            let org = s.organization.trim();
            from.name = (!org.is_empty()).then(|| org.to_string());
        }
        let reply_to = match s.reply_to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(r.parse().map_err(|e| {
                SettingsError::new(
                    "reply_to",
                    format!("địa chỉ trả lời {r:?} không hợp lệ: {e}"),
                )
            })?),
        };
        Ok(Self {
            from,
            reply_to,
            transport,
        })
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The From line, e.g. `"Sở Nội vụ" <noreply@localhost>`.
    pub fn from_mailbox(&self) -> String {
        self.from.to_string()
    }

    /// For the startup log: where mail goes, without credentials.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(s) => s.describe().to_string(),
            Transport::FileOutbox(o) => format!("file outbox {}", o.dir().display()),
            Transport::Memory(_) => "memory".to_string(),
        }
    }

    /// Sends one message. Blocking: call it from a blocking thread.
    /// A new Message-ID in the sender's domain, to fix before sending.
    pub fn new_message_id(&self) -> String {
        message::new_message_id(&self.from)
    }

    pub fn send(&self, m: &Message) -> Result<SentId, MailError> {
        let message_id = m
            .message_id
            .clone()
            .unwrap_or_else(|| message::new_message_id(&self.from));
        let email = message::build(m, &self.from, self.reply_to.as_ref(), &message_id)?;
        let receipt = match &self.transport {
            Transport::Smtp(s) => s.deliver(&email)?,
            Transport::FileOutbox(o) => o.deliver(&email.formatted())?,
            Transport::Memory(mem) => mem.deliver(m, &message_id, email.formatted())?,
        };
        Ok(SentId {
            message_id,
            receipt,
        })
    }
}
