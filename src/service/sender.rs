//! The background sender of a campaign's invitations: one thread per
//! campaign per instance. A second instance cannot take the same message
//! (claiming is a guarded update, and a lease keeps one sender per campaign
//! across processes), so this only stops one instance starting two.

use crate::domain::ids::CampaignId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::invitations::{self, Settings};
use super::App;
use crate::mail::Mailer;

#[derive(Debug, Default, Clone)]
pub struct Senders {
    running: Arc<Mutex<HashSet<i64>>>,
}

impl Senders {
    /// Whether this instance is sending a campaign's invitations now.
    pub fn is_sending(&self, campaign_id: CampaignId) -> bool {
        let campaign_id = campaign_id.get();
        self.running
            .lock()
            .map(|s| s.contains(&campaign_id))
            .unwrap_or(false)
    }

    /// Starts sending a campaign's queued messages in the background, unless
    /// this instance already is. Returns whether a sender was started.
    pub fn start(
        &self,
        app: &Arc<App>,
        mailer: &Mailer,
        opts: Settings,
        campaign_id: CampaignId,
    ) -> bool {
        let campaign_id = campaign_id.get();
        let Ok(mut running) = self.running.lock() else {
            return false;
        };
        if !running.insert(campaign_id) {
            return false;
        }
        let (app, mailer, running_set) = (app.clone(), mailer.clone(), self.running.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("invitations-{campaign_id}"))
            .spawn(move || {
                match invitations::send(&app, &mailer, &opts, CampaignId(campaign_id), &|| false) {
                    Ok(r) => tracing::info!(
                        campaign = campaign_id,
                        sent = r.sent,
                        failed = r.failed,
                        bounced = r.bounced,
                        "invitations sent"
                    ),
                    Err(e) => {
                        tracing::error!(campaign = campaign_id, error = %e, "sending invitations stopped")
                    }
                }
                if let Ok(mut s) = running_set.lock() {
                    s.remove(&campaign_id);
                }
            });
        if spawned.is_err() {
            running.remove(&campaign_id);
            return false;
        }
        true
    }
}
