//! Letters to drawn people whom e-mail cannot reach (issue 18): who is due
//! one under the contact protocol, print batches as PDF with an
//! address-label sheet for the post office, and the short code typed at
//! `/ma` that opens the same form as the letter's QR code.

use crate::domain::vietnam_time::shown;
use serde::Serialize;

use crate::domain::contact::{ContactMode, PostalAddress, ShortCode};
use crate::domain::ids::CampaignId;
use crate::domain::states::InvitationState;
use crate::report::letter::{letters_pdf, Letter};
use crate::report::table::{Cell, Column, Header, Row};
use crate::storage::{campaigns as store, draws, letters};

use super::campaigns::period;
use super::invitations::Settings;
use super::{now, App, Result, ServiceError};

/// The letters a campaign has printed and how many are due now.
#[derive(Debug, Clone, Serialize)]
pub struct LetterOverview {
    /// The protocol in words (a labelled setting).
    pub protocol: String,
    /// Whether the protocol sends letters at all.
    pub letters_in_protocol: bool,
    pub due: usize,
    pub batches: Vec<Batch>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Batch {
    pub number: i64,
    pub letters: i64,
    /// Vietnam time, dd/mm/yyyy hh:mm.
    pub printed_at: String,
}

/// Whether it is a letter's turn for a candidate: not answered, not
/// refused, and every mode before the letter failed — e-mail missing,
/// refused by the server or given up on.
fn due(app: &App, c: &letters::Candidate) -> bool {
    if c.submitted || c.opted_out {
        return false;
    }
    let email_failed = |state: &Option<String>| match state.as_deref().map(InvitationState::parse) {
        Some(Ok(InvitationState::NoEmail | InvitationState::Failed | InvitationState::Bounced)) => {
            true
        }
        // Not queued yet: failed only if there is no address to queue.
        None => !c.has_email,
        _ => false,
    };
    app.protocol().turn_of(ContactMode::Letter, |m| match m {
        ContactMode::Email => email_failed(&c.email_state),
        ContactMode::Letter => false,
    })
}

fn due_now(app: &App, campaign_id: i64) -> Result<Vec<letters::Candidate>> {
    let Some(draw) = draws::id_of_campaign(&mut *app.conn()?, campaign_id)? else {
        return Ok(Vec::new());
    };
    Ok(letters::candidates(&mut *app.conn()?, draw)?
        .into_iter()
        .filter(|c| due(app, c))
        .collect())
}

pub fn overview(app: &App, campaign_id: CampaignId) -> Result<LetterOverview> {
    let id = campaign_id.get();
    Ok(LetterOverview {
        protocol: app.protocol().describe(),
        letters_in_protocol: app.protocol().includes(ContactMode::Letter),
        due: due_now(app, id)?.len(),
        batches: letters::batches(&mut *app.conn()?, id)?
            .into_iter()
            .map(|(number, letters, at)| Batch {
                number,
                letters,
                printed_at: shown(at),
            })
            .collect(),
    })
}

/// Makes a print batch of every letter due now; None when none is.
pub fn print_batch(app: &App, campaign_id: CampaignId) -> Result<Option<Batch>> {
    let id = campaign_id.get();
    let due = due_now(app, id)?;
    if due.is_empty() {
        return Ok(None);
    }
    let secret = app.secret()?.clone();
    let people: Vec<(i64, String)> = due
        .iter()
        .map(|c| {
            let code = secret.short_code(id, c.frame_person_id);
            (c.respondent_id, code.hash())
        })
        .collect();
    let at = now();
    let number = app.write(move |conn| letters::print_batch(conn, id, &people, at))?;
    Ok(Some(Batch {
        number,
        letters: due.len() as i64,
        printed_at: shown(at),
    }))
}

/// A batch's letters as one PDF, one page per person, in the batch's order.
pub fn batch_pdf(
    app: &App,
    settings: &Settings,
    campaign_id: CampaignId,
    batch: i64,
) -> Result<Vec<u8>> {
    let letters = batch_letters(app, settings, campaign_id, batch)?;
    letters_pdf(&letters).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn batch_letters(
    app: &App,
    settings: &Settings,
    campaign_id: CampaignId,
    batch: i64,
) -> Result<Vec<Letter>> {
    Ok(batch_entries(app, settings, campaign_id, batch)?
        .into_iter()
        .map(|(letter, _)| letter)
        .collect())
}

/// Each letter of a batch with the stored row it was written from (the
/// paper forms need the person's questionnaire and unit too).
fn batch_entries(
    app: &App,
    settings: &Settings,
    campaign_id: CampaignId,
    batch: i64,
) -> Result<Vec<(Letter, letters::LetterRow)>> {
    let id = campaign_id.get();
    let campaign = store::get(&mut *app.conn()?, id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {id}")))?;
    let rows = letters::batch(&mut *app.conn()?, id, batch)?;
    if rows.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "đợt khảo sát này không có lần in thư số {batch}"
        )));
    }
    let titles = super::campaigns::questionnaire_titles(app, campaign_id)?;
    let closes_on = period(&campaign).closes_on().format("%d/%m/%Y").to_string();
    let base = settings.public_url.trim_end_matches('/');
    let secret = app.secret()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let token = secret.invitation_token(id, r.frame_person_id);
            let code = secret.short_code(id, r.frame_person_id);
            let letter = Letter {
                organization: settings.organization.clone(),
                addressee: match &r.addressee {
                    Some(name) => format!("Ông/Bà {name}"),
                    None => "Ông/Bà".to_string(),
                },
                address: r
                    .address
                    .as_deref()
                    .map(|a| {
                        PostalAddress::lines(a)
                            .into_iter()
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                campaign: campaign.name.clone(),
                questionnaire: titles
                    .get(&r.questionnaire_code)
                    .cloned()
                    .unwrap_or_else(|| "phiếu khảo sát".to_string()),
                unit: r.unit_name.clone(),
                link: format!("{base}/s/{}", token.as_str()),
                code_page: format!(
                    "{}/ma",
                    base.trim_start_matches("https://")
                        .trim_start_matches("http://")
                ),
                short_code: code.grouped(),
                closes_on: closes_on.clone(),
                anonymous: campaign.anonymous,
                reference: r.person_key.clone(),
            };
            (letter, r)
        })
        .collect())
}

