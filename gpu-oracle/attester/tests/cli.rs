//! The `openledger-attester` binary as an operator meets it: help, init, and clear errors.
//! (Its run against a real chain is the lifecycle test: scripts/e2e-dev.sh.)

use std::path::PathBuf;
use std::process::{Command, Output};

fn attester(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openledger-attester"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run openledger-attester")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "openledger-attester-cli-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn help_lists_every_command() {
    let o = attester(&["--help"]);
    assert!(o.status.success());
    let t = text(&o);
    for cmd in ["init", "register", "run", "claim", "status", "infer"] {
        assert!(t.contains(cmd), "--help lacks {cmd}: {t}");
    }
}

#[test]
fn init_writes_keys_and_a_loadable_config_and_never_overwrites() {
    let home = scratch("init");
    let h = home.to_str().unwrap();
    let o = attester(&[
        "init",
        "--home",
        h,
        "--contracts",
        "/nonexistent/contracts.json",
        "--content-dir",
        h,
        "--model",
        "/nonexistent/model.gguf",
        "--metrics-addr",
        "127.0.0.1:9464",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let address = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(
        address.starts_with("open1"),
        "prints the address: {address}"
    );
    let cfg = std::fs::read_to_string(home.join("config.toml")).unwrap();
    assert!(cfg.contains("metrics_addr = \"127.0.0.1:9464\""), "{cfg}");
    assert!(cfg.contains("lie = false"), "{cfg}");
    let keys = std::fs::read_to_string(home.join("keys.json")).unwrap();

    let again = attester(&["init", "--home", h, "--contracts", "x", "--content-dir", h]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("refusing to overwrite"),
        "{}",
        text(&again)
    );
    assert_eq!(
        std::fs::read_to_string(home.join("keys.json")).unwrap(),
        keys
    );

    // The config loads; what is missing is named.
    let cfg_path = home.join("config.toml");
    let o = attester(&["status", "-c", cfg_path.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("/nonexistent/contracts.json"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn bad_configs_and_missing_models_fail_with_the_reason() {
    let home = scratch("bad");
    std::fs::create_dir_all(&home).unwrap();
    let missing = home.join("nope.toml");
    let o = attester(&["run", "-c", missing.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("nope.toml"), "{}", text(&o));

    let bad = home.join("bad.toml");
    std::fs::write(&bad, "chain_id = 7\n").unwrap();
    let o = attester(&["run", "-c", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("chain_id"), "{}", text(&o));

    let o = attester(&[
        "infer",
        "--model",
        "/nonexistent/model.gguf",
        "--content-dir",
        home.to_str().unwrap(),
        "--prompt",
        "hi",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("/nonexistent/model.gguf"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&home);
}
