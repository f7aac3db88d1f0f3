//! A directory of `.eml` files instead of a mail server: the default, so an
//! installation that has no relay yet can still inspect what would be sent.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::MailError;

#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

/// Orders messages written in the same microsecond by one process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl FileOutbox {
    /// Creates the directory if needed.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `20251130T081502.123456Z-000042-9f3a61c0.eml`: the UTC time sorts the
    /// files, the sequence orders one process's messages within a tick, and
    /// the random part keeps two processes apart. The message goes to a
    /// hidden `.part` file first and is linked into place only when complete
    /// and on disk, without replacing any existing file.
    pub(crate) fn deliver(&self, raw: &[u8]) -> Result<String, MailError> {
        let io = |what: &str, e: std::io::Error| {
            MailError::transient(format!("{what} {}: {e}", self.dir.display()))
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".outbox-")
            .suffix(".part")
            .tempfile_in(&self.dir)
            .map_err(|e| io("không tạo được tệp tạm trong", e))?;
        tmp.write_all(raw)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| io("không ghi được thư vào", e))?;
        let mut tmp = tmp;
        for _ in 0..8 {
            let name = format!(
                "{}-{:06}-{:08x}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
                SEQUENCE.fetch_add(1, Ordering::Relaxed),
                rand::random::<u32>()
            );
            let path = self.dir.join(&name);
            match tmp.persist_noclobber(&path) {
                Ok(_) => {
                    sync_dir(&self.dir);
                    return Ok(path.display().to_string());
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
                Err(e) => return Err(io("không đặt được thư vào", e.error)),
            }
        }
        Err(MailError::transient(format!(
            "không tìm được tên tệp chưa dùng trong {}",
            self.dir.display()
        )))
    }
}

/// Makes the rename itself durable. Directories cannot be opened for syncing
/// on every platform; there the rename is as durable as the OS makes it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
