//! Normalised XML element trees for comparing CSP documents.

use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::Reader;

/// An XML element tree normalised for comparison: local names (namespace prefixes and xmlns attributes dropped),
/// text trimmed of surrounding whitespace (whitespace-only text dropped), children in document order, other attributes ignored.
///
/// Text normalisation details: all character data directly inside an element (text nodes, entity and
/// character references, CDATA sections) is concatenated in document order, even when child elements
/// sit between the pieces, and the result is trimmed of XML whitespace (space, tab, CR, LF) at both ends.
/// Interior whitespace is kept as is (line ends normalised to LF as XML 1.0 requires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// Local element name (no namespace prefix).
    pub name: String,
    /// Trimmed, concatenated character data of this element (not of its children).
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Tree>,
}

/// The XML whitespace characters (XML 1.0 production `S`).
fn is_xml_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub(crate) fn trim_xml_ws(s: &str) -> &str {
    s.trim_matches(is_xml_ws)
}

pub(crate) fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

impl Tree {
    /// A leaf element with text.
    pub fn leaf(name: &str, text: &str) -> Tree {
        Tree {
            name: name.to_string(),
            text: text.to_string(),
            children: Vec::new(),
        }
    }

    /// An element with children and no text.
    pub fn node(name: &str, children: Vec<Tree>) -> Tree {
        Tree {
            name: name.to_string(),
            text: String::new(),
            children,
        }
    }

