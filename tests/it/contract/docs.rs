//! Docs that cannot drift: every environment variable the code reads is in
//! the README's configuration table, every template parameter is
//! documented, and every bundled event is mentioned.

use inspector_scan_router::Settings;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every file under docs/.
fn all_docs() -> String {
    let mut text = read(&root().join("README.md"));
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            text.push_str(&read(&path));
        }
    }
    text
}

/// The names in the README's configuration table (`*` in a name matches
/// any run of characters).
fn configuration_table() -> Vec<Regex> {
    let readme = read(&root().join("README.md"));
    let start = readme
        .find("\n## Configuration\n")
        .expect("a Configuration section");
    let rest = &readme[start + 1..];
    let section = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)];
    let name = Regex::new(r"`([A-Z][A-Z0-9_*]+)`").unwrap();
    section
        .lines()
        .filter(|l| l.starts_with('|'))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| {
            name.captures_iter(cell)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .map(|n| Regex::new(&format!("^{}$", n.replace('*', "[A-Z0-9_]*"))).unwrap())
        .collect()
}

/// Every variable `Settings` asks for (recorded through its lookup, with
/// and without a dry run, whose settings read more), and every one the
/// source reads with `std::env::var` outside test-only code.
fn variables_read() -> BTreeSet<String> {
    let asked = Mutex::new(BTreeSet::new());
    for dry_run in [None, Some("true")] {
        let _ = Settings::from_lookup(|k| {
            asked.lock().unwrap().insert(k.to_string());
            if k == "DRY_RUN" {
                dry_run.map(str::to_string)
            } else {
                None
            }
        });
    }
    let mut names = asked.into_inner().unwrap();
    let direct = Regex::new(r#"env::var\("([A-Z][A-Z0-9_]+)"\)"#).unwrap();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // test-only code: the OpenAPI generator's switch
                if !path.ends_with("contract") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                for c in direct.captures_iter(&read(&path)) {
                    names.insert(c[1].to_string());
                }
            }
        }
    }
    names
}

#[test]
fn every_variable_the_code_reads_is_in_the_configuration_table() {
    let table = configuration_table();
    let names = variables_read();
    assert!(
        names.contains("BATCH_CONCURRENCY") && names.contains("AWS_LAMBDA_LOG_LEVEL"),
        "both ways of reading are seen: {names:?}"
    );
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !table.iter().any(|r| r.is_match(n)))
        .collect();
    assert!(
        missing.is_empty(),
        "read by the code, missing from README's configuration table: {missing:?}"
    );
}

#[test]
fn every_template_parameter_is_documented() {
    let template = read(&root().join("template.yaml"));
    let start = template.find("\nParameters:\n").expect("Parameters") + 1;
    let rest = &template[start..];
    let end = Regex::new(r"\n[A-Za-z]+:\n")
        .unwrap()
        .find(&rest[1..])
        .map_or(rest.len(), |m| m.start() + 1);
    let parameter = Regex::new(r"(?m)^  ([A-Za-z0-9]+):$").unwrap();
    let names: Vec<String> = parameter
        .captures_iter(&rest[..end])
        .map(|c| c[1].to_string())
        .collect();
    assert!(names.len() > 10, "the parameters were found: {names:?}");
    let docs = all_docs();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !docs.contains(&format!("`{n}`")))
        .collect();
    assert!(missing.is_empty(), "undocumented parameters: {missing:?}");
}

#[test]
fn every_bundled_event_is_mentioned() {
    let docs = all_docs();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("events")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !docs.contains(&name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "events not mentioned: {missing:?}");
}

/// GitHub's anchor for a heading: lower case, spaces to hyphens, every
/// other character but letters, digits, `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn every_link_between_the_docs_resolves() {
    let mut files = vec![root().join("README.md"), root().join("tests/README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let (mut checked, mut broken) = (0, Vec::new());
    for file in &files {
        let text = read(file);
        for c in link.captures_iter(&text) {
            let target = &c[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            checked += 1;
            if !resolved.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
            } else if !fragment.is_empty()
                && resolved.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&resolved)).contains(fragment)
            {
                broken.push(format!("{}: {target} (no such heading)", file.display()));
            }
        }
    }
    assert!(checked > 20, "the links were found: {checked}");
    assert!(broken.is_empty(), "links that lead nowhere: {broken:#?}");
}

#[test]
fn every_metric_the_code_writes_is_documented() {
    let telemetry = read(&root().join("src/telemetry.rs"));
    let metric = Regex::new(r#"pub const [A-Z_]+: &str = "([A-Za-z]+)";"#).unwrap();
    let mut names: Vec<String> = metric
        .captures_iter(&telemetry)
        .map(|c| c[1].to_string())
        .collect();
    // Each scan-configuration direction names its own pair.
    for d in inspector_scan_router::domain::Direction::ALL {
        let (ok, failed) = d.metrics();
        names.extend([ok.to_string(), failed.to_string()]);
    }
    assert!(names.len() > 10, "the metrics were found: {names:?}");
    let docs = all_docs();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !docs.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "metrics written but not documented: {missing:?}"
    );
}
