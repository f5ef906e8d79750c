//! The `formwork` binary: see `formwork --help`.
use std::process::ExitCode;

fn main() -> ExitCode {
    formwork::cli::main()
}
