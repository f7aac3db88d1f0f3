//! Line numbers for problems found in the TOML files authors edit by hand
//! (questionnaires, province profiles): every problem is reported as
//! `line: message`, so `chiso check` can print `file:line: message`.

use std::fmt;
use std::ops::Range;

/// One problem in a file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

/// Byte offset → line number.
pub(crate) struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Self { source, starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    pub(crate) fn toml_error(&self, e: &toml::de::Error) -> Diagnostic {
        Diagnostic {
            line: e.span().map(|s| self.line(s.start)).unwrap_or(1),
            message: format!("TOML không hợp lệ: {}", e.message().trim()),
        }
    }

    /// The line of `key = ...` inside `span`, or failing that in the lines that
    /// follow the span's start up to the next table header; serde only tells
    /// which key it ignored, not where.
    pub(crate) fn key_line(&self, span: Range<usize>, key: &str) -> usize {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let text = self.source.get(span.clone()).unwrap_or("");
        let mut from = 0;
        while let Some(i) = text[from..].find(key) {
            let at = from + i;
            let before_ok = at == 0 || !word(text[..at].chars().last().unwrap_or(' '));
            let rest = text[at + key.len()..].trim_start_matches([' ', '\t', '"']);
            if before_ok && rest.starts_with('=') {
                return self.line(span.start + at);
            }
            from = at + key.len();
        }
        let first = self.line(span.start);
        for (n, line) in self.source.lines().enumerate().skip(first) {
            let t = line.trim_start();
            if t.starts_with('[') {
                break;
            }
            if t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
            {
                return n + 1;
            }
        }
        first
    }
}

/// A hand-edited file's raw serde shape, with what its diagnostics need: the
/// line index and the keys serde ignored (misspelt or unknown keys, as the
/// author wrote their paths). The first step of every TOML parser here.
pub(crate) struct Raw<'s, T> {
    pub value: T,
    pub lines: LineIndex<'s>,
    pub unknown: Vec<Vec<String>>,
}

pub(crate) fn read_raw<T: serde::de::DeserializeOwned>(
    source: &str,
) -> Result<Raw<'_, T>, Vec<Diagnostic>> {
    let lines = LineIndex::new(source);
    let mut unknown = Vec::new();
    let de = toml::Deserializer::parse(source).map_err(|e| vec![lines.toml_error(&e)])?;
    let value: Result<T, _> = serde_ignored::deserialize(de, |path| unknown.push(segments(&path)));
    match value {
        Ok(value) => Ok(Raw {
            value,
            lines,
            unknown,
        }),
        Err(e) => Err(vec![lines.toml_error(&e)]),
    }
}

/// The parser's result: the value when nothing was wrong, else every
/// problem once, in line order.
pub(crate) fn finish<T>(
    value: Option<T>,
    mut diags: Vec<Diagnostic>,
) -> Result<T, Vec<Diagnostic>> {
    diags.sort_by_key(|d| d.line);
    diags.dedup();
    match value {
        Some(v) if diags.is_empty() => Ok(v),
        _ => Err(diags),
    }
}

/// A serde_ignored path as the keys an author wrote.
pub(crate) fn segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = segments(parent);
            v.push(index.to_string());
            v
        }
        Path::Map { parent, key } => {
            let mut v = segments(parent);
            // `Spanned` wraps values in a private one-key map; it is not a key
            // the author wrote.
            if !key.starts_with("$__serde_spanned") {
                v.push(key.to_string());
            }
            v
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    }
}
