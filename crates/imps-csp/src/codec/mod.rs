//! The codec core: a pull [`Source`] of element events (XML or WBXML), a [`Sink`] that writes
//! elements (XML or WBXML), and the [`Element`] / [`Slot`] traits every model type implements.
//!
//! Decoding goes straight from parser events into typed structs, with no DOM in between.
//! Names seen by model code are canonical (see [`crate::names`]): the sources map the
//! alternative spellings real clients send onto one name, and the sinks map the canonical name
//! onto the spelling of the version being written.

use std::borrow::Cow;

use crate::error::{DecodeError, EncodeError};
use crate::names::ElementId;
use crate::version::CspVersion;

mod leaf;
pub mod wbxml_read;
pub mod wbxml_write;
pub mod xml_read;
pub mod xml_write;

pub use leaf::{Binary, ContentData, DateTime, Empty};

/// The name of an element start: its identity ([`ElementId`]) and its canonical spelling
/// (for unknown elements, the local name as received). Dereferences to the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name<'a> {
    id: ElementId,
    text: &'a str,
}

impl<'a> Name<'a> {
    /// The name of a known element.
    #[inline]
    pub fn known(id: ElementId) -> Name<'static> {
        Name {
            id,
            text: id.name().unwrap_or(""),
        }
    }

    /// The name of the element whose spelling is `ELEMENT_NAMES[index]` (`spelling`): its id,
    /// and the canonical spelling (`spelling` itself unless the element was renamed).
    #[inline]
    pub(crate) fn with_index(index: u16, spelling: &'a str) -> Name<'a> {
        let id = ElementId::from_index(index);
        if id == ElementId::from_raw(index) {
            Name { id, text: spelling }
        } else {
            Name::known(id)
        }
    }

    /// The name of a local name as received: canonical spelling and id when the name is known
    /// (in any spelling), else [`ElementId::UNKNOWN`] and `local` itself.
    #[inline]
    pub fn new(local: &'a str) -> Name<'a> {
        let id = ElementId::lookup(local);
        Name {
            id,
            text: id.name().unwrap_or(local),
        }
    }

    /// The element's identity ([`ElementId::UNKNOWN`] when no CSP version has it).
    #[inline]
    pub fn id(&self) -> ElementId {
        self.id
    }

    /// The canonical name (or the name as received, for unknown elements).
    #[inline]
    pub fn as_str(&self) -> &'a str {
        self.text
    }
}

impl std::ops::Deref for Name<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.text
    }
}

impl PartialEq<str> for Name<'_> {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Name<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}

