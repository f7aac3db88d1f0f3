//! A small demo province: units in the three blocks, an open campaign with
//! every shipped questionnaire, and a few respondent tokens.

use crate::domain::ids::CampaignId;
use chrono::Duration;

use crate::domain::questionnaire::Rates;
use crate::domain::states::RespondentSource;
use crate::domain::vietnam_time;
use crate::storage::campaigns as store;

use super::campaigns::{issue_tokens, open, period, OpenCampaign};
use super::questionnaires::QuestionnaireFile;
use super::{now, units, App, Result};

pub const DEMO_UNITS_CSV: &str = include_str!("../../demo/units.csv");
const DEMO_CAMPAIGN: &str = "Khảo sát sự hài lòng và Chỉ số CCHC (dữ liệu mẫu)";

pub struct DemoLink {
    pub label: String,
    pub path: String,
}

pub struct Demo {
    pub campaign_id: i64,
    pub links: Vec<DemoLink>,
}

/// Which unit each shipped respondent group answers as, in the demo.
fn demo_unit(code: &str, rates: &Rates) -> &'static str {
    match (code, rates) {
        (_, Rates::Blocks(blocks)) if blocks.iter().any(|b| b == "so") => "X-DONGHAI",
        (_, Rates::Blocks(_)) => "SNV",
        ("business", _) => "STC",
        ("civil_servant", _) => "STP",
        _ => "P-BINHMINH",
    }
}

/// Loads the demo data once, and issues fresh tokens on every call: tokens are
/// stored only as hashes, so old ones cannot be printed again.
pub fn seed(
    app: &App,
    files: &[QuestionnaireFile],
    profile: Option<&super::profiles::ProfileFile>,
) -> Result<Demo> {
    units::import(app, DEMO_UNITS_CSV.as_bytes(), "demo/units.csv")?;
    let now = now();
    let existing = store::list(&mut *app.conn()?)?.into_iter().find(|c| {
        c.name == DEMO_CAMPAIGN
            && period(c).status(now) == crate::domain::campaign::CampaignStatus::Open
    });
    let campaign_id = match existing {
        Some(c) => c.id,
        None => {
            let today = vietnam_time::date(now);
            let req = OpenCampaign {
                year: chrono::Datelike::year(&today),
                name: DEMO_CAMPAIGN.to_string(),
                opens: today - Duration::days(1),
                closes: today + Duration::days(90),
                codes: Vec::new(),
                anonymous: false,
                profile: profile.cloned(),
            };
            open(app, files, &req)?.get()
        }
    };
    let mut links = Vec::new();
    for q in store::questionnaires(&mut *app.conn()?, campaign_id)? {
        let qn = app.questionnaire_version(q.version_id)?;
        let unit = demo_unit(&q.code, &qn.rates);
        for t in issue_tokens(
            app,
            CampaignId(campaign_id),
            &q.code,
            Some(unit),
            1,
            RespondentSource::Sample,
        )? {
            links.push(DemoLink {
                label: format!("{} ({unit})", q.title),
                path: format!("/s/{}", t.as_str()),
            });
        }
        if q.open_link {
            links.push(DemoLink {
                label: format!("{} — liên kết mở", q.title),
                path: format!("/o/{campaign_id}/{}", q.code),
            });
        }
    }
    Ok(Demo { campaign_id, links })
}
