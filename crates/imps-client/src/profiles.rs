//! `imps profile` (your public profile, and others') and `imps search` (users by their
//! public profiles, searchable groups).

use anyhow::{anyhow, bail};
use clap::Subcommand;
use imps_csp::model::common::Property;
use imps_csp::model::fundamental::{SearchPairList, SearchRequest, StopSearchRequest};
use imps_csp::model::v13::{GetPublicProfileRequest, PublicProfile, UpdatePublicProfileRequest};
use imps_csp::Primitive;

use crate::session::{describe, expect_ok, Client};

/// `imps profile ...` (CSP 1.3: use `--csp 1.3`).
#[derive(Subcommand, Debug)]
pub enum ProfileOp {
    /// Show public profiles (yours when no user is named).
    Get {
        /// The users.
        #[arg(value_name = "USER")]
        who: Vec<String>,
    },
    /// Publish fields of your profile (`PP_CITY=Helsinki`; an empty value removes a field).
    Set {
        /// FIELD=VALUE.
        fields: Vec<String>,
        /// Drop what was published before.
        #[arg(long)]
        clear: bool,
    },
}

/// Runs one `imps profile` command; `out` gets the lines to print.
pub async fn profile(
    c: &mut Client,
    op: ProfileOp,
    mut out: impl FnMut(String),
) -> anyhow::Result<()> {
    match op {
        ProfileOp::Get { who } => {
            let p = c
                .request(Primitive::from(GetPublicProfileRequest { user_id: who }))
                .await?;
            let Primitive::GetPublicProfileResponse(r) = p else {
                expect_ok(&p, "GetPublicProfile")?;
                bail!("GetPublicProfile: unexpected answer {}", p.name());
            };
            for profile in &r.public_profile {
                out(profile.user_id.clone().unwrap_or_default());
                for f in &profile.property {
                    out(format!("  {}={}", f.name, f.value.as_deref().unwrap_or("")));
                }
            }
            for d in r.result.iter().flat_map(|r| r.detailed.iter()) {
                for u in &d.user_id {
                    out(format!(
                        "{u}: {}",
                        describe(&d.code, d.description.as_deref())
                    ));
                }
            }
        }
        ProfileOp::Set { fields, clear } => {
            let mut property = Vec::new();
            for f in &fields {
                let (k, v) = f
                    .split_once('=')
                    .ok_or_else(|| anyhow!("a field is FIELD=VALUE, not {f}"))?;
                property.push(Property::new(k.trim(), v.trim()));
            }
            let p = c
                .request(Primitive::from(UpdatePublicProfileRequest {
                    clear_public_profile: clear.then_some(true),
                    public_profile: (!property.is_empty()).then_some(PublicProfile {
                        user_id: None,
                        property,
                    }),
                }))
                .await?;
            expect_ok(&p, "UpdatePublicProfile")?;
            out("profile updated".into());
        }
    }
    Ok(())
}

/// `imps search ELEMENT=TEXT...`: every page of hits, one id per line.
pub async fn search(
    c: &mut Client,
    pairs: &[String],
    mut out: impl FnMut(String),
) -> anyhow::Result<()> {
    let mut list = Vec::new();
    for p in pairs {
        let (e, t) = p
            .split_once('=')
            .ok_or_else(|| anyhow!("a criterion is ELEMENT=TEXT (USER_CITY=Helsinki), not {p}"))?;
        list.push(SearchPairList::new(e.trim().to_ascii_uppercase(), t.trim()));
    }
    let mut req = SearchRequest {
        search_pair_list: list,
        ..Default::default()
    };
    let mut total = None;
    loop {
        let p = c.request(Primitive::from(req.clone())).await?;
        let Primitive::SearchResponse(r) = p else {
            expect_ok(&p, "Search")?;
            bail!("Search: unexpected answer {}", p.name());
        };
        total = total.or(r.search_findings);
        if let Some(found) = &r.search_result {
            for u in found.user_list.iter().flat_map(|l| l.user.iter()) {
                out(u.user_id.clone());
            }
            for g in found.group_list.iter().flat_map(|l| l.group_id.iter()) {
                out(g.clone());
            }
        }
        let (Some(id), false) = (r.search_id.clone(), r.completion_flag.unwrap_or(true)) else {
            if let Some(id) = r.search_id {
                let _ = c
                    .request(Primitive::from(StopSearchRequest { search_id: id }))
                    .await;
            }
            break;
        };
        req = SearchRequest {
            search_id: Some(id),
            search_index: r.search_index,
            ..Default::default()
        };
    }
    out(format!("{} found", total.unwrap_or(0)));
    Ok(())
}
