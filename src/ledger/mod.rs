//! The ledger store: the validator's debt-ledger model, its file formats, validation, and
//! the columnar as-of view policies read.

pub mod io;
mod json_fast;
pub mod json_read;
pub mod json_stream;
pub mod json_write;
pub mod metagraph;
pub mod model;
pub mod store;
pub mod summary;
pub mod table;
pub mod validate;

pub use model::{Checkpoint, Ledger, LedgerSet, Status};
