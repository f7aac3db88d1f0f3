//! chiso: the sociological survey behind a province's administrative-reform
//! index, from questionnaire to 30-point component.

pub mod config;
pub mod domain;
pub mod mail;
pub mod report;
pub mod service;
pub mod storage;
pub mod web;
