//! Reading archives back (round trips, re-imports) without trusting them.
//!
//! Every entry path is checked before use ([`check_archive_path`]: no `..`, absolute paths,
//! drive letters, backslashes…); links and special files are refused; sizes are counted while
//! decompressing, never taken from headers, against [`ImportLimits`]: per entry, in total, and
//! as a compression ratio, so a zip bomb stops after a few megabytes of output.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read};
use std::rc::Rc;

use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

use super::ExportFormat;
use super::guid::is_unity_guid;
use super::path::{check_archive_path, quote};
use crate::error::{Error, Result};

/// Below this many output bytes the ratio limit is not applied: tiny, highly repetitive files
/// compress far better than 100:1 and are harmless.
const RATIO_FLOOR: u64 = 1 << 20;

/// Limits the import side enforces while it decompresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportLimits {
    /// Most entries (files, folders, tar headers) in one archive.
    pub max_entries: usize,
    /// Largest decompressed entry in bytes.
    pub max_entry_bytes: u64,
    /// Largest decompressed total of all entries in bytes.
    pub max_total_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes (checked past 1 MiB of output).
    pub max_ratio: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_entries: 20_000,
            max_entry_bytes: 16 << 20,
            max_total_bytes: 64 << 20,
            max_ratio: 100,
        }
    }
}

/// One file read from an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    /// Checked relative path, `/`-separated: the archive path, or for a `.unitypackage` the
    /// asset's `pathname` (its `.meta` as `pathname.meta`).
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

impl ImportedFile {
    /// The content as UTF-8 text, when it is.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

/// Reads an archive of `format` (see [`import_zip`], [`import_upm`], [`import_unitypackage`]).
pub fn import(bytes: &[u8], format: ExportFormat, limits: &ImportLimits) -> Result<Vec<ImportedFile>> {
    match format {
        ExportFormat::Zip => import_zip(bytes, limits),
        ExportFormat::Upm => import_upm(bytes, limits),
        ExportFormat::UnityPackage => import_unitypackage(bytes, limits),
    }
}

fn unsafe_archive(msg: String) -> Error {
    Error::UnsafeArchive(msg)
}

fn malformed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("malformed {what}: {e}"))
}

/// Counts decompressed bytes against the limits as they are read.
struct Budget<'a> {
    limits: &'a ImportLimits,
    total: u64,
    entries: usize,
}

impl Budget<'_> {
    fn entry(&mut self, name: &str) -> Result<()> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(unsafe_archive(format!(
                "more than {} entries (at {})",
                self.limits.max_entries,
                quote(name)
            )));
        }
        Ok(())
    }

    /// Reads one entry, stopping as soon as a limit is crossed, including the ratio of output
    /// to compressed input (`Ratio::Entry` per ZIP entry, `Ratio::Archive` for a whole tarball).
    fn read(&mut self, r: &mut impl Read, name: &str, ratio: Ratio) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 64 << 10];
        let mut size = 0u64;
        loop {
            let n = match r.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(name, e)),
            };
            size += n as u64;
            self.total += n as u64;
            if size > self.limits.max_entry_bytes {
                return Err(unsafe_archive(format!(
                    "entry {} expands beyond {} bytes",
                    quote(name),
                    self.limits.max_entry_bytes
                )));
            }
            if self.total > self.limits.max_total_bytes {
                return Err(unsafe_archive(format!(
                    "archive expands beyond {} bytes (at {})",
                    self.limits.max_total_bytes,
                    quote(name)
                )));
            }
            let (measured, base) = match ratio {
                Ratio::Entry(c) => (size, c),
                Ratio::Archive(c) => (self.total, c),
            };
            if measured > RATIO_FLOOR && measured > base.saturating_mul(self.limits.max_ratio) {
                return Err(unsafe_archive(format!(
                    "entry {} has a compression ratio above {}:1",
                    quote(name),
                    self.limits.max_ratio
                )));
            }
            out.extend_from_slice(&chunk[..n]);
        }
        Ok(out)
    }
}

/// What the decompressed size is compared with.
#[derive(Clone, Copy)]
enum Ratio {
    /// The entry's compressed size (ZIP).
    Entry(u64),
    /// The whole archive's size (gzip tar, where entries share one compressed stream).
    Archive(u64),
}

