//! chiso: the sociological survey behind a province's administrative-reform
//! index, from questionnaire to 30-point component.

pub mod config;
/// The pure rules live in their own crate, which depends on no I/O crate.
pub use chiso_domain as domain;
pub mod mail;
pub mod report;
pub mod service;
pub mod startup;
pub mod storage;
pub mod web;
