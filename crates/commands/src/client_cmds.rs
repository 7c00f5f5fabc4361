//! CLIENT subcommands: ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE REPLY NO-EVICT.

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("client", -2, 0, crate::help_only).subs(&[Spec::new(
        "id",
        2,
        NOSCRIPT | LOADING | STALE,
        client_id,
    )
    .acl("slow connection")]),
];

/// Client names may not contain spaces, newlines or other special characters.
pub fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}
