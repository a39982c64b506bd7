//! resvm in the browser: the playground's engine, compiled to WebAssembly with wasm-bindgen.
//!
//! Every entry point takes the program text and answers one JSON object (a string: the page
//! parses it), so the page needs no schema of Rust types, and the same functions are tested
//! natively. Source spans are given in UTF-16 code units, the offsets of a `textarea`.
//!
//! * [`compile`]: the stages canon, factor, dag, asm, the digest and main's parameters, or
//!   the diagnostics with their spans.
//! * [`run`]: main's output on one engine (closure, stack or tree).
//! * [`prove`]: a zero-knowledge proof of the stack-machine run, in the wire format of
//!   `resvm prove` (its randomness comes from `crypto.getRandomValues` through getrandom's
//!   `wasm_js` backend; nothing is seeded here).
//! * [`verify`]: checks proof bytes against the program, as `resvm verify` does.
//! * [`threaded`]: whether the module was built with threads; the threaded build also exports
//!   `initThreadPool` (wasm-bindgen-rayon) and allocates small blocks from [`alloc`]'s
//!   lock-free free lists.
//! * [`swap_demo`]: the resource machine's swap demo (`resvm demo`'s flow,
//!   [`resvm_rm::demo::run`]) on an in-memory ledger ([`resvm_rm::MemoryLedger`]).
//!
//! Inputs are a JSON object from parameter name to value string (`{"a": "7", "b": "5"}`), in
//! the syntax of `resvm run --inputs` ([`resvm::inputs`]).

pub mod alloc;

/// The threaded bundle allocates small blocks from lock-free free lists ([`alloc`]).
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: alloc::SmallBlockCache<std::alloc::System> =
    alloc::SmallBlockCache::new(std::alloc::System);

use resvm::inputs::{params_of, Param};
use resvm::{Compiled, Engine, Limits, Span, F};
use resvm_field::canonical;
use resvm_prover::config::SecurityLevel;
use serde_json::{json, Value};
use std::sync::Mutex;
use wasm_bindgen::prelude::*;

/// Most cycles the page proves: the prover needs ~16 KB per cycle natively, and a page has at
/// most 4 GiB of WebAssembly memory (wasm32), so 2^17 cycles (~2.1 GB natively) is the largest
/// power of two that fits with room for the allocator. A longer run is refused before any
/// table is laid out, with a message saying so, instead of exhausting the tab's memory.
pub const PAGE_MAX_CYCLES: u64 = 1 << 17;

/// Name of the program in rendered messages (`main.rvm:2:14`).
const FILE: &str = "main.rvm";

/// The last panic's message, kept by the hook [`install_panic_hook`] installs: on wasm32 a panic aborts
/// (traps), so the page reads it afterwards with [`take_panic`] to show why.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Installs the panic hook that records messages for [`take_panic`]. Runs when the module is
/// instantiated.
#[wasm_bindgen(start)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
}

/// The message of the panic that last aborted a call, if any (and forgets it).
#[wasm_bindgen]
pub fn take_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|mut m| m.take())
}

/// The cycle cap of [`prove`] ([`PAGE_MAX_CYCLES`]), for the page to show.
#[wasm_bindgen]
pub fn max_cycles() -> f64 {
    PAGE_MAX_CYCLES as f64
}

/// The threaded bundle's worker pool (`initThreadPool(n)` in JavaScript, awaited once before
/// proving): rayon, and so Plonky3's parallel prover, on `n` Web Workers that share this
/// module's memory. Only in a build with the `atomics` target feature
/// (`scripts/build-playground.sh`), which a cross-origin-isolated page can load.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Whether this module was built with threads (`initThreadPool` exported, see
/// `init_thread_pool`); the page then sizes the pool and shows the thread count.
#[wasm_bindgen]
pub fn threaded() -> bool {
    cfg!(all(target_arch = "wasm32", target_feature = "atomics"))
}

/// Compiles `source` and returns `{"ok": true, "digest", "params": [{"name", "secret", "type"}],
/// "stages": {"canon", "factor", "dag", "asm"}}`, or `{"ok": false, "error": rendered,
/// "diagnostics": [{"message", "start", "end", "line", "col"}]}`.
#[wasm_bindgen]
pub fn compile(source: &str) -> String {
    match resvm::compile(source) {
        Ok(c) => json!({
            "ok": true,
            "digest": c.program.digest().to_string(),
            "params": params_json(&params_of(&c.module)),
            "stages": {
                "canon": resvm::print_canon(&c),
                "factor": resvm::print_factor(&c),
                "dag": c.circuit.print(),
                "asm": resvm::print_asm(&c),
            },
        }),
        Err(e) => compile_error(&e, source),
    }
    .to_string()
}

