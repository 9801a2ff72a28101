//! Empty: a build script makes cargo resolve this crate's
//! `[build-dependencies]`, the features of the code that runs in the build.
fn main() {}
