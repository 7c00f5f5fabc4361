//! Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

use crate::table::Spec;

pub const TABLE: &[Spec] = &[];
