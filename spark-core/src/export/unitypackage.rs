//! `.unitypackage`: a gzip tar with one folder per asset, named by its GUID, holding `asset`
//! (files only), `asset.meta` and `pathname` (the project path, e.g. `Assets/Generated/A.cs`).

use super::{Layout, tarball::TarGz};
use crate::error::Result;

pub(crate) fn write(layout: &Layout, level: u32) -> Result<Vec<u8>> {
    let mut assets: Vec<(&str, &super::Asset)> =
        layout.assets.iter().filter_map(|a| a.guid.as_deref().map(|g| (g, a))).collect();
    assets.sort_by(|a, b| a.0.cmp(b.0));
    let mut tar = TarGz::new(level);
    for (guid, a) in assets {
        tar.dir(&format!("{guid}/"))?;
        if let Some(data) = &a.data {
            tar.file(&format!("{guid}/asset"), data)?;
        }
        if let Some(meta) = a.meta() {
            tar.file(&format!("{guid}/asset.meta"), meta.as_bytes())?;
        }
        tar.file(&format!("{guid}/pathname"), a.path.as_bytes())?;
    }
    tar.finish()
}
