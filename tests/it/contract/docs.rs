//! Docs that cannot drift: every environment variable the code reads is in
//! the README's configuration table, which is `config::SETTINGS` name for
//! name and default for default; every setting is wired in the template;
//! the message outcomes and metric names the docs list are the code's own
//! lists, both ways; every template parameter is documented, every bundled
//! event mentioned, and every link or pointer to a section resolves.

use inspector_scan_router::Settings;
use inspector_scan_router::config::SETTINGS;
use regex::Regex;
use std::collections::BTreeMap;
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

/// The first column of the markdown table in `text` whose header row
/// starts with `| {first} |`, each cell with its other columns.
fn table<'a>(text: &'a str, first: &str) -> Vec<Vec<&'a str>> {
    let header = format!("| {first} |");
    let start = text
        .find(&header)
        .unwrap_or_else(|| panic!("a table headed {header:?}"));
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

/// `` `x` `` -> `x`; anything else (`–`: none) -> empty.
fn literal(cell: &str) -> String {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .filter(|c| !c.contains('`'))
        .unwrap_or_default()
        .to_string()
}

/// The README's settings table: variable -> default (empty: none).
fn documented_settings() -> BTreeMap<String, String> {
    let readme = read(&root().join("README.md"));
    table(&readme, "Variable | Default")
        .iter()
        .map(|row| {
            let name = literal(row[0]);
            assert!(!name.is_empty(), "one variable per row: {row:?}");
            (name, literal(row[1]))
        })
        .collect()
}

#[test]
fn the_settings_table_is_the_codes_list_with_its_defaults() {
    let code: BTreeMap<String, String> = SETTINGS
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    assert!(code.len() > 20, "the settings were found: {code:?}");
    let docs = documented_settings();
    let undocumented: Vec<&String> = code.keys().filter(|n| !docs.contains_key(*n)).collect();
    let unknown: Vec<&String> = docs.keys().filter(|n| !code.contains_key(*n)).collect();
    let defaults: Vec<String> = code
        .iter()
        .filter_map(|(n, d)| {
            docs.get(n)
                .filter(|doc| *doc != d)
                .map(|doc| format!("{n}: code {d:?}, README {doc:?}"))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "read by the code, not in the README's settings table: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "in the README's settings table, not read by the code: {unknown:?}"
    );
    assert!(defaults.is_empty(), "defaults differ: {defaults:#?}");
}

/// The names the template's function sets in its environment.
fn template_environment() -> BTreeSet<String> {
    let template = read(&root().join("template.yaml"));
    let start = template
        .find("        Variables:\n")
        .expect("the function's Variables")
        + 1;
    let var = Regex::new(r"^          ([A-Z][A-Z0-9_]+):").unwrap();
    template[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("          ") || l.trim().is_empty())
        .filter_map(|l| var.captures(l).map(|c| c[1].to_string()))
        .collect()
}

#[test]
fn every_setting_is_wired_in_the_template_but_the_local_dry_run_secrets() {
    let wired = template_environment();
    assert!(
        wired.contains("DRY_RUN"),
        "the environment was found: {wired:?}"
    );
    let local_only = "DRY_RUN_WEBHOOK_SECRETS";
    let missing: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != local_only && !wired.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "settings the template leaves unset: {missing:?}"
    );
    assert!(
        !wired.contains(local_only),
        "{local_only} is for local dry runs only"
    );
    let listed: BTreeSet<&str> = SETTINGS.iter().map(|(n, _)| *n).collect();
    let unread: Vec<&String> = wired
        .iter()
        .filter(|n| !listed.contains(n.as_str()) && *n != "SSL_CERT_FILE")
        .collect();
    assert!(
        unread.is_empty(),
        "set by the template, read by no one: {unread:?}"
    );
}

