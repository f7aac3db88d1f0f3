//! The edge where settings become a running service, shared by the CLI and
//! the tests: connect with the configured options, migrate, load the key.

use crate::config::Settings;
use crate::service::secret::Secret;
use crate::service::{App, Result};

/// The service on the configured database, migrated, with its server key.
pub fn connect(settings: &Settings) -> Result<App> {
    let app = App::open(&settings.database_url(), settings.service_options())?;
    app.migrate()?;
    app.set_secret(Secret::from_setting(
        settings.secret_key.as_deref(),
        &settings.secret_key_file(),
    )?);
    Ok(app)
}
