//! Code generation for the workspace.
//!
//! [`generate`] turns `crates/imps-csp/data/tokens.tsv` into the Rust source of
//! `crates/imps-csp/src/tokens.rs` (the CSP 1.1/1.2/1.3 WBXML token tables). The binary
//! (`cargo run -p xtask -- gen-tokens`) writes that file; `tests/tokens_fresh.rs` checks
//! that the checked-in file is up to date.
//!
//! # The TSV format
//! Tab-separated, `#` starts a comment line, blank lines are ignored. The first other line
//! is the header `kind page code name since until` (optionally followed by `flags`).
//! Each row: `kind` (`tag`, `attr`, `value`, `int`, `datetime`), `page` (hex, `-` for
//! values), `code` (hex), `name`, `since` (`1.1`/`1.2`/`1.3`), `until` (a version or `-` =
//! still present in 1.3) and an optional `flags` column ([`Flag`]: `-`, `decode-only`,
//! `literal-out` or `named-only`).
//!
//! # The common core
//! Towards clients we write a tag or value token only where Android's table (the CSP 1.3
//! table it uses in every version) has the same token for the same name, so that no client
//! meets a token its table lacks. Rows outside that core carry `literal-out` (written as a
//! LITERAL tag or an inline string; the token still decodes) or, for the service-tree codes
//! the server sends only to a client that named them, `named-only` (still a token). The
//! generated `CspTokens::core_exceptions` lists both per version.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The TSV input, relative to the workspace root.
pub const TOKENS_TSV: &str = "crates/imps-csp/data/tokens.tsv";
/// The generated module, relative to the workspace root.
pub const TOKENS_RS: &str = "crates/imps-csp/src/tokens.rs";
/// The command that regenerates [`TOKENS_RS`].
pub const GEN_COMMAND: &str = "cargo run -p xtask -- gen-tokens";

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}

/// A CSP version the tables cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// CSP 1.1 (public id 0x10).
    V11,
    /// CSP 1.2 (public id 0x11).
    V12,
    /// CSP 1.3 (public id 0x12).
    V13,
}

impl Version {
    /// All versions, oldest first.
    pub const ALL: [Version; 3] = [Version::V11, Version::V12, Version::V13];

    fn parse(s: &str) -> Option<Version> {
        match s {
            "1.1" => Some(Version::V11),
            "1.2" => Some(Version::V12),
            "1.3" => Some(Version::V13),
            _ => None,
        }
    }

    /// `"1.1"`, `"1.2"` or `"1.3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V11 => "1.1",
            Version::V12 => "1.2",
            Version::V13 => "1.3",
        }
    }

    /// `"11"`, `"12"` or `"13"` (used in generated item names).
    fn suffix(self) -> &'static str {
        match self {
            Version::V11 => "11",
            Version::V12 => "12",
            Version::V13 => "13",
        }
    }

    /// The WBXML public identifier of the version.
    pub fn public_id(self) -> u8 {
        match self {
            Version::V11 => 0x10,
            Version::V12 => 0x11,
            Version::V13 => 0x12,
        }
    }
}

/// What a row describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A tag token.
    Tag,
    /// An attribute-start token (name column `attr=value prefix`).
    Attr,
    /// An `EXT_T_0` value token.
    Value,
    /// An element with integer content.
    Int,
    /// An element with DateTime content.
    DateTime,
    /// An element without a token in any version (written as `LITERAL`), listed so that it
    /// has an element index; page and code `-`.
    Literal,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "tag" => Some(Kind::Tag),
            "attr" => Some(Kind::Attr),
            "value" => Some(Kind::Value),
            "int" => Some(Kind::Int),
            "datetime" => Some(Kind::DateTime),
            "literal" => Some(Kind::Literal),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::Attr => "attr",
            Kind::Value => "value",
            Kind::Int => "int",
            Kind::DateTime => "datetime",
            Kind::Literal => "literal",
        }
    }

    /// Int and DateTime rows share one "content typing" namespace.
    fn is_content(self) -> bool {
        matches!(self, Kind::Int | Kind::DateTime)
    }
}

/// One data row of the TSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the TSV.
    pub line: usize,
    /// Row kind.
    pub kind: Kind,
    /// Code page (0 for value rows).
    pub page: u8,
    /// Token code, or the value index.
    pub code: u32,
    /// Element name, `attr=prefix`, or value string.
    pub name: String,
    /// First version that has the row.
    pub since: Version,
    /// Last version that has the row.
    pub until: Version,
    /// How the row is used when encoding.
    pub flag: Flag,
}

/// The `flags` column: how a tag or value row is used when encoding (decoding always
/// reads the token).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// `-` or empty: the token is written.
    #[default]
    None,
    /// `decode-only`: never written; another token of the same name is (tag rows need one).
    DecodeOnly,
    /// `literal-out`: outside the common core; never written, and the element goes out as a
    /// LITERAL tag (tag rows: no other token of the name may exist in the version) or the
    /// string as inline text (value rows).
    LiteralOut,
    /// `named-only`: outside the common core but written as a token, because the server
    /// sends the element only to a client that named it (tag rows only).
    NamedOnly,
}

impl Flag {
    fn parse(s: &str) -> Option<Flag> {
        match s {
            "" | "-" => Some(Flag::None),
            "decode-only" => Some(Flag::DecodeOnly),
            "literal-out" => Some(Flag::LiteralOut),
            "named-only" => Some(Flag::NamedOnly),
            _ => None,
        }
    }

    /// The TSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::None => "-",
            Flag::DecodeOnly => DECODE_ONLY,
            Flag::LiteralOut => "literal-out",
            Flag::NamedOnly => "named-only",
        }
    }
}

impl Row {
    /// Whether the encoder chooses this token (not `decode-only`, not `literal-out`).
    pub fn encodes(&self) -> bool {
        matches!(self.flag, Flag::None | Flag::NamedOnly)
    }

    /// Whether `v` is within `since..=until`.
    pub fn in_version(&self, v: Version) -> bool {
        self.since <= v && v <= self.until
    }

