//! `chiso index`: the administrative-reform index — computed from a CSV,
//! shown, imported and published per campaign.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::domain::index::table;
use chiso::report::export::{write_csv, write_json, CsvOptions};
use chiso::service;

use super::common::{connect, open};

#[derive(Subcommand)]
pub enum IndexCommand {
    /// Index, band, rank in block and head-of-agency rating per unit, from a
    /// CSV of component points (columns: unit, block, appraised, survey
    /// [, bonus, deductions, max, unit_type, field.<code>…]).
    Compute {
        /// Profile code (looked up in the profiles directory) or path to a profile file.
        #[arg(long)]
        profile: String,
        #[arg(long)]
        input: PathBuf,
        /// Earlier years' scores (columns unit, field.<code>…): last year first,
        /// then the year before; repeat the option.
        #[arg(long)]
        previous: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// A campaign's index table: appraisal and survey points, index, band,
    /// rank in block, head-of-agency rating, per unit (as the staff page shows it).
    Show {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// The duty-to-explain list instead of the table.
        #[arg(long)]
        explain: bool,
    },
    /// Survey points per unit and survey criterion (columns unit, criterion,
    /// points) for a campaign whose survey ran elsewhere.
    ImportSurvey {
        #[arg(long)]
        campaign: CampaignId,
        file: PathBuf,
    },
    /// A year's published scores (columns unit, field.<code>…): the units' own
    /// (`own`) or the provincial index items an agency answers for (`assigned`).
    ImportScores {
        #[arg(long)]
        year: i64,
        #[arg(long, default_value = "own")]
        kind: String,
        /// The profile whose rounding applies.
        #[arg(long)]
        profile: String,
        /// With `--kind assigned`: the day the Ministry published that
        /// year's provincial index (2024-05-17 or 17/05/2024), from which the
        /// report with the explain list is due (Thái Bình art. 20.2).
        #[arg(long)]
        published_on: Option<String>,
        file: PathBuf,
    },
    /// Publish the table once every dossier is approved and every open
    /// case decided: freezes it and records the year's scores.
    Publish {
        #[arg(long)]
        campaign: CampaignId,
        /// The administrator publishing (a staff user name).
        #[arg(long = "as")]
        user: String,
        /// The confirmation, typed as on the review page: "CÔNG BỐ".
        #[arg(long)]
        confirm: String,
    },
    /// Record a council decision on an open case (see `index review`).
    Decide {
        #[arg(long)]
        campaign: CampaignId,
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// no_dossier, survey_withheld, head_rating, decline_cause:<item>,
        /// mitigation.
        #[arg(long)]
        case: String,
        /// score_zero, exclude, excellent, good, completed, not_completed,
        /// subjective, objective.
        #[arg(long)]
        decision: String,
        /// The council's reason (e.g. the minute's number and date).
        #[arg(long)]
        reason: String,
        #[arg(long = "as")]
        user: String,
    },
    /// What publication would publish, and what still stands in its way.
    Review {
        #[arg(long)]
        campaign: CampaignId,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

pub fn run(settings: &Settings, command: IndexCommand) -> anyhow::Result<ExitCode> {
    // Computing from a CSV needs no database.
    if let IndexCommand::Compute {
        profile,
        input,
        previous,
        format,
    } = command
    {
        return compute(settings, &profile, &input, &previous, format);
    }
    let app = connect(settings)?;
    let dir = settings.profiles_dir();
    match command {
        IndexCommand::Compute { .. } => unreachable!("handled above"),
        IndexCommand::Show {
            campaign,
            format,
            explain,
        } => {
            let now = chrono::Utc::now().naive_utc();
            let t = service::publication::table(&app, campaign, now)?;
            let (header, rows) = if explain {
                service::publication::explain_sheet(&t)
            } else {
                service::publication::index_sheet(&t)
            };
            let mut out = std::io::stdout().lock();
            let rows = rows.into_iter().map(Ok::<_, String>);
            let written = match format {
                Format::Csv => write_csv(
                    &mut out,
                    &header,
                    rows,
                    &CsvOptions {
                        bom: false,
                        ..Default::default()
                    },
                )
                .map(|_| ()),
                Format::Json => write_json(&mut out, &header, rows).map(|_| ()),
            };
            written.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        IndexCommand::ImportSurvey { campaign, file } => {
            let n = service::publication::import_survey(
                &app,
                campaign,
                open(&file)?,
                &file.display().to_string(),
            )?;
            println!("Đã nhập {n} điểm điều tra xã hội học cho đợt {campaign}.");
        }
        IndexCommand::ImportScores {
            year,
            kind,
            profile,
            published_on,
            file,
        } => {
            let decimals = service::profiles::find(&dir, &profile)?
                .profile
                .points
                .decimals;
            if let Some(day) = &published_on {
                service::publication::check_national_publication(year, day)?;
            }
            let n = service::publication::import_scores(
                &app,
                year,
                &kind,
                decimals,
                open(&file)?,
                &file.display().to_string(),
            )?;
            if let Some(day) = &published_on {
                let d = service::publication::set_national_publication(&app, year, day)?;
                println!(
                    "Ngày Bộ Nội vụ công bố Chỉ số năm {year}: {}.",
                    d.format("%d/%m/%Y")
                );
            }
            println!("Đã nhập {n} điểm năm {year} ({kind}).");
        }
        IndexCommand::Decide {
            campaign,
            unit,
            case,
            decision,
            reason,
            user,
        } => {
            let who = service::accounts::staff_user(&app, &user)?;
            let record = service::council::Record {
                unit,
                case,
                decision,
                reason,
            };
            service::council::record(&app, &who, campaign, &record)?;
            println!("Đã ghi quyết định của Hội đồng.");
        }
        IndexCommand::Review { campaign } => {
            let t = service::publication::table(&app, campaign, service::now())?;
            let blockers = service::publication::blockers(&t);
            if blockers.is_empty() {
                println!("Không còn vấn đề nào: có thể công bố.");
            } else {
                println!("Chưa công bố được:");
                for b in &blockers {
                    println!("  - {b}");
                }
            }
            return Ok(if blockers.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        IndexCommand::Publish {
            campaign,
            user,
            confirm,
        } => {
            let who = service::accounts::staff_user(&app, &user)?;
            let t = service::publication::publish(&app, &who, campaign, &confirm)?;
            let indexed = t.rows.iter().filter(|r| r.figures().is_some()).count();
            println!(
                "Đã công bố kết quả đợt {campaign}: {} đơn vị, {indexed} có chỉ số.",
                t.rows.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compute(
    settings: &Settings,
    profile: &str,
    input: &Path,
    previous: &[PathBuf],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let dir = settings.questionnaires_dir.join(service::profiles::DIR);
    let profile = service::profiles::find(&dir, profile)?.profile;
    let rows = table::parse_scores(open(input)?, &input.display().to_string(), &profile)?;
    let mut earlier = Vec::new();
    for p in previous {
        earlier.push(table::parse_previous(
            open(p)?,
            &p.display().to_string(),
            profile.points.decimals,
        )?);
    }
    let results = table::compute(&profile, &rows, &earlier)?;
    let text = match format {
        Format::Csv => table::to_csv(&profile, &results)?,
        Format::Json => table::to_json(&results)? + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