/// Runs main on `inputs` (JSON, every parameter named) with `engine` (`closure`, `stack` or
/// `tree`) and returns `{"ok": true, "output", "steps", "cycles"}` (`cycles` on the stack
/// engine only, else null), or `{"ok": false, "error", "span"}` where `span` locates a
/// runtime error (`{"start", "end"}`, or null) and `diagnostics` a compile error.
#[wasm_bindgen]
pub fn run(source: &str, inputs: &str, engine: &str) -> String {
    run_json(source, inputs, engine).to_string()
}

fn run_json(source: &str, inputs: &str, engine: &str) -> Value {
    let engine: Engine = match engine.parse() {
        Ok(e) => e,
        Err(e) => return failure(e),
    };
    let c = match resvm::compile(source) {
        Ok(c) => c,
        Err(e) => return compile_error(&e, source),
    };
    let params = params_of(&c.module);
    let xs = match parse_inputs(inputs, &params.iter().collect::<Vec<_>>()) {
        Ok(xs) => xs,
        Err(e) => return failure(e),
    };
    let limits = Limits::default();
    match resvm::run_counted(&c, engine, &xs, &limits) {
        Ok(r) => json!({
            "ok": true,
            "engine": engine.name(),
            "output": canonical(r.output).to_string(),
            "steps": r.steps,
            "cycles": r.cycles,
        }),
        Err(t) => runtime_error(&c, source, &t, &xs, &limits),
    }
}

/// A successful [`prove`]: the proof in the wire format of `resvm prove`, and its summary.
#[wasm_bindgen]
pub struct Proved {
    bytes: Vec<u8>,
    summary: String,
}

#[wasm_bindgen]
impl Proved {
    /// The proof bytes (`MAGIC ‖ version ‖ postcard`, as `resvm prove -o` writes them).
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// `{"program", "security", "security_bits", "cycles", "table_rows", "total_rows",
    /// "proof_bytes", "trace_ms", "prove_ms", "output", "public_inputs"}` as `resvm prove
    /// --json` prints it (field elements as strings, public inputs by name).
    #[wasm_bindgen(getter)]
    pub fn summary(&self) -> String {
        self.summary.clone()
    }
}

/// Runs main on `inputs` (JSON, every parameter named; `secret` ones are the witness) and
/// proves the run with the standard parameters. `progress` is called with `"execute"`,
/// `"trace"`, `"prove"` and `"done"` as the prover reaches each stage. A failure is thrown as
/// an `Error` whose message is one sentence (or the rendered compile error).
#[wasm_bindgen]
pub fn prove(source: &str, inputs: &str, progress: &js_sys::Function) -> Result<Proved, JsError> {
    prove_native(source, inputs, &mut |stage| {
        // A throwing callback only loses a progress update; the proof goes on.
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(stage));
    })
    .map_err(|e| JsError::new(&e))
}

