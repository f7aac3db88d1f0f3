//! Downloads for analysts, streamed: a writer thread pulls rows from the
//! database page by page and pushes bytes through a small bounded channel,
//! so a million rows leave in constant memory and a client that goes away
//! stops the export. At most `exports.streams` run at once (one more gets
//! 503), and one whose client reads nothing for `exports.stall_seconds` is
//! stopped: a client that opens downloads and never reads them holds no
//! thread for long.

use std::io::Write;
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Staff;
use super::{blocking, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::CampaignId;
use crate::report::export::{write_csv, write_json, CsvOptions, XlsxExport};
use crate::report::table::{Header, Row};
use crate::service::export::{self, Microdata};
use crate::service::App;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/staff/campaigns/{id}/export/microdata",
        web::get().to(microdata),
    )
    .route(
        "/staff/campaigns/{id}/export/estimates",
        web::get().to(estimates),
    );
}

#[derive(Deserialize)]
struct Query {
    /// The questionnaire's code.
    q: String,
    format: Option<String>,
    /// `codebook` for the codebook alone (CSV or JSON).
    part: Option<String>,
    excel: Option<String>,
    headers: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Json,
    Xlsx,
}

type Chunk = Result<Bytes, std::io::Error>;

/// A `Write` that hands 64 KiB chunks to the response.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    buf: Vec<u8>,
    /// The runtime of the request, whose timer bounds each wait.
    runtime: tokio::runtime::Handle,
    /// How long one chunk may wait for the client to read.
    stall: std::time::Duration,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let (tx, stall) = (&self.tx, self.stall);
        match self
            .runtime
            .block_on(async { tokio::time::timeout(stall, tx.send(Ok(chunk))).await })
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client read nothing for {} s", stall.as_secs()),
            )),
        }
    }
}

/// Runs `produce` on a thread of its own and streams what it writes, if
/// fewer than `exports.streams` downloads are running.
fn stream<F>(state: &State, content_type: &str, file_name: &str, produce: F) -> HttpResponse
where
    F: FnOnce(&mut ChannelWriter) -> Result<(), String> + Send + 'static,
{
    let Ok(permit) = state.export_streams.clone().try_acquire_owned() else {
        return actix_web::ResponseError::error_response(&WebError::Busy);
    };
    let stall = std::time::Duration::from_secs(state.settings.exports.stall_seconds.max(1));
    let Ok(rx) = spawn_writer(permit, tokio::runtime::Handle::current(), stall, produce) else {
        return actix_web::ResponseError::error_response(&WebError::Busy);
    };
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}

/// The writer thread of one download: holds `permit` until it ends, which is
/// when `produce` is done, the client went away, or the client read nothing
/// for `stall`.
fn spawn_writer<F>(
    permit: tokio::sync::OwnedSemaphorePermit,
    runtime: tokio::runtime::Handle,
    stall: std::time::Duration,
    produce: F,
) -> std::io::Result<tokio::sync::mpsc::Receiver<Chunk>>
where
    F: FnOnce(&mut ChannelWriter) -> Result<(), String> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    std::thread::Builder::new()
        .name("export".into())
        .spawn(move || {
            // Held while this download runs.
            let _permit = permit;
            let mut w = ChannelWriter {
                tx: tx.clone(),
                buf: Vec::with_capacity(CHUNK),
                runtime: runtime.clone(),
                stall,
            };
            let outcome = produce(&mut w).and_then(|()| w.flush().map_err(|e| e.to_string()));
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "export stopped");
                // The body ends with an error, so the download is seen to
                // fail; a client that stopped reading is not waited for.
                let _ = runtime.block_on(async {
                    tokio::time::timeout(stall, tx.send(Err(std::io::Error::other(e)))).await
                });
            }
        })?;
    Ok(rx)
}

