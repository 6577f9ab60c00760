//! The realistic corpus (tests/corpus/<version>/*.xml): every document decodes into the typed
//! model and comes back out as the same element tree, in XML and in WBXML; and the WBXML we
//! write agrees with two independent implementations: libwbxml (CSP 1.1 and 1.2, both
//! directions) and Wireshark's dissector via tshark (every version, our WBXML decoded there).

use std::path::{Path, PathBuf};

use imps_csp::{decode_wbxml, decode_xml, encode_wbxml, encode_xml, names, CspVersion, Limits};
use imps_testkit::{libwbxml_decode, libwbxml_encode, require, tshark_decode, Tool, Tree};

fn corpus() -> Vec<(CspVersion, PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for v in CspVersion::ALL {
        let dir = root.join(v.as_str());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("read corpus file");
            out.push((v, f, bytes));
        }
    }
    out
}

/// Element names as the canonical spelling, so trees from tools that use other spellings
/// (`Auto-Subscribe`, `WV-CSP-NSDiscovery-Request`, `CIRURL` …) compare by meaning.
fn canonical(mut t: Tree) -> Tree {
    if let Some(c) = names::canonical(&t.name) {
        t.name = c.to_owned();
    }
    t.children = t.children.into_iter().map(canonical).collect();
    t
}

fn tree(xml: &[u8]) -> Tree {
    canonical(Tree::parse_xml(xml).expect("well-formed XML"))
}

