//! Writes seed corpora for the fuzz targets from the XML test corpus
//! (`crates/imps-csp/tests/corpus/{1.1,1.2,1.3}/*.xml`):
//!
//! * `corpus/xml_decode/`: every XML document as is;
//! * `corpus/wbxml_decode/`: every document that decodes, encoded as WBXML;
//! * `corpus/roundtrip/`: both.
//!
//! Run from `fuzz/`: `cargo run --example gen_seeds` (paths are relative to this crate).

use std::fs;
use std::path::{Path, PathBuf};

use imps_csp::{decode_xml, encode_wbxml, Limits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = here.join("../crates/imps-csp/tests/corpus");
    let out = |target: &str| -> std::io::Result<PathBuf> {
        let dir = here.join("corpus").join(target);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    };
    let (xml_dir, wbxml_dir, rt_dir) =
        (out("xml_decode")?, out("wbxml_decode")?, out("roundtrip")?);
    let (mut xml_n, mut wbxml_n, mut failed) = (0, 0, 0);
    for version in ["1.1", "1.2", "1.3"] {
        let mut files: Vec<_> = fs::read_dir(corpus.join(version))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        files.sort();
        for path in files {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("seed");
            let name = format!("{version}-{stem}");
            let xml = fs::read(&path)?;
            fs::write(xml_dir.join(format!("{name}.xml")), &xml)?;
            fs::write(rt_dir.join(format!("{name}.xml")), &xml)?;
            xml_n += 1;
            match decode_xml(&xml, &Limits::default()).map(|m| encode_wbxml(&m)) {
                Ok(Ok(wbxml)) => {
                    fs::write(wbxml_dir.join(format!("{name}.wbxml")), &wbxml)?;
                    fs::write(rt_dir.join(format!("{name}.wbxml")), &wbxml)?;
                    wbxml_n += 1;
                }
                Ok(Err(e)) => {
                    eprintln!("{}: encode: {e}", path.display());
                    failed += 1;
                }
                Err(e) => {
                    eprintln!("{}: decode: {e}", path.display());
                    failed += 1;
                }
            }
        }
    }
    println!("{xml_n} XML seeds, {wbxml_n} WBXML seeds, {failed} documents skipped");
    Ok(())
}
