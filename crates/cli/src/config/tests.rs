//! Loading tests: the command line joined as redis-server joins it, file syntax, includes and
//! the fatal report's wording. (The report texts were taken from redis-server 7.0.15; the
//! end-to-end tests compare with a live redis-server too.)

use super::*;

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn joined(v: &[&str]) -> String {
    String::from_utf8(join_options(&args(v), true).0).unwrap()
}

fn fatal_text(v: &[&str]) -> String {
    match load(&args(v)) {
        Err(LoadError::Fatal(s)) => s,
        Err(LoadError::Log(s)) => panic!("log error {s}"),
        Ok(_) => panic!("loaded"),
    }
}

fn tmp(name: &str, content: &str) -> String {
    let dir = std::env::temp_dir().join(format!("redoubt-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn command_line_joins_like_redis_main() {
    assert_eq!(joined(&["--port", "7000"]), "port \"7000\" ");
    assert_eq!(
        joined(&["--port", "1", "--save", "--appendonly", "no"]),
        "port \"1\" \nsave \"\"\nappendonly \"no\" "
    );
    assert_eq!(joined(&["--save"]), "save \"\"");
    assert_eq!(joined(&["--save", "", "--x"]), "save \"\" \nx ");
    assert_eq!(
        joined(&["--port 7307", "--bogus 1"]),
        "port 7307 \nbogus 1 "
    );
    assert_eq!(joined(&["--port", "1", "2"]), "port \"1\" \"2\" ");
    assert_eq!(
        joined(&["--requirepass", "a\"b"]),
        "requirepass \"a\\\"b\" "
    );
    assert!(join_options(&args(&["-"]), true).1);
}

#[test]
fn fatal_reports_quote_the_line_and_reason() {
    assert_eq!(
        fatal_text(&["--port", "abc"]),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"
    );
    assert!(fatal_text(&["--port", "1", "--port"])
        .contains("at line 3\n>>> 'port'\nwrong number of arguments\n"));
    assert!(fatal_text(&["--bogus"])
        .ends_with(">>> 'bogus'\nBad directive or wrong number of arguments\n"));
    assert!(fatal_text(&["--save", "1"]).ends_with("Invalid save parameters\n"));
    assert!(fatal_text(&["--replicaof", "h", "x"]).ends_with("Invalid master port\n"));
    assert!(fatal_text(&["--foo.bar"]).ends_with("Module config specified without value\n"));
    assert!(fatal_text(&["--rename-command", "nosuch", "x"])
        .ends_with("No such command in rename-command\n"));
    assert_eq!(
        fatal_text(&["--logfile", "/nonexistent-dir/x.log"]),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n"
    );
}

#[test]
fn file_with_comments_quotes_and_include() {
    let inc = tmp("inc.conf", "timeout 5\nsave 60 5\n");
    let main = tmp(
        "main.conf",
        &format!(
            "# a comment\n   \n  port 7001  \nrequirepass \"a b\\\"c\"\nbind '127.0.0.1 ::1'\nsave 900 1\nsave 300 10\ninclude {inc}\nslave-read-only no\nlist-max-ziplist-entries 5\n"
        ),
    );
    let l = load(&args(&[&main, "--maxmemory", "2mb", "--save", "30 3"])).unwrap();
    let c = l.config;
    assert_eq!(l.file.as_deref(), Some(main.as_str()));
    assert_eq!(c.port, 7001);
    assert_eq!(c.requirepass.as_deref(), Some(&b"a b\"c"[..]));
    // A multi-argument directive given one quoted argument splits it.
    assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
    assert_eq!(c.timeout, 5);
    assert_eq!(c.save, vec![(900, 1), (300, 10), (60, 5), (30, 3)]);
    assert!(!c.replica_read_only);
    assert_eq!(c.maxmemory, 2 << 20);
}

#[test]
fn errors_in_an_included_file_name_its_own_line() {
    let inc = tmp("bad-inc.conf", "port 1\nhz x\n");
    let main = tmp("with-bad-inc.conf", &format!("port 2\ninclude {inc}\n"));
    let t = fatal_text(&[&main]);
    assert!(t.contains("at line 2\n>>> 'hz x'\nargument couldn't be parsed into an integer"));
    let missing = tmp("missing-inc.conf", "include /nonexistent/file.conf\n");
    match load(&args(&[&missing])) {
        Err(LoadError::Log(m)) => assert_eq!(
            m,
            "Fatal error, can't open config file '/nonexistent/file.conf': No such file or directory"
        ),
        _ => panic!("expected a log error"),
    }
}

#[test]
fn unbalanced_quotes_and_hz_clamp() {
    let f = tmp("quotes.conf", "port \"unbalanced\n");
    assert!(fatal_text(&[&f]).ends_with(
        "at line 1\n>>> 'port \"unbalanced'\nUnbalanced quotes in configuration line\n"
    ));
    let c = load(&args(&["--hz", "0"])).unwrap().config;
    assert_eq!(c.hz, 1);
    let c = load(&args(&["--hz", "100000"])).unwrap().config;
    assert_eq!(c.hz, 500);
    let c = load(&args(&["--save", "--bind", "127.0.0.1 ::1"]))
        .unwrap()
        .config;
    assert!(c.save.is_empty());
    assert_eq!(c.bind.len(), 2);
}
