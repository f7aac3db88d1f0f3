//! Messages kept in memory, for tests of the code that sends them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::message::Message;
use super::MailError;

/// Clones share one store: keep a clone to read what the mailer sent.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    sent: Vec<Delivered>,
    refusals: HashMap<String, MailError>,
}

/// One accepted message: what was asked for and the bytes that would go out.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub message_id: String,
    pub message: Message,
    /// The complete RFC 5322 message, headers and MIME parts.
    pub raw: Vec<u8>,
}

impl Memory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock leaves the data intact.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything sent so far, in order.
    pub fn messages(&self) -> Vec<Delivered> {
        self.lock().sent.clone()
    }

    /// Everything sent so far; the store is emptied.
    pub fn take(&self) -> Vec<Delivered> {
        std::mem::take(&mut self.lock().sent)
    }

    pub fn len(&self) -> usize {
        self.lock().sent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// From now on, messages to `address` fail with `error` (as a server
    /// would refuse them), until `accept` is called for it.
    pub fn refuse(&self, address: &str, error: MailError) {
        self.lock()
            .refusals
            .insert(address.to_ascii_lowercase(), error);
    }

    pub fn accept(&self, address: &str) {
        self.lock().refusals.remove(&address.to_ascii_lowercase());
    }

    pub(crate) fn deliver(
        &self,
        message: &Message,
        message_id: &str,
        raw: Vec<u8>,
    ) -> Result<String, MailError> {
        let mut inner = self.lock();
        if let Some(e) = inner
            .refusals
            .get(&message.to.as_str().to_ascii_lowercase())
        {
            return Err(e.clone());
        }
        inner.sent.push(Delivered {
            message_id: message_id.to_string(),
            message: message.clone(),
            raw,
        });
        Ok(format!("memory #{}", inner.sent.len()))
    }
}
