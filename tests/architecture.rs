//! The shape of the code, checked: the engine's top-level modules sit in
//! layers (README, "How it is built"), and no `use` runs up a layer or
//! closes a circle, between top-level modules or between the files of one
//! folder. Read from the sources (comments and `#[cfg(test)] mod tests`
//! left out: a test may reach anywhere), so a new arrow fails here with
//! the file and line that drew it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's layers, bottom first. A module may use its own layer's
/// modules (without a circle) and any layer below, never one above.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "clock",
            "server_text",
            "private_fs",
            "net",
            "token_expiry",
            "redirect_listener",
            "lock",
        ],
    ),
    ("model", &["model", "keys"]),
    ("decisions", &["settings", "plan", "summary"]),
    ("storage", &["sides", "state", "secrets"]),
    ("clients", &["oro", "graph"]),
    ("one run", &["engine", "config", "profile"]),
    (
        "around a run",
        &[
            "backup",
            "conflict_view",
            "reach",
            "scheduler",
            "tray_status",
            "desktop",
        ],
    ),
    ("the API", &["app"]),
    (
        "shells",
        &["setup", "diagnostics", "demo", "parsers", "cli"],
    ),
    // `#[cfg(test)]`: helpers of the library's own unit tests.
    ("tests only", &["test_support"]),
];