/// One event of a document being decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev<'a> {
    /// Start of an element, by canonical name and id.
    Start(Name<'a>),
    /// Character data (already unescaped / resolved from value tokens).
    Text(Cow<'a, str>),
    /// WBXML OPAQUE data.
    Opaque(&'a [u8]),
    /// End of the innermost open element.
    End,
    /// End of the document.
    Eof,
}

/// A pull source of [`Ev`] events.
pub trait Source<'a> {
    /// The CSP version of the document.
    fn version(&self) -> CspVersion;
    /// The next event.
    fn next(&mut self) -> Result<Ev<'a>, DecodeError>;
    /// Reads the content of a leaf element whose `Start` was just read, through its `End`, as
    /// either text or OPAQUE bytes (whichever came first decides; mixing the two is an error).
    /// A source may override it with a faster path; the result must be the same.
    fn raw(&mut self, element: &'static str) -> Result<Raw<'a>, DecodeError>
    where
        Self: Sized,
    {
        read_raw_rest(self, element, None, None)
    }
    /// Reads the text content of the element whose `Start` was just read, through its `End`:
    /// what [`read_text`] returns. A source may override it with a faster path for the usual
    /// shape (one piece of text, or none, then the end); the result must be the same.
    fn text(&mut self, element: &'static str) -> Result<Cow<'a, str>, DecodeError>
    where
        Self: Sized,
    {
        let first = match self.next()? {
            Ev::End => return Ok(Cow::Borrowed("")),
            Ev::Text(t) => t,
            other => return read_text_rest(self, element, None, other),
        };
        match self.next()? {
            Ev::End => Ok(first),
            other => read_text_rest(self, element, Some(first), other),
        }
    }
    /// Skips the rest of the element whose `Start` was just read, through its `End`.
    fn skip(&mut self) -> Result<(), DecodeError> {
        let mut depth = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => depth += 1,
                Ev::End => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }
}

/// A writer of elements in one encoding and version.
pub trait Sink {
    /// The version being written.
    fn version(&self) -> CspVersion;
    /// Opens element `name` (canonical name; the sink writes the version's spelling).
    fn start(&mut self, name: &'static str) -> Result<(), EncodeError>;
    /// Opens element `name` with an `xmlns` attribute.
    fn start_ns(&mut self, name: &'static str, namespace: &'static str) -> Result<(), EncodeError>;
    /// Opens an element whose name is only known at run time (unknown / vendor elements).
    fn start_dyn(&mut self, name: &str) -> Result<(), EncodeError>;
    /// Character data.
    fn text(&mut self, text: &str) -> Result<(), EncodeError>;
    /// An integer (OPAQUE in WBXML where the version types the element as integer).
    fn integer(&mut self, value: u32) -> Result<(), EncodeError>;
    /// A DateTime (6-byte OPAQUE in WBXML where the version types the element as DateTime).
    fn datetime(&mut self, value: &DateTime) -> Result<(), EncodeError>;
    /// Binary data (OPAQUE in WBXML, base64 text in XML).
    fn binary(&mut self, data: &[u8]) -> Result<(), EncodeError>;
    /// Closes the innermost open element.
    fn end(&mut self) -> Result<(), EncodeError>;
}

/// A model type that is the content of one element.
pub trait Element: Sized {
    /// Decodes the content of the element whose `Start` the source just returned, through its `End`.
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError>;
    /// Writes the element `name` holding this value.
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError>;
    /// [`Element::decode`], appending the value to `out` (for `Vec` fields). Large types
    /// override it to build the value where it ends up instead of copying it there.
    fn decode_push<'a, S: Source<'a>>(src: &mut S, out: &mut Vec<Self>) -> Result<(), DecodeError> {
        out.push(Self::decode(src)?);
        Ok(())
    }
    /// [`Element::decode`] into `self`, which must be a fresh value: the default value, for
    /// the types that override this to decode in place, field by field (the model structs);
    /// the provided version replaces `self` whatever it holds.
    fn decode_in<'a, S: Source<'a>>(&mut self, src: &mut S) -> Result<(), DecodeError> {
        *self = Self::decode(src)?;
        Ok(())
    }
    /// [`Element::decode`] for an `Option` field: the value goes into `field` if that is
    /// still `None` (a repeated singleton keeps its first occurrence). Types override it to
    /// decode in place.
    fn decode_opt<'a, S: Source<'a>>(
        src: &mut S,
        field: &mut Option<Self>,
    ) -> Result<(), DecodeError> {
        let v = Self::decode(src)?;
        if field.is_none() {
            *field = Some(v);
        }
        Ok(())
    }
}

/// How a struct field holds occurrences of a child element: exactly one (`T`), at most one
/// (`Option<T>`), or any number (`Vec<T>`).
pub trait Slot: Sized {
    /// Writes the occurrences as elements called `name`.
    fn put<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError>;
    /// Decodes one occurrence (its `Start` was just read) straight into the field, which
    /// starts as its default value; `seen` says whether an occurrence was decoded before.
    fn accept_in<'a, S: Source<'a>>(
        field: &mut Self,
        seen: &mut bool,
        src: &mut S,
    ) -> Result<(), DecodeError>;
    /// Whether the field is complete once the parent element ended.
    fn check(_seen: bool, _parent: &'static str, _name: &'static str) -> Result<(), DecodeError> {
        Ok(())
    }
}

impl<T: Element> Slot for Option<T> {
    #[inline]
    fn accept_in<'a, S: Source<'a>>(
        field: &mut Self,
        _seen: &mut bool,
        src: &mut S,
    ) -> Result<(), DecodeError> {
        // Lenient: a repeated singleton keeps its first occurrence.
        T::decode_opt(src, field)
    }
    fn put<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        match self {
            Some(v) => v.encode(name, sink),
            None => Ok(()),
        }
    }
}

impl<T: Element> Slot for Vec<T> {
    #[inline]
    fn accept_in<'a, S: Source<'a>>(
        field: &mut Self,
        _seen: &mut bool,
        src: &mut S,
    ) -> Result<(), DecodeError> {
        T::decode_push(src, field)
    }
    fn put<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        for v in self {
            v.encode(name, sink)?;
        }
        Ok(())
    }
}

/// Implements [`Slot`] with "exactly one" semantics for element types.
#[macro_export]
#[doc(hidden)]
macro_rules! required_slot {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::codec::Slot for $ty {
            #[inline]
            fn accept_in<'a, S: $crate::codec::Source<'a>>(
                field: &mut Self,
                seen: &mut bool,
                src: &mut S,
            ) -> Result<(), $crate::DecodeError> {
                let v = <$ty as $crate::codec::Element>::decode(src)?;
                // Lenient: a repeated singleton keeps its first occurrence.
                if !*seen {
                    *field = v;
                    *seen = true;
                }
                Ok(())
            }
            #[inline]
            fn check(
                seen: bool,
                parent: &'static str,
                name: &'static str,
            ) -> Result<(), $crate::DecodeError> {
                if seen {
                    Ok(())
                } else {
                    Err($crate::DecodeError::MissingElement { parent, name })
                }
            }
            fn put<K: $crate::codec::Sink>(
                &self,
                name: &'static str,
                sink: &mut K,
            ) -> Result<(), $crate::EncodeError> {
                <$ty as $crate::codec::Element>::encode(self, name, sink)
            }
        }
    )*};
}

