//! resvm as a library: the whole pipeline behind one call.
//!
//! ```
//! let c = resvm::compile("fn main(x, y) = x * y + 1;").unwrap();
//! let b = resvm::run(&c, resvm::Engine::Stack, &[resvm::F::new(6), resvm::F::new(7)], &Default::default()).unwrap();
//! assert_eq!(resvm_field::canonical(b), 43);
//! ```

pub mod inputs;

pub use resvm_codegen::SourceMap;
pub use resvm_exec::{Limits, Trap};
pub use resvm_field::F;
pub use resvm_lang::{Diagnostic, Diagnostics, Span};

use resvm_circuit::{canon, dag, Factorer};
use resvm_isa::{Instr, Program};
use resvm_lang::hir;

/// Every stage of a compiled program.
#[derive(Debug)]
pub struct Compiled {
    /// The typed program.
    pub module: hir::Module,
    /// Canonical polynomial regions.
    pub canon: canon::CanonModule,
    /// The factorer used (holds the factorizations computed for the DAG).
    pub factorer: Factorer,
    /// The circuit DAG.
    pub circuit: dag::Circuit,
    /// The stack-machine image.
    pub program: Program,
    /// Where each instruction of the image came from.
    pub source_map: SourceMap,
}

impl Compiled {
    /// The function name and the source span of the expression the instruction at `pc`
    /// evaluates (a call, `eval`, `branch`, `lt`, `reflect`, or else the enclosing function
    /// body or `branch` arm); `None` for a pc outside the image.
    pub fn locate(&self, pc: u32) -> Option<(&str, Span)> {
        let (f, span) = self.source_map.get(pc)?;
        Some((self.module.functions.get(f as usize)?.name.as_str(), span))
    }
}

/// Why compilation failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Source errors (every one found; at least one), with their spans.
    #[error("{0}")]
    Source(#[from] Diagnostics),
    /// Code generation failed.
    #[error("{0}")]
    Codegen(#[from] resvm_codegen::CodegenError),
}

impl CompileError {
    /// Renders the error for humans (`file:line:col` and a caret for source errors).
    pub fn render(&self, file: &str, source: &str) -> String {
        match self {
            CompileError::Source(d) => d.render(file, source),
            CompileError::Codegen(e) => format!("error: {e}\n"),
        }
    }
}

/// Compiles source text through every stage with default factoring limits.
pub fn compile(source: &str) -> Result<Compiled, CompileError> {
    compile_with(source, resvm_poly::Limits::default())
}

impl CompileError {
    /// The source diagnostics (empty for a code generation error).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            CompileError::Source(d) => &d.0,
            CompileError::Codegen(_) => &[],
        }
    }
}

/// Compiles source text, factoring within `limits`.
pub fn compile_with(source: &str, limits: resvm_poly::Limits) -> Result<Compiled, CompileError> {
    let module = resvm_lang::compile_all(source)?;
    let canon = canon::try_canonicalize(&module).map_err(Diagnostics::from)?;
    let factorer = Factorer::new(limits);
    let circuit = dag::build_dag(&canon, &factorer);
    let (program, source_map) = resvm_codegen::generate_with_map(&circuit, &module)?;
    Ok(Compiled {
        module,
        canon,
        factorer,
        circuit,
        program,
        source_map,
    })
}

/// A runtime error of the stack engine with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeError {
    /// The trap.
    pub trap: Trap,
    /// The pc of the instruction that trapped (`None` for errors raised before the first
    /// instruction, such as a wrong number of inputs).
    pub pc: Option<u32>,
    /// The pcs of the active call sites (`CALL`/`EVAL`), innermost first, not counting the
    /// trapping instruction itself. Tail calls replace their frame and leave no entry.
    pub backtrace: Vec<u32>,
}

/// Frames shown at each end of a long backtrace by [`RuntimeError::render`].
pub const BACKTRACE_SHOWN: usize = 8;