fn read_error(name: &str, e: std::io::Error) -> Error {
    if let Some(trip) = e.get_ref().and_then(|i| i.downcast_ref::<Tripped>()) {
        return unsafe_archive(trip.0.clone());
    }
    // The zip crate stops an entry at its declared size; more data means a header that lies,
    // the shape of a zip bomb. (Matched on its message; anything else stays "malformed".)
    if e.kind() == std::io::ErrorKind::InvalidData && e.to_string().contains("declared uncompressed size") {
        return unsafe_archive(format!("entry {} expands beyond its declared size", quote(name)));
    }
    malformed("archive", format!("entry {}: {e}", quote(name)))
}

/// Reads a ZIP. Directory entries are checked but not returned; files come back sorted by path.
///
/// Fails with [`Error::UnsafeArchive`] on an unsafe path (zip-slip), a symlink, a duplicate
/// name (ignoring case), or a limit crossed while decompressing; with
/// [`Error::InvalidArgument`] when the bytes are not a readable ZIP (encrypted entries
/// included).
pub fn import_zip(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<ImportedFile>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed("zip", e))?;
    if zip.len() > limits.max_entries {
        return Err(unsafe_archive(format!("{} entries (limit {})", zip.len(), limits.max_entries)));
    }
    let mut budget = Budget { limits, total: 0, entries: 0 };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| malformed("zip", e))?;
        let name = f.name().map_err(|e| malformed("zip", e))?.into_owned();
        budget.entry(&name)?;
        check_archive_path(&name).map_err(|why| unsafe_archive(format!("entry {}: {why}", quote(&name))))?;
        if f.is_symlink() {
            return Err(unsafe_archive(format!("entry {} is a symbolic link", quote(&name))));
        }
        if !seen.insert(name.trim_end_matches('/').to_lowercase()) {
            return Err(unsafe_archive(format!("duplicate entry {}", quote(&name))));
        }
        if f.is_dir() {
            continue;
        }
        if f.size() > limits.max_entry_bytes {
            return Err(unsafe_archive(format!(
                "entry {} declares {} bytes (limit {})",
                quote(&name),
                f.size(),
                limits.max_entry_bytes
            )));
        }
        let compressed = f.compressed_size();
        let bytes = budget.read(&mut f, &name, Ratio::Entry(compressed))?;
        out.push(ImportedFile { path: name, bytes });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Reads a UPM tarball (`.tgz`). Files come back with their archive paths (`package/…`),
