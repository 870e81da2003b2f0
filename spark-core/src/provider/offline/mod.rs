//! The offline scaffold: the embedded default provider when no API key is configured.
//!
//! It is not a model. A table of mechanics ([`templates`]) lists, for each, the phrases that ask
//! for it (with weights), the kind of type it is and a tested C# template; [`matcher`] scores
//! the request against the table, [`params`] reads numbers, keys and tags from it, and the
//! chosen mechanics become one file each (small behaviour features such as rotation, sound or a
//! proximity trigger are composed into one MonoBehaviour by [`compose`]). Deterministic: the same
//! request always gives the same files. Replies say they are offline output, in each file's
//! header and in the reported model name (`offline-scaffold`), and [`Provider::is_offline`] is
//! true. What the templates do not cover is named in a comment, never silently dropped.

use async_trait::async_trait;
use futures::stream;

use super::{
    Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, Role, StopReason, Usage,
};
use crate::error::{Error, Result};

mod compose;
mod matcher;
mod naming;
mod params;
mod render;
mod templates;

pub use naming::class_name_for;

/// Model name reported by the offline scaffold.
pub const OFFLINE_MODEL: &str = "offline-scaffold";

/// The offline scaffold provider. Needs no key and no network.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Offline {
    /// A new offline provider.
    pub fn new() -> Self {
        Offline
    }

    fn reply(&self, request: &CompletionRequest) -> Result<String> {
        let first_user = request
            .messages
            .iter()
            .find(|m| m.role == Role::User)
            .ok_or_else(|| Error::InvalidRequest("no user message".into()))?;
        let prompt = request_text(&first_user.content);
        Ok(scaffold(prompt).reply())
    }
}

/// The request text inside SPARK's prompt envelope, or the whole message.
fn request_text(message: &str) -> &str {
    match (message.find("<request>"), message.find("</request>")) {
        (Some(a), Some(b)) if a + 9 <= b => message[a + 9..b].trim(),
        _ => message.trim(),
    }
}

#[async_trait]
impl Provider for Offline {
    fn name(&self) -> &str {
        "offline"
    }

    fn default_model(&self) -> &str {
        OFFLINE_MODEL
    }

    fn is_offline(&self) -> bool {
        true
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        Ok(Completion {
            text: self.reply(request)?,
            usage: Usage::default(),
            stop_reason: Some(StopReason::EndTurn),
            provider: "offline".into(),
            model: OFFLINE_MODEL.into(),
            request_id: None,
            cached: false,
        })
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let text = self.reply(request)?;
        let mut events = vec![Ok(ProviderEvent::start(OFFLINE_MODEL, None))];
        events
            .extend(text.split_inclusive('\n').map(|l| Ok(ProviderEvent::TextDelta { text: l.to_string() })));
        events.push(Ok(ProviderEvent::Usage { usage: Usage::default() }));
        events.push(Ok(ProviderEvent::Stop { reason: StopReason::EndTurn }));
        Ok(Box::pin(stream::iter(events)))
    }
}

/// The kind of C# type a scaffolded file declares; it decides the base class and the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// A component (`: MonoBehaviour`), under the scripts folder.
    MonoBehaviour,
    /// A data asset (`: ScriptableObject` with `[CreateAssetMenu]`).
    ScriptableObject,
    /// An editor tool window (`: EditorWindow`), under `Editor/`.
    EditorWindow,
    /// A custom inspector (`: Editor` with `[CustomEditor]`), under `Editor/`.
    CustomEditor,
    /// Editor menu commands (`static class` with `[MenuItem]`), under `Editor/`.
    EditorMenu,
    /// A `static class` of helpers.
    StaticUtility,
    /// A plain C# class (no Unity base type).
    PlainClass,
}

impl TypeKind {
    /// Whether files of this kind use `UnityEditor` and so belong under `Editor/`.
    pub fn is_editor(self) -> bool {
        matches!(self, TypeKind::EditorWindow | TypeKind::CustomEditor | TypeKind::EditorMenu)
    }
}

/// One scaffolded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldFile {
    /// Path relative to the scripts folder: `Name.cs`, or `Editor/Name.cs` for editor code.
    pub path: String,
    /// The main type's name (the file stem).
    pub class_name: String,
    /// What kind of type it is.
    pub kind: TypeKind,
    /// The C# source.
    pub source: String,
}

/// The offline scaffold's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffold {
    /// The files, main one first.
    pub files: Vec<ScaffoldFile>,
    /// Ids of the template mechanics used (empty when only the generic fallback applied).
    pub mechanics: Vec<&'static str>,
    /// What the request asks for that the templates do not provide (also written in the code).
    pub missing: Vec<String>,
}

impl Scaffold {
    /// Whether no template matched and the generic placeholder was used.
    pub fn is_fallback(&self) -> bool {
        self.mechanics.is_empty()
    }

    /// The markdown reply the provider sends: a note, then one `### path` heading and fenced
    /// block per file (extraction keeps the `Editor/` folder from the heading).
    pub fn reply(&self) -> String {
        let mut out = String::from(
            "This is SPARK's offline scaffold (no model was called). It is a starting point built \
             from templates for the mechanics named in the request",
        );
        if self.mechanics.is_empty() {
            out.push_str("; no template matched, so it is a placeholder");
        } else {
            out.push_str(&format!(" ({})", self.mechanics.join(", ")));
        }
        out.push_str(".\n");
        if !self.missing.is_empty() {
            out.push_str(&format!("\nNot covered offline: {}.\n", self.missing.join("; ")));
        }
        for f in &self.files {
            out.push_str(&format!("\n### {}\n\n```csharp\n{}```\n", f.path, f.source));
        }
        out
    }
}

/// Ids of every mechanic the offline templates know, in table order.
pub fn mechanic_ids() -> Vec<&'static str> {
    templates::MECHANICS.iter().map(|m| m.id).collect()
}

/// Builds the scaffold for a request. Deterministic, and linear in the request's length (only
/// its first few kilobytes are read: a request longer than that is not a gameplay description).
pub fn scaffold(prompt: &str) -> Scaffold {
    render::build(prompt)
}

#[cfg(test)]
mod tests;