impl RuntimeError {
    /// Renders the error for humans:
    /// ```text
    /// error: branch condition must be 0 or 1, got 7
    ///  --> prog.rvm:2:14
    ///   |
    /// 2 | fn f(x) = branch(x, 1, 2);
    ///   |           ^^^^^^^^^^^^^^^
    ///   = in `f`, called from:
    ///     main at prog.rvm:3:14
    /// ```
    /// The snippet is the expression evaluated when the trap happened, the list the call
    /// sites (innermost first; long recursions show the first and last
    /// [`BACKTRACE_SHOWN`] and how many were left out). Without a location it is just
    /// `error: <trap>`.
    pub fn render(&self, c: &Compiled, file: &str, source: &str) -> String {
        let Some((name, span)) = self.pc.and_then(|pc| c.locate(pc)) else {
            return format!("error: {}\n", self.trap);
        };
        let mut out = Diagnostic::new(span, self.trap.to_string()).render(file, source);
        let width = Diagnostic::new(span, "")
            .line_col(source)
            .0
            .to_string()
            .len();
        let pad = " ".repeat(width);
        let frames: Vec<String> = self
            .backtrace
            .iter()
            .map(|&pc| match c.locate(pc) {
                Some((f, s)) => {
                    let (l, col) = Diagnostic::new(s, "").line_col(source);
                    format!("{f} at {file}:{l}:{col}")
                }
                None => format!("pc {pc}"),
            })
            .collect();
        if frames.is_empty() {
            out.push_str(&format!("{pad} = in `{name}`\n"));
            return out;
        }
        out.push_str(&format!("{pad} = in `{name}`, called from:\n"));
        let n = frames.len();
        for (i, fr) in frames.iter().enumerate() {
            if n > 2 * BACKTRACE_SHOWN && i == BACKTRACE_SHOWN {
                out.push_str(&format!(
                    "{pad}     ... {} more call(s) ...\n",
                    n - 2 * BACKTRACE_SHOWN
                ));
            }
            if n > 2 * BACKTRACE_SHOWN && i >= BACKTRACE_SHOWN && i < n - BACKTRACE_SHOWN {
                continue;
            }
            out.push_str(&format!("{pad}     {fr}\n"));
        }
        out
    }
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pc {
            Some(pc) => write!(f, "{} (at pc {pc})", self.trap),
            None => write!(f, "{}", self.trap),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// Follows the call stack of a stack-engine run: the last pc and the active call sites.
#[derive(Default)]
struct CallTracker {
    last: Option<u32>,
    calls: Vec<u32>,
}

impl resvm_exec::stack::Tracer for CallTracker {
    fn step(&mut self, _clk: u64, pc: u32, _fp: u32, _sp: u32, instr: &Instr) {
        self.last = Some(pc);
        match instr {
            Instr::Call(_) | Instr::Eval(_) => self.calls.push(pc),
            Instr::Ret => {
                self.calls.pop();
            }
            _ => {}
        }
    }
}

/// Runs on the stack engine like [`run_stack`], but a trap comes back as a
/// [`RuntimeError`] with the trapping pc and the call sites, for
/// [`RuntimeError::render`]. Slower than [`run_stack`] (it follows every step): run it
/// after a plain run has trapped, to locate the error (every engine reports the same
/// trap for the same program and inputs, except where step counts differ).
pub fn run_located(
    c: &Compiled,
    inputs: &[F],
    limits: &Limits,
) -> Result<resvm_exec::stack::Outcome, RuntimeError> {
    let mut t = CallTracker::default();
    resvm_exec::stack::run_traced(&c.program, inputs, limits, &mut t).map_err(|trap| {
        let mut calls = t.calls;
        // The trapping instruction itself may be a call that was pushed before it failed.
        if t.last.is_some() && calls.last() == t.last.as_ref() {
            calls.pop();
        }
        // The bootstrap's call of main is not a frame of the program.
        if calls.first().is_some_and(|&pc| pc < bootstrap_len(c)) {
            calls.remove(0);
        }
        calls.reverse();
        let pc = if matches!(trap, Trap::InputCount { .. }) {
            None
        } else {
            t.last
        };
        RuntimeError {
            trap,
            pc,
            backtrace: calls,
        }
    })
}

/// Length of the bootstrap (the code before the first function's entry).
fn bootstrap_len(c: &Compiled) -> u32 {
    c.program
        .functions()
        .iter()
        .map(|f| f.entry)
        .min()
        .unwrap_or(0)
}

/// The execution engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The stack-machine interpreter over the compiled image.
    Stack,
    /// The plain reference evaluator over the typed program.
    Tree,
    /// The closure compiler.
    Closure,
}

impl Engine {
    /// All engines.
    pub const ALL: [Engine; 3] = [Engine::Closure, Engine::Stack, Engine::Tree];

