//! No code: this crate only depends, on every platform but wasm32, on each of
//! the workspace's dependencies with the union of the features the workspace
//! turns on, so that every cargo command resolves the same features
//! (`ci/workspace-hack.sh`, README.md beside this file).
