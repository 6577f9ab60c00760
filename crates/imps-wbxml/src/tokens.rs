//! The global tokens of WBXML 1.3 (valid on every code page, in tag and attribute state).

pub(crate) const SWITCH_PAGE: u8 = 0x00;
pub(crate) const END: u8 = 0x01;
pub(crate) const ENTITY: u8 = 0x02;
pub(crate) const STR_I: u8 = 0x03;
pub(crate) const LITERAL: u8 = 0x04;
pub(crate) const EXT_I_0: u8 = 0x40;
pub(crate) const EXT_I_2: u8 = 0x42;
pub(crate) const PI: u8 = 0x43;
pub(crate) const LITERAL_C: u8 = 0x44;
pub(crate) const EXT_T_0: u8 = 0x80;
pub(crate) const EXT_T_2: u8 = 0x82;
pub(crate) const STR_T: u8 = 0x83;
pub(crate) const LITERAL_A: u8 = 0x84;
pub(crate) const EXT_0: u8 = 0xC0;
pub(crate) const EXT_2: u8 = 0xC2;
pub(crate) const OPAQUE: u8 = 0xC3;
pub(crate) const LITERAL_AC: u8 = 0xC4;

/// Tag token flag: the element has content (an `END` follows it).
pub(crate) const TAG_CONTENT: u8 = 0x40;
/// Tag token flag: the element has attributes (terminated by `END`).
pub(crate) const TAG_ATTRS: u8 = 0x80;
