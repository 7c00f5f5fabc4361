//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP.

use crate::table::Spec;

pub const TABLE: &[Spec] = &[];
