//! A file or request refused with every reason at once (`file:line: message`
//! lines), so a user fixes all of them in one pass.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn one(msg: impl Into<String>) -> Self {
        Problems(vec![msg.into()])
    }
}
