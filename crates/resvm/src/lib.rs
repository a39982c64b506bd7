//! resvm as a library: the whole pipeline behind one call.
//!
//! ```
//! let c = resvm::compile("fn main(x, y) = x * y + 1;").unwrap();
//! let b = resvm::run(&c, resvm::Engine::Stack, &[resvm::F::new(6), resvm::F::new(7)], &Default::default()).unwrap();
//! assert_eq!(resvm_field::canonical(b), 43);
//! ```

pub use resvm_exec::{Limits, Trap};
pub use resvm_field::F;
pub use resvm_lang::Diagnostic;

use resvm_circuit::{canon, dag, Factorer};
use resvm_isa::Program;
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
}

/// Why compilation failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A source error, with its span.
    #[error("{0}")]
    Source(#[from] Diagnostic),
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

/// Compiles source text, factoring within `limits`.
pub fn compile_with(source: &str, limits: resvm_poly::Limits) -> Result<Compiled, CompileError> {
    let module = resvm_lang::compile(source)?;
    let canon = canon::canonicalize(&module);
    let factorer = Factorer::new(limits);
    let circuit = dag::build_dag(&canon, &factorer);
    let program = resvm_codegen::generate(&circuit, &module)?;
    Ok(Compiled {
        module,
        canon,
        factorer,
        circuit,
        program,
    })
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
