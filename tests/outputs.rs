//! What a user already has is never harmed by an output: `--output` through a symbolic link writes the
//! link's target and keeps the link; to a FIFO it streams (and Ctrl-C still works while it waits for a
//! reader); `--out` never takes the current folder; a `--force` folder keeps every entry of the user's own,
//! a FIFO included, without blocking; a temporary folder a killed `cvp` left behind is cleaned.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cvp_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    for var in ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE", "CVP_SCALE_JOBS"] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir).args(args).output().expect("cvp runs")
}

/// The quickest measuring command with `--output`: one wait, one run.
const SCALE: [&str; 5] = ["scale", "--jobs", "1", "--repeat", "1"];
/// The quickest `cvp trace`.
const TRACE: [&str; 7] = ["trace", "--jobs", "4", "--wait-ms", "2", "--rounds", "100"];

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success());
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn output_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("real.txt"), "old").unwrap();
    std::os::unix::fs::symlink("real.txt", dir.path().join("link.txt")).unwrap();
    let out = cvp_in(dir.path(), &[&SCALE[..], &["--output", "link.txt"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.path().join("link.txt")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced by a regular file");
    let written = std::fs::read_to_string(dir.path().join("real.txt")).unwrap();
    assert!(written.starts_with("machine:"), "the target holds the table: {written}");
    // A dangling link: its target is created, the link stays.
    std::os::unix::fs::symlink("new.txt", dir.path().join("dangling.txt")).unwrap();
    let out = cvp_in(dir.path(), &[&SCALE[..], &["--output", "dangling.txt"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(dir.path().join("dangling.txt")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("new.txt")).unwrap().starts_with("machine:"));
}

#[test]
fn output_to_dev_stdout_redirected_to_a_file_appends_to_that_file_and_keeps_it() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "line the user had\n").unwrap();
    let inode = std::fs::metadata(&log).unwrap().ino();
    let appended = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    cmd.current_dir(dir.path()).args([&SCALE[..], &["--output", "/dev/stdout"]].concat());
    let out = cmd.stdout(Stdio::from(appended)).stderr(Stdio::piped()).output().expect("cvp runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.starts_with("line the user had\nmachine:"),
        "the user's line is kept, the table follows: {text}"
    );
    assert_eq!(std::fs::metadata(&log).unwrap().ino(), inode, "the file was replaced, not written");
    // Another descriptor's file by its /proc name is refused, before anything is measured.
    let held = std::fs::File::open(&log).unwrap();
    let by_fd = format!("/proc/{}/fd/{}", std::process::id(), std::os::fd::AsRawFd::as_raw_fd(&held));
    let out = cvp_in(dir.path(), &[&SCALE[..], &["--output", &by_fd]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("another descriptor has open"), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&log).unwrap() == text, "the file is as it was");
    // A new file among the system's device files is refused (as root it would be made there).
    let out = cvp_in(dir.path(), &[&SCALE[..], &["--output", "/dev/cvp-test-output"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!Path::new("/dev/cvp-test-output").exists());
}

#[test]
fn output_to_a_fifo_streams_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = cvp_in(dir.path(), &[&SCALE[..], &["--output", "pipe"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(reader.join().unwrap().starts_with("machine:"));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind), "the FIFO was replaced");
}

#[test]
fn ctrl_c_stops_a_command_waiting_to_write_to_a_fifo() {
    // Nobody reads the FIFO, so once measured the command blocks opening it. It must still stop on Ctrl-C
    // within 2 s. (Measuring one wait takes well under a second; the SIGINT comes 3 s after the start, so
    // it lands in the write on any machine short of a stalled one, where it lands in the measurement and
    // must stop the command the same way.)
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .current_dir(dir.path())
        .args([&SCALE[..], &["--output", "pipe"]].concat())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: kill only sends a signal to the child's pid, which this test owns and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(2) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 2 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

#[test]
fn out_never_takes_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.txt"), "mine").unwrap();
    for out in [".", "./", "sub/..", "../"] {
        let o = cvp_in(dir.path(), &[&TRACE[..], &["--out", out, "--force"]].concat());
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains("current folder"), "--out {out}: {}", stderr(&o));
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, ["mine.txt"], "nothing was written or moved");
}

#[test]
fn a_forced_folder_keeps_a_fifo_and_a_link_of_the_users_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let out = cvp_in(dir.path(), &[&TRACE[..], &["--out", "r"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    mkfifo(&dir.path().join("r/myfifo"));
    std::os::unix::fs::symlink("trace.json", dir.path().join("r/mylink")).unwrap();
    std::fs::write(dir.path().join("r/notes.txt"), "mine").unwrap();
    // A folder a killed cvp left behind (a pid that cannot be alive: above the kernel's pid_max limit; its
    // manifest marks it as cvp's).
    std::fs::create_dir(dir.path().join(".r.tmp-4194305")).unwrap();
    std::fs::write(dir.path().join(".r.tmp-4194305/.cvp-files"), "trace.json\n").unwrap();
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .current_dir(dir.path())
        .args([&TRACE[..], &["--out", "r", "--force"]].concat())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a forced write over a folder with a FIFO hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let r = dir.path().join("r");
    let kind = |name: &str| std::fs::symlink_metadata(r.join(name)).unwrap().file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind("myfifo")), "the FIFO is kept as a FIFO");
    assert!(kind("mylink").is_symlink(), "the link is kept as a link");
    assert_eq!(std::fs::read_to_string(r.join("notes.txt")).unwrap(), "mine");
    let mut entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    assert_eq!(entries, ["r"], "the stale temporary folder was cleaned, and no new one is left");
}

#[test]
fn report_refuses_an_out_folder_holding_an_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rec")).unwrap();
    std::fs::write(dir.path().join("rec/run.json"), "{}").unwrap();
    let o = cvp_in(
        dir.path(),
        &["report", "--criterion-dir", "crit", "--run", "rec/run.json", "--out", "rec", "--force"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds the input rec/run.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("rec/run.json")).unwrap(), "{}");
    // Inside an input folder: criterion's own report/ would be replaced.
    std::fs::create_dir_all(dir.path().join("crit/report")).unwrap();
    std::fs::write(dir.path().join("crit/report/index.html"), "criterion's").unwrap();
    let o = cvp_in(dir.path(), &["report", "--criterion-dir", "crit", "--out", "crit/report", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("inside the input folder crit"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("crit/report/index.html")).unwrap(), "criterion's");
}