/// [`prove`] with a Rust progress callback (the native entry point, used by the tests).
pub fn prove_native(
    source: &str,
    inputs: &str,
    progress: &mut dyn FnMut(&'static str),
) -> Result<Proved, String> {
    let c = resvm::compile(source).map_err(|e| compile_message(&e, source))?;
    let params = params_of(&c.module);
    let xs = parse_inputs(inputs, &params.iter().collect::<Vec<_>>())?;
    let (mut public, mut witness) = (Vec::new(), Vec::new());
    for (x, p) in xs.iter().zip(&params) {
        if p.secret {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }
    let opts = resvm_prover::ProveOptions {
        security: SecurityLevel::Standard,
        limits: Limits {
            max_cycles: Some(PAGE_MAX_CYCLES),
            ..Limits::default()
        },
    };
    let (proof, summary) =
        resvm_prover::prove_with(&c.program, &public, &witness, &opts, &mut |s| {
            use resvm_prover::Stage;
            progress(match s {
                Stage::Execute => "execute",
                Stage::Trace => "trace",
                Stage::Prove => "prove",
                Stage::Done => "done",
            })
        })
        .map_err(|e| prove_error(&c, source, &xs, e))?;
    let mut j: Value = serde_json::from_str(&summary.to_json())
        .map_err(|e| format!("internal error: prover summary is not JSON: {e}"))?;
    let public_params: Vec<&Param> = params.iter().filter(|p| !p.secret).collect();
    if let Some(m) = j.as_object_mut() {
        m.insert("public_inputs".into(), named(&public_params, &public));
        m.insert(
            "output".into(),
            canonical(proof.statement().output).to_string().into(),
        );
    }
    Ok(Proved {
        bytes: proof.to_bytes(),
        summary: j.to_string(),
    })
}

/// Verifies `proof` (bytes in the wire format of `resvm prove`) against the program `source`
/// and returns `{"valid": true, "program", "security", "security_bits", "public_inputs",
/// "output", "cycles"}` (what the proof claims and shows), or `{"valid": false, "error"}`.
/// Proofs made with the insecure test parameters are refused, as by `resvm verify`.
#[wasm_bindgen]
pub fn verify(source: &str, proof: &[u8]) -> String {
    verify_json(source, proof).to_string()
}

fn verify_json(source: &str, bytes: &[u8]) -> Value {
    let invalid = |error: String| json!({ "valid": false, "error": error });
    let c = match resvm::compile(source) {
        Ok(c) => c,
        Err(e) => return invalid(compile_message(&e, source)),
    };
    let proof = match resvm_prover::Proof::from_bytes(bytes) {
        Ok(p) => p,
        Err(e) => return invalid(e.to_string()),
    };
    let opts = resvm_prover::VerifyOptions { allow_test: false };
    if let Err(e) = resvm_prover::verify_claimed(&c.program, &proof, opts) {
        return invalid(e.to_string());
    }
    let params = params_of(&c.module);
    let public: Vec<&Param> = params.iter().filter(|p| !p.secret).collect();
    let st = proof.statement();
    json!({
        "valid": true,
        "program": c.program.digest().to_string(),
        "security": proof.security.name(),
        "security_bits": proof.security.params().conjectured_bits(),
        "public_inputs": named(&public, &st.public_inputs),
        "output": canonical(st.output).to_string(),
        "cycles": st.cycles,
    })
}

/// Runs the resource machine's swap demo ([`resvm_rm::demo::run`]: mints, two unbalanced
/// swap intents composed into a balanced transaction, every action proved and verified,
/// applied, the double spend refused) on a fresh in-memory ledger with `backend`
/// (`stark-v1`: zero-knowledge STARK proofs; `reexec-v2`: the fast re-execution backend,
/// not zero-knowledge). `progress` is called with each progress line. Returns `{"backend",
/// "root", "commitments", "nullifiers", "transactions", "refused", "ledger"}` (digests as
/// hex, `ledger` the status as `resvm ledger status --json` prints it); a failure is thrown
/// as an `Error` with one sentence.
#[wasm_bindgen]
pub fn swap_demo(backend: &str, progress: &js_sys::Function) -> Result<String, JsError> {
    swap_demo_native(backend, &mut |line| {
        // A throwing callback only loses a progress line; the demo goes on.
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(line));
    })
    .map_err(|e| JsError::new(&e))
}

/// [`swap_demo`] with a Rust progress callback (the native entry point, used by the tests).
pub fn swap_demo_native(backend: &str, progress: &mut dyn FnMut(&str)) -> Result<String, String> {
    use rand::TryRng;
    use resvm_rm::LedgerApi;
    let backend = resvm_rm::backend_named(backend).map_err(|e| e.to_string())?;
    let mut seed = [0u8; 32];
    rand::rngs::SysRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("the random number generator failed: {e}"))?;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(seed);
    let mut ledger = resvm_rm::MemoryLedger::new();
    let mut host = PageHost { progress };
    let report = resvm_rm::demo::run(&mut ledger, backend.as_ref(), &mut rng, &mut host)
        .map_err(|e| e.to_string())?;
    let status = ledger.status().map_err(|e| e.to_string())?;
    let hex =
        |ds: &[resvm_field::Digest]| -> Vec<String> { ds.iter().map(|d| d.to_hex()).collect() };
    Ok(json!({
        "backend": backend.name(),
        "root": report.root.to_hex(),
        "commitments": hex(&report.commitments),
        "nullifiers": hex(&report.nullifiers),
        "transactions": report.transactions,
        "refused": report.refused,
        "ledger": serde_json::to_value(&status).map_err(|e| e.to_string())?,
    })
    .to_string())
}

/// The page's side of the demo: progress lines to the callback, the clock of the platform.
struct PageHost<'a> {
    progress: &'a mut dyn FnMut(&str),
}

impl resvm_rm::demo::DemoHost for PageHost<'_> {
    fn now_ms(&self) -> f64 {
        now_ms()
    }
    fn line(&mut self, text: &str) {
        (self.progress)(text)
    }
}

