//! chiso's integration tests: one binary (one link, one process start per
//! test under nextest) with a module per part of the service.
//!
//! A test that depends on the database is written once as a function of the
//! backend and declared with `per_backend!`, which makes two tests of it,
//! `…::sqlite` and `…::postgres`: a failure names the database that failed,
//! and CI's PostgreSQL pass selects exactly these by name.

/// Declares the `sqlite` and `postgres` tests of a function taking a
/// [`support::Backend`]. The PostgreSQL test runs when `TEST_DATABASE_URL` is
/// set; without it, it passes with a note, unless `CHISO_REQUIRE_POSTGRES=1`
/// makes a missing database a failure (as in CI).
macro_rules! per_backend {
    (async $name:ident) => {
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                if $crate::support::postgres_configured() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        }
    };
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::support::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                if $crate::support::postgres_configured() {
                    super::$name($crate::support::Backend::Postgres)
                }
            }
        }
    };
}

mod support;

mod access;
mod accounts;
mod api;
mod appraisal;
mod architecture;
mod browser;
mod calendar;
mod campaign_life;
mod cli;
mod council;
mod estimate_r;
mod faults;
mod index_cli;
mod index_year;
mod mail;
mod results;
mod sampling;
mod staff;
mod storage;
mod survey;
mod year_story;
