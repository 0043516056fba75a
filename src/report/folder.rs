//! Writing without harm: one file through a temporary sibling and a rename, a whole results folder
//! assembled under a temporary name and swapped in at once; and the dates folders are named by.
//!
//! What a user already has is never replaced by something else: a symbolic link stays a link (the file it
//! points to is written), a FIFO or a device is written in place (never replaced by a regular file), and a
//! folder replaced with `--force` keeps every entry of the user's own, whatever its kind, by hard links
//! (no byte of it is read, so a FIFO among them cannot block the write).

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::ReportError;

/// A hidden sibling name for the temporary form of `path`.
fn temp_sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// How an output file is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputFile {
    /// Replaced whole, through a temporary sibling and a rename, at this path: the output path itself,
    /// or, when it is a symbolic link, the file the link points to (so the link stays a link).
    Replace(PathBuf),
    /// Written in place: a FIFO, a character or block device, a socket (`/dev/stdout`, `/dev/null`, a
    /// named pipe). Never renamed over: it is not a file of data a rename could keep whole.
    Stream(PathBuf),
    /// Written through this process's own descriptor (1: standard output, 2: standard error): the path
    /// is the file one of them is redirected to (`--output /dev/stdout` with `> log.txt`). Renaming over
    /// it would replace the file the shell opened, and every line written to it before and after.
    Descriptor(i32),
}

/// Which of this process's standard output (1) and error (2) is the file `m` describes, if either.
fn standard_descriptor(m: &std::fs::Metadata) -> Option<i32> {
    use std::os::unix::fs::MetadataExt;
    [1, 2].into_iter().find(|&fd| {
        // SAFETY: fstat writes only into `st`, a zeroed stat owned by this frame; a closed fd fails.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::fstat(fd, &mut st) } == 0;
        ok && st.st_dev as u64 == m.dev() && st.st_ino as u64 == m.ino()
    })
}

/// Whether the chain of links from `path` passes through `/proc` or `/dev/fd` (another process's open file,
/// or one of this process's descriptors, by name).
fn through_descriptors(path: &Path) -> bool {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        let abs = std::path::absolute(&at).unwrap_or_else(|_| at.clone());
        if abs.starts_with("/proc") || abs.starts_with("/dev/fd") {
            return true;
        }
        match std::fs::read_link(&at) {
            Ok(to) if to.is_absolute() => at = to,
            Ok(to) => at = at.parent().unwrap_or(Path::new("")).join(to),
            Err(_) => return false,
        }
    }
    false
}

/// Where the chain of symbolic links starting at `path` ends (a path that may not exist yet).
fn link_target(path: &Path) -> Result<PathBuf, ReportError> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(to) if to.is_absolute() => at = to,
            Ok(to) => at = at.parent().unwrap_or(Path::new("")).join(to),
            Err(_) => return Ok(at),
        }
    }
    Err(ReportError::Missing(format!("{}: too many levels of symbolic links", path.display())))
}

/// Refuses a symbolic link another user planted in a shared sticky folder (such as /tmp): following it
/// would let them aim this command's output at any file the caller may write, which the kernel's
/// `fs.protected_symlinks` refuses for the same reason.
fn check_link_owner(path: &Path) -> Result<(), ReportError> {
    use std::os::unix::fs::MetadataExt;
    let Ok(link) = std::fs::symlink_metadata(path) else { return Ok(()) };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(folder) = std::fs::metadata(parent) else { return Ok(()) };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let sticky_shared = folder.mode() & 0o1002 == 0o1002;
    if link.file_type().is_symlink() && sticky_shared && link.uid() != me && link.uid() != folder.uid() {
        return Err(ReportError::Missing(format!(
            "{} is a symbolic link owned by another user in a shared folder; accepted: a path of your own (the \
             link was not followed)",
            path.display()
        )));
    }
    Ok(())
}

