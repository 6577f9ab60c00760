//! GetMap (CSP 1.3, GETMAP): a map of a user's location, or of a location given as presence
//! attributes, answered as the URL of a map service the operator configured
//! (`EngineConfig::map_url`, with `{lat}`, `{lon}` and `{query}` filled in). Without one the
//! function is not offered and GetMap-Request is 501. A user's location is what the asker may
//! see of it, from its owner ([`crate::route::Event::Peek`]).

use imps_csp::model::attributes::{Address, ClientTextAttribute, GeoLocation, PresenceSubList};
use imps_csp::model::v13::{GetMapRequest, GetMapResponse};
use imps_csp::{Primitive, StatusCode};

use crate::engine::{fail, status, Cx, Reply};
use crate::route::{Event, Op};
use crate::state::AttrSet;

/// A GetMap waiting for the user's owner.
pub(crate) struct MapOp {
    /// 1 until the owner answered.
    pub waiting: usize,
    template: String,
    view: Option<Result<Box<PresenceSubList>, StatusCode>>,
}

impl MapOp {
    /// The owner's answer.
    pub(crate) fn record(&mut self, view: Result<PresenceSubList, StatusCode>) {
        self.view = Some(view.map(Box::new));
        self.waiting = 0;
    }

    /// GetMap-Response with the map's URL, or why there is none.
    pub(crate) fn answer(self) -> Primitive {
        match self.view {
            Some(Ok(v)) => map_of(&self.template, &v),
            Some(Err(code)) => status(code),
            None => status(StatusCode::INTERNAL_ERROR),
        }
    }
}

/// The location attributes a map is drawn from.
fn wanted() -> Option<AttrSet> {
    AttrSet::of(&PresenceSubList {
        geo_location: Some(GeoLocation::default()),
        address: Some(Address::default()),
        free_text_location: Some(ClientTextAttribute::default()),
        ..Default::default()
    })
}

/// GetMap-Request.
pub(crate) fn get_map(cx: &mut Cx<'_>, sid: &str, r: GetMapRequest) -> Reply {
    let Some(template) = cx.cfg.map_url.clone() else {
        return fail(StatusCode::NOT_IMPLEMENTED);
    };
    if let Some(p) = &r.presence_sub_list {
        return map_of(&template, p).into();
    }
    let Some(who) = r.user_id.as_deref().and_then(|u| cx.addr(u)) else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let me = cx.user_of(sid);
    cx.route(Event::Peek {
        op,
        index: 0,
        presentity: who,
        watcher: me,
        wanted: wanted(),
    });
    Reply::Later(Op::Map(MapOp {
        waiting: 1,
        template,
        view: None,
    }))
}

/// The map of the location `p` holds (coordinates first, else the address or free text):
/// 404 when it holds none.
fn map_of(template: &str, p: &PresenceSubList) -> Primitive {
    let valid = |q: Option<bool>| q != Some(false);
    let (lat, lon) = p
        .geo_location
        .as_ref()
        .filter(|g| valid(g.qualifier))
        .map(|g| (g.latitude.clone(), g.longitude.clone()))
        .unwrap_or((None, None));
    let number = |v: Option<String>| v.filter(|s| s.trim().parse::<f64>().is_ok());
    let (lat, lon) = (number(lat), number(lon));
    let mut query: Vec<String> = Vec::new();
    if let Some(a) = p.address.as_ref().filter(|a| valid(a.qualifier)) {
        for part in [&a.building, &a.street, &a.named_area, &a.city, &a.country] {
            if let Some(s) = part.as_ref().filter(|s| !s.trim().is_empty()) {
                query.push(s.trim().to_owned());
            }
        }
    }
    if query.is_empty() {
        if let Some(t) = p
            .free_text_location
            .as_ref()
            .filter(|t| valid(t.qualifier))
            .and_then(|t| t.presence_value.clone())
        {
            query.push(t);
        }
    }
    if lat.is_none() && query.is_empty() {
        return status(StatusCode::NOT_FOUND);
    }
    let url = template
        .replace("{lat}", &encode(lat.as_deref().unwrap_or("")))
        .replace("{lon}", &encode(lon.as_deref().unwrap_or("")))
        .replace("{query}", &encode(&query.join(", ")));
    Primitive::from(GetMapResponse {
        map: None,
        url: Some(url),
    })
}

/// Percent-encoding of everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.trim().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