    fn overlaps(&self, other: &Row) -> bool {
        self.since <= other.until && other.since <= self.until
    }

    /// For attr rows: the attribute name and value prefix.
    fn attr_parts(&self) -> (&str, &str) {
        self.name
            .split_once('=')
            .unwrap_or((self.name.as_str(), ""))
    }

    fn range(&self) -> String {
        if self.since == self.until {
            self.since.as_str().to_string()
        } else {
            format!("{}-{}", self.since.as_str(), self.until.as_str())
        }
    }
}

const HEADER: [&str; 6] = ["kind", "page", "code", "name", "since", "until"];
const DECODE_ONLY: &str = "decode-only";

fn parse_hex(field: &str, what: &str, max: u32) -> Result<u32, String> {
    let digits = field
        .strip_prefix("0x")
        .ok_or_else(|| format!("bad hex {what} `{field}` (expected 0x..)"))?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("bad hex {what} `{field}`"));
    }
    let n =
        u32::from_str_radix(digits, 16).map_err(|e| format!("bad hex {what} `{field}`: {e}"))?;
    if n > max {
        return Err(format!("{what} {field} out of range (max {max:#04X})"));
    }
    Ok(n)
}

fn parse_row(line: usize, fields: &[&str]) -> Result<Row, String> {
    if fields.len() != 6 && fields.len() != 7 {
        return Err(format!(
            "expected 6 or 7 tab-separated fields, found {}",
            fields.len()
        ));
    }
    let kind = Kind::parse(fields[0]).ok_or_else(|| format!("unknown kind `{}`", fields[0]))?;
    if kind == Kind::Literal && (fields[1] != "-" || fields[2] != "-") {
        return Err("literal rows have no page and no code (use `-`)".to_string());
    }
    let page = match (kind, fields[1]) {
        (Kind::Literal, _) => 0,
        (Kind::Value, "-" | "0") => 0,
        (Kind::Value, p) => match parse_hex(p, "page", 0xFF)? {
            0 => 0,
            _ => return Err(format!("value rows have no page (use `-`), found `{p}`")),
        },
        (_, p) => parse_hex(p, "page", 0xFF)?,
    };
    let page = u8::try_from(page).map_err(|_| format!("page {} out of range", fields[1]))?;
    let (code_min, code_max, what) = match kind {
        Kind::Tag | Kind::Int | Kind::DateTime => (0x05, 0x3F, "tag code"),
        Kind::Attr => (0x05, 0x7F, "attribute-start code"),
        Kind::Value | Kind::Literal => (0, u32::MAX, "value index"),
    };
    let code = match kind {
        Kind::Literal => 0,
        _ => parse_hex(fields[2], "code", code_max)?,
    };
    if code < code_min {
        return Err(format!("{what} {} below {code_min:#04X}", fields[2]));
    }
    if kind == Kind::Attr && page != 0 {
        return Err(format!(
            "attribute-start tokens must be on attribute page 0x00, found {}",
            fields[1]
        ));
    }
    let name = fields[3];
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "bad name `{name}` (empty or containing whitespace)"
        ));
    }
    if kind == Kind::Attr && !name.contains('=') {
        return Err(format!(
            "attr name `{name}` must be `attribute=value prefix`"
        ));
    }
    let since =
        Version::parse(fields[4]).ok_or_else(|| format!("bad since version `{}`", fields[4]))?;
    let until = match fields[5] {
        "-" => Version::V13,
        u => Version::parse(u).ok_or_else(|| format!("bad until version `{u}`"))?,
    };
    if until < since {
        return Err(format!("until {} is before since {}", fields[5], fields[4]));
    }
    let flag = match fields.get(6).copied() {
        None => Flag::None,
        Some(f) => Flag::parse(f).ok_or_else(|| format!("unknown flag `{f}`"))?,
    };
    match flag {
        Flag::None => {}
        Flag::DecodeOnly | Flag::LiteralOut if !matches!(kind, Kind::Tag | Kind::Value) => {
            return Err(format!(
                "`{}` applies to tag and value rows only",
                flag.as_str()
            ))
        }
        Flag::NamedOnly if kind != Kind::Tag => {
            return Err(format!("`{}` applies to tag rows only", flag.as_str()))
        }
        _ => {}
    }
    Ok(Row {
        line,
        kind,
        page,
        code,
        name: name.to_string(),
        since,
        until,
        flag,
    })
}

/// Parses the TSV and validates it. Errors are `line N: message`, one per line.
pub fn parse(tsv: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut header_seen = false;
    for (i, raw) in tsv.lines().enumerate() {
        let line = i + 1;
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            let ok = fields.len() >= 6
                && fields[..6] == HEADER
                && (fields.len() == 6 || (fields.len() == 7 && fields[6] == "flags"));
            if !ok {
                errors.push(format!(
                    "line {line}: expected the header `{}` (optionally `\tflags`)",
                    HEADER.join("\t")
                ));
            }
            continue;
        }
        match parse_row(line, &fields) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if !header_seen {
        errors.push("no header line".to_string());
    }
    if errors.is_empty() {
        validate(&rows, &mut errors);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors.join("\n"))
    }
}

