//! `resvm playground [--port PORT]`: serves the browser playground (`crates/web`) on
//! `http://127.0.0.1:PORT/` from files embedded in the binary (see `build.rs`). A minimal
//! HTTP/1.1 server on the standard library: `GET`/`HEAD` of the embedded files only, one
//! request per connection, bounded request size, time and concurrency. The page computes
//! everything itself (WebAssembly); the server only hands out files.

use crate::error::{note, out, Failure, Outcome};
use clap::Args;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/playground_assets.rs"));
}

/// The default port of `resvm playground`.
pub const DEFAULT_PORT: u16 = 8787;
/// Largest request head (request line and headers) read before answering 431.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 64;
/// A client that sends nothing (or reads nothing) for this long is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Nothing the page loads may come from elsewhere, and the WebAssembly module may be compiled
/// (`wasm-unsafe-eval`); `blob:` serves the proof download and starts the threaded bundle's
/// pool workers (wasm-bindgen-rayon spawns them from a `blob:` copy of its helper script).
const CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; \
    connect-src 'self' blob:; img-src 'self' data:; style-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'";

/// Cross-origin isolation: without it a browser gives the page no `SharedArrayBuffer`, and the
/// threaded bundle (one WebAssembly memory shared by the prover's Web Workers) cannot load.
/// Everything is served from this origin, so `require-corp` costs nothing.
const ISOLATION: &str =
    "Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n";

/// The page served at `/` by a binary built without the WebAssembly bundle.
const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>resvm playground: not built</title></head><body><h1>resvm playground</h1>\
<p>This <code>resvm</code> binary was built without the playground's WebAssembly bundle.</p>\
<p>Build the bundle and the CLI with it, from the repository root:</p>\
<pre>bash scripts/build-playground.sh</pre>\
<p>then start <code>resvm playground</code> again (see <code>docs/playground.md</code>).</p>\
</body></html>\n";

/// `resvm playground [--port PORT]`
#[derive(Args, Debug)]
pub struct PlaygroundArgs {
    /// Port on 127.0.0.1 (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// Serves until the process is stopped; prints the URL on stdout first.
pub fn run(a: PlaygroundArgs) -> Outcome {
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| Failure::io(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::io(format!("cannot read the listening address: {e}")))?
        .port();
    out(&format!("playground: http://127.0.0.1:{port}/\n"))?;
    if !assets::BUNDLE_BUILT {
        note("warning: this binary has no WebAssembly bundle; build it with `bash scripts/build-playground.sh`");
    }
    note("press Ctrl-C to stop");
    serve(listener);
    Ok(())
}

/// Accepts connections for ever, each on its own thread.
fn serve(listener: TcpListener) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            continue; // dropped: closes the connection
        }
        let counter = Arc::clone(&active);
        let spawned = std::thread::Builder::new()
            .name("playground-http".into())
            .spawn(move || {
                // A client that goes away mid-answer is no error of the server's.
                let _ = handle(stream);
                counter.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // The closure was dropped unrun: release its slot here.
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Answers one request.
fn handle(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let head = match read_head(&mut stream)? {
        Some(h) => h,
        None => {
            return respond(
                &mut stream,
                431,
                "text/plain",
                b"request head too large\n",
                true,
            )
        }
    };
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(version)) = (method, target, version) else {
        return respond(&mut stream, 400, "text/plain", b"bad request\n", true);
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return respond(&mut stream, 400, "text/plain", b"bad request\n", true);
    }
    let with_body = match method {
        "GET" => true,
        "HEAD" => false,
        _ => return respond(&mut stream, 405, "text/plain", b"only GET and HEAD\n", true),
    };
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = if path == "/" { "/index.html" } else { path };
    if path == "/index.html" && !assets::BUNDLE_BUILT {
        let page = NOT_BUILT.as_bytes();
        return respond(
            &mut stream,
            200,
            "text/html; charset=utf-8",
            page,
            with_body,
        );
    }
    match assets::ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ty, body)) => respond(&mut stream, 200, ty, body, with_body),
        None => respond(&mut stream, 404, "text/plain", b"not found\n", with_body),
    }
}

