//! The `chiso` command line: resets SIGPIPE, sets up logging, parses the
//! arguments and turns errors into messages and exit codes. Each subcommand
//! lives in its own module under `cli/` and calls a service.

use std::process::ExitCode;

use clap::Parser;

use chiso::service::ServiceError;

mod cli;

// glibc's allocator serialises the many request and blocking threads on its
// arena locks; mimalloc's per-thread heaps do not (see the README's load figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so writing to a closed pipe (`chiso sample plan |
    // head`) would panic; a command-line tool should just stop, as cat does.
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread exists; only resets a
    // signal disposition to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // The analyst's command reports a bad flag on one line, like its other errors.
        Err(e) if analyst_command() && e.use_stderr() => {
            let msg = e.to_string();
            eprintln!(
                "{} (chiso estimate --help)",
                msg.lines().next().unwrap_or("").trim()
            );
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let problems = match e.downcast_ref::<ServiceError>() {
                Some(ServiceError::Invalid(problems)) => Some(problems),
                _ => e
                    .downcast_ref::<chiso::domain::problems::Problems>()
                    .map(|p| &p.0),
            };
            match problems {
                Some(problems) => problems.iter().for_each(|p| eprintln!("{p}")),
                None => eprintln!("lỗi: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn analyst_command() -> bool {
    std::env::args().nth(1).as_deref() == Some("estimate")
}