fn validate(rows: &[Row], errors: &mut Vec<String>) {
    // The same token (or content typing of one element) twice in overlapping versions.
    let token_key = |r: &Row| {
        let kind = if r.kind.is_content() {
            Kind::Int
        } else {
            r.kind
        };
        (kind, r.page, r.code)
    };
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[..i] {
            if a.kind != Kind::Literal && token_key(a) == token_key(b) && a.overlaps(b) {
                errors.push(format!(
                    "line {}: duplicate {} page {:#04X} code {:#04X} `{}` ({}) overlaps line {} `{}` ({})",
                    a.line,
                    a.kind.as_str(),
                    a.page,
                    a.code,
                    a.name,
                    a.range(),
                    b.line,
                    b.name,
                    b.range()
                ));
            }
        }
    }

    // The generated per-page tables cover pages 0..TAG_PAGES.
    for r in rows.iter().filter(|r| r.kind == Kind::Tag) {
        if usize::from(r.page) >= TAG_PAGES {
            errors.push(format!(
                "line {}: tag page {:#04X} beyond the last supported page {:#04X}",
                r.line,
                r.page,
                TAG_PAGES - 1
            ));
        }
    }

    // A literal row names an element that has no token anywhere, once.
    for (i, a) in rows.iter().enumerate() {
        if a.kind != Kind::Literal {
            continue;
        }
        if let Some(b) = rows[..i]
            .iter()
            .chain(rows.iter().filter(|r| r.kind == Kind::Tag))
            .find(|b| {
                b.line != a.line && matches!(b.kind, Kind::Tag | Kind::Literal) && b.name == a.name
            })
        {
            errors.push(format!(
                "line {}: literal `{}` is also a {} on line {}",
                a.line,
                a.name,
                b.kind.as_str(),
                b.line
            ));
        }
    }

    for v in Version::ALL {
        let active = || rows.iter().filter(move |r| r.in_version(v));

        // Tag names are unique per version (except decode-only aliases).
        let mut tag_names: BTreeMap<&str, &Row> = BTreeMap::new();
        for r in active().filter(|r| r.kind == Kind::Tag && r.encodes()) {
            if let Some(prev) = tag_names.insert(&r.name, r) {
                errors.push(format!(
                    "line {}: tag `{}` also on line {} in {} (mark one `{DECODE_ONLY}`)",
                    r.line,
                    r.name,
                    prev.line,
                    v.as_str()
                ));
            }
        }
        // A decode-only tag needs an encodable token of the same name, unless it is a tag an
        // earlier version had at the same page and code (a tag the version dropped but real
        // encoders still send: it decodes, and is never written with a token).
        for r in active().filter(|r| r.kind == Kind::Tag && r.flag == Flag::DecodeOnly) {
            let dropped = rows.iter().any(|e| {
                e.kind == Kind::Tag
                    && e.flag != Flag::DecodeOnly
                    && e.until < r.since
                    && (e.page, e.code) == (r.page, r.code)
                    && e.name == r.name
            });
            if !tag_names.contains_key(r.name.as_str()) && !dropped {
                errors.push(format!(
                    "line {}: decode-only tag `{}` has no encodable token in {}",
                    r.line,
                    r.name,
                    v.as_str()
                ));
            }
        }
        // A literal-out tag is written LITERAL: no other token of the name may be chosen.
        for r in active().filter(|r| r.kind == Kind::Tag && r.flag == Flag::LiteralOut) {
            if let Some(other) = tag_names.get(r.name.as_str()) {
                errors.push(format!(
                    "line {}: literal-out tag `{}` has an encodable token on line {} in {} \
                     (use `{DECODE_ONLY}`)",
                    r.line,
                    r.name,
                    other.line,
                    v.as_str()
                ));
            }
        }

        // Attribute-start (name, prefix) pairs are unique per version.
        let mut attrs = BTreeMap::new();
        for r in active().filter(|r| r.kind == Kind::Attr) {
            if let Some(prev) = attrs.insert(r.attr_parts(), r.line) {
                errors.push(format!(
                    "line {}: attribute start `{}` also on line {prev} in {}",
                    r.line,
                    r.name,
                    v.as_str()
                ));
            }
        }

        // Content typing: unique per element, and matching a tag of the version.
        let mut typed = BTreeMap::new();
        for r in active().filter(|r| r.kind.is_content()) {
            if let Some(prev) = typed.insert(r.name.as_str(), r.line) {
                errors.push(format!(
                    "line {}: content type of `{}` also given on line {prev} in {}",
                    r.line,
                    r.name,
                    v.as_str()
                ));
            }
            let tag =
                active().find(|t| t.kind == Kind::Tag && t.page == r.page && t.code == r.code);
            match tag {
                Some(t) if t.name == r.name => {}
                Some(t) => errors.push(format!(
                    "line {}: {} `{}` names page {:#04X} code {:#04X}, which is `{}` in {}",
                    r.line,
                    r.kind.as_str(),
                    r.name,
                    r.page,
                    r.code,
                    t.name,
                    v.as_str()
                )),
                None => errors.push(format!(
                    "line {}: {} `{}`: no tag page {:#04X} code {:#04X} in {}",
                    r.line,
                    r.kind.as_str(),
                    r.name,
                    r.page,
                    r.code,
                    v.as_str()
                )),
            }
        }
    }
}

