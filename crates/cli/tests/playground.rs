//! The playground in a real browser: `resvm playground` serves the page, Debian's headless
//! Chromium loads it (driven over WebDriver by `chromedriver`, spoken here with a few lines
//! of HTTP and JSON), and the test uses the page's element contract (`#source`, `#inputs`,
//! `#engine`, `#run`, `#prove`, `#verify`, `#output`, `#status`): run an example on every
//! engine, prove, verify (`valid`), reject a proof edited by one byte, verify the page's
//! proof with `resvm verify` and a `resvm prove` proof in the page, and show a diagnostic;
//! refuse a run beyond the page's cycle cap clearly and prove afterwards; run the resource
//! machine's swap demo (`#swap`, `#swap-status`, `#swap-result`) with the STARK backend.
//!
//! Needs the WebAssembly bundle built into the binary and Chromium installed, so it is
//! ignored by default; `.ci/run` runs it after `bash scripts/build-playground.sh`:
//! `cargo test --workspace --test playground -- --ignored in_chromium`.

mod common;

use common::{resvm, root};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A child process killed when the test ends, however it ends.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One WebDriver session on a local chromedriver.
struct Driver {
    port: u16,
    session: String,
}

impl Driver {
    /// `method path` with a JSON body; the answer's `value`, or a panic naming the error.
    fn send(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
        Driver::try_send(port, method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// As [`Driver::send`], but a lost connection or an answer that is not WebDriver's is an
    /// `Err` (so that start-up can retry); a WebDriver error answer still panics.
    fn try_send(
        port: u16,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let io = |e: std::io::Error| format!("{e}");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(io)?;
        s.set_read_timeout(Some(Duration::from_secs(600)))
            .map_err(io)?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(io)?;
        // chromedriver keeps the connection open: read the head, then Content-Length bytes.
        let mut r = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).map_err(io)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())
                    .flatten()
            })
            .ok_or_else(|| format!("no Content-Length in the answer: {head}"))?;
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).map_err(io)?;
        let json = String::from_utf8_lossy(&body);
        let json = json.as_ref();
        let v: Value = serde_json::from_str(json)
            .map_err(|e| format!("the answer {head} is not JSON: {e}: {json}"))?;
        if !head.starts_with("HTTP/1.1 200") {
            panic!("WebDriver {method} {path} failed: {head}\n{}", v["value"]);
        }
        Ok(v["value"].clone())
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        Driver::send(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            Some(&body),
        )
    }

    fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// The WebDriver element id of `#id`.
    fn element(&self, id: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": format!("#{id}") }),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|e| e.as_str())
            .unwrap_or_else(|| panic!("no element #{id}: {v}"))
            .to_string()
    }

    fn click(&self, id: &str) {
        let e = self.element(id);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    /// Clears `#id` and types `text` into it.
    fn type_into(&self, id: &str, text: &str) {
        let e = self.element(id);
        self.cmd("POST", &format!("/element/{e}/clear"), json!({}));
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        );
    }

    fn text(&self, id: &str) -> String {
        self.js(
            "return document.getElementById(arguments[0]).textContent;",
            json!([id]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Polls `#id`'s text until `done` holds; panics with the last text after `limit`.
    fn wait_text(&self, id: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let t = self.text(id);
            if done(&t) {
                return t;
            }
            if start.elapsed() > limit {
                panic!("#{id} is still {t:?} after {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sets the program text as a user's edit would (an `input` event follows).
    fn set_source(&self, text: &str) {
        self.js(
            "const s = document.getElementById('source'); s.value = arguments[0]; \
             s.dispatchEvent(new Event('input'));",
            json!([text]),
        );
    }

    fn select_engine(&self, engine: &str) {
        self.js(
            "const e = document.getElementById('engine'); e.value = arguments[0]; \
             e.dispatchEvent(new Event('change')); return e.value;",
            json!([engine]),
        );
    }

    /// The bytes behind the page's download link (the latest proof).
    fn downloaded_proof(&self) -> Vec<u8> {
        let v = self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": "const done = arguments[arguments.length - 1]; \
                fetch(document.getElementById('download').href) \
                  .then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b)))) \
                  .catch(e => done(String(e)));",
                "args": [] }),
        );
        let bytes = v
            .as_array()
            .unwrap_or_else(|| panic!("no proof behind the download link: {v}"));
        bytes
            .iter()
            .map(|b| {
                b.as_u64()
                    .and_then(|b| u8::try_from(b).ok())
                    .expect("a byte")
            })
            .collect()
    }

    /// Loads a proof file through the page's file input.
    fn load_proof(&self, path: &Path) {
        let e = self.element("proof-file");
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            json!({ "text": path.display().to_string() }),
        );
    }
}