/// Reads up to the blank line ending the head; `None` when it exceeds [`MAX_HEAD`].
fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Request Header Fields Too Large",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: {CSP}\r\n{ISOLATION}{allow}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on a free port; returns its address.
    fn start() -> std::net::SocketAddr {
        let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let addr = l.local_addr().expect("addr");
        std::thread::spawn(move || serve(l));
        addr
    }

    /// Sends `request` and returns the status line, the headers and the body.
    fn fetch(addr: std::net::SocketAddr, request: &str) -> (String, String, Vec<u8>) {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(request.as_bytes()).expect("send");
        let mut all = Vec::new();
        s.read_to_end(&mut all).expect("read");
        let end = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        let head = String::from_utf8(all[..end].to_vec()).expect("text head");
        let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
        (
            status.to_string(),
            headers.to_string(),
            all[end + 4..].to_vec(),
        )
    }

    fn get(addr: std::net::SocketAddr, path: &str) -> (String, String, Vec<u8>) {
        fetch(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    #[test]
    fn serves_the_embedded_files_with_their_types() {
        let addr = start();
        let (status, headers, body) = get(addr, "/");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(headers.contains("Content-Type: text/html; charset=utf-8"));
        assert!(headers.contains(&format!("Content-Length: {}", body.len())));
        assert!(headers.contains("Content-Security-Policy: default-src 'self'"));
        assert!(headers.contains("worker-src 'self' blob:"), "{headers}");
        assert!(
            headers.contains("Cross-Origin-Opener-Policy: same-origin"),
            "{headers}"
        );
        assert!(
            headers.contains("Cross-Origin-Embedder-Policy: require-corp"),
            "{headers}"
        );
        let page = String::from_utf8(body).expect("utf-8 page");
        if assets::BUNDLE_BUILT {
            assert!(page.contains("id=\"source\""), "{page}");
            let (s, h, wasm) = get(addr, "/pkg/resvm_web_bg.wasm");
            assert_eq!(s, "HTTP/1.1 200 OK");
            assert!(h.contains("Content-Type: application/wasm"));
            assert_eq!(&wasm[..4], b"\0asm");
        } else {
            assert!(page.contains("bash scripts/build-playground.sh"), "{page}");
        }
        let (s, h, js) = get(addr, "/app.js?v=1");
        assert_eq!(s, "HTTP/1.1 200 OK");
        assert!(h.contains("Content-Type: text/javascript"));
        assert!(String::from_utf8_lossy(&js).contains("#status"));
        let (_, _, index) = get(addr, "/examples/index.json");
        let names: Vec<String> = serde_json::from_slice(&index).expect("a JSON list");
        assert!(names.iter().any(|n| n == "min.rvm"), "{names:?}");
        let (s, _, min) = get(addr, "/examples/min.rvm");
        assert_eq!(s, "HTTP/1.1 200 OK");
        assert!(String::from_utf8_lossy(&min).contains("fn main(a, b)"));
    }

    #[test]
    fn refuses_what_it_does_not_serve() {
        let addr = start();
        assert_eq!(get(addr, "/nope.js").0, "HTTP/1.1 404 Not Found");
        assert_eq!(get(addr, "/../Cargo.toml").0, "HTTP/1.1 404 Not Found");
        let (s, h, _) = fetch(addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(s, "HTTP/1.1 405 Method Not Allowed");
        assert!(h.contains("Allow: GET, HEAD"));
        assert_eq!(fetch(addr, "GARBAGE\r\n\r\n").0, "HTTP/1.1 400 Bad Request");
        // Exactly one byte over the limit and no end of head: the server reads all of it (so
        // closing sends no reset) and answers.
        let start = "GET / HTTP/1.1\r\nX: ";
        let big = format!("{start}{}", "a".repeat(MAX_HEAD + 1 - start.len()));
        assert_eq!(
            fetch(addr, &big).0,
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
        let (s, h, body) = fetch(addr, "HEAD / HTTP/1.1\r\n\r\n");
        assert_eq!(s, "HTTP/1.1 200 OK");
        assert!(h.contains("Content-Length: "));
        assert!(body.is_empty());
    }
}