/// Parses and validates the TSV and returns the source of `tokens.rs`.
pub fn generate(tsv: &str) -> Result<String, String> {
    let rows = parse(tsv)?;
    let mut out = String::new();
    emit(&mut out, &rows).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Rust string literal for `s`.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn emit(out: &mut String, rows: &[Row]) -> std::fmt::Result {
    writeln!(
        out,
        "// @generated by `{GEN_COMMAND}` from {TOKENS_TSV}. DO NOT EDIT."
    )?;
    out.push_str(PRELUDE);
    let names = element_names(rows);
    emit_elements(out, &names)?;
    for v in Version::ALL {
        emit_version(out, rows, v, &names)?;
    }
    Ok(())
}

/// Every tag name of every version, sorted by bytes and unique.
fn element_names(rows: &[Row]) -> Vec<&str> {
    let set: BTreeSet<&str> = rows
        .iter()
        .filter(|r| matches!(r.kind, Kind::Tag | Kind::Literal))
        .map(|r| r.name.as_str())
        .collect();
    set.into_iter().collect()
}

/// Rust byte literal for an ASCII byte (`b'A'`), or a hex literal for anything else.
fn byte_lit(b: u8) -> String {
    if b.is_ascii_graphic() && b != b'\'' && b != b'\\' {
        format!("b'{}'", char::from(b))
    } else {
        format!("{b:#04X}")
    }
}

/// The key `element_index` dispatches on: length, first, last and middle byte.
fn element_key(name: &str) -> (usize, u8, u8, u8) {
    let b = name.as_bytes();
    let first = b.first().copied().unwrap_or(0);
    let last = b.last().copied().unwrap_or(0);
    let mid = b.get(b.len() / 2).copied().unwrap_or(0);
    (b.len(), first, last, mid)
}

/// `ELEMENT_NAMES`, `NO_ELEMENT`, `TAG_PAGES`, `TagIndices` and `element_index`.
fn emit_elements(out: &mut String, names: &[&str]) -> std::fmt::Result {
    writeln!(out)?;
    writeln!(
        out,
        "/// Every element name of every version, sorted by bytes: an element's index here"
    )?;
    writeln!(
        out,
        "/// identifies it in the codec ([`element_index`], [`CspTokens::tag_indices`])."
    )?;
    writeln!(out, "#[rustfmt::skip]")?;
    writeln!(out, "pub const ELEMENT_NAMES: [&str; {}] = [", names.len())?;
    for n in names {
        writeln!(out, "    {},", lit(n))?;
    }
    writeln!(out, "];")?;
    writeln!(out)?;
    writeln!(
        out,
        "/// The element index of a (page, code) pair that is no tag of the version."
    )?;
    writeln!(out, "pub const NO_ELEMENT: u16 = u16::MAX;")?;
    writeln!(out)?;
    writeln!(out, "/// Number of tag code pages (0x00 and up).")?;
    writeln!(out, "pub const TAG_PAGES: usize = {};", TAG_PAGES)?;
    writeln!(out)?;
    writeln!(
        out,
        "/// Element indices ([`ELEMENT_NAMES`]) by tag code page and 6-bit code."
    )?;
    writeln!(out, "pub type TagIndices = [[u16; 64]; TAG_PAGES];")?;
    writeln!(out)?;
    writeln!(
        out,
        "/// The index of element `name` in [`ELEMENT_NAMES`] (exact spelling, no aliases)."
    )?;
    writeln!(out, "pub fn element_index(name: &[u8]) -> Option<u16> {{")?;
    writeln!(
        out,
        "    let (Some(&first), Some(&last)) = (name.first(), name.last()) else {{"
    )?;
    writeln!(out, "        return None;")?;
    writeln!(out, "    }};")?;
    writeln!(
        out,
        "    let mid = name.get(name.len() / 2).copied().unwrap_or(0);"
    )?;
    writeln!(
        out,
        "    let index: u16 = match (name.len(), first, last, mid) {{"
    )?;
    let mut by_key: BTreeMap<(usize, u8, u8, u8), Vec<usize>> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        by_key.entry(element_key(n)).or_default().push(i);
    }
    for (key, indices) in &by_key {
        let pat = format!(
            "({}, {}, {}, {})",
            key.0,
            byte_lit(key.1),
            byte_lit(key.2),
            byte_lit(key.3)
        );
        let (last, guarded) = indices.split_last().unwrap_or((&0, &[]));
        for i in guarded {
            writeln!(out, "        {pat} if name == b{} => {i},", lit(names[*i]))?;
        }
        writeln!(out, "        {pat} => {last},")?;
    }
    writeln!(out, "        _ => return None,")?;
    writeln!(out, "    }};")?;
    writeln!(out, "    match ELEMENT_NAMES.get(usize::from(index)) {{")?;
    writeln!(
        out,
        "        Some(n) if same_bytes(n.as_bytes(), name) => Some(index),"
    )?;
    writeln!(out, "        _ => None,")?;
    writeln!(out, "    }}")?;
    writeln!(out, "}}")?;
    out.push_str(SAME_BYTES);
    Ok(())
}

/// `same_bytes`: an inline comparison for short names (no call to `memcmp`).
const SAME_BYTES: &str = r#"
/// `a == b` for short byte strings: whole words, the last one overlapping, inline.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let word = |s: &[u8], i: usize| {
            s.get(i..i + 8)
                .and_then(|c| <[u8; 8]>::try_from(c).ok())
                .map(u64::from_ne_bytes)
        };
        let mut i = 0;
        while i + 8 < n {
            if word(a, i).is_none() || word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        word(a, n - 8).is_some() && word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        let word = |s: &[u8], i: usize| {
            s.get(i..i + 4)
                .and_then(|c| <[u8; 4]>::try_from(c).ok())
                .map(u32::from_ne_bytes)
        };
        word(a, 0).is_some() && word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}
"#;

/// Tag code pages the CSP tables use (0x00-0x0B).
const TAG_PAGES: usize = 12;

const PRELUDE: &str = r#"
//! WBXML token tables of IMPS CSP 1.1, 1.2 and 1.3 (generated from `data/tokens.tsv`).
//!
//! One unit struct per version implements [`TokenTable`] (tag tokens on code pages
//! 0x00-0x0B, the `xmlns` attribute-start tokens of attribute page 0, and the `EXT_T_0`
//! value tokens) and [`CspTokens`] (which elements carry integer or DateTime content).
//! Use the statics [`TOKENS_11`], [`TOKENS_12`] and [`TOKENS_13`].
//!
//! Where a name has two tokens, encoding picks one: value strings that appear twice
//! (`SMS` 0x43/0x75, `IM` 0x12/0x68 in 1.1) encode with the lower index, and
//! the 1.2+ presence-attribute `ContentType` (page 5 0x36) only decodes (`ContentType`
//! encodes as page 0 0x10). Index 0x3D decodes as `GROUP_ID` in every version; the 1.3
//! meaning `History` has no token and travels as inline text. Thirteen tags the CSP 1.3
//! tables dropped (`InUse`, `AcceptedContentLength`, the reactive-authorisation primitives,
//! ...) still decode in 1.3, as Android's 1.3 table sends them, but have no 1.3 token.
//!
//! The writer keeps to the *common core* of the tables: a token is written only if Android's
//! table (CSP 1.3 plus a few 1.2 tags, used in every version) has the same token for the
//! same name. Rows outside it (`literal-out` in the TSV) still decode, but the element goes
//! out as a LITERAL tag and the string as inline text; [`CspTokens::core_exceptions`] lists
//! them, and the `named-only` tags the server sends only to clients that named them.

use imps_wbxml::TokenTable;