/// Ends the session (and so the browser) however the test ends; best effort, never panics.
impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
                self.session
            );
            let _ = s.read(&mut [0u8; 256]);
        }
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts `resvm playground --port 0` and returns it with the URL it printed.
fn start_playground() -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_resvm"))
        .args(["playground", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("resvm playground starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the playground prints its URL");
    let url = line
        .strip_prefix("playground: ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim()
        .to_string();
    (Killed(child), url)
}

/// The browser tests run one at a time: three Chromiums on two cores compete for them, and
/// each test's ports (playground, chromedriver, DevTools) would be chosen while the others
/// choose theirs.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_browser_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    // A failed test poisons the lock; the next test can still run.
    ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts chromedriver and a Chromium session, retrying start-up twice: on a loaded 2-core
/// machine chromedriver has been seen to reset the connection of the first `POST /session`
/// (CI, 2026-12-07). Each try takes a fresh port and a fresh chromedriver.
fn start_browser(profile: &Path) -> (Killed, Driver) {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: apt-get install -y chromium chromium-driver"
        );
    }
    let mut failures = Vec::new();
    for attempt in 0..3 {
        // A Chromium left half-started by a failed try may still hold its profile's lock.
        match try_start_browser(&profile.join(format!("try{attempt}"))) {
            Ok(started) => return started,
            Err(e) => {
                eprintln!("chromedriver start-up failed, retrying: {e}");
                failures.push(e);
            }
        }
    }
    panic!("chromedriver did not start a session in 3 tries: {failures:?}");
}

fn try_start_browser(profile: &Path) -> Result<(Killed, Driver), String> {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("chromedriver does not start: {e}"))?;
    let mut guard = Killed(child);
    let start = Instant::now();
    // Ready means this chromedriver answers `/status`: a bare connect could reach another
    // process that took the port between `free_port` and chromedriver's bind.
    loop {
        if let Ok(Some(status)) = guard.0.try_wait() {
            return Err(format!("chromedriver exited: {status}"));
        }
        if let Ok(v) = Driver::try_send(port, "GET", "/status", None) {
            if v["ready"] == json!(true) {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err("chromedriver is not ready after 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let caps = json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
            ],
        },
        "timeouts": { "script": 120000, "pageLoad": 60000 },
    }}});
    let v = Driver::try_send(port, "POST", "/session", Some(&caps))?;
    let session = v["sessionId"]
        .as_str()
        .ok_or_else(|| format!("no session id in {v}"))?
        .to_string();
    Ok((guard, Driver { port, session }))
}

const MIN: &str = "examples/min.rvm";

