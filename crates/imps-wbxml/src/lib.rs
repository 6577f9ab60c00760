//! Generic WBXML 1.3 reader and writer (work in progress).
mod table;
pub use table::TokenTable;
