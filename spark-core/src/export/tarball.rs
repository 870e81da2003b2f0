//! Reproducible gzip-compressed tar writing, shared by the UPM and .unitypackage formats.

use std::io::Write;

use flate2::{Compression, GzBuilder, write::GzEncoder};

use crate::error::{Error, Result};

/// Modification time of every tar entry: npm's fixed date for reproducible tarballs
/// (1985-10-26T08:15:00Z), which tools accept where a zero time raises warnings.
pub(crate) const TAR_MTIME: u64 = 499_162_500;

/// A tar stream being gzip-compressed into memory, with fixed headers: ustar, owner 0:0,
/// mode 0644 (files) / 0755 (folders), [`TAR_MTIME`], and a gzip header without name or time.
pub(crate) struct TarGz {
    builder: tar::Builder<GzEncoder<Vec<u8>>>,
}

impl TarGz {
    pub fn new(level: u32) -> Self {
        let gz = GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), Compression::new(level));
        TarGz { builder: tar::Builder::new(gz) }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(TAR_MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    pub fn file(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, 0o644, data.len() as u64);
        self.builder.append_data(&mut h, path, data).map_err(|e| tar_error(path, e))
    }

    pub fn dir(&mut self, path: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.builder.append_data(&mut h, path, std::io::empty()).map_err(|e| tar_error(path, e))
    }

    pub fn finish(self) -> Result<Vec<u8>> {
        let gz = self.builder.into_inner().map_err(|e| Error::Export(format!("tar: {e}")))?;
        let mut gz = gz;
        gz.flush()?;
        Ok(gz.finish()?)
    }
}

fn tar_error(path: &str, e: std::io::Error) -> Error {
    Error::Export(format!("tar entry `{path}`: {e}"))
}
