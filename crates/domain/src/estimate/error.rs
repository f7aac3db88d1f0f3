//! What can go wrong in an estimate, in words an analyst can act on.

/// Errors of the estimation engine. Row numbers are 1-based positions in the
/// vectors the design was built from (the CSV layer reports file lines itself).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("không có quan sát nào để ước lượng")]
    NoRows,
    #[error("cột {column} có {actual} giá trị, cần đúng {expected} (bằng số quan sát)")]
    LengthMismatch {
        column: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("trọng số ở quan sát thứ {row} không hợp lệ: {value} (phải là số không âm)")]
    InvalidWeight { row: usize, value: f64 },
    #[error("fpc ở quan sát thứ {row} không hợp lệ: {value} (phải là số không âm)")]
    InvalidFpc { row: usize, value: f64 },
    #[error(
        "fpc vừa có giá trị nhỏ hơn 1 (tỉ lệ chọn mẫu) vừa có giá trị lớn hơn 1 (cỡ tổng thể): \
         mọi giá trị phải cùng một loại"
    )]
    MixedFpc,
    #[error("fpc không cố định trong tầng \"{stratum}\"")]
    FpcNotConstant { stratum: String },
    #[error(
        "fpc của tầng \"{stratum}\" cho cỡ tổng thể {population} PSU, nhỏ hơn {sampled} PSU đã chọn"
    )]
    FpcOverSampled {
        stratum: String,
        population: f64,
        sampled: usize,
    },
    #[error(
        "không có cột trọng số và không suy ra được trọng số từ fpc của tầng \"{stratum}\" \
         (tỉ lệ chọn mẫu bằng 0)"
    )]
    NoWeightFromFpc { stratum: String },
    #[error(
        "tầng \"{stratum}\" chỉ có một đơn vị mẫu bậc một (PSU): không ước lượng được phương sai; \
         hãy gộp tầng này với một tầng khác"
    )]
    LonelyPsu { stratum: String },
    #[error("mẫu chỉ có một đơn vị mẫu bậc một (PSU): không ước lượng được phương sai")]
    SinglePsu,
    #[error("miền ước lượng không có quan sát nào có giá trị")]
    EmptyDomain,
    #[error("tổ hợp tuyến tính không có số hạng nào")]
    NoTerms,
    #[error("tổng trọng số trong miền ước lượng bằng 0")]
    ZeroTotalWeight,
    #[error("tổng có trọng số của mẫu số bằng 0: không tính được tỉ số")]
    ZeroDenominator,
    #[error("mức tin cậy phải nằm giữa 0 và 1, nhận được {level}")]
    InvalidLevel { level: f64 },
    #[error("số bậc tự do của thiết kế bằng 0: không tính được khoảng tin cậy t hay logit")]
    NoDegreesOfFreedom,
    #[error("khoảng tin cậy logit chỉ dùng cho tỉ lệ")]
    LogitNeedsProportion,
    #[error(
        "tỉ lệ ước lượng bằng {p}: khoảng tin cậy logit không xác định khi tỉ lệ bằng 0 hoặc 1"
    )]
    LogitAtBoundary { p: f64 },
}
