//! The lifecycle of a unit's self-assessment dossier (Ninh Hòa art. 7–8):
//! the unit drafts and submits it, appraisers appraise it and may ask for
//! explanations, the unit answers, and the council approves it, after which
//! nothing changes.
//!
//! [`DossierStage::after`] is the one place that says which event may happen
//! at which stage and what stage follows; the service asks it instead of
//! comparing stored strings. The deadline lock and the late penalty are a
//! separate rule ([`super::late`]): an event the lifecycle allows may still
//! be refused because the dossier is locked.

/// Where a dossier is in its lifecycle. Stored as text: [`DossierStage::code`]
/// and [`DossierStage::parse`] are the only mapping between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierStage {
    /// The unit is scoring itself; nothing is submitted yet. A unit without
    /// a dossier is treated as a draft.
    Draft,
    /// Submitted and waiting for, or under, appraisal.
    Submitted,
    /// An appraiser asked the unit to explain a criterion or add evidence.
    InExplanation,
    /// The council approved the appraisal: final.
    Approved,
}

/// What can happen to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DossierEvent {
    /// The unit enters or replaces a self-score. `appraisal_begun`: an
    /// appraiser has already decided on at least one of its criteria.
    SaveSelfScore { appraisal_begun: bool },
    /// The unit submits the dossier for appraisal.
    Submit,
    /// An appraiser decides on one criterion.
    Appraise,
    /// An appraiser asks the unit to explain a criterion or add evidence.
    RequestExplanation,
    /// The unit answers a request to explain.
    AnswerExplanation,
    /// The council approves the appraisal.
    Approve,
}

/// Why the lifecycle refuses an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The council has approved the dossier: nothing changes any more.
    Approved,
    /// The dossier has not been submitted: there is nothing to appraise.
    NotSubmitted,
    /// A dossier is submitted once.
    SubmittedOnce,
    /// Appraisal has begun: the unit's self-scores are final.
    AppraisalBegun,
    /// The unit answers only when an appraiser has asked.
    NotInExplanation,
}

/// A stored stage this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trạng thái hồ sơ không hợp lệ: \"{0}\"")]
pub struct UnknownStage(pub String);

impl DossierStage {
    pub const ALL: [DossierStage; 4] = [
        DossierStage::Draft,
        DossierStage::Submitted,
        DossierStage::InExplanation,
        DossierStage::Approved,
    ];

    /// The stored code (also the serialized form).
    pub const fn code(self) -> &'static str {
        match self {
            DossierStage::Draft => "draft",
            DossierStage::Submitted => "submitted",
            DossierStage::InExplanation => "in_explanation",
            DossierStage::Approved => "approved",
        }
    }

    /// The stage of a stored code; an unknown code is an error, never a
    /// default.
    pub fn parse(code: &str) -> Result<DossierStage, UnknownStage> {
        DossierStage::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| UnknownStage(code.to_string()))
    }

    /// The stage after `event`, or why the event is refused at this stage.
    pub fn after(self, event: DossierEvent) -> Result<DossierStage, Refusal> {
        use DossierEvent as E;
        use DossierStage as S;
        match (self, event) {
            (S::Approved, _) => Err(Refusal::Approved),

            (S::Draft, E::SaveSelfScore { .. }) => Ok(S::Draft),
            (S::Draft, E::Submit) => Ok(S::Submitted),
            (S::Draft, E::Appraise | E::RequestExplanation | E::Approve) => {
                Err(Refusal::NotSubmitted)
            }
            (S::Draft, E::AnswerExplanation) => Err(Refusal::NotInExplanation),

            // Until appraisal begins (and the deadline lock allows) the unit
            // may still correct a submitted dossier.
            (
                S::Submitted,
                E::SaveSelfScore {
                    appraisal_begun: false,
                },
            ) => Ok(S::Submitted),
            (
                S::Submitted,
                E::SaveSelfScore {
                    appraisal_begun: true,
                },
            ) => Err(Refusal::AppraisalBegun),
            (S::Submitted, E::Submit) => Err(Refusal::SubmittedOnce),
            (S::Submitted, E::Appraise) => Ok(S::Submitted),
            (S::Submitted, E::RequestExplanation) => Ok(S::InExplanation),
            (S::Submitted, E::AnswerExplanation) => Err(Refusal::NotInExplanation),
            (S::Submitted, E::Approve) => Ok(S::Approved),

            (S::InExplanation, E::SaveSelfScore { .. }) => Err(Refusal::AppraisalBegun),
            (S::InExplanation, E::Submit) => Err(Refusal::SubmittedOnce),
            (S::InExplanation, E::Appraise | E::RequestExplanation | E::AnswerExplanation) => {
                Ok(S::InExplanation)
            }
            (S::InExplanation, E::Approve) => Ok(S::Approved),
        }
    }

    /// Whether `event` may happen at this stage.
    pub fn allows(self, event: DossierEvent) -> bool {
        self.after(event).is_ok()
    }
}

impl TryFrom<String> for DossierStage {
    type Error = UnknownStage;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        DossierStage::parse(&code)
    }
}

