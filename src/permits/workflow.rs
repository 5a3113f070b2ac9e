//! The verification workflow as a pure state machine (domain-kupang §1.4).
//!
//! ```text
//! DRAFT ──submit──> SUBMITTED ──start_check──> ADMIN_CHECK ──accept──> TECHNICAL_REVIEW
//!   RETURNED ──submit──┘            ADMIN_CHECK ──return──> RETURNED
//! TECHNICAL_REVIEW ──to_forum──> FORUM_REVIEW ──forum_advice──> TECHNICAL_REVIEW
//! TECHNICAL_REVIEW ──decide──> DECIDED ──issue (approvals only)──> ISSUED
//! ```
//!
//! Each [`Action`] has the states it may start from, the state it leads to, the roles that may
//! take it and the body fields it reads. Admins may take every staff action; `submit` belongs
//! to the application's owner alone. Whoever may not act gets 403, an action from the wrong
//! state gets 409; both say why.

use serde::Serialize;

use crate::auth::Role;

/// `applications.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Draft,
    Submitted,
    AdminCheck,
    Returned,
    TechnicalReview,
    ForumReview,
    Decided,
    Issued,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::Submitted,
        Status::AdminCheck,
        Status::Returned,
        Status::TechnicalReview,
        Status::ForumReview,
        Status::Decided,
        Status::Issued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::Submitted => "SUBMITTED",
            Status::AdminCheck => "ADMIN_CHECK",
            Status::Returned => "RETURNED",
            Status::TechnicalReview => "TECHNICAL_REVIEW",
            Status::ForumReview => "FORUM_REVIEW",
            Status::Decided => "DECIDED",
            Status::Issued => "ISSUED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// (Indonesian, English) label.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Status::Draft => ("Draf", "Draft"),
            Status::Submitted => ("Diajukan", "Submitted"),
            Status::AdminCheck => ("Pemeriksaan administrasi", "Administrative check"),
            Status::Returned => ("Dikembalikan untuk dilengkapi", "Returned for completion"),
            Status::TechnicalReview => ("Kajian teknis", "Technical review"),
            Status::ForumReview => ("Pembahasan Forum Penataan Ruang", "Spatial planning forum"),
            Status::Decided => ("Diputuskan", "Decided"),
            Status::Issued => ("Diterbitkan", "Issued"),
        }
    }

    /// The city holds the application (the 20-day service clock runs). DRAFT and RETURNED are
    /// the applicant's time; ISSUED is done. DECIDED counts only while an approval awaits
    /// issuing (a rejection ends the process): see [`sla_clock_runs`].
    pub fn city_holds(self) -> bool {
        matches!(
            self,
            Status::Submitted
                | Status::AdminCheck
                | Status::TechnicalReview
                | Status::ForumReview
                | Status::Decided
        )
    }
}

/// Whether the service clock runs in `status` for an application with `decision`.
pub fn sla_clock_runs(status: Status, decision: Option<Decision>) -> bool {
    status.city_holds() && !(status == Status::Decided && decision == Some(Decision::Rejected))
}

/// The service-level target: 20 days from submission to issue (domain-kupang §1.4).
pub const SLA_DAYS: f64 = 20.0;

/// The outcome a verifier records (`applications.decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    ApprovedConditional,
    ApprovedPartial,
    Rejected,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Approved,
        Decision::ApprovedConditional,
        Decision::ApprovedPartial,
        Decision::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::ApprovedConditional => "approved_conditional",
            Decision::ApprovedPartial => "approved_partial",
            Decision::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_approval(self) -> bool {
        self != Decision::Rejected
    }

    /// (Indonesian, English) label as printed on the decision document.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Decision::Approved => ("Disetujui", "Approved"),
            Decision::ApprovedConditional => {
                ("Disetujui dengan syarat", "Approved with conditions")
            }
            Decision::ApprovedPartial => ("Disetujui sebagian", "Approved in part"),
            Decision::Rejected => ("Ditolak", "Rejected"),
        }
    }
}

/// A workflow step (`POST /api/applications/{id}/actions/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    StartCheck,
    Return,
    Accept,
    ToForum,
    ForumAdvice,
    Decide,
    Issue,
}

/// Who may take an action, from where, to where, and what the body carries.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub action: Action,
    pub from: &'static [Status],
    pub to: Status,
    /// Roles allowed (admins always are, except for `owner_only` actions).
    pub roles: &'static [Role],
    /// Only the applicant who owns the application.
    pub owner_only: bool,
    /// Body fields the action reads.
    pub fields: &'static [&'static str],
    /// Body fields it cannot do without (`decide` has conditional ones besides: see
    /// [`Action::Decide`]'s checks in the handler).
    pub required: &'static [&'static str],
    pub label_id: &'static str,
    pub label_en: &'static str,
}

