//! Writing an export straight into a Unity project folder, never outside it.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{ExportConfig, ExportFormat, Layout, Provenance, check_archive_path};
use crate::error::{Error, Result};
use crate::extract::ScriptFile;

/// Writes `files` into the Unity project at `project_dir` (the folder that holds `Assets/`), in
/// the ZIP layout: `Assets/<root>/Scripts/…`, `Editor/…`, assembly definitions, `.meta` files
/// and the manifest. Returns the files written, sorted.
///
/// Existing files of a previous export are replaced (atomically, by rename), so their GUIDs
/// stay; files it no longer contains are left alone. Nothing is written outside `project_dir`:
/// every path is built from sanitised names and checked, folders are created one level at a
/// time, and an existing link (or a file where a folder belongs) anywhere below `project_dir`
/// fails with [`Error::Export`] instead of being followed.
pub fn export_to_dir(
    files: &[ScriptFile],
    config: &ExportConfig,
    project_dir: &Path,
) -> Result<Vec<PathBuf>> {
    write_layout(
        &Layout::build(&Provenance::files_only(files), ExportFormat::Zip, "folder", config)?,
        project_dir,
    )
}

/// [`export_to_dir`] for a whole generation result (the manifest records its provenance).
pub fn export_generated_to_dir<'a>(
    scripts: impl Into<Provenance<'a>>,
    config: &ExportConfig,
    project_dir: &Path,
) -> Result<Vec<PathBuf>> {
    write_layout(&Layout::build(&scripts.into(), ExportFormat::Zip, "folder", config)?, project_dir)
}

fn write_layout(layout: &Layout, project_dir: &Path) -> Result<Vec<PathBuf>> {
    let root = fs::canonicalize(project_dir)?;
    if !root.is_dir() {
        return Err(Error::InvalidArgument(format!("{} is not a folder", project_dir.display())));
    }
    let mut written = Vec::with_capacity(layout.assets.len() * 2);
    // Sorted paths put every folder before its content.
    for a in &layout.assets {
        let target = join(&root, &a.path)?;
        match &a.data {
            None => ensure_dir(&root, &target, &a.path)?,
            Some(data) => {
                write_file(&target, &a.path, data)?;
                written.push(target.clone());
            }
        }
        if let Some(meta) = a.meta() {
            let meta_path = join(&root, &format!("{}.meta", a.path))?;
            write_file(&meta_path, &a.path, meta.as_bytes())?;
            written.push(meta_path);
        }
    }
    written.sort();
    Ok(written)
}

fn join(root: &Path, rel: &str) -> Result<PathBuf> {
    // The layout is built from sanitised names; checking again keeps this function safe alone.
    check_archive_path(rel).map_err(|why| Error::Export(format!("refusing path `{rel}`: {why}")))?;
    Ok(rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c)))
}

fn ensure_dir(root: &Path, dir: &Path, rel: &str) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(not_plain(rel, "folder")),
        Err(e) if e.kind() == ErrorKind::NotFound => match fs::create_dir(dir) {
            Ok(()) => {}
            // Created concurrently: accept it only if it is a real folder.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(dir)?.is_dir() {
                    return Err(not_plain(rel, "folder"));
                }
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    }
    // Defence in depth against a link swapped in between the checks.
    if !fs::canonicalize(dir)?.starts_with(root) {
        return Err(Error::Export(format!("`{rel}` resolves outside the project folder")));
    }
    Ok(())
}

fn write_file(path: &Path, rel: &str, data: &[u8]) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(not_plain(rel, "file")),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("asset");
    // A fresh hidden temporary (Unity ignores names starting with `.`), then a rename: an
    // existing file or hard link is replaced, never written through.
    for n in 0..100u32 {
        let tmp = path.with_file_name(format!(".{name}.{}-{n}.spark-tmp", std::process::id()));
        let mut f = match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        };
        let done = f.write_all(data).and_then(|()| f.flush()).and_then(|()| {
            drop(f);
            fs::rename(&tmp, path)
        });
        if let Err(e) = done {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        return Ok(());
    }
    Err(Error::Export(format!("no free temporary name next to `{rel}`")))
}

fn not_plain(rel: &str, what: &str) -> Error {
    Error::Export(format!(
        "`{rel}` exists and is not a plain {what} (a link or another kind of entry); refusing to write through it"
    ))
}