async fn microdata(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<Query>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ExportData)?;
    let id = id.into_inner();
    let format = parse_format(q.format.as_deref())?;
    let options = csv_options(q.excel.as_deref(), q.headers.as_deref())?;
    let codebook_only = match q.part.as_deref() {
        None | Some("data") => false,
        Some("codebook") => true,
        Some(other) => {
            return Err(WebError::BadRequest(vec![format!(
                "Phần \"{other}\" không có; dùng data hoặc codebook."
            )]))
        }
    };
    let code = q.q.clone();
    let md = Arc::new(blocking(&state, move |app| export::microdata(app, id, &code)).await?);
    let app = state.app.clone();
    let base = format!(
        "vi-mo_dot{id}_{}{}",
        md.code,
        if codebook_only { "_codebook" } else { "" }
    );
    Ok(match format {
        Format::Csv => stream(
            &state,
            "text/csv; charset=utf-8",
            &format!("{base}.csv"),
            move |w| csv_of(&app, &md, codebook_only, &options, w),
        ),
        Format::Json => stream(
            &state,
            "application/json",
            &format!("{base}.json"),
            move |w| json_of(&app, &md, codebook_only, w),
        ),
        Format::Xlsx => {
            let tmp = state.settings.upload_tmp_dir();
            stream(
                &state,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{base}.xlsx"),
                move |w| xlsx_of(&app, &md, &tmp, w),
            )
        }
    })
}

/// The microdata of one questionnaire as a streamed JSON array (the API's
/// download): the same rows, anonymity and stop rules as the staff page's.
pub(super) async fn microdata_json(
    state: &web::Data<State>,
    id: CampaignId,
    code: String,
) -> Result<HttpResponse, WebError> {
    let md = Arc::new(blocking(state, move |app| export::microdata(app, id, &code)).await?);
    let app = state.app.clone();
    let name = format!("vi-mo_dot{id}_{}.json", md.code);
    Ok(stream(state, "application/json", &name, move |w| {
        json_of(&app, &md, false, w)
    }))
}

/// The estimates table of a campaign (what the estimates export holds).
pub(super) fn estimates_rows(
    r: &crate::service::results::CampaignResults,
) -> Result<Vec<u8>, WebError> {
    let (header, rows) = estimates_table(r);
    let mut out = Vec::new();
    write_json(&mut out, &header, rows.into_iter().map(Ok::<_, String>))
        .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
    Ok(out)
}

fn csv_of(
    app: &App,
    md: &Microdata,
    codebook: bool,
    options: &CsvOptions,
    w: &mut ChannelWriter,
) -> Result<(), String> {
    if codebook {
        let (header, rows) = md.codebook();
        write_csv(w, &header, rows.into_iter().map(Ok::<_, String>), options)
    } else {
        write_csv(
            w,
            &md.header,
            md.rows(app).map(|r| r.map_err(|e| e.to_string())),
            options,
        )
    }
    .map(|_| ())
    .map_err(|e| e.to_string())
}