const STAFF_NOTE: &[&str] = &["note"];

pub const SPECS: [Spec; 8] = [
    Spec {
        action: Action::Submit,
        from: &[Status::Draft, Status::Returned],
        to: Status::Submitted,
        roles: &[Role::Pemohon],
        owner_only: true,
        fields: STAFF_NOTE,
        required: &[],
        label_id: "Ajukan",
        label_en: "Submit",
    },
    Spec {
        action: Action::StartCheck,
        from: &[Status::Submitted],
        to: Status::AdminCheck,
        roles: &[Role::Operator],
        owner_only: false,
        fields: STAFF_NOTE,
        required: &[],
        label_id: "Mulai pemeriksaan administrasi",
        label_en: "Start the administrative check",
    },
    Spec {
        action: Action::Return,
        from: &[Status::AdminCheck],
        to: Status::Returned,
        roles: &[Role::Operator],
        owner_only: false,
        fields: STAFF_NOTE,
        required: &["note"],
        label_id: "Kembalikan untuk dilengkapi",
        label_en: "Return for completion",
    },
    Spec {
        action: Action::Accept,
        from: &[Status::AdminCheck],
        to: Status::TechnicalReview,
        roles: &[Role::Operator],
        owner_only: false,
        fields: STAFF_NOTE,
        required: &[],
        label_id: "Berkas lengkap: teruskan ke kajian teknis",
        label_en: "Complete: pass on to technical review",
    },
    Spec {
        action: Action::ToForum,
        from: &[Status::TechnicalReview],
        to: Status::ForumReview,
        roles: &[Role::Verifikator],
        owner_only: false,
        fields: STAFF_NOTE,
        required: &[],
        label_id: "Minta pertimbangan Forum Penataan Ruang",
        label_en: "Ask the spatial planning forum",
    },
    Spec {
        action: Action::ForumAdvice,
        from: &[Status::ForumReview],
        to: Status::TechnicalReview,
        roles: &[Role::Forum],
        owner_only: false,
        fields: STAFF_NOTE,
        required: &["note"],
        label_id: "Berikan pertimbangan forum",
        label_en: "Give the forum's advice",
    },
    Spec {
        action: Action::Decide,
        from: &[Status::TechnicalReview],
        to: Status::Decided,
        roles: &[Role::Verifikator],
        owner_only: false,
        fields: &[
            "decision",
            "decision_reason",
            "conditions",
            "approved_parcel",
            "note",
        ],
        required: &["decision"],
        label_id: "Putuskan",
        label_en: "Decide",
    },
    Spec {
        action: Action::Issue,
        from: &[Status::Decided],
        to: Status::Issued,
        roles: &[Role::Pejabat],
        owner_only: false,
        fields: &["valid_years", "note"],
        required: &[],
        label_id: "Tandatangani dan terbitkan",
        label_en: "Sign and issue",
    },
];

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Submit,
        Action::StartCheck,
        Action::Return,
        Action::Accept,
        Action::ToForum,
        Action::ForumAdvice,
        Action::Decide,
        Action::Issue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::StartCheck => "start_check",
            Action::Return => "return",
            Action::Accept => "accept",
            Action::ToForum => "to_forum",
            Action::ForumAdvice => "forum_advice",
            Action::Decide => "decide",
            Action::Issue => "issue",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn spec(self) -> &'static Spec {
        SPECS
            .iter()
            .find(|s| s.action == self)
            .expect("every action has a spec")
    }

    /// The action leading from `from` to `to` (`POST .../transitions {"to": ..}`).
    pub fn between(from: Status, to: Status) -> Option<Action> {
        SPECS
            .iter()
            .find(|s| s.to == to && s.from.contains(&from))
            .map(|s| s.action)
    }
}