#[test]
#[ignore = "needs the wasm bundle (bash scripts/build-playground.sh) and chromium; run with --ignored"]
fn playground_runs_proves_and_verifies_in_chromium() {
    let _one = one_browser_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, url) = start_playground();
    let (_driver, d) = start_browser(&dir.path().join("profile"));
    d.cmd("POST", "/url", json!({ "url": url }));
    d.wait_text("status", Duration::from_secs(60), |t| t == "ready");
    // The threaded bundle (its worker helper is under pkg/snippets) proves on as many threads
    // as the browser reports cores; the unthreaded one on its worker alone. The page says so.
    let threads = d.wait_text("threads", Duration::from_secs(30), |t| {
        t.starts_with("WebAssembly") || t == "unavailable"
    });
    let cores = d
        .js("return navigator.hardwareConcurrency;", json!([]))
        .as_u64()
        .expect("a core count");
    let want = if root().join("crates/web/pkg/snippets").is_dir() {
        cores
    } else {
        1
    };
    let plural = if want == 1 { "thread" } else { "threads" };
    assert_eq!(threads, format!("WebAssembly, {want} {plural}"));
    let example = d.js(
        "return document.getElementById('examples').value;",
        json!([]),
    );
    assert_eq!(example, "min.rvm");
    let source = std::fs::read_to_string(root().join(MIN)).expect("example");
    assert_eq!(
        d.js("return document.getElementById('source').value;", json!([])),
        source.as_str()
    );
    assert!(d.text("stage-canon").contains("main"), "canon stage shown");
    assert!(d.text("stage-asm").contains("HALT"), "asm stage shown");

    // Run on every engine.
    d.type_into("inputs", r#"{"a": "7", "b": "5"}"#);
    for engine in ["closure", "stack", "tree"] {
        d.select_engine(engine);
        d.click("run");
        d.wait_text("status", Duration::from_secs(30), |t| {
            t.starts_with("ran on") || t.starts_with("error")
        });
        assert_eq!(d.text("output"), "5", "{engine}: {}", d.text("status"));
        assert!(d.text("status").starts_with(&format!("ran on {engine}")));
    }

    // Prove and verify in the page.
    d.click("prove");
    let status = d.wait_text("status", Duration::from_secs(300), |t| {
        t.ends_with("proved") || t.starts_with("error")
    });
    assert!(status.ends_with("proved"), "{status}");
    assert_eq!(d.text("output"), "5");
    d.click("verify");
    let status = d.wait_text("status", Duration::from_secs(60), |t| {
        t.ends_with("valid") || t.starts_with("error")
    });
    assert!(status.ends_with("valid"), "{status}");

    // The page's proof verifies with the CLI.
    let page_proof = d.downloaded_proof();
    let page_path = dir.path().join("page.proof");
    std::fs::write(&page_path, &page_proof).expect("write");
    let o = resvm(&["verify", MIN, page_path.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.starts_with("valid\n") && stdout.contains("output (claimed): 5"),
        "{stdout}"
    );

    // The same proof with one byte changed is rejected by the page and by the CLI.
    let mut forged = page_proof.clone();
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    let forged_path = dir.path().join("forged.proof");
    std::fs::write(&forged_path, &forged).expect("write");
    d.load_proof(&forged_path);
    d.wait_text("status", Duration::from_secs(30), |t| {
        t.starts_with("loaded forged.proof")
    });
    d.click("verify");
    let status = d.wait_text("status", Duration::from_secs(60), |t| {
        t.starts_with("error") || t.ends_with("valid")
    });
    assert!(status.starts_with("error: proof rejected: "), "{status}");
    assert!(!status.ends_with("valid"), "{status}");
    let o = resvm(&["verify", MIN, forged_path.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(3), "the CLI rejects it too");

    // A proof made by the CLI verifies in the page.
    let cli_path = dir.path().join("cli.proof");
    let o = resvm(&[
        "prove",
        MIN,
        "9",
        "4",
        "-o",
        cli_path.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    d.load_proof(&cli_path);
    d.wait_text("status", Duration::from_secs(30), |t| {
        t.starts_with("loaded cli.proof")
    });
    d.click("verify");
    let status = d.wait_text("status", Duration::from_secs(60), |t| {
        t.ends_with("valid") || t.starts_with("error")
    });
    assert_eq!(status, "cli.proof shows output 4: valid");

    // A compile error is listed and marked in the editor at its span.
    d.set_source("fn main(a) = a + ;\n");
    d.wait_text("diagnostics", Duration::from_secs(30), |t| !t.is_empty());
    let marked = d.js(
        "return document.querySelector('#highlights mark')?.textContent ?? null;",
        json!([]),
    );
    assert!(marked.is_string(), "no span marked: {marked}");
    d.click("run");
    let status = d.wait_text("status", Duration::from_secs(30), |t| {
        t.starts_with("error")
    });
    assert!(status.contains("main.rvm:1:"), "{status}");
}

/// Opens the page on `url` and waits for the module to load and the first example to compile.
fn open_page(d: &Driver, url: &str) {
    d.cmd("POST", "/url", json!({ "url": url }));
    d.wait_text("status", Duration::from_secs(60), |t| t == "ready");
}

/// Proves the program in the editor on the inputs in `#inputs`; the final `#status`.
fn prove_in_page(d: &Driver, limit: Duration) -> String {
    d.click("prove");
    d.wait_text("status", limit, |t| {
        t.ends_with("proved") || t.starts_with("error")
    })
}

/// A run longer than the page's cap (`PAGE_MAX_CYCLES`, 2^17 cycles) is refused with a message saying why and what to do instead, not a crashed tab;
/// the page then still proves a small run, and a proof of it verifies.
#[test]
#[ignore = "needs the wasm bundle (bash scripts/build-playground.sh) and chromium; run with --ignored"]
fn oversized_run_is_refused_clearly_in_chromium() {
    let _one = one_browser_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, url) = start_playground();
    let (_driver, d) = start_browser(&dir.path().join("profile"));
    open_page(&d, &url);
    d.set_source(&std::fs::read_to_string(root().join("examples/fib.rvm")).expect("example"));
    d.wait_text("params", Duration::from_secs(30), |t| {
        t.contains("n (public)")
    });
    // fib(n) runs at least one cycle per iteration, so n = 2^17 is over the cap whatever the
    // ISA does per iteration (fib(20000) used to be, until `BRZS` made it 120,012 cycles).
    d.type_into("inputs", r#"{"n": "131072"}"#);
    let status = prove_in_page(&d, Duration::from_secs(120));
    assert_eq!(
        status,
        "error: run too large to prove in the page: it exceeds 131072 cycles, the most the \
         page's memory holds (prove it with `resvm prove`)",
    );
    // The same worker goes on: a small run proves and verifies.
    d.type_into("inputs", r#"{"n": "10"}"#);
    let status = prove_in_page(&d, Duration::from_secs(300));
    assert!(status.ends_with("proved"), "{status}");
    assert_eq!(d.text("output"), "55");
    d.click("verify");
    let status = d.wait_text("status", Duration::from_secs(60), |t| {
        t.ends_with("valid") || t.starts_with("error")
    });
    assert_eq!(status, "run.proof shows output 55: valid");
}

/// The resource machine's swap demo in the page, on the in-memory ledger, with `backend`:
/// `#swap-status` ends with `balanced tx applied`, the log shows every step and `#swap-result`
/// the new root (64 hex digits), the commitments and nullifiers applied and the refused replay.
fn swap_demo_in_page(backend: &str, limit: Duration) {
    let _one = one_browser_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, url) = start_playground();
    let (_driver, d) = start_browser(&dir.path().join("profile"));
    open_page(&d, &url);
    assert_eq!(d.text("swap-status"), "not run yet");
    d.js(
        "const e = document.getElementById('swap-backend'); e.value = arguments[0]; \
         e.dispatchEvent(new Event('change')); return e.value;",
        json!([backend]),
    );
    d.click("swap");
    let status = d.wait_text("swap-status", limit, |t| {
        t.ends_with("balanced tx applied") || t.starts_with("error")
    });
    println!("swap demo ({backend}) in the page: {status}");
    assert!(status.starts_with(&format!("{backend}, ")), "{status}");
    assert!(status.ends_with("balanced tx applied"), "{status}");
    let log = d.text("swap-log");
    for step in [
        "1. mint 5 A to Alice and 3 B to Bob",
        "2. each party builds an unbalanced swap intent",
        "(balanced: false)",
        "(balanced: true)",
        "4. double spend: apply the swap again",
        "  refused: ",
        "ledger unchanged",
    ] {
        assert!(log.contains(step), "no {step:?} in the log:\n{log}");
    }
    let result = d.text("swap-result");
    let root = result
        .strip_prefix("new root ")
        .and_then(|r| r.lines().next())
        .unwrap_or_else(|| panic!("no root in #swap-result: {result}"));
    assert!(
        root.len() == 64 && root.bytes().all(|b| b.is_ascii_hexdigit()),
        "not a root: {root:?}"
    );
    // The root the log printed for the swap's application is the one shown.
    assert!(log.contains(&format!("-> {root}")), "{log}");
    // As many commitments and nullifiers listed as the log showed applied.
    let added = log.matches("  + commitment ").count();
    let spent = log.matches("  - nullifier ").count();
    assert!(added > 0 && spent > 0, "{log}");
    assert!(
        result.contains(&format!("commitments ({added}):")),
        "{result}"
    );
    assert!(
        result.contains(&format!("nullifiers ({spent}):")),
        "{result}"
    );
    assert!(result.contains("double spend refused: "), "{result}");
}

/// The swap demo with the zero-knowledge STARK backend (every action proved in the page).
#[test]
#[ignore = "needs the wasm bundle (bash scripts/build-playground.sh) and chromium; run with --ignored"]
fn swap_demo_stark_in_chromium() {
    swap_demo_in_page("stark-v1", Duration::from_secs(600));
}

/// The figures of `docs/benchmarks.md` (playground section): proving the same run of
/// `examples/fib.rvm` (`RESVM_PAGE_BENCH_N`, default 2,338: 16,379 cycles with the fused
/// instructions, a 2^14-row CPU table) in the page (single-threaded WebAssembly) and with the native CLI
/// (all cores, and one thread), in one session. Prints one line per measurement; asserts
/// that all three prove the same statement. Run in release:
/// `cargo test --release -p resvm-cli --test playground -- --ignored --nocapture prove_time`.
#[test]
#[ignore = "a benchmark: needs the wasm bundle and chromium; run with --ignored --nocapture"]
fn prove_time_page_vs_native() {
    let n: u64 = std::env::var("RESVM_PAGE_BENCH_N")
        .ok()
        .map(|v| v.parse().expect("RESVM_PAGE_BENCH_N is a number"))
        .unwrap_or(2338);
    let fib = "examples/fib.rvm";
    let source = std::fs::read_to_string(root().join(fib)).expect("example");
    let _one = one_browser_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, url) = start_playground();
    let (_driver, d) = start_browser(&dir.path().join("profile"));
    // Three proofs in one page at `url` (`?threads=1` sizes the threaded bundle's pool): the
    // prover's own times (trace + prove, as `resvm prove --json` reports them; the first proof
    // in a page also pays for the engine's optimizing compilation), the details of the last,
    // and the page's thread count.
    let page = |url: &str| -> (Vec<f64>, String, String) {
        open_page(&d, url);
        d.set_source(&source);
        // The page fills #inputs when the new program's parameters arrive: type after that.
        d.wait_text("params", Duration::from_secs(30), |t| {
            t.contains("n (public)")
        });
        d.type_into("inputs", &format!(r#"{{"n": "{n}"}}"#));
        let mut times = Vec::new();
        let mut details = String::new();
        for _ in 0..3 {
            let status = prove_in_page(&d, Duration::from_secs(600));
            assert!(status.ends_with("proved"), "{status}");
            details = d.text("details");
            // "… trace T ms + prove P ms …"
            let ms = |key: &str| -> f64 {
                let after = details.split(key).nth(1).expect("timing in the details");
                after
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("a number")
            };
            times.push(ms("trace ") + ms("prove "));
        }
        (times, details, d.text("threads"))
    };
    let native = |threads: Option<&str>| -> (f64, u64) {
        let out = dir.path().join("native.proof");
        let mut c = Command::new(env!("CARGO_BIN_EXE_resvm"));
        c.args(["prove", "--json", fib, &n.to_string(), "-o"])
            .arg(&out)
            .current_dir(root());
        if let Some(t) = threads {
            c.env("RAYON_NUM_THREADS", t);
        }
        let o = c.output().expect("resvm prove runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let ms = j["trace_ms"].as_f64().expect("trace_ms") + j["prove_ms"].as_f64().expect("ms");
        (ms, j["cycles"].as_u64().expect("cycles"))
    };
    // Page (all threads, then one), native (all cores, then one) in turn, so that a change
    // in the machine's load falls on all four alike.
    let (page_all, details, threads_all) = page(&url);
    println!("page ({threads_all}): {page_all:.0?} ms ({details})");
    let (page_one, _, threads_one) = page(&format!("{url}?threads=1"));
    println!("page ({threads_one}): {page_one:.0?} ms");
    let (mut all_cores, mut one, mut cycles) = (vec![], vec![], 0);
    for _ in 0..3 {
        let (ms, c) = native(None);
        all_cores.push(ms);
        let (ms1, c1) = native(Some("1"));
        one.push(ms1);
        assert_eq!(c, c1);
        cycles = c;
    }
    assert!(
        details.contains(&format!("cycles {cycles},")),
        "the page proved another run: {details}"
    );
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let (p, p1, a, o) = (
        best(&page_all),
        best(&page_one),
        best(&all_cores),
        best(&one),
    );
    println!("native:  {all_cores:?} ms (all cores), {one:?} ms (RAYON_NUM_THREADS=1)");
    println!(
        "fib({n}), {cycles} cycles, best of 3: page {p:.0} ms ({threads_all}), page {p1:.0} ms \
         ({threads_one}), native {a:.0} ms (all cores), {o:.0} ms (1 thread); \
         page/native {:.2}x, page/native both on 1 thread {:.2}x",
        p / a,
        p1 / o
    );
}
