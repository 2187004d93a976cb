//! Every JSON output has a schema in `docs/json-schema/`, and the documents the tool writes
//! on every real boot in `testdata/` validate against it; a document of another kind, or one
//! with an unannounced field, does not. (audit's and explain's are tested beside them.)

mod common;

use std::path::Path;

use common::{REAL_BOOTS, dom0scope, testdata};
use serde_json::Value;

fn validator(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/json-schema")
        .join(format!("{name}.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::options()
        .build(&schema)
        .expect("a usable schema")
}

/// The subcommand's JSON on `input` (exit status 0, 1 or 3 all carry a document).
fn document(args: &[&str], input: &str) -> Value {
    let out = dom0scope()
        .args(args)
        .arg(testdata(input))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(2), "{args:?} {input}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} {input}: {e}"))
}

const OUTPUTS: &[(&[&str], &str)] = &[
    (&["map"], "dom0scope-map-1"),
    (&["map", "--all"], "dom0scope-map-1"),
    (&["predict"], "dom0scope-predict-1"),
    (&["verify"], "dom0scope-verify-1"),
    (&["hypercalls"], "dom0scope-hypercalls-1"),
    (&["harden"], "dom0scope-plan-1"),
];

#[test]
fn every_json_output_on_every_real_boot_validates() {
    for (args, name) in OUTPUTS {
        let v = validator(name);
        for input in REAL_BOOTS {
            let doc = document(args, input);
            let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{args:?} {input} against {name}: {errors:#?}"
            );
        }
    }
}

#[test]
fn a_document_of_another_kind_or_with_a_new_field_fails() {
    let input = REAL_BOOTS[0];
    let map = document(&["map"], input);
    assert!(!validator("dom0scope-plan-1").is_valid(&map));
    assert!(!validator("dom0scope-verify-1").is_valid(&map));
    let mut drifted = map.clone();
    drifted["unannounced"] = Value::Bool(true);
    assert!(!validator("dom0scope-map-1").is_valid(&drifted));
    let mut retyped = document(&["predict"], input);
    retyped["mode"] = Value::from(7);
    assert!(!validator("dom0scope-predict-1").is_valid(&retyped));
}
