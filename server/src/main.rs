//! The `formwork` binary: see `formwork --help`.
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a view call allocates many small JSON values, and
/// glibc's malloc/free took about a fifth of the server's CPU time under load (perf profile in
/// docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    formwork::cli::main()
}
