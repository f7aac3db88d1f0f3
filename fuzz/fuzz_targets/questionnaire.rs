//! Questionnaire TOML → `parse_questionnaire` must return Ok or Err, never panic.
//! On Ok, the code the app runs on a parsed questionnaire (scores, answer
//! encoding, show_if visibility) must not panic or loop forever either: the
//! parser promises conditions only point backwards, so a cycle it let through
//! would show up here as a libFuzzer timeout.
#![no_main]

use chiso_domain::answers::{self, Answers};
use chiso_domain::questionnaire::{content_hash, parse_questionnaire, QuestionKind};
use libfuzzer_sys::fuzz_target;

const PROBES: [&str; 9] = ["", "0", "1", "2", "5", "18446744073709551615", "-1", "1,5", "a"];

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let q = match parse_questionnaire(source) {
        Ok(q) => q,
        Err(diagnostics) => {
            for d in &diagnostics {
                let _ = d.to_string();
            }
            return;
        }
    };
    let _ = content_hash(source);
    let _ = q.question_count();
    let _ = q.criteria();
    let _ = answers::pages(&q, 2);

    // Answers that satisfy every condition, so is_visible walks whole chains.
    let mut given = Answers::new();
    for question in q.questions() {
        assert!(q.question(&question.code).is_some());
        for value in PROBES {
            let _ = question.score(value);
            let _ = answers::encode(question, &[value]);
        }
        let _ = answers::encode(question, &["1", "2"]);
        if let QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } =
            &question.kind
        {
            for o in options {
                let _ = question.score(&o.code);
            }
            let all: Vec<&str> = options.iter().map(|o| o.code.as_str()).collect();
            let _ = answers::encode(question, &all);
        }
        if let Some(cond) = &question.show_if {
            if let Some(v) = cond.any_of.first() {
                given.insert((1, cond.question.clone()), v.clone());
            }
        }
    }
    for question in q.questions() {
        let _ = answers::is_visible(&q, question, 1, &given);
    }
    let _ = answers::prune_hidden(&q, &given);
    let _ = answers::missing_required(&q, &[1, 2], &given);
});
