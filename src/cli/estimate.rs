//! `chiso estimate`: the analyst's design-based estimates over a CSV; needs
//! no settings file and no database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use chiso::domain::estimate::request::{self as estimate, Condition};
use chiso::domain::estimate::{Interval, Replacement};

use super::common::open;

#[derive(clap::Args)]
pub struct EstimateArgs {
    /// The CSV (UTF-8, with or without BOM, header row); `NA` and empty cells are missing.
    file: PathBuf,
    /// The variable to estimate (not needed with --prop).
    #[arg(long)]
    var: Option<String>,
    /// Statistic: mean, total, or ratio (--var over --denominator).
    #[arg(long, value_enum, default_value_t = StatArg::Mean)]
    stat: StatArg,
    /// Denominator of --stat ratio.
    #[arg(long)]
    denominator: Option<String>,
    /// Stratum column.
    #[arg(long)]
    strata: Option<String>,
    /// Primary sampling unit (cluster) column; one stage, nested in strata.
    #[arg(long)]
    cluster: Option<String>,
    /// Finite-population correction: PSUs in the stratum's population, or the sampling fraction when no value exceeds 1.
    #[arg(long)]
    fpc: Option<String>,
    /// Sampling weight column (default: N_h/n_h from --fpc, else 1).
    #[arg(long)]
    weight: Option<String>,
    /// Domain columns, comma-separated: one output row per combination.
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Restrict to the domain COL=VALUE (repeatable; rows outside keep their stratum and PSU).
    #[arg(long = "where", value_name = "COL=VALUE")]
    wheres: Vec<Condition>,
    /// Estimate the share of rows where COL equals VALUE.
    #[arg(long, value_name = "COL=VALUE")]
    prop: Option<Condition>,
    /// Confidence interval: normal, t (design degrees of freedom) or logit (proportions).
    #[arg(long, value_enum, default_value_t = CiArg::Normal)]
    ci: CiArg,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Add the design effect as a column: against simple random sampling without replacement (R's deff = TRUE), or with replacement (`--deff replace`).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "srswor")]
    deff: Option<DeffArg>,
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    format: FormatArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatArg {
    Mean,
    Total,
    Ratio,
}

#[derive(Clone, Copy, ValueEnum)]
enum CiArg {
    Normal,
    T,
    Logit,
}

#[derive(Clone, Copy, ValueEnum)]
enum DeffArg {
    Srswor,
    Replace,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Json,
}

pub fn run(a: EstimateArgs) -> anyhow::Result<ExitCode> {
    let req = estimate::Request {
        var: a.var,
        stat: match a.stat {
            StatArg::Mean => estimate::Stat::Mean,
            StatArg::Total => estimate::Stat::Total,
            StatArg::Ratio => estimate::Stat::Ratio,
        },
        denominator: a.denominator,
        strata: a.strata,
        cluster: a.cluster,
        fpc: a.fpc,
        weight: a.weight,
        by: a.by,
        wheres: a.wheres,
        prop: a.prop,
        ci: match a.ci {
            CiArg::Normal => Interval::Normal,
            CiArg::T => Interval::StudentT,
            CiArg::Logit => Interval::Logit,
        },
        level: a.level,
        deff: a.deff.map(|d| match d {
            DeffArg::Srswor => Replacement::Without,
            DeffArg::Replace => Replacement::With,
        }),
    };
    let f = open(&a.file)?;
    let rows = estimate::run(std::io::BufReader::new(f), &req)?;
    let out = std::io::stdout().lock();
    match a.format {
        FormatArg::Csv => estimate::write_csv(&rows, req.deff.is_some(), out)?,
        FormatArg::Json => estimate::write_json(&rows, out)?,
    }
    Ok(ExitCode::SUCCESS)
}