/// The batch's address labels, a row per letter, for the post office's
/// mail-merge or a label printer.
pub fn batch_labels(
    app: &App,
    settings: &Settings,
    campaign_id: CampaignId,
    batch: i64,
) -> Result<(Header, Vec<Row>)> {
    let letters = batch_letters(app, settings, campaign_id, batch)?;
    let header = Header::new(vec![
        Column::new("reference").label("Mã tham chiếu"),
        Column::new("addressee").label("Người nhận"),
        Column::new("address_1").label("Địa chỉ dòng 1"),
        Column::new("address_2").label("Địa chỉ dòng 2"),
        Column::new("address_3").label("Địa chỉ dòng 3"),
        Column::new("address_4").label("Địa chỉ dòng 4"),
    ])
    .expect("distinct columns");
    let rows = letters
        .into_iter()
        .map(|l| {
            let mut row = vec![Cell::from(l.reference), Cell::from(l.addressee)];
            // Lines past the fourth go on the fourth, so nothing is lost.
            let mut lines: Vec<String> = l.address.iter().take(3).cloned().collect();
            let rest: Vec<String> = l.address.iter().skip(3).cloned().collect();
            lines.push(rest.join(", "));
            lines.resize(4, String::new());
            row.extend(lines.into_iter().map(Cell::from));
            row
        })
        .collect();
    Ok((header, rows))
}

/// The link a typed short code opens; a code that matches nobody counts
/// against the client like an unknown token, and too many are refused.
pub fn open_by_short_code(
    app: &App,
    settings: &Settings,
    typed: &str,
    client: &str,
) -> Result<String> {
    let code = ShortCode::parse(typed).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let hash = code.hash();
    let (campaign_id, person) = super::accounts::token_guarded(app, client, || {
        letters::by_short_code_hash(&mut *app.conn()?, &hash)?.ok_or(ServiceError::TokenUnavailable)
    })?;
    let token = app.secret()?.invitation_token(campaign_id, person);
    Ok(format!(
        "{}/s/{}",
        settings.public_url.trim_end_matches('/'),
        token.as_str()
    ))
}