/// Who is asking, relative to one application.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub role: Role,
    pub is_owner: bool,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 403: this caller may not take the action at all.
    Role { id: String, en: String },
    /// 409: not from the application's current state (or decision).
    State { id: String, en: String },
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `actor` may take `action` on an application in `status` with `decision`.
/// The role is judged before the state, so a caller learns first whether the step is theirs.
pub fn permit(
    action: Action,
    actor: Actor,
    status: Status,
    decision: Option<Decision>,
) -> Result<&'static Spec, Refusal> {
    let spec = action.spec();
    if spec.owner_only {
        if !actor.is_owner {
            return Err(Refusal::Role {
                id: format!(
                    "Hanya pemohon pemilik permohonan ini yang boleh melakukan '{}'.",
                    action.as_str()
                ),
                en: format!(
                    "Only the applicant who owns this application may '{}'.",
                    action.as_str()
                ),
            });
        }
    } else if actor.role != Role::Admin && !spec.roles.contains(&actor.role) {
        return Err(Refusal::Role {
            id: format!(
                "Peran Anda ({}) tidak boleh melakukan '{}'; yang boleh: {}.",
                actor.role,
                action.as_str(),
                names(spec.roles)
            ),
            en: format!(
                "Your role ({}) may not '{}'; allowed: {}.",
                actor.role,
                action.as_str(),
                names(spec.roles)
            ),
        });
    }
    if !spec.from.contains(&status) {
        let from: Vec<&str> = spec.from.iter().map(|s| s.as_str()).collect();
        return Err(Refusal::State {
            id: format!(
                "'{}' hanya dapat dilakukan dari status {}; permohonan ini berstatus {}.",
                action.as_str(),
                from.join(" atau "),
                status.as_str()
            ),
            en: format!(
                "'{}' can only be taken from {}; this application is {}.",
                action.as_str(),
                from.join(" or "),
                status.as_str()
            ),
        });
    }
    if action == Action::Issue && !decision.is_some_and(Decision::is_approval) {
        return Err(Refusal::State {
            id: "Permohonan yang ditolak tidak dapat diterbitkan izinnya.".into(),
            en: "A rejected application cannot be issued a permit.".into(),
        });
    }
    Ok(spec)
}

/// The actions `actor` may take now, in workflow order.
pub fn allowed(actor: Actor, status: Status, decision: Option<Decision>) -> Vec<&'static Spec> {
    Action::ALL
        .into_iter()
        .filter_map(|a| permit(a, actor, status, decision).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, is_owner: bool) -> Actor {
        Actor { role, is_owner }
    }

    #[test]
    fn every_step_belongs_to_its_role_and_state() {
        let table = [
            (
                Action::Submit,
                Role::Pemohon,
                Status::Draft,
                Status::Submitted,
            ),
            (
                Action::Submit,
                Role::Pemohon,
                Status::Returned,
                Status::Submitted,
            ),
            (
                Action::StartCheck,
                Role::Operator,
                Status::Submitted,
                Status::AdminCheck,
            ),
            (
                Action::Return,
                Role::Operator,
                Status::AdminCheck,
                Status::Returned,
            ),
            (
                Action::Accept,
                Role::Operator,
                Status::AdminCheck,
                Status::TechnicalReview,
            ),
            (
                Action::ToForum,
                Role::Verifikator,
                Status::TechnicalReview,
                Status::ForumReview,
            ),
            (
                Action::ForumAdvice,
                Role::Forum,
                Status::ForumReview,
                Status::TechnicalReview,
            ),
            (
                Action::Decide,
                Role::Verifikator,
                Status::TechnicalReview,
                Status::Decided,
            ),
            (
                Action::Issue,
                Role::Pejabat,
                Status::Decided,
                Status::Issued,
            ),
        ];
        for (action, role, from, to) in table {
            let owner = role == Role::Pemohon;
            let spec = permit(action, actor(role, owner), from, Some(Decision::Approved))
                .unwrap_or_else(|e| panic!("{action:?} by {role} from {from:?}: {e:?}"));
            assert_eq!(spec.to, to);
            assert_eq!(Action::between(from, to), Some(action));
            // every other role is refused with a role reason (admins pass staff steps)
            for other in Role::ALL {
                if other == role || (other == Role::Admin && !spec.owner_only) {
                    continue;
                }
                let r = permit(action, actor(other, false), from, Some(Decision::Approved));
                assert!(matches!(r, Err(Refusal::Role { .. })), "{action:?} {other}");
            }
            // every other state is refused with a state reason
            for s in Status::ALL {
                if spec.from.contains(&s) {
                    continue;
                }
                let r = permit(action, actor(role, owner), s, Some(Decision::Approved));
                assert!(matches!(r, Err(Refusal::State { .. })), "{action:?} {s:?}");
            }
        }
    }

    #[test]
    fn a_rejection_is_never_issued_and_its_clock_stops() {
        let r = permit(
            Action::Issue,
            actor(Role::Pejabat, false),
            Status::Decided,
            Some(Decision::Rejected),
        );
        assert!(matches!(r, Err(Refusal::State { .. })));
        assert!(!sla_clock_runs(Status::Decided, Some(Decision::Rejected)));
        assert!(sla_clock_runs(Status::Decided, Some(Decision::Approved)));
        assert!(!sla_clock_runs(Status::Returned, None));
    }

    #[test]
    fn only_the_owner_submits_even_for_admins() {
        let r = permit(
            Action::Submit,
            actor(Role::Admin, false),
            Status::Draft,
            None,
        );
        assert!(matches!(r, Err(Refusal::Role { .. })));
        let allowed: Vec<Action> = allowed(actor(Role::Operator, false), Status::AdminCheck, None)
            .iter()
            .map(|s| s.action)
            .collect();
        assert_eq!(allowed, vec![Action::Return, Action::Accept]);
    }
}
