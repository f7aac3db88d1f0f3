//! Component-points CSV for `chiso index compute` → parsed and computed
//! under a shipped profile, or errors; never a panic.
#![no_main]

use std::sync::LazyLock;

use chiso_domain::profile::{parse_profile, Profile};
use chiso_domain::index::table::parse_scores;
use libfuzzer_sys::fuzz_target;

static PROFILE: LazyLock<Profile> = LazyLock::new(|| {
    parse_profile(include_str!("../../questionnaires/profiles/hai-phong-2025.toml"))
        .expect("shipped profile parses")
});

fuzz_target!(|data: &[u8]| {
    match parse_scores(data, "fuzz.csv", &PROFILE) {
        Ok(rows) => {
            let _ = rows.len();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
