//! Embeds the playground (`resvm playground`): the page's static files (`crates/web/www`), the
//! shipped examples, and the WebAssembly bundle (`crates/web/pkg`, made by
//! `bash scripts/build-playground.sh`) when it has been built. Without the bundle the CLI
//! still builds, and the playground serves a page that says how to build it.
//!
//! Writes `$OUT_DIR/playground_assets.rs`: `ASSETS`, a table of `(url path, content type,
//! bytes)`, and `BUNDLE_BUILT`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files of the bundle that wasm-bindgen (`--target web`) writes and the page loads.
const BUNDLE: [&str; 2] = ["resvm_web.js", "resvm_web_bg.wasm"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let www = root.join("crates/web/www");
    let pkg = root.join("crates/web/pkg");
    let examples = root.join("examples");
    // Directories are scanned for changes; `crates/web` rather than `pkg`, which may not
    // exist (a missing path would rerun this script on every build).
    for dir in [root.join("crates/web"), examples.clone()] {
        println!("cargo:rerun-if-changed={}", dir.display());
    }

    let mut assets: Vec<(String, PathBuf)> = Vec::new();
    for f in files(&www) {
        assets.push((format!("/{}", name(&f)), f));
    }
    let bundle_built = BUNDLE.iter().all(|b| pkg.join(b).is_file());
    if bundle_built {
        // Every file of the bundle: the two above and, in the threaded bundle, the JS
        // snippets wasm-bindgen copies under `snippets/` (wasm-bindgen-rayon's worker helper).
        for f in files_under(&pkg) {
            let rel = f.strip_prefix(&pkg).expect("under pkg");
            let url: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            assets.push((format!("/pkg/{}", url.join("/")), f));
        }
    }
    let mut names = Vec::new();
    for f in files(&examples) {
        if f.extension().is_some_and(|e| e == "rvm") {
            names.push(name(&f));
            assets.push((format!("/examples/{}", name(&f)), f));
        }
    }
    for (_, f) in &assets {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let index = out.join("examples-index.json");
    let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    std::fs::write(&index, format!("[{}]\n", list.join(", "))).expect("write examples index");
    assets.push(("/examples/index.json".into(), index));

    let mut code = String::from("/// `(url path, content type, bytes)` of every embedded file.\n");
    code.push_str("pub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for (url, file) in &assets {
        let abs = file.canonicalize().expect("asset path");
        writeln!(
            code,
            "    ({url:?}, {:?}, include_bytes!({:?})),",
            content_type(url),
            abs.display().to_string()
        )
        .expect("write to a String");
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// Whether the WebAssembly bundle was built when this binary was.\npub const BUNDLE_BUILT: bool = {bundle_built};"
    )
    .expect("write to a String");
    std::fs::write(out.join("playground_assets.rs"), code).expect("write playground_assets.rs");
}

/// Plain files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    entries(dir, Path::is_file)
}

/// Plain files of `dir` and of its subdirectories, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut v = files(dir);
    for d in entries(dir, Path::is_dir) {
        println!("cargo:rerun-if-changed={}", d.display());
        v.extend(files_under(&d));
    }
    v
}

/// The entries of `dir` that `keep` accepts, sorted (none when it does not exist).
fn entries(dir: &Path, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| keep(p))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name()
        .expect("a file has a name")
        .to_string_lossy()
        .into_owned()
}

/// The content type served for a URL path (by extension).
fn content_type(url: &str) -> &'static str {
    match url.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("rvm") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