impl std::fmt::Display for DossierStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl DossierEvent {
    pub const ALL: [DossierEvent; 7] = [
        DossierEvent::SaveSelfScore {
            appraisal_begun: false,
        },
        DossierEvent::SaveSelfScore {
            appraisal_begun: true,
        },
        DossierEvent::Submit,
        DossierEvent::Appraise,
        DossierEvent::RequestExplanation,
        DossierEvent::AnswerExplanation,
        DossierEvent::Approve,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use DossierEvent as E;
    use DossierStage as S;

    /// The whole lifecycle: every stage × every event.
    #[test]
    fn the_transition_table() {
        let save = E::SaveSelfScore {
            appraisal_begun: false,
        };
        let save_begun = E::SaveSelfScore {
            appraisal_begun: true,
        };
        let table: [(S, E, Result<S, Refusal>); 28] = [
            (S::Draft, save, Ok(S::Draft)),
            (S::Draft, save_begun, Ok(S::Draft)),
            (S::Draft, E::Submit, Ok(S::Submitted)),
            (S::Draft, E::Appraise, Err(Refusal::NotSubmitted)),
            (S::Draft, E::RequestExplanation, Err(Refusal::NotSubmitted)),
            (
                S::Draft,
                E::AnswerExplanation,
                Err(Refusal::NotInExplanation),
            ),
            (S::Draft, E::Approve, Err(Refusal::NotSubmitted)),
            //
            (S::Submitted, save, Ok(S::Submitted)),
            (S::Submitted, save_begun, Err(Refusal::AppraisalBegun)),
            (S::Submitted, E::Submit, Err(Refusal::SubmittedOnce)),
            (S::Submitted, E::Appraise, Ok(S::Submitted)),
            (S::Submitted, E::RequestExplanation, Ok(S::InExplanation)),
            (
                S::Submitted,
                E::AnswerExplanation,
                Err(Refusal::NotInExplanation),
            ),
            (S::Submitted, E::Approve, Ok(S::Approved)),
            //
            (S::InExplanation, save, Err(Refusal::AppraisalBegun)),
            (S::InExplanation, save_begun, Err(Refusal::AppraisalBegun)),
            (S::InExplanation, E::Submit, Err(Refusal::SubmittedOnce)),
            (S::InExplanation, E::Appraise, Ok(S::InExplanation)),
            (
                S::InExplanation,
                E::RequestExplanation,
                Ok(S::InExplanation),
            ),
            (S::InExplanation, E::AnswerExplanation, Ok(S::InExplanation)),
            (S::InExplanation, E::Approve, Ok(S::Approved)),
            //
            (S::Approved, save, Err(Refusal::Approved)),
            (S::Approved, save_begun, Err(Refusal::Approved)),
            (S::Approved, E::Submit, Err(Refusal::Approved)),
            (S::Approved, E::Appraise, Err(Refusal::Approved)),
            (S::Approved, E::RequestExplanation, Err(Refusal::Approved)),
            (S::Approved, E::AnswerExplanation, Err(Refusal::Approved)),
            (S::Approved, E::Approve, Err(Refusal::Approved)),
        ];
        // The table lists every pair exactly once.
        let listed: BTreeSet<String> = table
            .iter()
            .map(|(s, e, _)| format!("{s:?} {e:?}"))
            .collect();
        let all: BTreeSet<String> = S::ALL
            .iter()
            .flat_map(|s| E::ALL.iter().map(move |e| format!("{s:?} {e:?}")))
            .collect();
        assert_eq!(listed.len(), table.len(), "a pair is listed twice");
        assert_eq!(listed, all);
        for (stage, event, want) in table {
            assert_eq!(stage.after(event), want, "{stage:?} × {event:?}");
            assert_eq!(stage.allows(event), want.is_ok(), "{stage:?} × {event:?}");
        }
    }

    /// The stages reachable from `from` through `events`.
    fn reachable(from: S, events: &[E]) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([format!("{from:?}")]);
        let mut todo = vec![from];
        while let Some(s) = todo.pop() {
            for e in events {
                if let Ok(next) = s.after(*e) {
                    if seen.insert(format!("{next:?}")) {
                        todo.push(next);
                    }
                }
            }
        }
        seen
    }

    #[test]
    fn every_stage_is_reached_only_through_submission_and_approval_is_final() {
        assert_eq!(reachable(S::Draft, &E::ALL).len(), S::ALL.len());
        let without_submit: Vec<E> = E::ALL.into_iter().filter(|e| *e != E::Submit).collect();
        assert_eq!(
            reachable(S::Draft, &without_submit),
            BTreeSet::from(["Draft".to_string()])
        );
        assert_eq!(
            reachable(S::Approved, &E::ALL),
            BTreeSet::from(["Approved".to_string()])
        );
    }

    #[test]
    fn codes_round_trip_and_an_unknown_code_is_an_error() {
        for s in S::ALL {
            assert_eq!(S::parse(s.code()), Ok(s));
            assert_eq!(S::try_from(s.code().to_string()), Ok(s));
            // The serialized form, which the templates read, is the code.
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::from(s.code())
            );
        }
        assert_eq!(S::parse("none"), Err(UnknownStage("none".into())));
        assert_eq!(S::parse("Draft"), Err(UnknownStage("Draft".into())));
        assert_eq!(S::parse(""), Err(UnknownStage(String::new())));
    }
}
