//! Design-based estimation as R's `survey` package (Lumley) does it:
//! one-stage stratified cluster designs with finite-population correction,
//! Taylor-linearised variances, domain estimates with subset semantics,
//! normal, t and logit confidence intervals, and linear combinations of
//! domain means with their covariances (`svycontrast`).
//!
//! Everything works on columns (slices), not files: the CLI reads a CSV into
//! vectors, the survey component passes its own vectors. The formulas and the
//! corner cases follow R's sources (`svydesign`, `onestrat`, `svymean`,
//! `svytotal`, `svyratio`, `degf`, `svyciprop`), cited where they matter.

mod contrast;
mod design;
mod error;
mod estimators;
mod interval;
mod variance;
// `chiso estimate`: an analyst's CSV and flags → estimates (the CLI only reads the file).
pub mod request;

pub use contrast::{mean_contrast, MeanTerm};
pub use design::{Design, DesignSpec, Stratum};
pub use error::EstimateError;
pub use estimators::{mean, proportion, ratio, total, Estimate, Replacement, Statistic};
pub use interval::{confidence_interval, Interval};