fn check_all(what: &str, mut f: impl FnMut(CspVersion, &Path, &[u8]) -> Option<String>) {
    let mut failures = Vec::new();
    let mut n = 0;
    for (v, path, bytes) in corpus() {
        n += 1;
        if let Some(problem) = f(v, &path, &bytes) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(n >= 60, "corpus has only {n} documents");
    assert!(
        failures.is_empty(),
        "{what}: {} of {n} documents fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_covers_every_version_and_feature_area() {
    let docs = corpus();
    for v in CspVersion::ALL {
        let count = docs.iter().filter(|(dv, _, _)| *dv == v).count();
        assert!(count >= 20, "{v}: only {count} documents");
    }
    let mut primitives = std::collections::BTreeSet::new();
    for (_, _, bytes) in &docs {
        let msg = decode_xml(bytes, &Limits::default()).expect("decodes");
        for t in &msg.session.transactions {
            primitives.insert(t.primitive.name().to_owned());
        }
    }
    for needed in [
        "Login-Request",
        "ClientCapability-Request",
        "Service-Response",
        "Search-Request",
        "InviteUser-Request",
        "ListManage-Request",
        "PresenceNotification-Request",
        "UpdatePresence-Request",
        "SendMessage-Request",
        "NewMessage",
        "BlockEntity-Request",
        "JoinGroup-Response",
        "GroupChangeNotice",
        "SystemMessage-Request",
        "GetSegment-Response",
        "ExtendConversation-Request",
        "GetPublicProfile-Response",
        "Notification-Request",
    ] {
        assert!(primitives.contains(needed), "corpus lacks {needed}");
    }
}

#[test]
fn xml_model_xml_keeps_the_tree() {
    let limits = Limits::default();
    check_all("XML -> model -> XML", |v, _, bytes| {
        let msg = match decode_xml(bytes, &limits) {
            Ok(m) => m,
            Err(e) => return Some(format!("decode: {e}")),
        };
        if msg.version != v {
            return Some(format!("version {} detected, expected {v}", msg.version));
        }
        let xml = encode_xml(&msg).expect("encode");
        tree(bytes).diff(&tree(xml.as_bytes()))
    });
}

#[test]
fn xml_wbxml_xml_keeps_the_tree() {
    let limits = Limits::default();
    check_all("XML -> WBXML -> model -> XML", |_, _, bytes| {
        let msg = decode_xml(bytes, &limits).ok()?;
        let wbxml = encode_wbxml(&msg).expect("encode WBXML");
        let back = match decode_wbxml(&wbxml, &limits) {
            Ok(m) => m,
            Err(e) => return Some(format!("decode our WBXML: {e}")),
        };
        let again = encode_wbxml(&back).expect("re-encode WBXML");
        if again != wbxml {
            return Some("WBXML -> model -> WBXML changed the bytes".into());
        }
        tree(bytes).diff(&tree(encode_xml(&back).expect("encode").as_bytes()))
    });
}

/// libwbxml 0.11.8 table gaps: elements it has no token for in a version (it renders them
/// `<unknown>`), so a tree from it cannot match there. Everything else must match exactly.
fn libwbxml_gap(v: CspVersion, name: &str) -> bool {
    v == CspVersion::V1_2 && name == "CIRHTTPAddress"
}

fn strip_gaps(v: CspVersion, mut t: Tree) -> Tree {
    t.children = t
        .children
        .into_iter()
        .filter(|c| !libwbxml_gap(v, &c.name) && c.name != "unknown")
        .map(|c| strip_gaps(v, c))
        .collect();
    t
}

#[test]
fn libwbxml_decodes_our_wbxml() {
    if !require(Tool::Wbxml2Xml) {
        return;
    }
    let limits = Limits::default();
    check_all("our WBXML -> libwbxml", |v, _, bytes| {
        if v == CspVersion::V1_3 {
            return None; // libwbxml has no CSP 1.3 tables: tshark covers 1.3.
        }
        let msg = decode_xml(bytes, &limits).ok()?;
        let wbxml = encode_wbxml(&msg).expect("encode WBXML");
        let theirs = match libwbxml_decode(&wbxml) {
            Ok(t) => canonical(t),
            Err(e) => return Some(format!("libwbxml rejects our WBXML: {e}")),
        };
        strip_gaps(v, tree(bytes)).diff(&strip_gaps(v, theirs))
    });
}

/// The document as libwbxml's tables spell it: its own names for a few elements (it fails on
/// names it has no token for), and without the elements it has no token for in that version.
fn libwbxml_spelling(v: CspVersion, bytes: &[u8]) -> String {
    let mut xml = String::from_utf8(bytes.to_vec()).expect("UTF-8 corpus");
    for (ours, theirs) in [
        ("BlockUser-Request", "BlockEntity-Request"),
        ("ExtendedData", "Extended-Data"),
        ("AutoSubscribe", "Auto-Subscribe"),
        ("ReferredContent", "PreferredContent"),
        ("ReferredvCard", "PreferredvCard"),
    ] {
        for (a, b) in [("<", "<"), ("</", "</")] {
            xml = xml.replace(&format!("{a}{ours}>"), &format!("{b}{theirs}>"));
            xml = xml.replace(&format!("{a}{ours}/>"), &format!("{b}{theirs}/>"));
        }
    }
    if v == CspVersion::V1_2 {
        while let Some(start) = xml.find("<CIRURL>") {
            let Some(end) = xml[start..].find("</CIRURL>") else {
                break;
            };
            xml.replace_range(start..start + end + "</CIRURL>".len(), "");
        }
    }
    xml
}

#[test]
fn we_decode_libwbxml_wbxml() {
    if !require(Tool::Xml2Wbxml) {
        return;
    }
    let limits = Limits::default();
    check_all("libwbxml WBXML -> ours", |v, _, bytes| {
        if v == CspVersion::V1_3 {
            return None;
        }
        let original = tree(bytes);
        let wbxml = match libwbxml_encode(libwbxml_spelling(v, bytes).as_bytes()) {
            Ok(w) => w,
            Err(e) => return Some(format!("libwbxml cannot encode the document: {e}")),
        };
        let msg = match decode_wbxml(&wbxml, &limits) {
            Ok(m) => m,
            Err(e) => return Some(format!("we reject libwbxml's WBXML: {e}")),
        };
        if msg.version != v {
            return Some(format!("version {} detected, expected {v}", msg.version));
        }
        let ours = tree(encode_xml(&msg).expect("encode").as_bytes());
        strip_gaps(v, original).diff(&strip_gaps(v, ours))
    });
}

#[test]
fn tshark_decodes_our_wbxml() {
    if !require(Tool::Tshark) {
        return;
    }
    let limits = Limits::default();
    check_all("our WBXML -> tshark", |_, _, bytes| {
        let msg = decode_xml(bytes, &limits).ok()?;
        let wbxml = encode_wbxml(&msg).expect("encode WBXML");
        let theirs = match tshark_decode(&wbxml) {
            Ok(t) => canonical(t),
            Err(e) => return Some(format!("tshark: {e}")),
        };
        tree(bytes).diff(&theirs)
    });
}