/// Defines a model struct for one CSP element: its fields in the version's strict child order,
/// each with the child element name and, optionally, the versions it exists in.
///
/// ```ignore
/// element! {
///     /// Login-Request (§2.1).
///     pub struct LoginRequest {
///         user_id: UserId => "UserID",
///         digest_schema: Vec<String> => "DigestSchema",
///         time_to_live: Option<u32> => "TimeToLive" [since V1_2],
///     }
/// }
/// ```
/// Decoding is lenient: children in any order, unknown children skipped, version ranges ignored.
/// Encoding is strict: declared order, only the fields that exist in the sink's version.
#[macro_export]
#[doc(hidden)]
macro_rules! element {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $fty:ty => $fname:literal $([$($vr:tt)*])?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $ty {
            $( $(#[$fmeta])* pub $field: $fty, )*
        }

        impl $crate::codec::Element for $ty {
            /// Decodes the children into `self` (a default value), in place.
            #[allow(unused_mut, unused_variables)]
            fn decode_in<'a, S: $crate::codec::Source<'a>>(
                &mut self,
                src: &mut S,
            ) -> Result<(), $crate::DecodeError> {
                let out = self;
                // The children's ids, one constant per field (usable as patterns).
                #[allow(non_upper_case_globals, dead_code)]
                mod ids {
                    $( pub(super) const $field: $crate::names::ElementId =
                        $crate::names::ElementId::of($fname); )*
                }
                // Each field is its own accumulator; `$field` (a local) says whether the
                // child was seen.
                $( let mut $field = false; )*
                loop {
                    match src.next()? {
                        $crate::codec::Ev::Start(name) => match name.id() {
                            $( ids::$field => <$fty as $crate::codec::Slot>::accept_in(
                                &mut out.$field, &mut $field, src,
                            ).map_err(|e| e.in_element($fname))?, )*
                            _ => src.skip()?,
                        },
                        $crate::codec::Ev::End => break,
                        $crate::codec::Ev::Text(_) | $crate::codec::Ev::Opaque(_) => {}
                        $crate::codec::Ev::Eof => {
                            return Err($crate::DecodeError::Malformed("unexpected end of document".into()))
                        }
                    }
                }
                $( <$fty as $crate::codec::Slot>::check($field, stringify!($ty), $fname)?; )*
                Ok(())
            }

            fn decode<'a, S: $crate::codec::Source<'a>>(src: &mut S) -> Result<Self, $crate::DecodeError> {
                let mut out = <Self as Default>::default();
                out.decode_in(src)?;
                Ok(out)
            }

            fn decode_opt<'a, S: $crate::codec::Source<'a>>(
                src: &mut S,
                field: &mut Option<Self>,
            ) -> Result<(), $crate::DecodeError> {
                match field {
                    None => field.insert(<Self as Default>::default()).decode_in(src),
                    // Lenient: a repeated singleton keeps its first occurrence.
                    Some(_) => Self::decode(src).map(drop),
                }
            }

            fn decode_push<'a, S: $crate::codec::Source<'a>>(
                src: &mut S,
                out: &mut Vec<Self>,
            ) -> Result<(), $crate::DecodeError> {
                out.push(<Self as Default>::default());
                match out.last_mut() {
                    Some(v) => v.decode_in(src),
                    None => Self::decode(src).map(drop),
                }
            }

            #[allow(unused_variables)]
            fn encode<K: $crate::codec::Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), $crate::EncodeError> {
                sink.start(name)?;
                $(
                    if $crate::element!(@range $($($vr)*)?).contains(sink.version()) {
                        <$fty as $crate::codec::Slot>::put(&self.$field, $fname, sink)?;
                    }
                )*
                sink.end()
            }
        }

        $crate::required_slot!($ty);

        impl $crate::codec::Sample for $ty {
            fn sample() -> Self {
                Self { $( $field: <$fty as $crate::codec::Sample>::sample(), )* }
            }
        }
    };
    (@range) => { $crate::VersionRange::ALL };
    (@range ALL) => { $crate::VersionRange::ALL };
    (@range since $v:ident) => {
        $crate::VersionRange { since: $crate::CspVersion::$v, until: $crate::CspVersion::V1_3 }
    };
    (@range until $v:ident) => {
        $crate::VersionRange { since: $crate::CspVersion::V1_1, until: $crate::CspVersion::$v }
    };
    (@range only $v:ident) => {
        $crate::VersionRange { since: $crate::CspVersion::$v, until: $crate::CspVersion::$v }
    };
    (@range $a:ident ..= $b:ident) => {
        $crate::VersionRange { since: $crate::CspVersion::$a, until: $crate::CspVersion::$b }
    };
}