/// How an element's content is typed in WBXML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Character data: inline text, or an `EXT_T_0` value token where one exists.
    Text,
    /// An integer: OPAQUE, big-endian, minimal length (decoders also accept decimal text).
    Integer,
    /// A DateTime: 6-byte bit-packed OPAQUE (decoders also accept `YYYYMMDDThhmmssZ` text).
    DateTime,
}

/// Token table of one CSP version, plus element content typing.
pub trait CspTokens: TokenTable + Sync {
    /// How `name`'s content is encoded in this version.
    fn content(&self, name: &str) -> Content;

    /// The [`ELEMENT_NAMES`] index of every tag of this version, by code page and 6-bit code
    /// ([`NO_ELEMENT`] where the version has no tag).
    fn tag_indices(&self) -> &'static TagIndices;

    /// Where this version's writer leaves the common core (see the module docs).
    fn core_exceptions(&self) -> &'static CoreExceptions;
}

/// The names a version's tables have tokens for that the writer treats specially, because
/// Android's table lacks the token or reads another name there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreExceptions {
    /// Elements with a token in this version that are written as LITERAL tags.
    pub literal_tags: &'static [&'static str],
    /// Strings with a value token in this version that are written as inline text.
    pub inline_values: &'static [&'static str],
    /// Elements written as tokens although Android's table lacks them: the server sends
    /// them only to a client that named them (whose table therefore has them).
    pub named_only_tags: &'static [&'static str],
}

/// An attribute-start token: attribute name, value prefix, attribute page, code.
type AttrStart = (&'static str, &'static str, u8, u8);

/// The attribute name and value prefix of token `code` on attribute page `page`.
fn attr_start(attrs: &[AttrStart], page: u8, code: u8) -> Option<(&'static str, &'static str)> {
    attrs
        .iter()
        .find(|&&(_, _, p, c)| p == page && c == code)
        .map(|&(name, prefix, _, _)| (name, prefix))
}

/// The token of `attrs` (sorted longest prefix first) that covers most of `value`.
fn longest_prefix(attrs: &[AttrStart], name: &str, value: &str) -> Option<(u8, u8, usize)> {
    attrs
        .iter()
        .find(|&&(n, prefix, _, _)| n == name && value.starts_with(prefix))
        .map(|&(_, prefix, page, code)| (page, code, prefix.len()))
}
"#;