#[test]
fn the_metrics_documented_are_the_metrics_written() {
    use inspector_scan_router::telemetry::metrics;
    // The list is complete: every constant telemetry.rs records is in it.
    let telemetry = read(&root().join("src/telemetry.rs"));
    let constant = Regex::new(r#"pub const ([A-Z_]+): &str = "([A-Za-z]+)";"#).unwrap();
    let values: BTreeMap<String, String> = constant
        .captures_iter(&telemetry)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    let recorded = Regex::new(r"(?:counter!|histogram!|gauge!|count)\(([A-Z][A-Z_]+)[,)]").unwrap();
    let mut used = BTreeSet::new();
    for c in recorded.captures_iter(&telemetry) {
        used.insert(
            values
                .get(&c[1])
                .cloned()
                .unwrap_or_else(|| c[1].to_string()),
        );
    }
    assert!(used.len() > 10, "the recorded metrics were found: {used:?}");
    let code: BTreeSet<String> = metrics().iter().map(|m| m.to_string()).collect();
    let unlisted: Vec<&String> = used.iter().filter(|m| !code.contains(*m)).collect();
    assert!(
        unlisted.is_empty(),
        "recorded but not in telemetry::metrics(): {unlisted:?}"
    );
    let operations = read(&root().join("docs/OPERATIONS.md"));
    let docs: BTreeSet<String> = table(&operations, "Metric")
        .iter()
        .map(|row| literal(row[0]))
        .collect();
    let undocumented: Vec<&String> = code.difference(&docs).collect();
    let unknown: Vec<&String> = docs.difference(&code).collect();
    assert!(
        undocumented.is_empty(),
        "metrics written, not in OPERATIONS' table: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "metrics in OPERATIONS' table the code never writes: {unknown:?}"
    );
}

#[test]
fn the_message_outcomes_documented_are_the_ones_logged() {
    use inspector_scan_router::queue::message::OUTCOMES;
    let code: BTreeSet<String> = OUTCOMES.iter().map(|o| o.to_string()).collect();
    let operations = read(&root().join("docs/OPERATIONS.md"));
    // The work-queue table (one row per outcome, `–` for a refusal, logged
    // by the gate) and the log line's field list.
    let in_table: BTreeSet<String> = table(&operations, "The message's work")
        .iter()
        .map(|row| literal(row[1]))
        .filter(|o| !o.is_empty())
        .collect();
    let field = Regex::new(r"`outcome`: ((?:`[a-z-]+`,?\s*)+)").unwrap();
    let listed: BTreeSet<String> = field
        .captures(&operations)
        .expect("the message line's outcome list")[1]
        .split(',')
        .map(|o| o.trim().trim_matches('`').to_string())
        .filter(|o| !o.is_empty())
        .collect();
    assert_eq!(
        in_table, code,
        "OPERATIONS' work-queue table vs queue::message::OUTCOMES"
    );
    assert_eq!(
        listed, code,
        "OPERATIONS' message line vs queue::message::OUTCOMES"
    );
    // The consumer writes no outcome but from the list.
    let work = read(&root().join("src/app/work.rs"));
    assert!(
        !work.contains("outcome = \""),
        "src/app/work.rs: an outcome literal"
    );
}

/// Pointers to a section from outside the docs (a docs file's path, `#`
/// and the heading's anchor, in code, scripts, the template), and prose pointers to README sections, which
/// cannot be checked and so are refused.
#[test]
fn every_pointer_to_a_section_resolves() {
    let pointer = Regex::new(r"((?:docs/|tests/)?[A-Za-z]+\.md)#([a-z0-9_-]+)").unwrap();
    let prose = Regex::new(r#"README(?:\.md)?(?:'s|,|:)\s+\\?"?[A-Z]"#).unwrap();
    let mut files = vec![root().join("template.yaml"), root().join("Cargo.toml")];
    let mut dirs: Vec<PathBuf> = ["src", "tests", "scripts", "bench", "benches"]
        .iter()
        .map(|d| root().join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "py" || e == "sh")
                || path.parent().is_some_and(|p| p.ends_with("scripts"))
            {
                files.push(path);
            }
        }
    }
    let (mut checked, mut broken) = (0, Vec::new());
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for c in pointer.captures_iter(&text) {
            let target = root().join(&c[1]);
            checked += 1;
            if !target.exists() || !anchors(&read(&target)).contains(&c[2]) {
                broken.push(format!("{}: {}#{}", file.display(), &c[1], &c[2]));
            }
        }
        for m in prose.find_iter(&text) {
            broken.push(format!(
                "{}: {:?} (name the docs file and its heading's anchor instead)",
                file.display(),
                m.as_str()
            ));
        }
    }
    assert!(checked >= 5, "the pointers were found: {checked}");
    assert!(broken.is_empty(), "pointers that lead nowhere: {broken:#?}");
}
