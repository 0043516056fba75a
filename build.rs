//! Records the compiler version, git commit (`-dirty` with uncommitted changes), opt-level and RUSTFLAGS the
//! `cvp` library was built with, for result provenance.

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
    // The commit, marked `-dirty-<hash of the diff>` when the code (src, benches, build.rs, Cargo files)
    // differs from it: results from uncommitted code must not pass for the commit's, and two different dirty
    // trees must not pass for each other. Edits elsewhere (README, results) do not count. No optional locks,
    // so `git` does not rewrite .git/index, which would trigger a rebuild of its own.
    const CODE: [&str; 5] = ["src", "benches", "build.rs", "Cargo.toml", "Cargo.lock"];
    let mut commit = output("git", &["--no-optional-locks", "rev-parse", "HEAD"]).unwrap_or_default();
    let mut diff_args = vec!["--no-optional-locks", "diff", "HEAD", "--"];
    diff_args.extend(CODE);
    if let Some(diff) = output("git", &diff_args).filter(|_| !commit.is_empty()) {
        // FNV-1a: a short, stable fingerprint of the diff (no dependency needed in a build script).
        let hash = diff
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        commit.push_str(&format!("-dirty-{:08x}", hash >> 32));
    }
    println!("cargo:rustc-env=CVP_GIT_COMMIT={commit}");
    // How the code was compiled beyond its profile's name: an opt-level or RUSTFLAGS of its own (from the
    // environment, a `.cargo/config.toml` or a profile override) is other code measured.
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=CVP_OPT_LEVEL={opt}");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default().replace('\x1f', " ");
    println!("cargo:rustc-env=CVP_RUSTFLAGS={flags}");
    for path in ["src", "benches", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={path}");
    }
    // Where git keeps HEAD, the branches and the index: `.git/` in a checkout, elsewhere in a worktree (whose
    // `.git` is a file). A path that does not exist would make cargo rebuild on every run.
    let git_path = |p: &str| output("git", &["--no-optional-locks", "rev-parse", "--git-path", p]);
    for p in ["HEAD", "refs/heads", "index"] {
        if let Some(path) = git_path(p).filter(|path| std::path::Path::new(path).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