fn emit_version(out: &mut String, rows: &[Row], v: Version, names: &[&str]) -> std::fmt::Result {
    let s = v.suffix();
    let ver = v.as_str();
    let active = |kind: Kind| -> Vec<&Row> {
        let mut r: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kind == kind && r.in_version(v))
            .collect();
        r.sort_by_key(|r| (r.page, r.code));
        r
    };
    let tags = active(Kind::Tag);
    let mut attrs = active(Kind::Attr);
    let values = active(Kind::Value);

    writeln!(out)?;
    writeln!(
        out,
        "/// CSP {ver} tokens (public id {:#04x}).",
        v.public_id()
    )?;
    writeln!(out, "#[derive(Clone, Copy, Debug, Default)]")?;
    writeln!(out, "pub struct Tokens{s};")?;
    writeln!(out)?;
    writeln!(out, "/// The CSP {ver} token table.")?;
    writeln!(out, "pub static TOKENS_{s}: Tokens{s} = Tokens{s};")?;
    writeln!(out)?;

    // Attribute starts, longest prefix first (ties: lower code first).
    attrs.sort_by_key(|r| (std::cmp::Reverse(r.attr_parts().1.len()), r.page, r.code));
    writeln!(
        out,
        "/// CSP {ver} attribute-start tokens, longest value prefix first."
    )?;
    writeln!(out, "#[rustfmt::skip]")?;
    writeln!(out, "const ATTR_STARTS_{s}: &[AttrStart] = &[")?;
    for r in &attrs {
        let (name, prefix) = r.attr_parts();
        writeln!(
            out,
            "    ({}, {}, {:#04X}, {:#04X}),",
            lit(name),
            lit(prefix),
            r.page,
            r.code
        )?;
    }
    writeln!(out, "];")?;
    writeln!(out)?;

    writeln!(out, "impl TokenTable for Tokens{s} {{")?;
    writeln!(
        out,
        "    fn tag_names(&self, page: u8) -> Option<&'static [Option<&'static str>; 64]> {{"
    )?;
    writeln!(out, "        TAG_NAMES_{s}.get(usize::from(page))")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn tag_name(&self, page: u8, code: u8) -> Option<&'static str> {{"
    )?;
    writeln!(out, "        match (page, code) {{")?;
    for r in &tags {
        writeln!(
            out,
            "            ({}, {}) => Some({}),",
            hex2(r.page.into()),
            hex2(r.code),
            lit(&r.name)
        )?;
    }
    writeln!(out, "            _ => None,")?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn tag_token(&self, name: &str) -> Option<(u8, u8)> {{"
    )?;
    writeln!(out, "        match name {{")?;
    for r in tags.iter().filter(|r| r.encodes()) {
        writeln!(
            out,
            "            {} => Some(({}, {})),",
            lit(&r.name),
            hex2(r.page.into()),
            hex2(r.code)
        )?;
    }
    writeln!(out, "            _ => None,")?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn attr_start(&self, page: u8, code: u8) -> Option<(&'static str, &'static str)> {{"
    )?;
    writeln!(out, "        attr_start(ATTR_STARTS_{s}, page, code)")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn attr_start_token(&self, name: &str, value: &str) -> Option<(u8, u8, usize)> {{"
    )?;
    writeln!(out, "        longest_prefix(ATTR_STARTS_{s}, name, value)")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn ext_t(&self, n: u8, index: u32) -> Option<&'static str> {{"
    )?;
    writeln!(out, "        if n != 0 {{")?;
    writeln!(out, "            return None;")?;
    writeln!(out, "        }}")?;
    writeln!(out, "        match index {{")?;
    for r in &values {
        writeln!(
            out,
            "            {} => Some({}),",
            hex2(r.code),
            lit(&r.name)
        )?;
    }
    writeln!(out, "            _ => None,")?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;

    writeln!(
        out,
        "    fn ext_t_token(&self, value: &str) -> Option<(u8, u32)> {{"
    )?;
    writeln!(out, "        match value {{")?;
    let mut seen = BTreeSet::new();
    for r in values.iter().filter(|r| r.encodes()) {
        // Strings that appear twice encode with the lowest index (values are sorted).
        if seen.insert(r.name.as_str()) {
            writeln!(
                out,
                "            {} => Some((0, {})),",
                lit(&r.name),
                hex2(r.code)
            )?;
        }
    }
    writeln!(out, "            _ => None,")?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out, "}}")?;
    writeln!(out)?;

    let mut typed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind.is_content() && r.in_version(v))
        .collect();
    typed.sort_by_key(|r| (r.kind, r.page, r.code));
    writeln!(out, "impl CspTokens for Tokens{s} {{")?;
    writeln!(out, "    fn content(&self, name: &str) -> Content {{")?;
    writeln!(out, "        match name {{")?;
    for r in &typed {
        let content = if r.kind == Kind::Int {
            "Integer"
        } else {
            "DateTime"
        };
        writeln!(out, "            {} => Content::{content},", lit(&r.name))?;
    }
    writeln!(out, "            _ => Content::Text,")?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;
    writeln!(out, "    fn tag_indices(&self) -> &'static TagIndices {{")?;
    writeln!(out, "        &TAG_INDICES_{s}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;
    writeln!(
        out,
        "    fn core_exceptions(&self) -> &'static CoreExceptions {{"
    )?;
    writeln!(out, "        &CORE_EXCEPTIONS_{s}")?;
    writeln!(out, "    }}")?;
    writeln!(out, "}}")?;
    writeln!(out)?;

    // The common-core exceptions of the version.
    let names_of = |pick: &dyn Fn(&Row) -> bool| -> Vec<&str> {
        let set: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.in_version(v) && pick(r))
            .map(|r| r.name.as_str())
            .collect();
        set.into_iter().collect()
    };
    let literal_tags = names_of(&|r| r.kind == Kind::Tag && r.flag == Flag::LiteralOut);
    let encodable_values = names_of(&|r| r.kind == Kind::Value && r.encodes());
    let inline_values: Vec<&str> =
        names_of(&|r| r.kind == Kind::Value && r.flag == Flag::LiteralOut)
            .into_iter()
            .filter(|n| !encodable_values.contains(n))
            .collect();
    let named_only = names_of(&|r| r.kind == Kind::Tag && r.flag == Flag::NamedOnly);
    let list = |names: &[&str]| -> String {
        let items: Vec<String> = names.iter().map(|n| lit(n)).collect();
        format!("&[{}]", items.join(", "))
    };
    writeln!(
        out,
        "/// CSP {ver}: where the writer leaves the common core."
    )?;
    writeln!(out, "#[rustfmt::skip]")?;
    writeln!(
        out,
        "static CORE_EXCEPTIONS_{s}: CoreExceptions = CoreExceptions {{"
    )?;
    writeln!(out, "    literal_tags: {},", list(&literal_tags))?;
    writeln!(out, "    inline_values: {},", list(&inline_values))?;
    writeln!(out, "    named_only_tags: {},", list(&named_only))?;
    writeln!(out, "}};")?;
    writeln!(out)?;

    // Element indices by page and code; decode-only tags decode to their name too.
    let mut table = vec![[None::<usize>; 64]; TAG_PAGES];
    for r in &tags {
        let index = names.binary_search(&r.name.as_str()).ok();
        if let (Some(page), Some(index)) = (table.get_mut(usize::from(r.page)), index) {
            if let Some(slot) = usize::try_from(r.code).ok().and_then(|c| page.get_mut(c)) {
                *slot = Some(index);
            }
        }
    }
    writeln!(
        out,
        "/// CSP {ver} tag names by code page and code (what `tag_name` returns)."
    )?;
    writeln!(out, "#[rustfmt::skip]")?;
    writeln!(
        out,
        "static TAG_NAMES_{s}: [[Option<&str>; 64]; TAG_PAGES] = {{"
    )?;
    writeln!(out, "    const N: Option<&str> = None;")?;
    writeln!(out, "    [")?;
    for (p, page) in table.iter().enumerate() {
        writeln!(out, "        // page {}", hex2(p as u32))?;
        writeln!(out, "        [")?;
        for chunk in page.chunks(8) {
            let cells: Vec<String> = chunk
                .iter()
                .map(|c| c.map_or_else(|| "N".to_string(), |i| format!("Some({})", lit(names[i]))))
                .collect();
            writeln!(out, "            {},", cells.join(", "))?;
        }
        writeln!(out, "        ],")?;
    }
    writeln!(out, "    ]")?;
    writeln!(out, "}};")?;
    writeln!(out)?;
    writeln!(
        out,
        "/// CSP {ver} element indices by tag code page and code (`N` = [`NO_ELEMENT`])."
    )?;
    writeln!(out, "#[rustfmt::skip]")?;
    writeln!(out, "static TAG_INDICES_{s}: TagIndices = {{")?;
    writeln!(out, "    const N: u16 = NO_ELEMENT;")?;
    writeln!(out, "    [")?;
    for (p, page) in table.iter().enumerate() {
        writeln!(out, "        // page {}", hex2(p as u32))?;
        writeln!(out, "        [")?;
        for chunk in page.chunks(16) {
            let cells: Vec<String> = chunk
                .iter()
                .map(|c| c.map_or_else(|| "N".to_string(), |i| i.to_string()))
                .collect();
            writeln!(out, "            {},", cells.join(", "))?;
        }
        writeln!(out, "        ],")?;
    }
    writeln!(out, "    ]")?;
    writeln!(out, "}};")?;
    Ok(())
}

