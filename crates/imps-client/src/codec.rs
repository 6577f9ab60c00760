//! One CSP document between XML and WBXML, version detected from the document.

use anyhow::{bail, Context};
use imps_csp::{decode_wbxml, decode_xml, encode_wbxml, encode_xml, sniff, Encoding, Limits};

/// Decodes a WBXML CSP document and writes it as XML (with a trailing newline).
pub fn wbxml_to_xml(input: &[u8]) -> anyhow::Result<String> {
    if input.is_empty() {
        bail!("empty input: expected a WBXML CSP document on stdin");
    }
    if sniff(input) != Some(Encoding::Wbxml) {
        bail!(
            "input is not WBXML (first byte {:#04x}); did you mean `imps wbxml encode`?",
            input[0]
        );
    }
    let msg =
        decode_wbxml(input, &Limits::default()).context("cannot decode the WBXML document")?;
    let mut xml = encode_xml(&msg).context("cannot encode the document as XML")?;
    xml.push('\n');
    Ok(xml)
}

/// Decodes an XML CSP document and writes it as WBXML.
pub fn xml_to_wbxml(input: &[u8]) -> anyhow::Result<Vec<u8>> {
    if input.iter().all(u8::is_ascii_whitespace) {
        bail!("empty input: expected an XML CSP document on stdin");
    }
    if sniff(input) != Some(Encoding::Xml) {
        bail!("input is not XML; did you mean `imps wbxml decode`?");
    }
    let msg = decode_xml(input, &Limits::default()).context("cannot decode the XML document")?;
    encode_wbxml(&msg).context("cannot encode the document as WBXML")
}