/// Milliseconds since the epoch: `Date.now()` in the browser (where `std::time` has no
/// clock), the system clock natively.
fn now_ms() -> f64 {
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        js_sys::Date::now()
    }
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(0.0)
    }
}

/// Parses the page's inputs object; an empty text stands for `{}`.
fn parse_inputs(text: &str, wanted: &[&Param]) -> Result<Vec<F>, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    resvm::inputs::parse_json(text, "inputs", wanted)
}

/// One entry per source parameter (a digest parameter's four inputs are one, `"type": "d"`).
fn params_json(params: &[Param]) -> Value {
    params
        .iter()
        .filter(|p| p.element.unwrap_or(0) == 0)
        .map(|p| {
            let ty = if p.element.is_some() { "d" } else { "p" };
            json!({ "name": p.name, "secret": p.secret, "type": ty })
        })
        .collect()
}

/// `{"x": "5", "r": "<hex>", ...}`: values by parameter name, as strings (a digest in its hex
/// form).
fn named(params: &[&Param], values: &[F]) -> Value {
    Value::Object(
        resvm::inputs::named_values(params, values)
            .into_iter()
            .map(|(name, v)| (name, v.into()))
            .collect(),
    )
}

fn failure(error: String) -> Value {
    json!({ "ok": false, "error": error, "span": null })
}

/// A compile error in one line: `main.rvm:LINE:COL: message` of the first diagnostic.
fn compile_message(e: &resvm::CompileError, source: &str) -> String {
    match e.diagnostics().first() {
        Some(d) => {
            let (line, col) = d.line_col(source);
            format!("{FILE}:{line}:{col}: {}", d.message)
        }
        None => e.to_string(),
    }
}

fn compile_error(e: &resvm::CompileError, source: &str) -> Value {
    let diagnostics: Vec<Value> = e
        .diagnostics()
        .iter()
        .map(|d| {
            let (line, col) = d.line_col(source);
            let (start, end) = utf16_span(source, d.span);
            json!({ "message": d.message, "start": start, "end": end, "line": line, "col": col })
        })
        .collect();
    json!({
        "ok": false,
        "error": e.render(FILE, source),
        "diagnostics": diagnostics,
        "span": diagnostics.first().map(|d| json!({ "start": d["start"], "end": d["end"] })),
    })
}

/// A trap as `resvm run` reports it: rerun on the stack engine with a call tracker to find
/// the expression and call sites (every engine traps the same way), rendered with its span.
fn runtime_error(c: &Compiled, source: &str, t: &resvm::Trap, xs: &[F], limits: &Limits) -> Value {
    match resvm::run_located(c, xs, limits) {
        Err(e) if e.trap == *t && e.pc.is_some() => {
            let span = e.pc.and_then(|pc| c.locate(pc)).map(|(_, s)| {
                let (start, end) = utf16_span(source, s);
                json!({ "start": start, "end": end })
            });
            let shown = e.render(c, FILE, source);
            let body = shown.strip_prefix("error: ").unwrap_or(&shown);
            json!({ "ok": false, "error": format!("runtime error: {}", body.trim_end()), "span": span })
        }
        _ => failure(format!("runtime error: {t}")),
    }
}

/// One sentence for a failed proof; a trap is located in the source as by [`run`].
fn prove_error(c: &Compiled, source: &str, xs: &[F], e: resvm_prover::ProveError) -> String {
    use resvm_prover::{trace::TraceError, ProveError};
    match e {
        // The page's own cap (PAGE_MAX_CYCLES), set as the run's cycle limit.
        ProveError::Trace(TraceError::Trap(resvm::Trap::CyclesExceeded { limit })) => format!(
            "run too large to prove in the page: it exceeds {limit} cycles, the most the page's \
             memory holds (prove it with `resvm prove`)"
        ),
        ProveError::Trace(TraceError::Trap(t)) => {
            let j = runtime_error(c, source, &t, xs, &Limits::default());
            j["error"].as_str().unwrap_or("runtime error").to_string()
        }
        other => other.to_string(),
    }
}

/// A byte span of `source` as UTF-16 offsets (what `textarea.setSelectionRange` takes),
/// clamped to the text and to character boundaries.
fn utf16_span(source: &str, span: Span) -> (usize, usize) {
    let at = |byte: usize| {
        let mut b = byte.min(source.len());
        while !source.is_char_boundary(b) {
            b -= 1;
        }
        source[..b].encode_utf16().count()
    };
    (at(span.start), at(span.end))
}