/// `0x05`-style literal: uppercase, at least two hex digits.
fn hex2(n: u32) -> String {
    format!("{n:#04X}").replacen("0X", "0x", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "kind\tpage\tcode\tname\tsince\tuntil\n";

    fn err(body: &str) -> String {
        match parse(&format!("{HEAD}{body}")) {
            Ok(rows) => panic!("expected an error, parsed {rows:?}"),
            Err(e) => e,
        }
    }

    fn ok(body: &str) -> Vec<Row> {
        match parse(&format!("{HEAD}{body}")) {
            Ok(rows) => rows,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[test]
    fn parses_rows_and_skips_comments() {
        let rows =
            ok("# comment\n\ntag\t0x00\t0x05\tAcceptance\t1.1\t-\nvalue\t-\t0xA5\tSHTTP\t1.2\t-\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 4);
        assert_eq!(
            (rows[0].kind, rows[0].page, rows[0].code),
            (Kind::Tag, 0, 5)
        );
        assert_eq!((rows[0].since, rows[0].until), (Version::V11, Version::V13));
        assert_eq!(
            (rows[1].kind, rows[1].code, rows[1].since),
            (Kind::Value, 0xA5, Version::V12)
        );
    }

    #[test]
    fn bad_hex_reports_line() {
        let e = err("tag\t0x00\t0x05\tA\t1.1\t-\ntag\t0x00\t0xZ6\tB\t1.1\t-\n");
        assert!(e.starts_with("line 3:"), "{e}");
        assert!(e.contains("bad hex"), "{e}");
        let e = err("tag\t00\t0x06\tB\t1.1\t-\n");
        assert!(
            e.starts_with("line 2:") && e.contains("bad hex page"),
            "{e}"
        );
        let e = err("value\t-\t0x\tB\t1.1\t-\n");
        assert!(e.starts_with("line 2:") && e.contains("bad hex"), "{e}");
    }

    #[test]
    fn code_ranges_are_checked() {
        assert!(err("tag\t0x00\t0x40\tA\t1.1\t-\n").contains("out of range"));
        assert!(err("tag\t0x00\t0x04\tA\t1.1\t-\n").contains("below"));
        assert!(err("attr\t0x01\t0x05\txmlns=x\t1.1\t-\n").contains("page 0x00"));
        assert!(err("attr\t0x00\t0x05\txmlns\t1.1\t-\n").contains("attribute=value prefix"));
        assert!(err("value\t0x01\t0x05\tX\t1.1\t-\n").contains("no page"));
    }

    #[test]
    fn versions_and_fields_are_checked() {
        assert!(err("tag\t0x00\t0x05\tA\t1.0\t-\n").contains("bad since"));
        assert!(err("tag\t0x00\t0x05\tA\t1.2\t1.4\n").contains("bad until"));
        assert!(err("tag\t0x00\t0x05\tA\t1.3\t1.2\n").contains("before since"));
        assert!(err("tag\t0x00\t0x05\tA\t1.1\n").contains("fields"));
        assert!(err("elem\t0x00\t0x05\tA\t1.1\t-\n").contains("unknown kind"));
        assert!(err("tag\t0x00\t0x05\tA B\t1.1\t-\n").contains("bad name"));
        assert!(err("tag\t0x00\t0x05\tA\t1.1\t-\tfoo\n").contains("unknown flag"));
        assert!(
            err("int\t0x00\t0x05\tA\t1.1\t-\tdecode-only\n").contains("tag and value rows only")
        );
    }

    #[test]
    fn header_is_required() {
        let e = parse("tag\t0x00\t0x05\tA\t1.1\t-\n").expect_err("no header");
        assert!(e.contains("header"), "{e}");
        assert!(
            parse("kind\tpage\tcode\tname\tsince\tuntil\tflags\ntag\t0x00\t0x05\tA\t1.1\t-\n")
                .is_ok()
        );
    }

    #[test]
    fn duplicate_codes_in_overlapping_versions_are_rejected() {
        let e = err("tag\t0x00\t0x05\tA\t1.1\t1.2\ntag\t0x00\t0x05\tB\t1.2\t-\n");
        assert!(
            e.starts_with("line 3: duplicate tag page 0x00 code 0x05"),
            "{e}"
        );
        let e = err("value\t-\t0x10\tA\t1.1\t-\nvalue\t-\t0x10\tB\t1.3\t-\n");
        assert!(e.contains("duplicate value"), "{e}");
        // Consecutive ranges (a renamed token) are fine, and so are other pages.
        ok("tag\t0x06\t0x06\tBlockUser-Request\t1.1\t1.1\ntag\t0x06\t0x06\tBlockEntity-Request\t1.2\t-\n");
        ok("tag\t0x00\t0x05\tA\t1.1\t-\ntag\t0x01\t0x05\tB\t1.1\t-\n");
        // A tag and a value may share a code.
        ok("tag\t0x00\t0x05\tA\t1.1\t-\nvalue\t-\t0x05\tA\t1.1\t-\n");
    }

    #[test]
    fn tag_names_are_unique_per_version() {
        let e = err("tag\t0x00\t0x10\tContentType\t1.1\t-\ntag\t0x05\t0x36\tContentType\t1.2\t-\n");
        assert!(e.contains("tag `ContentType` also on line 2 in 1.2"), "{e}");
        ok("tag\t0x00\t0x10\tContentType\t1.1\t-\ntag\t0x05\t0x36\tContentType\t1.2\t-\tdecode-only\n");
        // Different versions: fine.
        ok("tag\t0x00\t0x10\tX\t1.1\t1.1\ntag\t0x05\t0x36\tX\t1.2\t-\n");
        let e = err("tag\t0x05\t0x36\tContentType\t1.2\t-\tdecode-only\n");
        assert!(e.contains("no encodable token in 1.2"), "{e}");
        // A tag a later version dropped may stay decode-only there, at its old page and code.
        ok("tag\t0x00\t0x18\tInUse\t1.1\t1.2\ntag\t0x00\t0x18\tInUse\t1.3\t-\tdecode-only\n");
        let e =
            err("tag\t0x00\t0x18\tInUse\t1.1\t1.2\ntag\t0x00\t0x19\tInUse\t1.3\t-\tdecode-only\n");
        assert!(e.contains("no encodable token in 1.3"), "{e}");
    }

    #[test]
    fn literal_out_and_named_only_flags() {
        let head = "kind\tpage\tcode\tname\tsince\tuntil\tflags\n";
        let tsv = format!(
            "{head}tag\t0x00\t0x05\tA\t1.1\t-\n\
             tag\t0x01\t0x09\tCapability\t1.1\t1.2\tliteral-out\n\
             tag\t0x02\t0x0A\tCALI\t1.1\t1.2\tnamed-only\n\
             value\t-\t0x12\tIM\t1.1\t-\n\
             value\t-\t0x68\tIM\t1.1\t1.1\tliteral-out\n\
             value\t-\t0x5E\tAUDIO_CALL\t1.1\t1.2\tliteral-out\n"
        );
        let src = generate(&tsv).expect("generates");
        // Literal-out tags decode but have no encoding; named-only tags encode.
        assert_eq!(
            src.matches("(0x01, 0x09) => Some(\"Capability\"),").count(),
            2
        );
        assert!(!src.contains("\"Capability\" => Some(("));
        assert_eq!(src.matches("\"CALI\" => Some((0x02, 0x0A)),").count(), 2);
        // Literal-out values decode but are written inline (IM keeps its other token).
        assert_eq!(src.matches("0x5E => Some(\"AUDIO_CALL\"),").count(), 2);
        assert!(!src.contains("\"AUDIO_CALL\" => Some((0,"));
        assert_eq!(src.matches("\"IM\" => Some((0, 0x12)),").count(), 3);
        assert!(src.contains(
            "static CORE_EXCEPTIONS_11: CoreExceptions = CoreExceptions {\n    \
             literal_tags: &[\"Capability\"],\n    inline_values: &[\"AUDIO_CALL\"],\n    \
             named_only_tags: &[\"CALI\"],\n};"
        ));
        assert!(src.contains(
            "static CORE_EXCEPTIONS_13: CoreExceptions = CoreExceptions {\n    \
             literal_tags: &[],\n    inline_values: &[],\n    named_only_tags: &[],\n};"
        ));
        // Flag checks.
        assert!(
            err("int\t0x00\t0x05\tA\t1.1\t-\tliteral-out\n").contains("tag and value rows only")
        );
        assert!(err("value\t-\t0x05\tA\t1.1\t-\tnamed-only\n").contains("tag rows only"));
        let e = err("tag\t0x00\t0x10\tX\t1.1\t-\ntag\t0x05\t0x36\tX\t1.2\t-\tliteral-out\n");
        assert!(
            e.contains("literal-out tag `X` has an encodable token on line 2 in 1.2"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_value_strings_are_allowed() {
        ok("value\t-\t0x43\tSMS\t1.1\t-\nvalue\t-\t0x75\tSMS\t1.1\t-\n");
    }

    #[test]
    fn content_rows_must_name_a_tag() {
        let tags =
            "tag\t0x00\t0x0B\tCode\t1.1\t-\ntag\t0x03\t0x06\tAcceptedContentLength\t1.1\t1.2\n";
        ok(&format!("{tags}int\t0x00\t0x0B\tCode\t1.1\t-\n"));
        let e = err(&format!("{tags}int\t0x00\t0x0B\tCod\t1.1\t-\n"));
        assert!(e.contains("which is `Code`"), "{e}");
        let e = err(&format!(
            "{tags}int\t0x03\t0x06\tAcceptedContentLength\t1.1\t-\n"
        ));
        assert!(e.contains("no tag page 0x03 code 0x06 in 1.3"), "{e}");
        let e = err(&format!(
            "{tags}int\t0x00\t0x0B\tCode\t1.1\t-\ndatetime\t0x00\t0x0B\tCode\t1.3\t-\n"
        ));
        assert!(e.contains("duplicate datetime"), "{e}");
    }

    #[test]
    fn literal_rows_have_no_token_and_are_unique() {
        let e = err("literal\t0x00\t-\tX\t1.1\t-\n");
        assert!(e.contains("no page and no code"), "{e}");
        let e = err("tag\t0x00\t0x05\tX\t1.1\t-\nliteral\t-\t-\tX\t1.1\t-\n");
        assert!(e.contains("literal `X` is also a tag"), "{e}");
        let e = err("literal\t-\t-\tX\t1.1\t-\nliteral\t-\t-\tX\t1.1\t-\n");
        assert!(e.contains("literal `X` is also a literal"), "{e}");
        let src = generate(&format!(
            "{HEAD}tag\t0x00\t0x05\tB\t1.1\t-\nliteral\t-\t-\tA\t1.1\t-\n"
        ))
        .expect("generates");
        assert!(src.contains("pub const ELEMENT_NAMES: [&str; 2] = [\n    \"A\",\n    \"B\",\n];"));
        assert!(src.contains("(1, b'B', b'B', b'B') => 1,"));
    }

    #[test]
    fn generates_per_version_items() {
        let src = generate(&format!(
            "{HEAD}tag\t0x00\t0x0B\tCode\t1.1\t-\ntag\t0x09\t0x05\tCIR\t1.2\t-\n\
             attr\t0x00\t0x05\txmlns=http://a/CSP\t1.1\t-\n\
             value\t-\t0x43\tSMS\t1.1\t-\nvalue\t-\t0x75\tSMS\t1.1\t-\nint\t0x00\t0x0B\tCode\t1.1\t-\n"
        ))
        .expect("generates");
        assert!(src.starts_with("// @generated by `cargo run -p xtask -- gen-tokens`"));
        for s in ["11", "12", "13"] {
            assert!(src.contains(&format!("pub static TOKENS_{s}: Tokens{s} = Tokens{s};")));
        }
        assert_eq!(src.matches("\"SMS\" => Some((0, 0x43)),").count(), 3);
        assert!(!src.contains("\"SMS\" => Some((0, 0x75))"));
        assert_eq!(src.matches("(0x09, 0x05) => Some(\"CIR\"),").count(), 2);
        assert_eq!(src.matches("\"Code\" => Content::Integer,").count(), 3);
    }
}
