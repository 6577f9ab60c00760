//! `imps wbxml encode|decode` as a user runs them: stdin to stdout, version from the document,
//! a clear message and a non-zero exit on bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use imps_testkit::{libwbxml_decode, require, Tool, Tree};

fn imps(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imps"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run imps");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn corpus(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../imps-csp/tests/corpus")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn encode_then_decode_gives_the_same_document_in_every_version() {
    for rel in [
        "1.1/login-request-password.xml",
        "1.2/new-message-private-group.xml",
        "1.3/system-message-request-terms.xml",
    ] {
        let xml = corpus(rel);
        let enc = imps(&["wbxml", "encode"], &xml);
        assert!(
            enc.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&enc.stderr)
        );
        assert_eq!(enc.stdout.first(), Some(&0x03), "{rel}: WBXML 1.3 header");
        let version_id = match &rel[..3] {
            "1.1" => 0x10,
            "1.2" => 0x11,
            _ => 0x12,
        };
        assert_eq!(
            enc.stdout.get(1),
            Some(&version_id),
            "{rel}: public id of the document's version"
        );
        let dec = imps(&["wbxml", "decode"], &enc.stdout);
        assert!(
            dec.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&dec.stderr)
        );
        let before = Tree::parse_xml(&xml).expect("corpus XML");
        let after = Tree::parse_xml(&dec.stdout).expect("decoded XML");
        assert_eq!(before.diff(&after), None, "{rel}");
    }
}

#[test]
fn encoded_output_is_read_by_libwbxml() {
    if !require(Tool::Wbxml2Xml) {
        return;
    }
    let xml = corpus("1.2/new-message-private-group.xml");
    let enc = imps(&["wbxml", "encode"], &xml);
    assert!(enc.status.success());
    let theirs = libwbxml_decode(&enc.stdout).expect("libwbxml decodes imps output");
    assert_eq!(Tree::parse_xml(&xml).expect("xml").diff(&theirs), None);
}

#[test]
fn bad_input_fails_with_a_message() {
    for (args, input, needle) in [
        (["wbxml", "decode"], &b""[..], "empty input"),
        (["wbxml", "decode"], &b"<WV-CSP-Message/>"[..], "not WBXML"),
        (
            ["wbxml", "decode"],
            &[0x03u8, 0x11, 0x6A, 0x00, 0xC9][..],
            "cannot decode",
        ),
        (["wbxml", "encode"], &b"\x03\x11"[..], "not XML"),
        (
            ["wbxml", "encode"],
            &b"<WV-CSP-Message xmlns=\"urn:nope\"/>"[..],
            "version",
        ),
        (
            ["wbxml", "encode"],
            &b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"[..],
            "DTD",
        ),
    ] {
        let out = imps(&args, input);
        assert!(!out.status.success(), "{args:?} accepted {input:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle),
            "{args:?} {input:?}: stderr {err:?} lacks {needle:?}"
        );
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    }
}