/// A module's path (`["oro", "events"]`) → its file.
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|l| l == "mod") {
                    parts.pop();
                }
                if parts == ["lib"] || parts == ["main"] {
                    parts.clear();
                }
                out.insert(parts, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The code of a file without comments and without its test module.
fn code(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    // The test module: `#[cfg(test)]` or `#[cfg(all(test, unix))]` before a `mod`.
    let test_mod = regex::Regex::new(r"#\[cfg\([^\]]*\btest\b[^\]]*\)\]\s*\n\s*mod ").unwrap();
    let text = match test_mod.find(&text) {
        Some(m) => &text[..m.start()],
        None => &text[..],
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// Every module path a file names through `crate::` or `super::`, with the
/// line: `crate::a::b::{c, d}` names `a`, `a::b`, `a::b::c`, `a::b::d`.
fn references(module: &[String], path: &Path) -> Vec<(Vec<String>, usize)> {
    let re =
        regex::Regex::new(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)*)(?:::\{([^}]*)\})?").unwrap();
    let mut out = Vec::new();
    for (n, line) in code(path) {
        for c in re.captures_iter(&line) {
            let mut base: Vec<String> = if &c[1] == "crate" {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            for seg in c[2].split("::").filter(|s| !s.is_empty()) {
                base.push(seg.to_string());
                out.push((base.clone(), n));
            }
            if let Some(group) = c.get(3) {
                for name in group.as_str().split(',') {
                    let name = name.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty()
                        && name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
                    {
                        let mut m = base.clone();
                        m.push(name.to_string());
                        out.push((m, n));
                    }
                }
            }
        }
    }
    out
}

type Edges = BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>>;

/// Arrows between siblings: from `a::x…` to `a::y…` is an arrow x → y
/// among the children of `a` (a child naming its parent, or the parent its
/// child, is how Rust modules are built, not a circle).
fn sibling_arrows(root: &Path) -> Edges {
    let mods = modules(root);
    let mut edges: Edges = BTreeMap::new();
    for (module, path) in &mods {
        if module
            .last()
            .is_some_and(|l| l == "tests" || l.ends_with("_tests"))
        {
            continue;
        }
        for (target, line) in references(module, path) {
            if !mods.contains_key(&target) || &target == module {
                continue;
            }
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common < module.len() && common < target.len() {
                edges
                    .entry(module[..=common].to_vec())
                    .or_default()
                    .entry(target[..=common].to_vec())
                    .or_insert_with(|| format!("{}:{line}", path.display()));
            }
        }
    }
    edges
}

/// The circles of a graph (its strongly connected parts of two or more).
fn circles(edges: &Edges) -> Vec<Vec<Vec<String>>> {
    // Tarjan's algorithm; small graphs, so recursion is fine.
    struct T<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(next) = t.edges.get(v) {
            for w in next.keys() {
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut part = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                part.push(w.clone());
                if w == v {
                    break;
                }
            }
            if part.len() > 1 {
                part.sort();
                t.out.push(part);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn describe(edges: &Edges, part: &[Vec<String>]) -> String {
    let mut s = String::new();
    for a in part {
        for (b, at) in edges.get(a).into_iter().flatten() {
            if part.contains(b) {
                s += &format!("\n  {} -> {} ({at})", a.join("::"), b.join("::"));
            }
        }
    }
    s
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_of_the_engine_uses_one_in_a_layer_above() {
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ms))| ms.iter().map(move |m| (*m, i)))
        .collect();
    let edges = sibling_arrows(&manifest_dir().join("src"));
    let mut wrong = Vec::new();
    for (from, tos) in &edges {
        if from.len() != 1 {
            continue;
        }
        let Some(&lf) = layer.get(from[0].as_str()) else {
            wrong.push(format!("{} has no layer in LAYERS", from[0]));
            continue;
        };
        for (to, at) in tos {
            match layer.get(to[0].as_str()) {
                None => wrong.push(format!("{} has no layer in LAYERS", to[0])),
                Some(&lt) if lt > lf => wrong.push(format!(
                    "{} ({}) uses {} ({}), a layer above, at {at}",
                    from[0], LAYERS[lf].0, to[0], LAYERS[lt].0
                )),
                Some(_) => {}
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "arrows up a layer:\n{}", wrong.join("\n"));
}

#[test]
fn every_top_level_module_of_the_engine_has_a_layer() {
    let named: BTreeSet<&str> = LAYERS
        .iter()
        .flat_map(|(_, ms)| ms.iter().copied())
        .collect();
    let missing: Vec<String> = modules(&manifest_dir().join("src"))
        .keys()
        .filter(|m| m.len() == 1 && !named.contains(m[0].as_str()))
        .map(|m| m[0].clone())
        .collect();
    assert!(
        missing.is_empty(),
        "modules missing from LAYERS: {missing:?}"
    );
}

#[test]
fn no_import_circle_in_the_engine() {
    // The tray's modules have their own layers and the same check
    // (src-tauri/src/layers_tests.rs, docs/tray-shell.md).
    let root = manifest_dir().join("src");
    let edges = sibling_arrows(&root);
    let found = circles(&edges);
    let text: Vec<String> = found.iter().map(|p| describe(&edges, p)).collect();
    assert!(
        found.is_empty(),
        "import circles under {}:{}",
        root.display(),
        text.join("\n")
    );
}

#[test]
fn the_checker_sees_a_circle_and_an_arrow_up() {
    // The checks above pass on silence; prove they would see what they look
    // for, on a small tree written here.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("shell")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod model;\npub mod shell;\n").unwrap();
    std::fs::write(
        src.join("model.rs"),
        "use crate::shell::Thing; // up a layer\n",
    )
    .unwrap();
    std::fs::write(
        src.join("shell/mod.rs"),
        "mod a;\nmod b;\npub struct Thing;\n",
    )
    .unwrap();
    std::fs::write(src.join("shell/a.rs"), "use super::b::B;\npub struct A;\n").unwrap();
    std::fs::write(
        src.join("shell/b.rs"),
        "// use super::a::A; is only a comment\nuse crate::shell::{a, Thing};\npub struct B;\n#[cfg(all(test, unix))]\nmod tests { use crate::model; }\n",
    )
    .unwrap();
    let edges = sibling_arrows(src);
    let model = vec!["model".to_string()];
    let shell = vec!["shell".to_string()];
    assert!(edges[&model].contains_key(&shell), "{edges:?}");
    assert!(
        !edges.get(&shell).is_some_and(|e| e.contains_key(&model)),
        "a test module counted: {edges:?}"
    );
    let found = circles(&edges);
    assert_eq!(
        found,
        vec![vec![
            vec!["shell".to_string(), "a".to_string()],
            vec!["shell".to_string(), "b".to_string()]
        ]]
    );
}
