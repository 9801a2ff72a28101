//! The VM's static checks on artifacts, with the capabilities wasmd offers: the
//! same checks wasmd runs on upload (and `cosmwasm-check` runs), plus a compile.

use std::path::Path;

use anyhow::{anyhow, Result};
use cosmwasm_vm::internals::{check_wasm, compile_module, LogOutput, Logger};
use cosmwasm_vm::WasmLimits;

use crate::chain::wasmd_capabilities;

/// Result of checking one artifact.
#[derive(Debug)]
pub struct Checked {
    /// The artifact's size, bytes.
    pub bytes: usize,
}

/// Checks one `.wasm` file: imports, exports, capabilities, limits (wasmd's
/// defaults), then compiles it with the VM's singlepass compiler.
pub fn check_file(path: &Path, verbose: bool) -> Result<Checked> {
    let wasm = std::fs::read(path).map_err(|e| anyhow!("reading {}: {e}", path.display()))?;
    let prefix = path.display().to_string();
    let logs = if verbose {
        Logger::On {
            prefix: &prefix,
            output: LogOutput::StdErr,
        }
    } else {
        Logger::Off
    };
    check_wasm(&wasm, &wasmd_capabilities(), &WasmLimits::default(), logs)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    compile_module(&wasm, None).map_err(|e| anyhow!("{}: compile: {e}", path.display()))?;
    Ok(Checked { bytes: wasm.len() })
}
