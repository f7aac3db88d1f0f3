//! What stops a survey result from being computed. Staff see these messages,
//! hence Vietnamese; each names what to fix.

use crate::index::SurveyError;
use crate::questionnaire::RespondentGroup;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("câu hỏi \"{question}\" có điểm ngoài khoảng từ 0 đến 1")]
    ScoreOutOfRange { question: String },
    #[error(
        "bảng tổng hợp lập cho các tiêu chí [{expected}] nhưng nhận dữ liệu cho [{found}]: \
         phiếu của hai phiên bản bảng hỏi khác nhau không cộng chung được"
    )]
    CriteriaMismatch { expected: String, found: String },
    #[error("tầng \"{0}\" xuất hiện hai lần")]
    DuplicateStratum(String),
    #[error("có người trả lời thuộc tầng \"{0}\" nhưng không có cỡ tổng thể (N) của tầng này")]
    UnknownStratum(String),
    #[error(
        "tầng \"{stratum}\" có {respondents} người trả lời, nhiều hơn cỡ tổng thể {population}"
    )]
    OverSampled {
        stratum: String,
        population: u64,
        respondents: u64,
    },
    #[error("bảng tổng hợp lưu trữ bị hỏng: {0}")]
    CorruptTally(&'static str),
    #[error("bớt một phiếu chưa từng được cộng vào bảng tổng hợp")]
    NotInTally,
    #[error("nhóm {0:?} có hai bộ số liệu cho cùng một đơn vị")]
    DuplicateGroup(RespondentGroup),
    #[error(transparent)]
    Points(#[from] SurveyError),
}

/// Codes joined for messages.
pub(super) fn joined(codes: &[String]) -> String {
    codes.join(", ")
}
