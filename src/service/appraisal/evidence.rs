//! Evidence (tài liệu kiểm chứng): the file kinds accepted, files kept once
//! under their SHA-256 in the data directory, serving only the files a
//! dossier references, and a criterion's evidence status (with the dossier,
//! supplemented in the explanation round, or missing), which the domain's
//! 70 % rule reads. The status is stored by its code; the mapping lives here.

use crate::domain::ids::{CampaignId, UnitId};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::domain::index::Evidence;
use crate::domain::upload::FileKind;
use crate::storage::dossiers::{EvidenceCols, SelfScoreRow};
use crate::storage::explanations::ExplanationRow;

use super::{stored, App, Result, ServiceError};

/// A file received for a criterion, waiting in a temporary place.
pub struct NewFile {
    pub path: PathBuf,
    /// As the browser sent it, cleaned (still to be escaped when shown).
    pub name: String,
    pub kind: FileKind,
}

/// The kinds of evidence files accepted.
pub const EVIDENCE_KINDS: [FileKind; 4] = [
    FileKind::Pdf,
    FileKind::Png,
    FileKind::Jpeg,
    FileKind::OfficeXml,
];

pub fn kind_code(k: FileKind) -> &'static str {
    match k {
        FileKind::Csv => "csv",
        FileKind::Pdf => "pdf",
        FileKind::Png => "png",
        FileKind::Jpeg => "jpeg",
        FileKind::OfficeXml => "office_xml",
    }
}

/// Where evidence files live: `data_dir/evidence/<sha256>`.
pub fn evidence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

fn io(e: std::io::Error, what: &str) -> ServiceError {
    ServiceError::Internal(format!("không lưu được tệp kiểm chứng ({what}): {e}"))
}

/// How long an unreferenced evidence file is kept. An upload writes its
/// file before its transaction commits, so a file this young may be about
/// to be referenced (by its own upload, or by another of the same bytes);
/// older and unreferenced, it is a replaced or abandoned file and goes.
pub const UNREFERENCED_GRACE: std::time::Duration = std::time::Duration::from_secs(600);

/// How often the service sweeps the evidence directory.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Copies a received file into the evidence directory under its SHA-256,
/// hashing the bytes as they are copied. A file with the same content is
/// kept once, renewed by each upload (its age starts again, see
/// [`UNREFERENCED_GRACE`]). Written before the database transaction: a file
/// whose transaction fails stays behind unreferenced until [`sweep`].
pub fn store_evidence(dir: &Path, f: &NewFile) -> Result<EvidenceCols> {
    std::fs::create_dir_all(dir).map_err(|e| io(e, "thư mục"))?;
    let mut src = std::fs::File::open(&f.path).map_err(|e| io(e, "đọc"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(e, "tạo"))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf).map_err(|e| io(e, "đọc"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(|e| io(e, "ghi"))?;
        size += n as u64;
    }
    tmp.as_file().sync_all().map_err(|e| io(e, "ghi"))?;
    let sha = hex::encode(hasher.finalize());
    let target = dir.join(&sha);
    tmp.persist(&target).map_err(|e| io(e.error, "lưu"))?;
    Ok(EvidenceCols {
        sha256: Some(sha),
        name: Some(f.name.clone()),
        size: Some(size as i64),
        kind: Some(kind_code(f.kind).to_string()),
        reference: None,
    })
}

/// Whether an evidence file is older than the grace (or gone already).
fn past_grace(path: &Path, grace: std::time::Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| t.elapsed().unwrap_or_default() >= grace)
        .unwrap_or(false)
}

/// Removes a file a command just replaced, once nothing references it and
/// it is past the grace; a younger one is left to [`sweep`].
pub(super) fn discard_replaced(app: &App, data_dir: &Path, sha256: &str) -> Result<bool> {
    let path = evidence_dir(data_dir).join(sha256);
    if !past_grace(&path, UNREFERENCED_GRACE)
        || crate::storage::dossiers::evidence_referenced(&mut *app.conn()?, sha256)?
    {
        return Ok(false);
    }
    Ok(std::fs::remove_file(&path).is_ok())
}

/// Removes every evidence file that no self-assessment or explanation
/// answer references and that is older than `grace` (replaced files,
/// uploads whose transaction failed, temporary files left by a crash).
/// Returns how many went. Files referenced stay whatever their age.
pub fn sweep(app: &App, data_dir: &Path, grace: std::time::Duration) -> Result<usize> {
    let dir = evidence_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e, "đọc thư mục")),
    };
    let referenced = crate::storage::dossiers::referenced_evidence(&mut *app.conn()?)?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if referenced.contains(&name) || !past_grace(&path, grace) {
            continue;
        }
        if path.is_file() && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Sweeps the evidence directory now and every [`SWEEP_EVERY`], on a thread
