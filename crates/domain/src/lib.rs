//! Pure rules of the service. Nothing here touches the network, files, the
//! environment or the clock: randomness and `now` come in as parameters, so a
//! test can fix them and an audit can replay a draw.

pub mod access;
pub mod answers;
pub mod campaign;
pub mod code;
pub mod contact;
pub mod disposition;
pub mod email;
pub mod estimate;
pub mod ids;
pub mod index;
pub mod name;
pub mod points;
pub mod problems;
pub mod profile;
pub mod questionnaire;
pub mod sampling;
pub mod states;
pub mod survey;
pub mod throttle;
pub mod token;
pub mod toml_lines;
pub mod unit;
pub mod units_csv;
pub mod upload;
pub mod vietnam_time;
