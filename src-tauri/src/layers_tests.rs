//! The import picture of the tray's modules (docs/tray-shell.md): each
//! module sits on a layer and imports only modules on lower layers, or
//! beside it on its own layer, and no chain of imports comes back to where
//! it started. `lib.rs` is the top: it wires everything, and nothing
//! imports it. Read from the source, so a new `use crate::...` that runs
//! up a layer or closes a circle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom up. A new module gets a line here (and in
/// docs/tray-shell.md).
const LAYERS: &[(&str, u8)] = &[
    // Foundations: types, helpers, the hooks the layers above meet through.
    ("autostart", 0),
    ("blocking", 0),
    ("context", 0),
    ("dto", 0),
    ("error", 0),
    ("notify", 0),
    ("refresh", 0),
    ("setup_session", 0),
    ("window::protocol", 0),
    // The tray's state and its runs.
    ("runner", 1),
    // The settings window, in this process or its own.
    ("window", 2),
    ("window::host", 2),
    ("window::process", 2),
    // The shell: the tray icon and the window's commands.
    ("about", 3),
    ("commands", 3),
    ("first_run", 3),
    ("tray", 3),
    // The one list of commands, made into handler and dispatcher.
    ("dispatch", 4),
];

/// `lib.rs`: above every layer.
const ROOT: &str = "lib";

/// A module's source without its `#[cfg(test)]` items and comment lines
/// (a doc comment may name any module), with the files it `include!`s.
fn source_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            // Skip the item: to its `;`, or to the brace closing its block.
            let mut depth = 0i32;
            let mut opened = false;
            for l in lines.by_ref() {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("include!(\"") {
            let name = rest.split('"').next().unwrap();
            out.push_str(&source_of(&file.parent().unwrap().join(name)));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The first path segments after `prefix::` (`crate::a::b`, `crate::{a, b::c}`).
fn after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = vec![];
    for (i, _) in text.match_indices(prefix) {
        // `prefix` must start a path, not end a longer name.
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Split at the group's top-level commas.
            let (mut depth, mut item, mut items) = (0, String::new(), vec![]);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ => {}
                }
                item.push(c);
            }
            items.push(item);
            found.extend(items.iter().map(|p| segments(p)));
        } else {
            found.push(segments(rest));
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

/// `a::b::{c}` → `["a", "b"]`.
fn segments(path: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = path.trim_start_matches([',', ' ', '\n']);
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        out.push(name);
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

/// Every module of `src/` (by path: `window::host`) and the modules it
/// imports: `crate::…`, `super::…`, and its own children by their bare
/// name. A name of the crate root that is not a module is `lib`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for sub in std::fs::read_dir(&path).unwrap() {
                let sub = sub.unwrap().path();
                let dir = path.file_name().unwrap().to_string_lossy().to_string();
                let stem = sub.file_stem().unwrap().to_string_lossy().to_string();
                let name = if stem == "mod" {
                    dir
                } else {
                    format!("{dir}::{stem}")
                };
                files.insert(name, sub);
            }
        } else {
            files.insert(
                path.file_stem().unwrap().to_string_lossy().to_string(),
                path,
            );
        }
    }
    // The binary, the tests, and files that are `include!`d into a module.
    let included: BTreeSet<String> = files
        .values()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter_map(|l| l.trim().strip_prefix("include!(\"").map(str::to_string))
                .map(|r| r.split(".rs\"").next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    files.retain(|name, _| {
        name != "main" && !name.ends_with("tests") && !included.contains(name.as_str())
    });
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let module_of = |segs: &[String]| -> String {
        match segs {
            [a, b, ..] if modules.contains(&format!("{a}::{b}")) => format!("{a}::{b}"),
            [a, ..] if modules.contains(a) => a.clone(),
            _ => ROOT.to_string(),
        }
    };
    let mut graph = BTreeMap::new();
    for (name, file) in &files {
        let text = source_of(file);
        let mut to = BTreeSet::new();
        if name != ROOT {
            for segs in after(&text, "crate::") {
                to.insert(module_of(&segs));
            }
            // `super::` (and `super::super::`) from this module's place.
            for segs in after(&text, "super::") {
                let mut full: Vec<String> = name.split("::").map(str::to_string).collect();
                full.pop();
                let mut rest = segs.as_slice();
                while let [first, tail @ ..] = rest {
                    if first != "super" {
                        break;
                    }
                    full.pop();
                    rest = tail;
                }
                full.extend(rest.iter().cloned());
                to.insert(module_of(&full));
            }
            // Children by their bare name (`use host::WindowHost;` in `window`).
            for child in modules
                .iter()
                .filter_map(|m| m.strip_prefix(&format!("{name}::")))
            {
                if !after(&text, &format!("{child}::")).is_empty() {
                    to.insert(format!("{name}::{child}"));
                }
            }
        }
        to.remove(name);
        graph.insert(name.clone(), to);
    }
    graph
}

