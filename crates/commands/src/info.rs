//! INFO: Redis's sections and field names.

use crate::ctx::Ctx;
use crate::errors::CmdResult;

/// The Redis version Redoubt reports for compatibility (clients gate features on it).
pub const REDIS_VERSION: &str = "7.0.15";

/// INFO [section ...]
pub fn info(ctx: &mut Ctx) -> CmdResult {
    let text = format!("# Server\r\nredis_version:{REDIS_VERSION}\r\n");
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}
