//! JSON schemas of every message (cosmwasm-schema). `scripts/gen-schemas.sh` runs this to
//! regenerate `schemas/dao-multisig/`; the test below fails when the committed files are stale.

use std::path::{Path, PathBuf};

use cosmwasm_schema::{generate_api, Api};
use dao_multisig::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

const NAME: &str = env!("CARGO_PKG_NAME");

fn api() -> Api {
    generate_api! { instantiate: InstantiateMsg, execute: ExecuteMsg, query: QueryMsg, migrate: MigrateMsg }
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(NAME)
}

/// `(relative path, content)` of every schema file: `<name>.json` (whole API) + `raw/*.json`.
fn files() -> Vec<(PathBuf, String)> {
    let api = api().render();
    let mut out = vec![(
        PathBuf::from(format!("{NAME}.json")),
        api.to_string().expect("render") + "\n",
    )];
    for (f, c) in api.to_schema_files().expect("render") {
        out.push((Path::new("raw").join(f), c + "\n"));
    }
    out
}

/// Usage: `schema-dao-multisig [OUT_DIR]` (default: the committed `schemas/dao-multisig`).
fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(committed_dir);
    for (rel, content) in files() {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("create dir");
        std::fs::write(&path, content).expect("write schema");
    }
    println!("wrote {}", dir.display());
}

#[test]
fn committed_schemas_are_fresh() {
    for (rel, content) in files() {
        let path = committed_dir().join(&rel);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == content,
            "{} is stale or missing: run scripts/gen-schemas.sh",
            path.display()
        );
    }
}
