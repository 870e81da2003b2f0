//! Reserved C# keywords used as names (`int class = 1;`, `void event() {}`): the compiler
//! rejects them unless written `@class`, but the grammar's error recovery sometimes reads them
//! as identifiers without an error node.

use tree_sitter::Node;

use super::super::Sink;

/// The reserved keywords of C# (contextual ones like `var`, `value` or `async` are valid names),
/// sorted: every short lowercase identifier is looked up.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
];

/// Reports an `identifier` node whose text is a reserved keyword.
pub(crate) fn identifier(node: Node<'_>, text: &str, sink: &mut Sink<'_>) {
    if text.len() <= 10
        && text.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && RESERVED.binary_search(&text).is_ok()
    {
        sink.emit_node(
            "SPK0001",
            node,
            format!("`{text}` is a reserved keyword and cannot be a name; rename it or write `@{text}`"),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_is_sorted() {
        assert!(super::RESERVED.windows(2).all(|w| w[0] < w[1]));
    }
}