/// sorted; errors as for [`import_zip`], and links or special files are refused.
pub fn import_upm(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<ImportedFile>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    read_tar_gz(bytes, limits, |path, data| {
        if !seen.insert(path.trim_end_matches('/').to_lowercase()) {
            return Err(unsafe_archive(format!("duplicate entry {}", quote(path))));
        }
        if let Some(bytes) = data {
            out.push(ImportedFile { path: path.to_string(), bytes });
        }
        Ok(())
    })?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Reads a `.unitypackage`: each `<guid>/pathname` names where `<guid>/asset` and
/// `<guid>/asset.meta` go. Returns `pathname` → asset and `pathname.meta` → meta, sorted.
///
/// Besides the checks of [`import_upm`], every folder must be a 32-hex GUID, every `pathname`
/// a safe relative path, and no two assets may share a `pathname` (ignoring case).
pub fn import_unitypackage(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<ImportedFile>> {
    #[derive(Default)]
    struct Parts {
        asset: Option<Vec<u8>>,
        meta: Option<Vec<u8>>,
        pathname: Option<Vec<u8>>,
    }
    let mut by_guid: BTreeMap<String, Parts> = BTreeMap::new();
    read_tar_gz(bytes, limits, |path, data| {
        let body = path.trim_end_matches('/');
        let (guid, file) = body.split_once('/').unwrap_or((body, ""));
        if !is_unity_guid(&guid.to_ascii_lowercase()) {
            return Err(unsafe_archive(format!("entry {} is not under a GUID folder", quote(path))));
        }
        let parts = by_guid.entry(guid.to_ascii_lowercase()).or_default();
        let slot = match (file, data) {
            ("", None) => return Ok(()),
            ("asset", Some(d)) => (&mut parts.asset, d),
            ("asset.meta", Some(d)) => (&mut parts.meta, d),
            ("pathname", Some(d)) => (&mut parts.pathname, d),
            // Unity writes a preview image for some assets; nothing to import.
            ("preview.png", Some(_)) => return Ok(()),
            _ => return Err(unsafe_archive(format!("unexpected entry {}", quote(path)))),
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(unsafe_archive(format!("duplicate entry {}", quote(path))));
        }
        Ok(())
    })?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (guid, parts) in by_guid {
        let Some(pathname) = parts.pathname else {
            if parts.asset.is_some() || parts.meta.is_some() {
                return Err(unsafe_archive(format!("asset {guid} has no pathname")));
            }
            continue;
        };
        let pathname = String::from_utf8(pathname)
            .map_err(|_| unsafe_archive(format!("pathname of {guid} is not UTF-8")))?;
        // Older Unity versions append a line (`00`) after the path.
        let pathname = pathname.lines().next().unwrap_or("").trim_end_matches('\r').to_string();
        if pathname.ends_with('/') {
            return Err(unsafe_archive(format!("pathname {} of {guid} ends with `/`", quote(&pathname))));
        }
        check_archive_path(&pathname)
            .map_err(|why| unsafe_archive(format!("pathname {} of {guid}: {why}", quote(&pathname))))?;
        if !seen.insert(pathname.to_lowercase()) {
            return Err(unsafe_archive(format!("two assets share the pathname {}", quote(&pathname))));
        }
        if let Some(meta) = parts.meta {
            out.push(ImportedFile { path: format!("{pathname}.meta"), bytes: meta });
        }
        if let Some(asset) = parts.asset {
            out.push(ImportedFile { path: pathname, bytes: asset });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The error a [`Counted`] reader raises when the decompressed stream crosses a limit.
#[derive(Debug)]
struct Tripped(String);

impl std::fmt::Display for Tripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Tripped {}

/// Counts every decompressed byte of a stream (tar headers and padding included) and fails
/// past `limit` or past `ratio` times the compressed size.
struct Counted<R> {
    inner: R,
    read: u64,
    limit: u64,
    max_by_ratio: u64,
    tripped: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let why = if self.read > self.limit {
            Some(format!("decompressed stream exceeds {} bytes", self.limit))
        } else if self.read > RATIO_FLOOR && self.read > self.max_by_ratio {
            Some("decompressed stream exceeds the compression ratio limit".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            *self.tripped.borrow_mut() = Some(why.clone());
            return Err(std::io::Error::other(Tripped(why)));
        }
        Ok(n)
    }
}

/// Walks a gzip-compressed tar, calling `visit(path, Some(data))` for files and
/// `visit(path, None)` for folders, after the path and type checks.
fn read_tar_gz(
    bytes: &[u8],
    limits: &ImportLimits,
    mut visit: impl FnMut(&str, Option<Vec<u8>>) -> Result<()>,
) -> Result<()> {
    let tripped = Rc::new(RefCell::new(None));
    // Headers and padding take up to ~2 KiB per entry on top of the content.
    let overhead = (limits.max_entries as u64).saturating_add(2).saturating_mul(2048);
    let counted = Counted {
        inner: GzDecoder::new(bytes),
        read: 0,
        limit: limits.max_total_bytes.saturating_add(overhead),
        // The stream includes tar padding, which compresses to nearly nothing: allow 4x.
        max_by_ratio: (bytes.len() as u64).saturating_mul(limits.max_ratio).saturating_mul(4),
        tripped: tripped.clone(),
    };
    let mut tar = tar::Archive::new(counted);
    let fail = |e: std::io::Error, tripped: &Rc<RefCell<Option<String>>>| match tripped.borrow().clone() {
        Some(why) => unsafe_archive(why),
        None => read_error("tar", e),
    };
    let entries = tar.entries().map_err(|e| fail(e, &tripped))?;
    let mut budget = Budget { limits, total: 0, entries: 0 };
    for entry in entries {
        let mut entry = entry.map_err(|e| fail(e, &tripped))?;
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw).map_err(|e| {
            unsafe_archive(format!(
                "entry path is not UTF-8: {}",
                quote(&String::from_utf8_lossy(e.as_bytes()))
            ))
        })?;
        let path = path.strip_prefix("./").unwrap_or(&path).to_string();
        if path.is_empty() {
            continue;
        }
        budget.entry(&path)?;
        check_archive_path(&path).map_err(|why| unsafe_archive(format!("entry {}: {why}", quote(&path))))?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => visit(&path, None)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if path.ends_with('/') {
                    return Err(unsafe_archive(format!("file entry {} ends with `/`", quote(&path))));
                }
                let data =
                    budget.read(&mut entry, &path, Ratio::Archive(bytes.len() as u64)).map_err(|e| {
                        match tripped.borrow().clone() {
                            Some(why) => unsafe_archive(why),
                            None => e,
                        }
                    })?;
                visit(&path, Some(data))?;
            }
            other => {
                return Err(unsafe_archive(format!(
                    "entry {} is a link or special file ({other:?})",
                    quote(&path)
                )));
            }
        }
    }
    Ok(())
}
