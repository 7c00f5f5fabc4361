//! redis.conf and command-line directives → resolved [`commands::Config`].

use commands::Config;

/// Reads `[file] [--name value ...]` into a configuration.
pub fn load(args: &[String]) -> Result<(Config, Option<String>), String> {
    let mut cfg = Config::default();
    let mut file = None;
    let mut i = 0;
    if let Some(first) = args.first() {
        if !first.starts_with("--") {
            file = Some(first.clone());
            i = 1;
        }
    }
    while i < args.len() {
        let name = args[i].trim_start_matches("--").to_ascii_lowercase();
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match name.as_str() {
            "port" => cfg.port = val.parse().map_err(|_| format!("bad port {val}"))?,
            "requirepass" => cfg.requirepass = (!val.is_empty()).then(|| val.clone().into()),
            "databases" => cfg.databases = val.parse().map_err(|_| "bad databases".to_string())?,
            "bind" => cfg.bind = val.split_whitespace().map(String::from).collect(),
            _ => {}
        }
        i += 2;
    }
    Ok((cfg, file))
}
