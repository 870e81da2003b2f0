//! ZIP writing with fixed metadata, so the same export gives the same bytes.

use std::borrow::Cow;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::Layout;
use crate::error::{Error, Result};

/// Files smaller than this are stored rather than deflated.
const STORE_BELOW: usize = 512;

/// Writes the layout as a ZIP: directory entries, files and their `.meta` files, sorted by
/// name, dated 1980-01-01 00:00 (the ZIP epoch), Unix mode 0644 / 0755, deflated at `level` (files under 512 bytes stored).
pub(crate) fn write(layout: &Layout, level: u32) -> Result<Vec<u8>> {
    let mut entries: Vec<(String, Option<Cow<'_, [u8]>>)> = Vec::with_capacity(layout.assets.len() * 2);
    let mut size = 0;
    for a in &layout.assets {
        match &a.data {
            Some(data) => {
                size += data.len();
                entries.push((a.path.clone(), Some(Cow::Borrowed(data.as_ref()))));
            }
            None => entries.push((format!("{}/", a.path), None)),
        }
        if let Some(meta) = a.meta() {
            size += meta.len();
            entries.push((format!("{}.meta", a.path), Some(Cow::Owned(meta.into_bytes()))));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let base = SimpleFileOptions::DEFAULT.last_modified_time(DateTime::DEFAULT).system(System::Unix);
    // Level 0 means no compression, which ZIP spells as the Stored method.
    let file_opts = match level {
        0 => base.compression_method(CompressionMethod::Stored),
        _ => base.compression_method(CompressionMethod::Deflated).compression_level(Some(i64::from(level))),
    }
    .unix_permissions(0o644);
    let stored = base.compression_method(CompressionMethod::Stored).unix_permissions(0o644);
    let dir_opts = base.compression_method(CompressionMethod::Stored).unix_permissions(0o755);
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(size / 2 + entries.len() * 128)));
    for (name, data) in &entries {
        match data {
            Some(data) => {
                // Deflate barely shrinks tiny files (`.meta`s) and its per-entry setup is most
                // of the export time, so those are stored.
                let opts = if data.len() < STORE_BELOW { stored } else { file_opts };
                zip.start_file(name.as_str(), opts).map_err(|e| zip_error(name, e))?;
                zip.write_all(data)?;
            }
            None => zip.add_directory(name.as_str(), dir_opts).map_err(|e| zip_error(name, e))?,
        }
    }
    Ok(zip.finish().map_err(|e| Error::Export(format!("zip: {e}")))?.into_inner())
}

fn zip_error(name: &str, e: zip::result::ZipError) -> Error {
    Error::Export(format!("zip entry `{name}`: {e}"))
}
