//! A file or request refused with every reason at once (`file:line: message`
//! lines), so a user fixes all of them in one pass — up to a point: a file
//! of bad rows gets its first [`LISTED`] problems and the count of the rest,
//! in memory bounded by that (an 8 MB CSV of bad rows once made a 128 MB
//! page).

/// Problems listed by name; the rest are counted.
pub const LISTED: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn one(msg: impl Into<String>) -> Self {
        Problems(vec![msg.into()])
    }
}

/// Collects problems: the first [`LISTED`] kept, the others counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemList {
    listed: Vec<String>,
    more: usize,
}

impl ProblemList {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, problem: impl Into<String>) {
        if self.listed.len() < LISTED {
            self.listed.push(problem.into());
        } else {
            self.more += 1;
        }
    }

    pub fn extend<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, problems: I) {
        for p in problems {
            self.push(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Every problem found, listed or not.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more
    }

    /// The listed problems, and a last line counting the rest.
    pub fn into_vec(self) -> Vec<String> {
        let mut out = self.listed;
        if self.more > 0 {
            out.push(format!(
                "… và {} lỗi khác (chỉ liệt kê {LISTED} lỗi đầu tiên; sửa các lỗi trên rồi nhập lại)",
                self.more
            ));
        }
        out
    }
}

impl From<ProblemList> for Problems {
    fn from(p: ProblemList) -> Self {
        Problems(p.into_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_keeps_the_first_problems_and_counts_the_rest() {
        let mut p = ProblemList::new();
        for i in 0..100_000 {
            p.push(format!("tệp.csv:{}: lỗi", i + 2));
        }
        assert_eq!(p.len(), 100_000);
        let v = p.into_vec();
        assert_eq!(v.len(), LISTED + 1);
        assert_eq!(v[0], "tệp.csv:2: lỗi");
        assert!(
            v[LISTED].starts_with("… và 99900 lỗi khác"),
            "{}",
            v[LISTED]
        );
        let mut short = ProblemList::new();
        short.push("một lỗi");
        assert_eq!(short.into_vec(), vec!["một lỗi".to_string()]);
    }
}
