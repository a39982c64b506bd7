//! Why a command failed, and the exit code that says so (documented in `--help` and the
//! README): 0 ok, 1 program error, 2 usage error, 3 invalid proof, 4 I/O error.

use std::io::Write;

/// The class of a failure; each has its own exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The program does not compile, or its run traps (exit 1).
    Program,
    /// The command line or the inputs are wrong (exit 2, as for clap's own errors).
    Usage,
    /// The proof is malformed or does not verify (exit 3).
    Proof,
    /// A file or stream could not be read or written (exit 4).
    Io,
    /// Standard output was closed by the reader (`| head`): stop quietly, exit 0.
    Pipe,
}

impl Kind {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Kind::Pipe => 0,
            Kind::Program => 1,
            Kind::Usage => 2,
            Kind::Proof => 3,
            Kind::Io => 4,
        }
    }
}

/// A failed command: its class and the message printed on stderr (without `error: `).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Class (exit code).
    pub kind: Kind,
    /// One readable sentence (compile errors: the rendered diagnostic, several lines).
    pub message: String,
}

impl Failure {
    /// A failure of class `kind`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
    /// A program error (exit 1).
    pub fn program(message: impl Into<String>) -> Self {
        Failure::new(Kind::Program, message)
    }
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(Kind::Usage, message)
    }
    /// An invalid proof (exit 3).
    pub fn proof(message: impl Into<String>) -> Self {
        Failure::new(Kind::Proof, message)
    }
    /// An I/O error (exit 4).
    pub fn io(message: impl Into<String>) -> Self {
        Failure::new(Kind::Io, message)
    }
    /// A write to stdout failed: a closed pipe is a quiet stop, anything else an I/O error.
    pub fn stdout(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::new(Kind::Pipe, "")
        } else {
            Failure::io(format!("cannot write to standard output: {e}"))
        }
    }

    /// Prints the message on stderr (nothing for [`Kind::Pipe`]), ignoring a closed stderr.
    pub fn report(&self) {
        if self.kind == Kind::Pipe || self.message.is_empty() {
            return;
        }
        let msg = self.message.trim_end();
        let mut err = std::io::stderr().lock();
        // Rendered compile errors start with their own `error:` line.
        let _ = if msg.starts_with("error") {
            writeln!(err, "{msg}")
        } else {
            writeln!(err, "error: {msg}")
        };
    }
}

/// The result of a command.
pub type Outcome<T = ()> = Result<T, Failure>;

/// Writes `text` to stdout (a closed pipe becomes [`Kind::Pipe`]).
pub fn out(text: &str) -> Outcome {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())
        .and_then(|_| o.flush())
        .map_err(Failure::stdout)
}

/// Writes one line to stderr, ignoring a closed stderr.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