    /// The engine's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Stack => "stack",
            Engine::Tree => "tree",
            Engine::Closure => "closure",
        }
    }
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stack" => Ok(Engine::Stack),
            "tree" => Ok(Engine::Tree),
            "closure" => Ok(Engine::Closure),
            _ => Err(format!(
                "unknown engine `{s}` (expected stack, closure or tree)"
            )),
        }
    }
}

/// Runs main on `inputs` (all of main's parameters, in order).
pub fn run(c: &Compiled, engine: Engine, inputs: &[F], limits: &Limits) -> Result<F, Trap> {
    match engine {
        Engine::Stack => resvm_exec::stack::run(&c.program, inputs, limits).map(|o| o.output),
        Engine::Tree => resvm_exec::tree::run(&c.module, c.program.reprs(), inputs, limits),
        Engine::Closure => {
            resvm_exec::closure::compile(&c.module, c.program.reprs()).run(inputs, limits)
        }
    }
}

/// What a counted run shows: the output, the steps as [`Limits::max_steps`] counts them (the
/// same on every engine) and, on the stack engine, the instructions executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunCount {
    /// The output `b`.
    pub output: F,
    /// Function entries (main's and every call or `eval`, tail calls included).
    pub steps: u64,
    /// Instructions executed, `HALT` included (stack engine only).
    pub cycles: Option<u64>,
}

/// Runs main like [`run`] and also counts steps (and, on the stack engine, cycles).
pub fn run_counted(
    c: &Compiled,
    engine: Engine,
    inputs: &[F],
    limits: &Limits,
) -> Result<RunCount, Trap> {
    match engine {
        Engine::Stack => run_stack(c, inputs, limits).map(|o| RunCount {
            output: o.output,
            steps: o.steps,
            cycles: Some(o.cycles),
        }),
        Engine::Tree => resvm_exec::tree::run_counted(&c.module, c.program.reprs(), inputs, limits)
            .map(|r| RunCount {
                output: r.output,
                steps: r.steps,
                cycles: None,
            }),
        Engine::Closure => resvm_exec::closure::compile(&c.module, c.program.reprs())
            .run_counted(inputs, limits)
            .map(|r| RunCount {
                output: r.output,
                steps: r.steps,
                cycles: None,
            }),
    }
}

/// The stack-machine listing as printed by `resvm compile --emit asm`, with the arithmetic
/// cost of the expanded and the chosen (factored) forms.
pub fn print_asm(c: &Compiled) -> String {
    let s = c.circuit.stats;
    let mut out = c.program.listing();
    out.push_str(&format!(
        "; arithmetic: expanded form {} MUL + {} ADD, chosen form {} MUL + {} ADD ({} polynomial(s) built factored)\n",
        s.expanded.0, s.expanded.1, s.chosen.0, s.chosen.1, s.factored_polys
    ));
    out
}

/// Canonical form as printed by `resvm compile --emit canon`.
pub fn print_canon(c: &Compiled) -> String {
    canon::print_module(&c.canon, &|p, names| p.to_string_with(names))
}

/// Factored form as printed by `resvm compile --emit factor`.
pub fn print_factor(c: &Compiled) -> String {
    canon::print_module(&c.canon, &|p, names| c.factorer.print(p, names))
}

/// Runs on the stack engine, returning the output with the cycle count.
pub fn run_stack(
    c: &Compiled,
    inputs: &[F],
    limits: &Limits,
) -> Result<resvm_exec::stack::Outcome, Trap> {
    resvm_exec::stack::run(&c.program, inputs, limits)
}