    /// The first element named `name` (this one or a descendant, depth first, document
    /// order).
    pub fn find(&self, name: &str) -> Option<&Tree> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// Parse an XML document (UTF-8, optional BOM) into a normalised tree.
    ///
    /// Skips the XML declaration, DOCTYPE, comments and processing instructions; decodes the
    /// predefined entities and character references; CDATA content counts as text. Any other
    /// entity reference is an error, as are malformed documents, non-UTF-8 input, several root
    /// elements or non-whitespace text outside the root element.
    pub fn parse_xml(xml: &[u8]) -> Result<Tree, String> {
        let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
        let text = std::str::from_utf8(xml).map_err(|e| format!("XML is not valid UTF-8: {e}"))?;
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Tree> = Vec::new();
        let mut root: Option<Tree> = None;

        fn close(mut t: Tree, stack: &mut [Tree], root: &mut Option<Tree>) -> Result<(), String> {
            t.text = trim_xml_ws(&t.text).to_string();
            match stack.last_mut() {
                Some(parent) => parent.children.push(t),
                None => {
                    if root.is_some() {
                        return Err(format!("more than one root element (second: <{}>)", t.name));
                    }
                    *root = Some(t);
                }
            }
            Ok(())
        }

        loop {
            let pos = reader.buffer_position();
            let ev = reader
                .read_event()
                .map_err(|e| format!("XML parse error at byte {pos}: {e}"))?;
            match ev {
                Event::Start(e) => {
                    let name = e.local_name().into_inner().to_string();
                    if stack.is_empty() && root.is_some() {
                        return Err(format!("more than one root element (second: <{name}>)"));
                    }
                    stack.push(Tree::leaf(&name, ""));
                }
                Event::Empty(e) => {
                    let name = e.local_name().into_inner().to_string();
                    close(Tree::leaf(&name, ""), &mut stack, &mut root)?;
                }
                Event::End(_) => {
                    let t = stack
                        .pop()
                        .ok_or_else(|| format!("unexpected end tag at byte {pos}"))?;
                    close(t, &mut stack, &mut root)?;
                }
                Event::Text(t) => {
                    let content = t.xml10_content();
                    match stack.last_mut() {
                        Some(top) => top.text.push_str(&content),
                        None => {
                            if !trim_xml_ws(&content).is_empty() {
                                return Err(format!(
                                    "text outside the root element at byte {pos}: {:?}",
                                    trim_xml_ws(&content)
                                ));
                            }
                        }
                    }
                }
                Event::CData(c) => {
                    let content = c.into_inner();
                    let top = stack
                        .last_mut()
                        .ok_or_else(|| format!("CDATA outside the root element at byte {pos}"))?;
                    top.text.push_str(&content);
                }
                Event::GeneralRef(r) => {
                    let ch = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .map_err(|e| format!("bad character reference &{};: {e}", &*r))?
                            .ok_or_else(|| format!("bad character reference &{};", &*r))?
                    } else {
                        predefined_entity(&r)
                            .ok_or_else(|| format!("unknown entity reference &{};", &*r))?
                    };
                    let top = stack.last_mut().ok_or_else(|| {
                        format!("entity reference outside the root element at byte {pos}")
                    })?;
                    top.text.push(ch);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(open) = stack.last() {
            return Err(format!("unexpected end of document inside <{}>", open.name));
        }
        root.ok_or_else(|| "document has no root element".to_string())
    }

    /// Pretty-printed XML (two-space indentation), for diff messages. Text goes on its own line
    /// when the element also has children.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out, 0);
        out
    }

    fn write_xml(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        if self.children.is_empty() {
            if self.text.is_empty() {
                let _ = writeln!(out, "{indent}<{}/>", self.name);
            } else {
                let _ = writeln!(
                    out,
                    "{indent}<{0}>{1}</{0}>",
                    self.name,
                    escape_text(&self.text)
                );
            }
            return;
        }
        let _ = writeln!(out, "{indent}<{}>", self.name);
        if !self.text.is_empty() {
            let _ = writeln!(out, "{indent}  {}", escape_text(&self.text));
        }
        for c in &self.children {
            c.write_xml(out, depth + 1);
        }
        let _ = writeln!(out, "{indent}</{}>", self.name);
    }

    /// Human-readable first difference between two trees ("path /WV-CSP-Message/Session/...: expected X got Y"), None if equal.
    ///
    /// `self` is the expected tree, `other` the one obtained. Path steps carry a 1-based index
    /// (`Transaction[2]`) when the parent has several children with that name.
    pub fn diff(&self, other: &Tree) -> Option<String> {
        if self.name != other.name {
            return Some(format!(
                "path /{}: expected element <{}> got <{}>",
                self.name, self.name, other.name
            ));
        }
        self.diff_at(other, &format!("/{}", self.name))
    }

    fn diff_at(&self, other: &Tree, path: &str) -> Option<String> {
        if self.text != other.text {
            return Some(format!(
                "path {path}: expected text {:?} got {:?}",
                self.text, other.text
            ));
        }
        let n = self.children.len().max(other.children.len());
        for i in 0..n {
            match (self.children.get(i), other.children.get(i)) {
                (Some(e), Some(g)) => {
                    let step = step_name(&self.children, i);
                    if e.name != g.name {
                        return Some(format!(
                            "path {path}: child #{} expected <{}> got <{}>",
                            i + 1,
                            e.name,
                            g.name
                        ));
                    }
                    if let Some(d) = e.diff_at(g, &format!("{path}/{step}")) {
                        return Some(d);
                    }
                }
                (Some(e), None) => {
                    return Some(format!(
                        "path {path}: expected {} children got {}; first missing: <{}>",
                        self.children.len(),
                        other.children.len(),
                        e.name
                    ));
                }
                (None, Some(g)) => {
                    return Some(format!(
                        "path {path}: expected {} children got {}; first extra: <{}>",
                        self.children.len(),
                        other.children.len(),
                        g.name
                    ));
                }
                (None, None) => break,
            }
        }
        None
    }
}

/// `Name` or `Name[k]` when several siblings share the name.
fn step_name(siblings: &[Tree], i: usize) -> String {
    let name = &siblings[i].name;
    let same = siblings.iter().filter(|s| &s.name == name).count();
    if same > 1 {
        let k = siblings[..=i].iter().filter(|s| &s.name == name).count();
        format!("{name}[{k}]")
    } else {
        name.clone()
    }
}

impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_xml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.DTD">
<!-- a comment -->
<?some-pi data?>
<csp:WV-CSP-Message xmlns:csp="http://www.openmobilealliance.org/DTD/WV-CSP1.2" other="x">
  <csp:Session>
    <SessionDescriptor>
      <SessionType>  Inband
      </SessionType>
      <SessionID>a &amp; b &lt;c&gt; &#65;&#x42; &apos;&quot;</SessionID>
    </SessionDescriptor>
    <Empty/>
    <CD><![CDATA[x<y]]></CD>
  </csp:Session>
</csp:WV-CSP-Message>
"#;
        let t = Tree::parse_xml(xml).expect("parse");
        let expected = Tree::node(
            "WV-CSP-Message",
            vec![Tree::node(
                "Session",
                vec![
                    Tree::node(
                        "SessionDescriptor",
                        vec![
                            Tree::leaf("SessionType", "Inband"),
                            Tree::leaf("SessionID", "a & b <c> AB '\""),
                        ],
                    ),
                    Tree::leaf("Empty", ""),
                    Tree::leaf("CD", "x<y"),
                ],
            )],
        );
        assert_eq!(t, expected, "{}", expected.diff(&t).unwrap_or_default());
    }

    #[test]
    fn bom_and_interior_whitespace() {
        let t = Tree::parse_xml(b"\xEF\xBB\xBF<a>\r\n x \r\n y \n</a>").expect("parse");
        assert_eq!(t, Tree::leaf("a", "x \n y"));
    }

    #[test]
    fn mixed_content_is_concatenated() {
        let t = Tree::parse_xml(b"<a> x <b/> y </a>").expect("parse");
        assert_eq!(t.text, "x  y");
        assert_eq!(t.children, vec![Tree::leaf("b", "")]);
    }

    #[test]
    fn rejects_bad_documents() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a/><b/>",
            b"text<a/>",
            b"<a>&nbsp;</a>",
            b"<a>\xFF</a>",
        ] {
            assert!(
                Tree::parse_xml(bad).is_err(),
                "{:?} should fail",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn diff_reports_first_difference() {
        let a = Tree::parse_xml(b"<M><S><T><C>1</C></T><T><C>2</C></T></S></M>").expect("parse");
        assert_eq!(a.diff(&a.clone()), None);

        let b = Tree::parse_xml(b"<M><S><T><C>1</C></T><T><C>3</C></T></S></M>").expect("parse");
        assert_eq!(
            a.diff(&b).as_deref(),
            Some("path /M/S/T[2]/C: expected text \"2\" got \"3\"")
        );

        let c = Tree::parse_xml(b"<M><S><T><C>1</C></T></S></M>").expect("parse");
        assert_eq!(
            a.diff(&c).as_deref(),
            Some("path /M/S: expected 2 children got 1; first missing: <T>")
        );
        assert_eq!(
            c.diff(&a).as_deref(),
            Some("path /M/S: expected 1 children got 2; first extra: <T>")
        );

        let d = Tree::parse_xml(b"<M><S><X/></S></M>").expect("parse");
        assert_eq!(
            c.diff(&d).as_deref(),
            Some("path /M/S: child #1 expected <T> got <X>")
        );
        let e = Tree::parse_xml(b"<N/>").expect("parse");
        assert_eq!(
            c.diff(&e).as_deref(),
            Some("path /M: expected element <M> got <N>")
        );
    }

    #[test]
    fn to_xml_round_trips() {
        let t = Tree::parse_xml(b"<a>t &amp; u<b>x&lt;y</b><c/></a>").expect("parse");
        let s = t.to_xml();
        assert_eq!(s, "<a>\n  t &amp; u\n  <b>x&lt;y</b>\n  <c/>\n</a>\n");
        assert_eq!(Tree::parse_xml(s.as_bytes()).expect("reparse"), t);
    }
}
