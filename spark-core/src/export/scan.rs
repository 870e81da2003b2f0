//! What the export needs to know about a script (editor usage, package references, `unsafe`,
//! the type to name the file after), answered by the one C# scanner in [`crate::csharp`].

pub(crate) use crate::csharp::{ScriptFacts, scan};
pub use crate::csharp::{main_type_name, uses_unity_editor};
