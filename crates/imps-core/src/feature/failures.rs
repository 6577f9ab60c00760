//! What several-target requests (SendMessage, Invite, GetPublicProfile) report when some
//! targets failed: one DetailedResult per status code, naming the users and groups it concerns.

use imps_csp::model::common::{CspResult, DetailedResult};
use imps_csp::StatusCode;

/// Failures per status code, for DetailedResult.
#[derive(Default)]
pub(crate) struct Failures(Vec<DetailedResult>);

impl Failures {
    fn entry(&mut self, code: StatusCode) -> &mut DetailedResult {
        let pos = match self.0.iter().position(|d| d.code == code) {
            Some(p) => p,
            None => {
                self.0.push(DetailedResult {
                    code,
                    description: code.description().map(str::to_owned),
                    ..Default::default()
                });
                self.0.len() - 1
            }
        };
        &mut self.0[pos]
    }

    /// A failure about a user (as the request named it).
    pub(crate) fn add(&mut self, code: StatusCode, user: String) {
        self.entry(code).user_id.push(user);
    }

    /// A failure about a group, once per group and code.
    pub(crate) fn add_group(&mut self, code: StatusCode, group: String) {
        let e = self.entry(code);
        if !e.group_id.contains(&group) {
            e.group_id.push(group);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The Result: 200 without failures; 201 when something succeeded (`any_ok`); else the one
    /// code, or 900 for several.
    pub(crate) fn result(self, any_ok: bool) -> CspResult {
        let code = match (self.0.len(), any_ok) {
            (0, _) => StatusCode::SUCCESS,
            (_, true) => StatusCode::PARTIALLY_SUCCESSFUL,
            (1, false) => self.0[0].code,
            _ => StatusCode::MULTIPLE_ERRORS,
        };
        let mut r = CspResult::new(code);
        r.detailed = self.0;
        r
    }
}