/// A circle of imports, if there is one: its modules in order, the first
/// again at the end.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut c = path[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(graph, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(graph, node, &mut vec![], &mut done) {
            return Some(c);
        }
    }
    None
}

fn layer(module: &str) -> u8 {
    if module == ROOT {
        return u8::MAX;
    }
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("module {module} has no layer in LAYERS"))
}

fn graph_of_src() -> BTreeMap<String, BTreeSet<String>> {
    imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn every_module_has_a_layer_and_imports_none_above_it() {
    let graph = graph_of_src();
    let placed: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    let modules: BTreeSet<String> = graph.keys().filter(|m| *m != ROOT).cloned().collect();
    assert_eq!(modules, placed, "the modules of src/ and LAYERS");
    let upward: Vec<String> = graph
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(from, to)| layer(to) > layer(from))
        .map(|(from, to)| format!("{from} ({}) -> {to} ({})", layer(from), layer(to)))
        .collect();
    assert!(upward.is_empty(), "imports running up a layer: {upward:#?}");
}

#[test]
fn the_modules_import_one_another_without_a_circle() {
    let graph = graph_of_src();
    assert_eq!(circle(&graph), None, "imports: {graph:#?}");
}

/// The reader sees what it must: grouped, nested, inline and relative
/// imports, the crate root, and not comments or test modules; and the
/// circle finder finds a circle.
#[test]
fn the_import_reader_and_the_circle_finder_see_what_they_must() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("w")).unwrap();
    let files = [
        ("lib.rs", "pub mod a; pub mod b; pub mod w;\nuse a::X;\n"),
        (
            "a.rs",
            "use crate::{b::{Y, Z}, w};\n// crate::c is a comment\nfn f() { crate::run(); }\n",
        ),
        (
            "b.rs",
            "pub struct Y;\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n",
        ),
        ("c.rs", "include!(\"list.rs\");\n"),
        ("list.rs", "macro_rules! l { () => { crate::b::Y } }\n"),
        ("w/mod.rs", "pub mod h;\nuse h::H;\n"),
        (
            "w/h.rs",
            "use super::super::b;\nfn g() { let _ = crate::w::h::K; }\n",
        ),
    ];
    for (f, text) in files {
        std::fs::write(src.join(f), text).unwrap();
    }
    let g = imports(src);
    let set = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(g["a"], set(&["b", "w", "lib"]));
    assert_eq!(g["b"], set(&[]));
    assert_eq!(g["c"], set(&["b"]));
    assert!(!g.contains_key("list"));
    assert_eq!(g["w"], set(&["w::h"]));
    assert_eq!(g["w::h"], set(&["b"]));
    assert_eq!(circle(&g), None);

    let mut g2 = g.clone();
    g2.get_mut("b").unwrap().insert("w".into());
    let c = circle(&g2).expect("b -> w -> w::h -> b");
    assert_eq!(c.first(), c.last());
    assert_eq!(c.len(), 4, "{c:?}");
}