/// The batch's paper questionnaires, one per letter, each page carrying the
/// person's short code and QR code: the same questions, scales and
/// conditions as the web form, the conditions written as instructions.
pub fn batch_forms(
    app: &App,
    settings: &Settings,
    campaign_id: CampaignId,
    batch: i64,
) -> Result<Vec<u8>> {
    let id = campaign_id.get();
    let entries = batch_entries(app, settings, campaign_id, batch)?;
    let versions: std::collections::HashMap<String, i64> =
        store::questionnaires(&mut *app.conn()?, id)?
            .into_iter()
            .map(|q| (q.code, q.version_id))
            .collect();
    let mut forms = Vec::with_capacity(entries.len());
    for (letter, row) in entries {
        let version = versions.get(&row.questionnaire_code).ok_or_else(|| {
            ServiceError::NotFound(format!("đợt không có phiếu \"{}\"", row.questionnaire_code))
        })?;
        let q = app.questionnaire_version(*version)?;
        // The units the person rates, as the web form asks them: their own,
        // or every unit of the blocks a leader rates.
        let mut conn = app.conn()?;
        let own = match row.unit_id {
            Some(u) => crate::storage::units::by_id(&mut conn, u)?,
            None => None,
        };
        let rated = super::respond::rated_units(&mut conn, &q, own.as_ref())?;
        let rated: Vec<String> = rated.into_iter().map(|u| u.name).collect();
        forms.push(paper_form(&q, letter, &rated));
    }
    crate::report::paper_form::paper_forms_pdf(&forms)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// A questionnaire as the paper form prints it for one letter's person.
fn paper_form(
    q: &crate::domain::questionnaire::Questionnaire,
    letter: Letter,
    rated: &[String],
) -> crate::report::paper_form::PaperForm {
    use crate::domain::questionnaire::QuestionKind;
    use crate::report::paper_form::{PaperAnswer, PaperForm, PaperQuestion, PaperSection};
    // Questions are numbered through the form, as the conditions cite them.
    let mut numbers = std::collections::HashMap::new();
    for (n, question) in q.sections.iter().flat_map(|s| &s.questions).enumerate() {
        numbers.insert(question.code.clone(), n + 1);
    }
    let choice_words = |code: &str, answers: &[String]| -> String {
        let Some(question) = q
            .sections
            .iter()
            .flat_map(|s| &s.questions)
            .find(|x| x.code == code)
        else {
            return answers.join(", ");
        };
        let word = |a: &String| match &question.kind {
            QuestionKind::Likert { levels, .. } => a
                .parse::<usize>()
                .ok()
                .and_then(|n| levels.labels.get(n.wrapping_sub(1)))
                .cloned()
                .unwrap_or_else(|| a.clone()),
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => options
                .iter()
                .find(|o| &o.code == a)
                .map_or_else(|| a.clone(), |o| o.label.clone()),
            _ => a.clone(),
        };
        answers.iter().map(word).collect::<Vec<_>>().join("; ")
    };
    // A form that rates several units asks its sections once per unit, as
    // the web form does page by page; one rating the person's own unit once.
    let several = matches!(q.rates, crate::domain::questionnaire::Rates::Blocks(_));
    let per_unit: Vec<Option<&String>> = if several {
        rated.iter().map(Some).collect()
    } else {
        vec![None]
    };
    let sections = per_unit
        .into_iter()
        .flat_map(|unit| q.sections.iter().map(move |s| (unit, s)))
        .map(|(unit, s)| PaperSection {
            title: match unit {
                Some(u) => format!("{} — {u}", s.title),
                None => s.title.clone(),
            },
            description: s.description.clone(),
            questions: s
                .questions
                .iter()
                .map(|x| {
                    let (how, answer) = match &x.kind {
                        QuestionKind::Likert {
                            levels,
                            not_applicable,
                            ..
                        } => {
                            let mut options = levels.labels.clone();
                            options.extend(not_applicable.iter().cloned());
                            ("Chọn một ô.".to_string(), PaperAnswer::Boxes(options))
                        }
                        QuestionKind::Single { options } => (
                            "Chọn một ô.".to_string(),
                            PaperAnswer::Boxes(options.iter().map(|o| o.label.clone()).collect()),
                        ),
                        QuestionKind::Multiple {
                            options,
                            max_choices,
                        } => (
                            match max_choices {
                                Some(k) => format!("Có thể chọn nhiều ô, tối đa {k}."),
                                None => "Có thể chọn nhiều ô.".to_string(),
                            },
                            PaperAnswer::Boxes(options.iter().map(|o| o.label.clone()).collect()),
                        ),
                        QuestionKind::Number { min, max, integer } => {
                            let kind = if *integer { "số nguyên" } else { "số" };
                            // Written as Vietnamese readers write numbers.
                            let n = |v: &f64| v.to_string().replace('.', ",");
                            let (min, max) = (min.as_ref().map(n), max.as_ref().map(n));
                            let range = match (min, max) {
                                (Some(a), Some(b)) => format!("Viết một {kind} từ {a} đến {b}."),
                                (Some(a), None) => format!("Viết một {kind} từ {a} trở lên."),
                                (None, Some(b)) => format!("Viết một {kind} không quá {b}."),
                                (None, None) => format!("Viết một {kind}."),
                            };
                            (String::new(), PaperAnswer::Number(range))
                        }
                        QuestionKind::Text { multiline, .. } => (
                            "Viết câu trả lời vào các dòng dưới đây.".to_string(),
                            PaperAnswer::Lines(if *multiline { 4 } else { 1 }),
                        ),
                    };
                    let required = if x.required {
                        ""
                    } else {
                        " (không bắt buộc)"
                    };
                    PaperQuestion {
                        number: format!("Câu {}", numbers.get(&x.code).copied().unwrap_or(0)),
                        text: format!("{}{required}", x.text),
                        help: x.help.clone(),
                        condition: x.show_if.as_ref().map(|c| {
                            format!(
                                "Chỉ trả lời nếu ở Câu {} Ông/Bà chọn: {}.",
                                numbers.get(&c.question).copied().unwrap_or(0),
                                choice_words(&c.question, &c.any_of)
                            )
                        }),
                        how,
                        answer,
                    }
                })
                .collect(),
        })
        .collect();
    PaperForm {
        title: q.title.clone(),
        organization: letter.organization,
        intro: q.intro.clone(),
        unit: letter.unit.map(|u| {
            if several {
                format!("{u} (đơn vị của Ông/Bà; phiếu đánh giá các đơn vị dưới đây)")
            } else {
                u
            }
        }),
        short_code: letter.short_code,
        link: letter.link,
        closes_on: letter.closes_on,
        sections,
    }
}