/// of its own; errors are logged and the next round tries again.
pub fn spawn_sweeper(app: std::sync::Arc<App>, data_dir: PathBuf) {
    let spawned = std::thread::Builder::new()
        .name("evidence-sweep".into())
        .spawn(move || loop {
            match sweep(&app, &data_dir, UNREFERENCED_GRACE) {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "unreferenced evidence files removed"),
                Err(e) => tracing::warn!(error = %e, "evidence sweep failed"),
            }
            std::thread::sleep(SWEEP_EVERY);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "evidence sweeper not started");
    }
}

/// Stores the file of a command, if it brought one (before its transaction).
pub(super) fn store_new(data_dir: &Path, f: Option<&NewFile>) -> Result<Option<EvidenceCols>> {
    f.map(|f| store_evidence(&evidence_dir(data_dir), f))
        .transpose()
}

/// A stored evidence file of a dossier: its path, name and kind code. Only
/// files the dossier references are served.
pub fn evidence_file(
    app: &App,
    data_dir: &Path,
    campaign_id: CampaignId,
    unit_id: UnitId,
    sha256: &str,
) -> Result<(PathBuf, String, String)> {
    let campaign_id = campaign_id.get();
    let unit_id = unit_id.get();
    let not_found = || ServiceError::NotFound("Không có tệp kiểm chứng này.".into());
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let s = stored(app, campaign_id, unit_id)?;
    let found = s
        .own
        .iter()
        .map(|o| o.evidence())
        .chain(s.answers.iter().map(|e| e.evidence()))
        .find(|e| e.sha256.as_deref() == Some(sha256))
        .ok_or_else(not_found)?;
    Ok((
        evidence_dir(data_dir).join(sha256),
        found.name.unwrap_or_else(|| "tai-lieu".into()),
        found.kind.unwrap_or_default(),
    ))
}

/// The stored code of an evidence status (also its serialized form).
pub(super) fn status_code(e: Evidence) -> &'static str {
    match e {
        Evidence::WithDossier => "with_dossier",
        Evidence::Supplemented => "supplemented",
        Evidence::Missing => "missing",
    }
}

/// The evidence status of a stored code. An unknown code reads as missing,
/// as it always has (only this module writes the column).
pub(super) fn parse_status(s: &str) -> Evidence {
    match s {
        "with_dossier" => Evidence::WithDossier,
        "supplemented" => Evidence::Supplemented,
        _ => Evidence::Missing,
    }
}

/// The evidence status from what the unit gave, before any appraiser's
/// judgement: given (with the dossier, or added with an explanation answer)
/// or missing. Never "supplemented": Ninh Hòa art. 7.2 caps at 70 % only
/// evidence the appraiser judges "chưa đầy đủ, chưa đảm bảo theo yêu cầu"
/// and then supplemented, and the same clause lets a unit add evidence of its
/// own accord ("có thể bổ sung các tài liệu kiểm chứng khác"). That is an
/// explicit decision ([`EvidenceJudgement::Supplemented`]), not a file.
pub(super) fn derived_status(
    code: &str,
    own: Option<&SelfScoreRow>,
    answers: &[ExplanationRow],
) -> Evidence {
    if own.is_some_and(|s| s.evidence().is_some()) || supplemented_in_explanation(code, answers) {
        Evidence::WithDossier
    } else {
        Evidence::Missing
    }
}

/// Whether an answered explanation for `code` carried evidence.
pub(super) fn supplemented_in_explanation(code: &str, answers: &[ExplanationRow]) -> bool {
    answers
        .iter()
        .any(|e| e.criterion == code && e.answered_at.is_some() && e.evidence().is_some())
}

/// The appraiser's judgement of a criterion's evidence (Ninh Hòa art. 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceJudgement {
    /// As the unit gave it: valid where given, missing where not.
    AsGiven,
    /// Incomplete in the dossier and supplemented or replaced in the
    /// explanation round: at most the profile's share of the level's points.
    Supplemented,
    /// Not valid: no points where the criterion names its evidence.
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The views serialize the status that storage keeps as a code: both
    /// must be the same word.
    #[test]
    fn a_status_is_stored_and_serialized_by_the_same_code() {
        for e in [
            Evidence::WithDossier,
            Evidence::Supplemented,
            Evidence::Missing,
        ] {
            assert_eq!(parse_status(status_code(e)), e);
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::Value::from(status_code(e))
            );
        }
    }
}
