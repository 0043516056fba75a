//! Writing without harm: one file through a temporary sibling and a rename, a whole results folder
//! assembled under a temporary name and swapped in at once; and the dates folders are named by.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ReportError;

/// A hidden sibling name for the temporary form of `path`.
fn temp_sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_sibling(path, "tmp");
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|source| ReportError::Write { path: path.to_path_buf(), cause: source })
}

/// Checks, before anything is measured, that `path` can be written: its folder exists and takes a file.
pub fn check_writable(path: &Path) -> Result<(), ReportError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if path.is_dir() {
        return Err(ReportError::Missing(format!("{} is a folder, not a file", path.display())));
    }
    let probe = temp_sibling(path, "probe");
    std::fs::write(&probe, b"")
        .map_err(|source| ReportError::Write { path: parent.to_path_buf(), cause: source })?;
    let _ = std::fs::remove_file(&probe);
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

/// Copies `from` (a file, a link or a folder) to `to`, not following links.
fn copy_entry(from: &Path, to: &Path) -> std::io::Result<()> {
    let kind = std::fs::symlink_metadata(from)?.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
    } else if kind.is_dir() {
        std::fs::create_dir(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            copy_entry(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

/// Writes the folder `out` with `files`, whole or not at all. The new folder is assembled under a temporary
/// name beside `out` and renamed into place. With `force`, an existing `out` is replaced the same way: the
/// user's own files in it (any name not in `files`) are copied into the new folder first, then the two
/// folders are swapped; if anything fails before the swap, `out` is left exactly as it was.
pub fn write_folder(out: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<(), ReportError> {
    let exists = std::fs::symlink_metadata(out).is_ok();
    if exists && !force {
        return Err(ReportError::Exists(out.to_path_buf()));
    }
    if exists && !out.is_dir() {
        return Err(ReportError::Missing(format!("{} exists and is not a folder", out.display())));
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
        for (name, bytes) in files {
            let path = tmp.join(name);
            std::fs::write(&path, bytes).map_err(err(&path))?;
        }
        if exists {
            for e in std::fs::read_dir(out).map_err(err(out))? {
                let e = e.map_err(err(out))?;
                let name = e.file_name();
                if !files.iter().any(|(n, _)| std::ffi::OsStr::new(n) == name) {
                    copy_entry(&e.path(), &tmp.join(&name)).map_err(err(&e.path()))?;
                }
            }
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
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