/// How `path` is written ([`OutputFile`]); a folder, a block device and another user's link in a shared
/// folder are refused.
pub fn output_file(path: &Path) -> Result<OutputFile, ReportError> {
    match how_written(path)? {
        OutputFile::Replace(real)
            if ["/dev", "/proc", "/sys"].iter().any(|d| resolved(&real).starts_with(d)) =>
        {
            Err(ReportError::Missing(format!(
                "{} would put a new file in {} (the system's device or process files, which a file never \
                 replaces); accepted: a file elsewhere, or a FIFO or device that exists (/dev/stdout, /dev/null)",
                path.display(),
                real.display()
            )))
        }
        how => Ok(how),
    }
}

/// [`output_file`] before its last check.
fn how_written(path: &Path) -> Result<OutputFile, ReportError> {
    use std::os::unix::fs::FileTypeExt;
    check_link_owner(path)?;
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if let Ok(m) = std::fs::metadata(path)
        && m.is_file()
    {
        if let Some(fd) = standard_descriptor(&m) {
            return Ok(OutputFile::Descriptor(fd));
        }
        if through_descriptors(path) {
            return Err(ReportError::Missing(format!(
                "{} names a file another descriptor has open (through /proc or /dev/fd), which a write could \
                 replace under it; accepted: the file's own path, or /dev/stdout to write where the output \
                 goes",
                path.display()
            )));
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            Err(ReportError::Missing(format!("{} is a folder, not a file", path.display())))
        }
        Ok(m) if m.file_type().is_block_device() => Err(ReportError::Missing(format!(
            "{} is a block device (a disk); accepted: a file, a FIFO or a character device such as /dev/stdout",
            path.display()
        ))),
        Ok(m) if m.is_file() && is_link => {
            let real = std::fs::canonicalize(path)
                .map_err(|cause| ReportError::Write { path: path.to_path_buf(), cause })?;
            Ok(OutputFile::Replace(real))
        }
        Ok(m) if m.is_file() => Ok(OutputFile::Replace(path.to_path_buf())),
        Ok(_) => Ok(OutputFile::Stream(path.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && is_link => {
            Ok(OutputFile::Replace(link_target(path)?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OutputFile::Replace(path.to_path_buf())),
        Err(cause) => Err(ReportError::Write { path: path.to_path_buf(), cause }),
    }
}

/// Writes `bytes` to `path`, as [`output_file`] says: a regular file (or a link's target) through a
/// temporary file in the same folder and a rename, whole or not at all; a FIFO or device in place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |cause| ReportError::Write { path: path.to_path_buf(), cause };
    match output_file(path)? {
        OutputFile::Stream(p) => {
            use std::io::Write;
            std::fs::OpenOptions::new().write(true).open(&p).and_then(|mut f| f.write_all(bytes)).map_err(err)
        }
        OutputFile::Descriptor(fd) => {
            use std::io::Write;
            let result = if fd == 2 {
                std::io::stderr().lock().write_all(bytes)
            } else {
                std::io::stdout().lock().write_all(bytes).and_then(|()| std::io::stdout().flush())
            };
            result.map_err(err)
        }
        OutputFile::Replace(real) => {
            use std::os::unix::fs::MetadataExt;
            let was = std::fs::metadata(&real).ok();
            // A file with other names (hard links) is written in place, as `>` would: a rename would give
            // this name a new file and leave the others with the old one.
            if was.as_ref().is_some_and(|m| m.nlink() > 1) {
                return std::fs::write(&real, bytes).map_err(err);
            }
            let tmp = temp_sibling(&real, "tmp");
            // The file replaced keeps its owner and permissions (a private file stays private and its
            // owner's); an owner that cannot be given back fails the write, and the file stays as it was.
            let keep = |m: &std::fs::Metadata| {
                let now = std::fs::metadata(&tmp)?;
                if (now.uid(), now.gid()) != (m.uid(), m.gid()) {
                    std::os::unix::fs::chown(&tmp, Some(m.uid()), Some(m.gid()))?;
                }
                std::fs::set_permissions(&tmp, m.permissions())
            };
            let result = std::fs::write(&tmp, bytes)
                .and_then(|()| was.as_ref().map_or(Ok(()), keep))
                .and_then(|()| std::fs::rename(&tmp, &real));
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result.map_err(err)
        }
    }
}

/// Checks, before anything is measured, that `path` can be written: its folder exists and takes a file
/// (a link's target's folder, for a link), or, for a FIFO or device, that it may be opened for writing.
pub fn check_writable(path: &Path) -> Result<(), ReportError> {
    match output_file(path)? {
        OutputFile::Stream(p) => {
            use std::os::unix::ffi::OsStrExt;
            let c = std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| ReportError::Missing(format!("{} has a NUL byte in its name", p.display())))?;
            // SAFETY: `c` is a NUL-terminated path owned by this frame; access only reads it.
            if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
                return Err(ReportError::Write { path: p, cause: std::io::Error::last_os_error() });
            }
            Ok(())
        }
        OutputFile::Descriptor(_) => Ok(()),
        OutputFile::Replace(real) => {
            let parent = real.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let probe = temp_sibling(&real, "probe");
            std::fs::write(&probe, b"")
                .map_err(|source| ReportError::Write { path: parent.to_path_buf(), cause: source })?;
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
    }
}

/// `path` made absolute, `.` and `..` taken lexically, and links resolved as far as it exists (the part
/// that does not exist yet appended as given).
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            c => lexical.push(c),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// Refuses an output folder `out` that holds the current folder or any of `inputs` (a folder or file the
/// command reads), or lies inside an input folder: replacing it would swap away what is being read, copy a
/// folder into itself, or replace a file of the input's own (criterion's `report/`).
pub fn check_out_folder(out: &Path, inputs: &[&Path]) -> Result<(), ReportError> {
    let real = resolved(out);
    if let Ok(here) = std::env::current_dir().and_then(std::fs::canonicalize)
        && here.starts_with(&real)
    {
        return Err(ReportError::Missing(format!(
            "{} is the current folder or holds it; accepted: an output folder outside the current one (e.g. \
             results/mine)",
            out.display()
        )));
    }
    for input in inputs {
        if input.is_dir() && real.starts_with(resolved(input)) {
            return Err(ReportError::Missing(format!(
                "{} is inside the input folder {}, whose own files it could replace; accepted: an output \
                 folder outside every input (e.g. results/mine)",
                out.display(),
                input.display()
            )));
        }
        if resolved(input).starts_with(&real) {
            return Err(ReportError::Missing(format!(
                "{} holds the input {}; accepted: an output folder that holds none of the inputs (write \
                 elsewhere, or move the input out first)",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}
/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 -> `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Pretty JSON with a final newline, as every JSON file of a results folder is written.
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| ReportError::Plot(format!("JSON: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Keeps `from` (a file, a link, a FIFO, anything but a folder: by a hard link; a folder: created anew,
/// its entries kept the same way) at `to`. Nothing is read, so a FIFO or a device cannot block it; only
/// where the file system refuses a hard link is a regular file copied instead.
fn keep_entry(from: &Path, to: &Path) -> std::io::Result<()> {
    let kind = std::fs::symlink_metadata(from)?.file_type();
    if kind.is_dir() {
        std::fs::create_dir(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            keep_entry(&e.path(), &to.join(e.file_name()))?;
        }
        // Its own owner, times and permissions (a private folder stays private and its owner's), set last
        // so a read-only one can be filled.
        return keep_folder_attributes(&std::fs::metadata(from)?, to, true);
    }
    // std's hard_link does not follow a symbolic link (linkat without AT_SYMLINK_FOLLOW): a link is kept
    // as a link.
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(_) if kind.is_file() => std::fs::copy(from, to).map(|_| ()),
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!(
                "cannot keep {} (not a regular file, and no hard link to it could be made: {e})",
                from.display()
            ),
        )),
    }
}

/// Gives the folder `to` the owner, group and permissions `from` describes, and its times with `times` (a
/// folder kept as it was; not the folder whose files this write changes). An owner
/// that cannot be given (another user's folder, when not run as root) is an error: the kept folder would
/// be this user's, and the other locked out of it.
fn keep_folder_attributes(from: &std::fs::Metadata, to: &Path, times: bool) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = std::fs::symlink_metadata(to)?;
    if (now.uid(), now.gid()) != (from.uid(), from.gid()) {
        std::os::unix::fs::chown(to, Some(from.uid()), Some(from.gid())).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot give {} its owner back: {e}", to.display()))
        })?;
    }
    if times {
        let times = std::fs::FileTimes::new().set_accessed(from.accessed()?).set_modified(from.modified()?);
        std::fs::File::open(to)?.set_times(times)?;
    }
    std::fs::set_permissions(to, from.permissions())
}

/// Whether process `pid` is alive (Linux: it has a /proc entry).
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The file in every folder [`write_folder`] writes that lists, one name a line, the entries it wrote: on
/// the next `--force` those are its own to replace or drop, and every other entry is the user's, kept. It
/// also marks a temporary folder as this program's, for [`clean_stale`].
pub const MANIFEST: &str = ".cvp-files";

/// The names [`MANIFEST`] lists in `folder`, or `None` when it has none (a folder written before manifests,
/// or not by this program).
fn manifest(folder: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(folder.join(MANIFEST)).ok()?;
    Some(text.lines().filter(|l| !l.is_empty()).map(String::from).collect())
}

/// Folders a killed `cvp` left beside `out` (its temporary names with a dead pid, holding its
/// [`MANIFEST`]): an assembling folder (`.NAME.tmp-PID`, only hard links to what `out` still holds, and new
/// files) is removed; a previous folder set aside for a swap (`.NAME.old-PID`) is put back when `out` is
/// missing, and otherwise named on standard error and left alone. A folder without the manifest is never
/// touched, whatever its name: it is named on standard error.
fn clean_stale(out: &Path) {
    let (Some(name), Some(parent)) = (out.file_name(), out.parent()) else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let prefix = format!(".{}.", name.to_string_lossy());
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let Some((what, pid)) = rest.split_once('-') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        if manifest(&e.path()).is_none() {
            eprintln!(
                "cvp: {} has the name of a temporary folder of cvp's but not its list of files; it was left \
                 alone (remove it if it is not yours)",
                e.path().display()
            );
            continue;
        }
        match what {
            "tmp" => {
                let _ = std::fs::remove_dir_all(e.path());
            }
            "old" if std::fs::symlink_metadata(out).is_err() && std::fs::rename(e.path(), out).is_ok() => {
                eprintln!("cvp: put back {} from {}, left by an interrupted cvp", out.display(), file);
            }
            "old" => eprintln!(
                "cvp: {} holds a previous {} that an interrupted cvp set aside; it was left alone",
                e.path().display(),
                out.display()
            ),
            _ => {}
        }
    }
}

/// The first component of each of `files`' names: the entries a folder of them has at its top.
fn top_names(files: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names: Vec<String> =
        files.iter().map(|(n, _)| n.split('/').next().unwrap_or(n).to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// Writes the folder `out` with `files`, whole or not at all, and its [`MANIFEST`]. The new folder is
/// assembled under a temporary name beside `out` and renamed into place. With `force`, an existing `out` is
/// replaced the same way: the entries its manifest lists are this program's own (replaced, or dropped when
/// this write has no such file: never a stale file from another run beside new ones); every other entry is
/// the user's, of any kind, kept in the new folder by hard links, and one whose name this write needs is
/// refused rather than replaced. (In a folder without a manifest no entry can be told to be cvp's: every
/// name this write needs that it already holds is refused.) Then the two folders are swapped; if anything fails before the swap, `out` is
/// left exactly as it was. The new folder keeps the old one's permissions. When `out` is a symbolic link to
/// a folder, the folder it points to is replaced and the link stays. An `out` that holds the current folder
/// is refused ([`check_out_folder`]); temporary folders a killed `cvp` left beside `out` are cleaned first.
pub fn write_folder(out: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<(), ReportError> {
    check_out_folder(out, &[])?;
    check_link_owner(out)?;
    let linked = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    let real;
    let out = if linked && out.is_dir() {
        real = std::fs::canonicalize(out)
            .map_err(|cause| ReportError::Write { path: out.to_path_buf(), cause })?;
        real.as_path()
    } else {
        out
    };
    clean_stale(out);
    let exists = std::fs::symlink_metadata(out).is_ok();
    if exists && !force {
        return Err(ReportError::Exists(out.to_path_buf()));
    }
    if exists && !out.is_dir() {
        return Err(ReportError::Missing(format!("{} exists and is not a folder", out.display())));
    }
    let ours = top_names(files);
    let before = if exists { manifest(out) } else { None };
    if exists {
        for name in &ours {
            if out.join(name).symlink_metadata().is_ok() && !before.as_ref().is_some_and(|b| b.contains(name))
            {
                let why = if before.is_some() {
                    "of your own (not written by cvp)"
                } else {
                    "and no list of the files cvp wrote there (.cvp-files), so it may be your own"
                };
                return Err(ReportError::Missing(format!(
                    "{} holds {name} {why}, which this write would replace; accepted: move or rename it, or \
                     write elsewhere (nothing was changed)",
                    out.display()
                )));
            }
        }
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|source| ReportError::Write { path: parent.to_path_buf(), cause: source })?;
    let tmp = temp_sibling(out, "tmp");
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| ReportError::Write { path, cause }
    };
    let assemble = || -> Result<(), ReportError> {
        std::fs::create_dir(&tmp).map_err(err(&tmp))?;
        // The manifest first: it marks the temporary folder as ours from its first instant.
        let list: String = ours.iter().map(|n| format!("{n}\n")).collect();
        std::fs::write(tmp.join(MANIFEST), list).map_err(err(&tmp.join(MANIFEST)))?;
        for (name, bytes) in files {
            let path = tmp.join(name);
            std::fs::write(&path, bytes).map_err(err(&path))?;
        }
        if exists {
            for e in std::fs::read_dir(out).map_err(err(out))? {
                let e = e.map_err(err(out))?;
                let name = e.file_name().to_string_lossy().into_owned();
                let own_stale = before.as_ref().is_some_and(|b| b.contains(&name));
                if name != MANIFEST && !ours.contains(&name) && !own_stale {
                    keep_entry(&e.path(), &tmp.join(&name)).map_err(err(&e.path()))?;
                }
            }
            let was = std::fs::metadata(out).map_err(err(out))?;
            keep_folder_attributes(&was, &tmp, false).map_err(err(&tmp))?;
        }
        Ok(())
    };
    if let Err(e) = assemble() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if !exists {
        return std::fs::rename(&tmp, out).map_err(|source| {
            let _ = std::fs::remove_dir_all(&tmp);
            ReportError::Write { path: out.to_path_buf(), cause: source }
        });
    }
    let old = temp_sibling(out, "old");
    if let Err(source) = std::fs::rename(out, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ReportError::Write { path: out.to_path_buf(), cause: source });
    }
    if let Err(source) = std::fs::rename(&tmp, out) {
        let _ = std::fs::rename(&old, out);
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ReportError::Write { path: out.to_path_buf(), cause: source });
    }
    // An entry made in `out` after it was listed (by another program, in the moment the new folder was
    // assembled) is only in the set-aside folder: move it in before that folder goes.
    let skip = |name: &str| {
        name == MANIFEST
            || ours.iter().any(|n| n == name)
            || before.as_ref().is_some_and(|b| b.iter().any(|n| n == name))
    };
    match rescue_late(&old, out, &skip) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&old);
        }
        Err(e) => eprintln!(
            "cvp: wrote {}, but something made in it during the write could not be moved in ({e}); the \
             folder as it was is kept at {}",
            out.display(),
            old.display()
        ),
    }
    Ok(())
}

/// Moves into `new` what `old` holds and `new` lacks (an entry made after `old` was copied), and, inside
/// folders both hold, the same one level down and below. A file both hold that is not the same file (not
/// the hard link [`keep_entry`] made: it was replaced meanwhile) is replaced by `old`'s, the later one. At
/// the top, entries `skip` names are cvp's own and stay as written.
fn rescue_late(old: &Path, new: &Path, skip: &dyn Fn(&str) -> bool) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    for e in std::fs::read_dir(old)? {
        let e = e?;
        let name = e.file_name();
        if skip(&name.to_string_lossy()) {
            continue;
        }
        let (from, to) = (e.path(), new.join(&name));
        let theirs = std::fs::symlink_metadata(&from)?;
        match std::fs::symlink_metadata(&to) {
            Err(_) => std::fs::rename(&from, &to)?,
            Ok(ours) if ours.is_dir() && theirs.is_dir() => rescue_late(&from, &to, &|_| false)?,
            Ok(ours) if (ours.dev(), ours.ino()) != (theirs.dev(), theirs.ino()) && !theirs.is_dir() => {
                std::fs::rename(&from, &to)?
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_appeared_during_a_write_is_moved_into_the_new_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        for dir in [&old, &new] {
            std::fs::create_dir_all(dir.join("notes")).unwrap();
        }
        std::fs::write(old.join("kept.txt"), "linked").unwrap();
        std::fs::hard_link(old.join("kept.txt"), new.join("kept.txt")).unwrap();
        std::fs::write(old.join("late.txt"), "made during the write").unwrap();
        std::fs::write(old.join("notes/late.md"), "deeper").unwrap();
        std::fs::write(old.join("README.md"), "cvp's previous README").unwrap();
        std::fs::write(new.join("README.md"), "cvp's new README").unwrap();
        std::fs::write(old.join("edited.txt"), "replaced during the write").unwrap();
        std::fs::write(new.join("edited.txt"), "the copy made before").unwrap();
        rescue_late(&old, &new, &|n| n == "README.md").unwrap();
        let read = |p: &str| std::fs::read_to_string(new.join(p)).unwrap();
        assert_eq!(read("late.txt"), "made during the write");
        assert_eq!(read("notes/late.md"), "deeper");
        assert_eq!(read("kept.txt"), "linked");
        assert_eq!(read("edited.txt"), "replaced during the write", "the later file wins");
        assert_eq!(read("README.md"), "cvp's new README", "cvp's own entries stay as written");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_418), "2025-11-26");
    }

    #[test]
    fn a_failed_forced_write_leaves_the_old_folder_exactly_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        let one = |s: &str| vec![("a.txt".to_string(), s.as_bytes().to_vec())];
        write_folder(&out, &one("old"), false).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        // The second file cannot be written (its folder does not exist): the first must not land either.
        let mut files = one("new");
        files.push(("missing/b.txt".to_string(), b"x".to_vec()));
        assert!(write_folder(&out, &files, true).is_err());
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary folder left");
        // A forced write that succeeds replaces ours and keeps the user's file.
        write_folder(&out, &one("new"), true).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(matches!(write_folder(&out, &one("x"), false), Err(ReportError::Exists(_))));
    }

    #[test]
    fn a_forced_write_drops_its_own_stale_files_keeps_the_users_and_never_replaces_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        let file = |n: &str| (n.to_string(), n.as_bytes().to_vec());
        write_folder(&out, &[file("a.txt"), file("b.txt")], false).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o700)).unwrap();
        // b.txt was ours and this write has none: dropped, not left beside the new a.txt.
        write_folder(&out, &[file("a.txt")], true).unwrap();
        assert!(!out.join("b.txt").exists(), "a stale file of an earlier write is gone");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o700, "still private");
        // A file of the user's with a name this write needs: refused, and nothing changes.
        std::fs::write(out.join("c.txt"), "mine too").unwrap();
        let refused = write_folder(&out, &[file("a.txt"), file("c.txt")], true);
        assert!(
            matches!(&refused, Err(ReportError::Missing(m)) if m.contains("c.txt of your own")),
            "{refused:?}"
        );
        assert_eq!(std::fs::read_to_string(out.join("c.txt")).unwrap(), "mine too");
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "a.txt");
    }

    #[test]
    fn a_replaced_file_keeps_its_owner_and_other_names() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let (path, other) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        std::fs::write(&path, "old").unwrap();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
        let owner = std::fs::metadata(&path).map(|m| (m.uid(), m.gid())).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::metadata(&path).map(|m| (m.uid(), m.gid())).unwrap(), owner);
        std::fs::hard_link(&path, &other).unwrap();
        write_atomic(&path, b"newer").unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "newer", "the other name sees the new text");
    }

    #[test]
    fn a_kept_folder_keeps_its_owner_and_times() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        let file = |n: &str| (n.to_string(), n.as_bytes().to_vec());
        write_folder(&out, &[file("a.txt")], false).unwrap();
        let mine = out.join("alice");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "mine").unwrap();
        let then = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800); // 2020-01-01
        std::fs::File::open(&mine).unwrap().set_modified(then).unwrap();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            std::os::unix::fs::chown(&mine, Some(65534), Some(65534)).unwrap();
        }
        let before = std::fs::metadata(&mine).unwrap();
        write_folder(&out, &[file("a.txt")], true).unwrap();
        let after = std::fs::metadata(&mine).unwrap();
        assert_eq!(after.modified().unwrap(), then, "its time");
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()), "its owner (root: {root})");
        assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn a_folder_without_a_manifest_keeps_every_name_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("trace.json"), "my own trace").unwrap();
        let file = |n: &str| (n.to_string(), n.as_bytes().to_vec());
        let refused = write_folder(&out, &[file("trace.json"), file("a.txt")], true);
        assert!(
            matches!(&refused, Err(ReportError::Missing(m)) if m.contains("trace.json and no list of the files")),
            "{refused:?}"
        );
        assert_eq!(std::fs::read_to_string(out.join("trace.json")).unwrap(), "my own trace");
        assert!(!out.join("a.txt").exists(), "nothing was written");
        // Names it does not hold are written beside the user's.
        write_folder(&out, &[file("a.txt")], true).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("trace.json")).unwrap(), "my own trace");
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "a.txt");
    }

    #[test]
    fn another_users_link_in_a_shared_folder_is_never_followed_to_a_folder() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return; // only root can give a link to another user; the check itself is the same for all
        }
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        let victim = dir.path().join("victim");
        std::fs::create_dir(&shared).unwrap();
        std::fs::create_dir(&victim).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let link = shared.join("out");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
        let refused = write_folder(&link, &[("a.txt".to_string(), b"x".to_vec())], true);
        assert!(
            matches!(&refused, Err(ReportError::Missing(m)) if m.contains("owned by another user")),
            "{refused:?}"
        );
        assert!(!victim.join("a.txt").exists());
    }

    #[test]
    fn only_a_temporary_folder_with_the_manifest_is_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        // A dead pid (above the kernel's largest), once with the manifest (ours), once without (the user's).
        let ours = dir.path().join(".r.tmp-4194305");
        let theirs = dir.path().join(".r.tmp-4194306");
        for d in [&ours, &theirs] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(ours.join(MANIFEST), "a.txt\n").unwrap();
        write_folder(&out, &[("a.txt".to_string(), b"x".to_vec())], false).unwrap();
        assert!(!ours.exists(), "a temporary folder a killed cvp left is cleaned");
        assert!(theirs.exists(), "a folder without the manifest is never touched");
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