fn json_of(app: &App, md: &Microdata, codebook: bool, w: &mut ChannelWriter) -> Result<(), String> {
    if codebook {
        let (header, rows) = md.codebook();
        write_json(w, &header, rows.into_iter().map(Ok::<_, String>))
    } else {
        write_json(
            w,
            &md.header,
            md.rows(app).map(|r| r.map_err(|e| e.to_string())),
        )
    }
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// XLSX is a zip written at the end, so the workbook is built in a
/// temporary directory (rows spooled to disk) and then streamed out.
fn xlsx_of(
    app: &App,
    md: &Microdata,
    tmp: &std::path::Path,
    w: &mut ChannelWriter,
) -> Result<(), String> {
    std::fs::create_dir_all(tmp).map_err(|e| e.to_string())?;
    let mut book = XlsxExport::in_dir(tmp).map_err(|e| e.to_string())?;
    book.add_sheet(
        "du_lieu",
        &md.header,
        md.rows(app).map(|r| r.map_err(|e| e.to_string())),
    )
    .map_err(|e| e.to_string())?;
    let (header, rows) = md.codebook();
    book.add_sheet("codebook", &header, rows.into_iter().map(Ok::<_, String>))
        .map_err(|e| e.to_string())?;
    book.save_to_writer(w).map_err(|e| e.to_string())
}

/// The estimates of every unit as one long table: a row per unit for the
/// component, per unit × criterion for the points, per unit × criterion ×
/// group for the weighted share; flags on every row they concern.
fn estimates_table(r: &crate::service::results::CampaignResults) -> (Header, Vec<Row>) {
    use crate::domain::index::SurveyScore;
    use crate::report::table::{Cell, Column};
    let header = Header::new(
        [
            ("unit", "Mã đơn vị"),
            ("unit_name", "Tên đơn vị"),
            ("block", "Khối xếp hạng (mã)"),
            ("block_name", "Khối xếp hạng"),
            (
                "level",
                "Cấp: component (thành phần điều tra), criterion (tiêu chí), group (nhóm đối tượng)",
            ),
            ("criterion", "Tiêu chí"),
            ("group", "Nhóm đối tượng"),
            (
                "status",
                "Tình trạng: scored (đã chấm), flagged (dưới số phiếu tối thiểu), withheld (không chấm), problem (lỗi)",
            ),
            ("points", "Điểm (đã làm tròn với component)"),
            ("max", "Điểm tối đa"),
            ("share", "Tỷ lệ/điểm trung bình có trọng số (0–1)"),
            ("valid", "Số câu trả lời hợp lệ"),
            ("se", "Sai số chuẩn"),
            ("ci_low", "Cận dưới khoảng tin cậy 95 %"),
            ("ci_high", "Cận trên khoảng tin cậy 95 %"),
            ("response_rate", "Tỷ lệ trả lời của nhóm"),
            ("open_share", "Tỷ lệ từ liên kết mở (không trọng số)"),
            ("open_valid", "Số câu trả lời từ liên kết mở"),
            (
                "flag",
                "Ghi chú: dưới ngưỡng tối thiểu, không ước lượng được sai số",
            ),
        ]
        .into_iter()
        .map(|(n, l)| Column::new(n).label(l))
        .collect(),
    )
    .expect("fixed, valid columns");
    let mut rows: Vec<Row> = Vec::new();
    let empty = || Cell::Empty;
    for u in &r.units {
        let base = |level: &str| -> Vec<Cell> {
            vec![
                Cell::from(u.code.as_str()),
                Cell::from(u.name.as_str()),
                Cell::from(u.block.as_str()),
                Cell::from(r.block_names.get(&u.block).map(String::as_str)),
                Cell::from(level),
            ]
        };
        let Some(s) = &u.survey else {
            let mut row = base("component");
            row.extend([empty(), empty(), Cell::from("problem")]);
            row.extend((0..10).map(|_| empty()));
            row.push(Cell::from(u.problem.clone()));
            rows.push(row);
            continue;
        };
        let c = &s.component;
        let mut row = base("component");
        row.extend([
            empty(),
            empty(),
            Cell::from(format!("{:?}", c.status).to_lowercase()),
            Cell::from(c.published.map(|p| p.to_f64())),
            Cell::from(c.max.to_f64()),
            empty(),
            empty(),
            Cell::from(c.se),
            Cell::from(c.ci.map(|ci| ci.low)),
            Cell::from(c.ci.map(|ci| ci.high)),
            empty(),
            empty(),
            empty(),
            Cell::from(c.se_issue.as_ref().map(|i| i.message())),
        ]);
        rows.push(row);
        for cp in &s.criteria {
            let (status, points, short) = match &cp.score {
                SurveyScore::Scored { points, short } => (
                    if short.is_empty() {
                        "scored"
                    } else {
                        "flagged"
                    },
                    Some(points.to_f64()),
                    short,
                ),
                SurveyScore::Withheld { short } => ("withheld", None, short),
            };
            let flag = short
                .iter()
                .map(|s| format!("{}: {}/{}", s.group.code(), s.valid, s.minimum))
                .collect::<Vec<_>>()
                .join("; ");
            let mut row = base("criterion");
            row.extend([
                Cell::from(cp.code.as_str()),
                empty(),
                Cell::from(status),
                Cell::from(points),
                Cell::from(cp.max.to_f64()),
                empty(),
                empty(),
                Cell::from(cp.se),
                Cell::from(cp.ci.map(|ci| ci.low)),
                Cell::from(cp.ci.map(|ci| ci.high)),
                empty(),
                empty(),
                empty(),
                Cell::from((!flag.is_empty()).then_some(flag)),
            ]);
            rows.push(row);
        }
        for g in &s.groups {
            for e in &g.criteria {
                let est = e.estimate.as_ref();
                let mut row = base("group");
                row.extend([
                    Cell::from(e.criterion.as_str()),
                    Cell::from(g.group.code()),
                    empty(),
                    empty(),
                    empty(),
                    Cell::from(est.map(|x| x.share)),
                    Cell::from(est.map(|x| x.valid as i64)),
                    Cell::from(est.and_then(|x| x.se)),
                    Cell::from(est.and_then(|x| x.ci.map(|c| c.low))),
                    Cell::from(est.and_then(|x| x.ci.map(|c| c.high))),
                    Cell::from(g.response_rate),
                    Cell::from(e.open.as_ref().map(|x| x.share)),
                    Cell::from(e.open.as_ref().map(|x| x.valid as i64)),
                    Cell::from(if e.suppressed && est.is_none() {
                        Some("ẩn: ít câu trả lời hơn ngưỡng ẩn danh".to_string())
                    } else {
                        est.and_then(|x| x.se_issue.as_ref().map(|i| i.message()))
                    }),
                ]);
                rows.push(row);
            }
        }
    }
    (header, rows)
}

/// The survey component of every unit that has one with its interval:
/// the data of the estimates workbook's chart.
fn component_intervals(r: &crate::service::results::CampaignResults) -> (Header, Vec<Row>) {
    use crate::report::table::{Cell, Column};
    let header = Header::new(vec![
        Column::new("unit").label("Mã đơn vị"),
        Column::new("unit_name").label("Tên đơn vị"),
        Column::new("points")
            .label("Điểm điều tra xã hội học")
            .decimals(2),
        Column::new("ci_low")
            .label("Cận dưới khoảng tin cậy 95 %")
            .decimals(2),
        Column::new("ci_high")
            .label("Cận trên khoảng tin cậy 95 %")
            .decimals(2),
        Column::new("minus").label("Điểm − cận dưới").decimals(2),
        Column::new("plus").label("Cận trên − điểm").decimals(2),
    ])
    .expect("fixed, valid columns");
    let rows = r
        .units
        .iter()
        .filter_map(|u| {
            let c = &u.survey.as_ref()?.component;
            let (p, ci) = (c.published?.to_f64(), c.ci?);
            Some(vec![
                Cell::from(u.code.as_str()),
                Cell::from(u.name.as_str()),
                Cell::Float(p),
                Cell::Float(ci.low),
                Cell::Float(ci.high),
                Cell::Float((p - ci.low).max(0.0)),
                Cell::Float((ci.high - p).max(0.0)),
            ])
        })
        .collect();
    (header, rows)
}

async fn estimates(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ExportData)?;
    let id = id.into_inner();
    let format = parse_format(q.format.as_deref())?;
    let options = q.csv_options()?;
    let r = blocking(&state, move |app| {
        crate::service::results::campaign_results(app, id)
    })
    .await?;
    let (header, rows) = estimates_table(&r);
    let base = format!("uoc-luong_dot{id}");
    let tmp = state.settings.upload_tmp_dir();
    Ok(match format {
        Format::Csv => stream(
            &state,
            "text/csv; charset=utf-8",
            &format!("{base}.csv"),
            move |w| {
                write_csv(w, &header, rows.into_iter().map(Ok::<_, String>), &options)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        ),
        Format::Json => stream(
            &state,
            "application/json",
            &format!("{base}.json"),
            move |w| {
                write_json(w, &header, rows.into_iter().map(Ok::<_, String>))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        ),
        Format::Xlsx => stream(
            &state,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{base}.xlsx"),
            move |w| {
                std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
                let mut book = XlsxExport::in_dir(&tmp).map_err(|e| e.to_string())?;
                // The survey component of each unit with its interval, as a
                // chart a reader looks at before the long table (the first sheet,
                // the one Excel opens on).
                let (ch, cr) = component_intervals(&r);
                let n = cr.len() as u64;
                book.add_sheet("bieu_do", &ch, cr.into_iter().map(Ok::<_, String>))
                    .map_err(|e| e.to_string())?;
                book.add_interval_chart(
                    &ch,
                    &crate::report::export::IntervalColumns {
                        sheet: "bieu_do",
                        title: "Điểm điều tra xã hội học và khoảng tin cậy 95 %",
                        series: "Điểm điều tra xã hội học",
                        labels: "unit_name",
                        values: "points",
                        minus: "minus",
                        plus: "plus",
                        rows: n,
                        max: None,
                    },
                )
                .map_err(|e| e.to_string())?;
                book.add_sheet("uoc_luong", &header, rows.into_iter().map(Ok::<_, String>))
                    .map_err(|e| e.to_string())?;
                book.add_codebook("codebook", &header)
                    .map_err(|e| e.to_string())?;
                book.save_to_writer(w).map_err(|e| e.to_string())
            },
        ),
    })
}

/// A download's format and, for CSV, how it is written:
/// `excel=vi` for Excel with Vietnamese regional settings (`;` between
/// fields, decimal comma, dd/mm/yyyy), `headers=labels` for the columns'
/// Vietnamese labels instead of their names in the header row.
#[derive(Deserialize)]
pub(super) struct FormatQuery {
    pub format: Option<String>,
    pub excel: Option<String>,
    pub headers: Option<String>,
}

impl FormatQuery {
    pub fn csv_options(&self) -> Result<CsvOptions, WebError> {
        csv_options(self.excel.as_deref(), self.headers.as_deref())
    }
}

fn csv_options(excel: Option<&str>, headers: Option<&str>) -> Result<CsvOptions, WebError> {
    let mut options = match excel {
        None | Some("") => CsvOptions::default(),
        Some("vi") => CsvOptions::vietnamese(),
        Some(other) => {
            return Err(WebError::BadRequest(vec![format!(
                "Kiểu CSV \"{other}\" không có; dùng excel=vi (dấu ; và dấu phẩy thập phân) hoặc bỏ trống."
            )]))
        }
    };
    options.labels = match headers {
        None | Some("") | Some("codes") => false,
        Some("labels") => true,
        Some(other) => {
            return Err(WebError::BadRequest(vec![format!(
                "Tiêu đề \"{other}\" không có; dùng headers=labels (tên tiếng Việt) hoặc headers=codes (mã cột)."
            )]))
        }
    };
    Ok(options)
}

fn parse_format(raw: Option<&str>) -> Result<Format, WebError> {
    match raw.unwrap_or("csv") {
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        "xlsx" => Ok(Format::Xlsx),
        other => Err(WebError::BadRequest(vec![format!(
            "Định dạng \"{other}\" không có; dùng csv, xlsx hoặc json."
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_download_nobody_reads_is_stopped_and_frees_its_place() {
        // Issue 15: "Exports started and left unread each hold a thread:
        // bound them." One place; the writer writes without end and the
        // client never reads. The runtime is a current-thread one driven by
        // this thread, as an actix worker drives its own.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let places = Arc::new(tokio::sync::Semaphore::new(1));
        let error = Arc::new(Mutex::new(None::<String>));
        let seen = error.clone();
        let permit = places.clone().try_acquire_owned().unwrap();
        let rx = spawn_writer(
            permit,
            rt.handle().clone(),
            std::time::Duration::from_secs(1),
            move |w| {
                let block = vec![b'x'; CHUNK];
                let result = loop {
                    if let Err(e) = w.write_all(&block) {
                        break Err(e.to_string());
                    }
                };
                *seen.lock().unwrap() = result.clone().err();
                result
            },
        )
        .unwrap();
        assert!(
            places.clone().try_acquire_owned().is_err(),
            "the only place is taken while the download runs"
        );
        rt.block_on(async {
            // Wait for the condition, not for a time: the place comes back.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
            while places.available_permits() == 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
        assert_eq!(places.available_permits(), 1, "the stalled writer let go");
        let error = error.lock().unwrap().clone().unwrap_or_default();
        assert!(error.contains("read nothing for 1 s"), "{error}");
        drop(rx);
    }
}
