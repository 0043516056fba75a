//! Records the compiler version and git commit (`-dirty` with uncommitted changes) the `cvp` library was
//! built from, for result provenance.

use std::process::Command;

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = output(&rustc, &["--version"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=CVP_RUSTC_VERSION={version}");
    // The commit, marked `-dirty` when tracked files differ from it: results from uncommitted code must not
    // pass for the commit's.
    let mut commit = output("git", &["rev-parse", "HEAD"]).unwrap_or_default();
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if dirty && !commit.is_empty() {
        commit.push_str("-dirty");
    }
    println!("cargo:rustc-env=CVP_GIT_COMMIT={commit}");
    for path in [".git/HEAD", ".git/refs/heads", ".git/index", "src", "benches", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