/// A fully populated value of a model type (every optional field set, two of every list),
/// for exhaustive round-trip and interop tests.
#[doc(hidden)]
pub trait Sample {
    /// The sample value.
    fn sample() -> Self;
}

impl<T: Sample> Sample for Option<T> {
    fn sample() -> Self {
        Some(T::sample())
    }
}

impl<T: Sample> Sample for Vec<T> {
    fn sample() -> Self {
        vec![T::sample(), T::sample()]
    }
}

/// Reads the text content of the element whose `Start` was just read, through its `End`.
/// Nested elements are skipped (lenient); OPAQUE content is taken as UTF-8 text.
#[inline]
pub fn read_text<'a, S: Source<'a>>(
    src: &mut S,
    element: &'static str,
) -> Result<Cow<'a, str>, DecodeError> {
    src.text(element)
}

/// The general case of [`read_text`]: text so far, and the event after it.
pub(crate) fn read_text_rest<'a, S: Source<'a>>(
    src: &mut S,
    element: &'static str,
    mut out: Option<Cow<'a, str>>,
    mut ev: Ev<'a>,
) -> Result<Cow<'a, str>, DecodeError> {
    loop {
        match ev {
            Ev::Text(t) => append(&mut out, t),
            Ev::Opaque(b) => {
                let t = std::str::from_utf8(b)
                    .map_err(|_| DecodeError::bad(element, "OPAQUE text is not UTF-8"))?;
                append(&mut out, Cow::Borrowed(t));
            }
            Ev::Start(_) => src.skip()?,
            Ev::End => return Ok(out.unwrap_or(Cow::Borrowed(""))),
            Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
        }
        ev = src.next()?;
    }
}

#[inline]
fn append<'a>(out: &mut Option<Cow<'a, str>>, t: Cow<'a, str>) {
    match out {
        None => *out = Some(t),
        Some(prev) => prev.to_mut().push_str(&t),
    }
}

/// What a text or OPAQUE element content held, for typed leaves ([`Source::raw`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw<'a> {
    /// Character data (or an empty element).
    Text(Cow<'a, str>),
    /// OPAQUE bytes.
    Opaque(Cow<'a, [u8]>),
}

/// Reads the content of a leaf element as either text or OPAQUE bytes (whichever came first
/// decides; mixing the two is an error).
#[inline]
pub(crate) fn read_raw<'a, S: Source<'a>>(
    src: &mut S,
    element: &'static str,
) -> Result<Raw<'a>, DecodeError> {
    src.raw(element)
}

/// Leaf content being collected by [`read_raw_rest`].
#[derive(Default)]
struct RawAcc<'a> {
    text: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, [u8]>>,
}

impl<'a> RawAcc<'a> {
    /// Takes one event; the content once the element ends.
    fn feed<S: Source<'a>>(
        &mut self,
        src: &mut S,
        element: &'static str,
        ev: Ev<'a>,
    ) -> Result<Option<Raw<'a>>, DecodeError> {
        match ev {
            Ev::Text(t) => {
                if self.opaque.is_some() && !t.trim().is_empty() {
                    return Err(DecodeError::bad(element, "text mixed with OPAQUE"));
                }
                append(&mut self.text, t);
            }
            Ev::Opaque(b) => {
                if self.text.as_ref().is_some_and(|t| !t.trim().is_empty()) {
                    return Err(DecodeError::bad(element, "OPAQUE mixed with text"));
                }
                match &mut self.opaque {
                    None => self.opaque = Some(Cow::Borrowed(b)),
                    Some(prev) => prev.to_mut().extend_from_slice(b),
                }
            }
            Ev::Start(_) => src.skip()?,
            Ev::End => {
                return Ok(Some(match self.opaque.take() {
                    Some(b) => Raw::Opaque(b),
                    None => Raw::Text(self.text.take().unwrap_or(Cow::Borrowed(""))),
                }))
            }
            Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
        }
        Ok(None)
    }
}

/// The general case of [`Source::raw`]: the events already read (in order), then the rest.
pub(crate) fn read_raw_rest<'a, S: Source<'a>>(
    src: &mut S,
    element: &'static str,
    first: Option<Ev<'a>>,
    second: Option<Ev<'a>>,
) -> Result<Raw<'a>, DecodeError> {
    let mut acc = RawAcc::default();
    for ev in [first, second].into_iter().flatten() {
        if let Some(raw) = acc.feed(src, element, ev)? {
            return Ok(raw);
        }
    }
    loop {
        let ev = src.next()?;
        if let Some(raw) = acc.feed(src, element, ev)? {
            return Ok(raw);
        }
    }
}
