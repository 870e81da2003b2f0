//! One parsed file shared by every rule: the text, the tree, node kinds, positions and the
//! preprocessor regions.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use std::ops::ControlFlow;

use tree_sitter::{InputEdit, Language, Node, ParseOptions, ParseState, Parser, Point, Tree};

use crate::cancel::CancelToken;
use crate::error::Result;

use crate::csharp::{self, DirKind};

thread_local! {
    // A parser owns sizeable buffers; reusing one per thread saves an allocation round per file.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// The C# language.
pub(crate) fn language() -> &'static Language {
    static LANG: OnceLock<Language> = OnceLock::new();
    LANG.get_or_init(|| tree_sitter_c_sharp::LANGUAGE.into())
}

/// Parses `text` with this thread's parser. `None` only if tree-sitter refuses (never seen).
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Option<Tree> {
    parse_with(text, None, &CancelToken::new())
}

/// Parses `text` from scratch; `None` when `cancel` stopped it.
pub(super) fn parse_fresh(text: &str, cancel: &CancelToken) -> Option<Tree> {
    parse_with(text, None, cancel)
}

/// Parses `text`, reusing the unchanged parts of `old` (already edited to match `text`).
/// Tree-sitter asks `cancel` as it goes and gives up (`None`) once it says stop.
fn parse_with(text: &str, old: Option<&Tree>, cancel: &CancelToken) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(language()).ok()?;
            *slot = Some(p);
        }
        let parser = slot.as_mut()?;
        let bytes = text.as_bytes();
        let mut read = |at: usize, _: Point| bytes.get(at..).unwrap_or_default();
        let mut progress = |_: &ParseState| {
            if cancel.is_cancelled() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        let options = ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(&mut read, old, Some(options));
        if tree.is_none() {
            parser.reset();
        }
        tree
    })
}

/// Node kinds the rules look at. `Other` for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum K {
    Other,
    Class,
    Struct,
    Record,
    Interface,
    Method,
    Constructor,
    LocalFunction,
    Lambda,
    AnonymousMethod,
    For,
    Foreach,
    While,
    Do,
    Invocation,
    ObjectCreation,
    ImplicitObjectCreation,
    Binary,
    MemberAccess,
    QualifiedName,
    Using,
    GlobalStatement,
    Assignment,
    VariableDeclarator,
    VariableDeclaration,
    StringLiteral,
    VerbatimString,
    RawString,
    InterpolatedString,
    UnsafeStatement,
    Modifier,
    Attribute,
    AttributeList,
    Identifier,
    GenericName,
    PointerType,
    Fixed,
    Block,
    ArrowClause,
    ParameterList,
    Parameter,
    ArgumentList,
    Argument,
    TypeofExpression,
    BaseList,
    DeclarationList,
    Namespace,
    FileScopedNamespace,
    Return,
    ExpressionStatement,
    PredefinedType,
    ArrayType,
    NullableType,
    FieldDeclaration,
    PropertyDeclaration,
    Parenthesized,
    Cast,
    BooleanLiteral,
    ConditionalAccess,
    MemberBinding,
    TypeParameterList,
    ExplicitInterface,
    This,
    Base,
    SwitchExpression,
    RangeExpression,
    AccessorDeclaration,
    FunctionPointerType,
    WithExpression,
    RelationalPattern,
    AndPattern,
    OrPattern,
    NegatedPattern,
    ListPattern,
    CollectionExpression,
    IsPattern,
    AsExpression,
    ScopedType,
    Yield,
    DeclarationExpression,
    DeclarationPattern,
    OperatorDeclaration,
    CharLiteral,
    Subpattern,
}

const NAMES: &[(&str, K)] = &[
    ("class_declaration", K::Class),
    ("struct_declaration", K::Struct),
    ("record_declaration", K::Record),
    ("interface_declaration", K::Interface),
    ("method_declaration", K::Method),
    ("constructor_declaration", K::Constructor),
    ("local_function_statement", K::LocalFunction),
    ("lambda_expression", K::Lambda),
    ("anonymous_method_expression", K::AnonymousMethod),
    ("for_statement", K::For),
    ("foreach_statement", K::Foreach),
    ("while_statement", K::While),
    ("do_statement", K::Do),
    ("invocation_expression", K::Invocation),
    ("object_creation_expression", K::ObjectCreation),
    ("implicit_object_creation_expression", K::ImplicitObjectCreation),
    ("binary_expression", K::Binary),
    ("member_access_expression", K::MemberAccess),
    ("qualified_name", K::QualifiedName),
    ("using_directive", K::Using),
    ("global_statement", K::GlobalStatement),
    ("assignment_expression", K::Assignment),
    ("variable_declarator", K::VariableDeclarator),
    ("variable_declaration", K::VariableDeclaration),
    ("string_literal", K::StringLiteral),
    ("verbatim_string_literal", K::VerbatimString),
    ("raw_string_literal", K::RawString),
    ("interpolated_string_expression", K::InterpolatedString),
    ("unsafe_statement", K::UnsafeStatement),
    ("modifier", K::Modifier),
    ("attribute", K::Attribute),
    ("attribute_list", K::AttributeList),
    ("identifier", K::Identifier),
    ("generic_name", K::GenericName),
    ("pointer_type", K::PointerType),
    ("fixed_statement", K::Fixed),
    ("block", K::Block),
    ("arrow_expression_clause", K::ArrowClause),
    ("parameter_list", K::ParameterList),
    ("parameter", K::Parameter),
    ("argument_list", K::ArgumentList),
    ("argument", K::Argument),
    ("typeof_expression", K::TypeofExpression),
    ("base_list", K::BaseList),
    ("declaration_list", K::DeclarationList),
    ("namespace_declaration", K::Namespace),
    ("file_scoped_namespace_declaration", K::FileScopedNamespace),
    ("return_statement", K::Return),
    ("expression_statement", K::ExpressionStatement),
    ("predefined_type", K::PredefinedType),
    ("array_type", K::ArrayType),
    ("nullable_type", K::NullableType),
    ("field_declaration", K::FieldDeclaration),
    ("property_declaration", K::PropertyDeclaration),
    ("parenthesized_expression", K::Parenthesized),
    ("cast_expression", K::Cast),
    ("boolean_literal", K::BooleanLiteral),
    ("conditional_access_expression", K::ConditionalAccess),
    ("member_binding_expression", K::MemberBinding),
    ("type_parameter_list", K::TypeParameterList),
    ("explicit_interface_specifier", K::ExplicitInterface),
    ("this", K::This),
    ("base", K::Base),
    ("switch_expression", K::SwitchExpression),
    ("range_expression", K::RangeExpression),
    ("accessor_declaration", K::AccessorDeclaration),
    ("function_pointer_type", K::FunctionPointerType),
    ("with_expression", K::WithExpression),
    ("relational_pattern", K::RelationalPattern),
    ("and_pattern", K::AndPattern),
    ("or_pattern", K::OrPattern),
    ("negated_pattern", K::NegatedPattern),
    ("list_pattern", K::ListPattern),
    ("collection_expression", K::CollectionExpression),
    ("is_pattern_expression", K::IsPattern),
    ("as_expression", K::AsExpression),
    ("scoped_type", K::ScopedType),
    ("yield_statement", K::Yield),
    ("declaration_expression", K::DeclarationExpression),
    ("declaration_pattern", K::DeclarationPattern),
    ("operator_declaration", K::OperatorDeclaration),
    ("character_literal", K::CharLiteral),
    ("subpattern", K::Subpattern),
];

/// Field ids used by the rules (looked up once).
pub(crate) struct Fields {
    pub name: u16,
    pub body: u16,
    pub function: u16,
    pub arguments: u16,
    pub expression: u16,
    pub type_: u16,
    pub left: u16,
    pub right: u16,
    pub operator: u16,
    pub returns: u16,
    pub parameters: u16,
}

/// Named kinds whose children never matter to the rules (keywords, literal pieces): the walk
/// does not step into them. The rules look at such a node as a whole.
const OPAQUE: &[&str] = &[
    "modifier",
    "string_literal",
    "verbatim_string_literal",
    "raw_string_literal",
    "character_literal",
    "integer_literal",
    "real_literal",
    "boolean_literal",
    "null_literal",
    "predefined_type",
    "implicit_type",
    "identifier",
    "comment",
];

/// Kind table and field ids for the C# grammar.
pub(crate) struct Grammar {
    /// Per kind id; anonymous kinds (tokens) are `K::Other`.
    kinds: Vec<K>,
    /// Per kind id: whether the walk steps into nodes of this kind.
    descend: Vec<bool>,
    pub f: Fields,
}

impl Grammar {
    pub fn get() -> &'static Grammar {
        static G: OnceLock<Grammar> = OnceLock::new();
        G.get_or_init(|| {
            let lang = language();
            let count = lang.node_kind_count();
            let mut kinds = vec![K::Other; count + 1];
            let mut descend = vec![true; count + 1];
            for id in 0..count as u16 {
                let Some(name) = lang.node_kind_for_id(id) else { continue };
                // Anonymous tokens share names with some named nodes (`this`, `base`); the rules
                // only look at named nodes, so tokens stay `Other` and the walk needs no
                // `is_named` call per node. Tokens are leaves in this grammar (its anonymous
                // aliases all rename tokens; a test checks it), so the walk does not even try
                // to step into them.
                if !lang.node_kind_is_named(id) {
                    descend[id as usize] = false;
                    continue;
                }
                if let Some((_, k)) = NAMES.iter().find(|(n, _)| *n == name) {
                    kinds[id as usize] = *k;
                }
                if OPAQUE.contains(&name) {
                    descend[id as usize] = false;
                }
            }
            let fid = |n: &str| lang.field_id_for_name(n).map(|f| f.get()).unwrap_or(u16::MAX);
            Grammar {
                kinds,
                descend,
                f: Fields {
                    name: fid("name"),
                    body: fid("body"),
                    function: fid("function"),
                    arguments: fid("arguments"),
                    expression: fid("expression"),
                    type_: fid("type"),
                    left: fid("left"),
                    right: fid("right"),
                    operator: fid("operator"),
                    returns: fid("returns"),
                    parameters: fid("parameters"),
                },
            }
        })
    }

    #[inline]
    pub fn kind(&self, n: Node<'_>) -> K {
        self.kinds.get(n.kind_id() as usize).copied().unwrap_or(K::Other)
    }

    /// The rule kind of `n` and whether the rules need its children (false for token-like
    /// named nodes), from one kind-id lookup.
    #[inline]
    pub fn classify(&self, n: Node<'_>) -> (K, bool) {
        let id = n.kind_id() as usize;
        match (self.kinds.get(id), self.descend.get(id)) {
            (Some(k), Some(d)) => (*k, *d),
            _ => (K::Other, true),
        }
    }
}

/// A parsed file.
pub(crate) struct Source<'a> {
    /// The text as given; positions are computed on it.
    pub text: &'a str,
    /// The text the parser saw: `text` with the grammar's known gaps blanked (same length).
    pub scan: Cow<'a, str>,
    pub tree: Tree,
    /// Byte ranges that only compile in the editor (`#if UNITY_EDITOR` and equivalents).
    /// Sorted and disjoint (see [`csharp::editor_regions`]).
    pub editor_regions: Vec<Range<usize>>,
    /// Byte ranges inside `#if … #endif` groups (see [`csharp::conditional_ranges`]).
    pub conditional: Vec<Range<usize>>,
    /// The text nests deeper than the scanner's limits (see [`csharp`]): not fully analysed.
    pub limited: bool,
    pub g: &'static Grammar,
}

impl<'a> Source<'a> {
    /// Parses `text`; when the grammar trips over one of its known gaps on valid C#, the gap is
    /// blanked out (same byte length, so every position stays right) and the text re-parsed.
    /// Stops with the token's error when `cancel` says so (also in
    /// the middle of a tree-sitter parse). `Ok(None)` when tree-sitter refuses the text.
    pub fn parse_with(text: &'a str, cancel: &CancelToken) -> Result<Option<Source<'a>>> {
        Self::parse_reusing(text, None, cancel)
    }

    /// [`Source::parse_with`], starting from `prior`, a parse of an earlier text (the same
    /// block while the reply was still streaming): the tree is edited to `text` and only what
    /// changed is parsed again. A re-parse that finds errors is redone from scratch, so the
    /// rare broken file gets exactly the tree a fresh parse gives (tree-sitter's error recovery
    /// may settle differently on reused subtrees).
    pub fn parse_reusing(
        text: &'a str,
        prior: Option<Parsed>,
        cancel: &CancelToken,
    ) -> Result<Option<Source<'a>>> {
        let g = Grammar::get();
        let tree = match prior {
            Some(p) => match reparse_changed(&p.text, p.tree, text, cancel) {
                Some(t) if !t.root_node().has_error() => Some(t),
                Some(_) => parse_with(text, None, cancel),
                None => None,
            },
            None => parse_with(text, None, cancel),
        };
        let Some(tree) = tree else {
            cancel.check()?;
            return Ok(None);
        };
        let has_directives = text.contains("#if");
        let (scan, tree) = if tree.root_node().has_error() {
            match neutralize(text) {
                Some(fixed) => match reparse(text, &fixed, tree, cancel) {
                    Some(t2) => (Cow::Owned(fixed), t2),
                    None => {
                        cancel.check()?;
                        return Ok(None);
                    }
                },
                None => (Cow::Borrowed(text), tree),
            }
        } else {
            (Cow::Borrowed(text), tree)
        };
        let (editor_regions, limited) =
            if has_directives { csharp::editor_regions(text) } else { (Vec::new(), false) };
        let conditional =
            if has_directives { csharp::conditional_ranges(&csharp::directives(text)) } else { Vec::new() };
        Ok(Some(Source { text, scan, tree, editor_regions, conditional, limited, g }))
    }

    /// The (scanned) text of a node.
    #[inline]
    pub fn t(&self, n: Node<'_>) -> &str {
        self.scan.get(n.byte_range()).unwrap_or("")
    }

    /// 1-based line and character column of a byte offset whose tree-sitter point is `p`.
    pub fn line_col(&self, byte: usize, p: Point) -> (u32, u32) {
        let line_start = byte.saturating_sub(p.column);
        let col = self.text.get(line_start..byte).map(|s| s.chars().count()).unwrap_or(p.column);
        (p.row as u32 + 1, col as u32 + 1)
    }

    /// Whether `byte` lies in editor-only conditional code.
    pub fn in_editor_region(&self, byte: usize) -> bool {
        let after = self.editor_regions.partition_point(|r| r.start <= byte);
        after > 0 && byte < self.editor_regions[after - 1].end
    }
}

/// Parses `fixed` (a same-length copy of `text` with a few bytes blanked) incrementally from
/// `tree`, the parse of `text`: only the blanked spans and what depends on them are parsed
/// again, instead of the whole file.
pub(super) fn reparse(text: &str, fixed: &str, mut tree: Tree, cancel: &CancelToken) -> Option<Tree> {
    let (a, b) = (text.as_bytes(), fixed.as_bytes());
    let mut row = 0usize;
    let mut line_start = 0usize;
    let mut i = 0usize;
    while i < a.len() {
        if a[i] == b[i] {
            if a[i] == b'\n' {
                row += 1;
                line_start = i + 1;
            }
            i += 1;
            continue;
        }
        // Blanking keeps every newline, so rows and byte columns are the same in both texts.
        let start = i;
        let start_point = Point::new(row, start - line_start);
        while i < a.len() && a[i] != b[i] {
            i += 1;
        }
        let end_point = Point::new(row, i - line_start);
        tree.edit(&InputEdit {
            start_byte: start,
            old_end_byte: i,
            new_end_byte: i,
            start_position: start_point,
            old_end_position: end_point,
            new_end_position: end_point,
        });
    }
    parse_with(fixed, Some(&tree), cancel)
}

/// A tree and the text it is a parse of.
pub(crate) struct Parsed {
    pub text: String,
    pub tree: Tree,
}

/// The row and byte column of `byte` in `text`.
fn point_at(text: &[u8], byte: usize) -> Point {
    let before = &text[..byte.min(text.len())];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Point::new(row, before.len() - line_start)
}

/// Parses `new` incrementally from `tree`, a parse of `old`: the span between their common
/// prefix and common suffix is one edit, so text appended while a reply streams costs a parse
/// of the tail. `None` when `cancel` stopped the parse.
pub(crate) fn reparse_changed(old: &str, mut tree: Tree, new: &str, cancel: &CancelToken) -> Option<Tree> {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    if a == b {
        return Some(tree);
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a.iter().rev().zip(b.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
    let (old_end, new_end) = (a.len() - suffix, b.len() - suffix);
    let start_position = point_at(a, prefix);
    tree.edit(&InputEdit {
        start_byte: prefix,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position,
        old_end_position: point_at(a, old_end),
        new_end_position: point_at(b, new_end),
    });
    parse_with(new, Some(&tree), cancel)
}

/// Every node of a tree as (kind, range, flags), in walk order.
#[cfg(test)]
fn shape_of(tree: &Tree) -> Vec<(u16, usize, usize, bool, bool)> {
    let mut out = Vec::new();
    let mut c = tree.walk();
    loop {
        let n = c.node();
        out.push((n.kind_id(), n.start_byte(), n.end_byte(), n.is_missing(), n.has_error()));
        if c.goto_first_child() {
            continue;
        }
        loop {
            if c.goto_next_sibling() {
                break;
            }
            if !c.goto_parent() {
                return out;
            }
        }
    }
}

/// 1-based line and character column of a byte offset, computed from the text alone.
pub(crate) fn line_col_of(text: &str, byte: usize) -> (u32, u32) {
    let byte = byte.min(text.len());
    let before = &text.as_bytes()[..byte];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
    let col = match text.get(line_start..byte) {
        Some(s) => s.chars().count(),
        None => String::from_utf8_lossy(&text.as_bytes()[line_start..byte]).chars().count(),
    };
    (line, col as u32 + 1)
}

// ---------------------------------------------------------------------------------------------
// The grammar's known gaps on valid C#.

/// Returns a same-length copy of `text` with the grammar's known false errors blanked, or `None`
/// when there is nothing to blank.
pub(super) fn neutralize(text: &str) -> Option<String> {
    let mut b = text.as_bytes().to_vec();
    let mut changed = false;
    changed |= blank_empty_interpolations(&mut b);
    changed |= blank_slice_designations(&mut b);
    changed |= blank_pointer_deref_casts(&mut b);
    if text.contains("=>") {
        changed |= blank_lambda_parameter_modifiers(&mut b);
    }
    if text.contains("#if") {
        changed |= blank_split_conditionals(&mut b);
    }
    if !changed {
        return None;
    }
    // Only ASCII bytes were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(b).ok()
}

/// `$""` (an empty interpolated string) → ` ""`. `$"""` starts a raw string and is left alone.
fn blank_empty_interpolations(b: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'"' && b[i + 2] == b'"' && b.get(i + 3) != Some(&b'"') {
            b[i] = b' ';
            changed = true;
            i += 3;
        } else {
            i += 1;
        }
    }
    changed
}

/// Slice patterns the grammar rejects: `.. var rest` → `..` + blanks, and a slice first in the
/// list (`[.., last]`, `[..]`) → `_` + blanks (a discard, which parses everywhere).
fn blank_slice_designations(b: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'.' && b[i + 1] == b'.' && b.get(i + 2) != Some(&b'.') && (i == 0 || b[i - 1] != b'.') {
            let mut j = i + 2;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            let mut end = i + 2;
            if b[j..].starts_with(b"var") && b.get(j + 3).is_some_and(|c| c.is_ascii_whitespace()) {
                let mut k = j + 3;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                let id_start = k;
                while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_') {
                    k += 1;
                }
                if k > id_start {
                    end = k;
                }
            }
            let next = b[end..].iter().find(|c| !c.is_ascii_whitespace()).copied();
            let prev = b[..i].iter().rev().find(|c| !c.is_ascii_whitespace()).copied();
            if matches!(next, Some(b',') | Some(b']')) {
                if prev == Some(b'[') {
                    b[i] = b'_';
                    b[i + 1..end].iter_mut().for_each(|c| *c = b' ');
                    changed = true;
                } else if end > i + 2 {
                    b[i + 2..end].iter_mut().for_each(|c| *c = b' ');
                    changed = true;
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    changed
}

/// How far a parenthesised list is looked for around `=>` or `*(`: one expression's worth, so
/// every byte is looked at a bounded number of times.
const PAREN_REACH: usize = 512;

/// `in` and `out` modifiers of explicitly typed lambda parameters (`(in T a, ref T b) => …`,
/// valid since C# 7.2) → blanks: the grammar takes `ref` there but not these two, and a typed
/// parameter without a modifier parses everywhere. Only a parenthesised list right before
/// `=>` is touched, so `F(out var x)` and `foreach (var x in xs)` stay as they are.
fn blank_lambda_parameter_modifiers(b: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 1 < b.len() {
        if !(b[i] == b'=' && b[i + 1] == b'>') {
            i += 1;
            continue;
        }
        let arrow = i;
        i += 2;
        let mut close = arrow;
        while close > 0 && b[close - 1].is_ascii_whitespace() {
            close -= 1;
        }
        if close == 0 || b[close - 1] != b')' {
            continue;
        }
        // The matching `(`, within reach and without leaving the expression.
        let (mut depth, mut open) = (0usize, None);
        let mut j = close;
        while j > 0 && close - j < PAREN_REACH {
            j -= 1;
            match b[j] {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        open = Some(j);
                        break;
                    }
                }
                b';' | b'{' | b'}' | b'"' | b'\'' => break,
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        // One pass over the list: a parameter starts after `(` or `,` and its whitespace.
        let mut at_start = true;
        let mut k = open + 1;
        while k < close - 1 {
            match b[k] {
                b',' => at_start = true,
                c if c.is_ascii_whitespace() => {}
                _ if at_start => {
                    at_start = false;
                    for word in [&b"in"[..], &b"out"[..]] {
                        let end = k + word.len();
                        if b[k..].starts_with(word) && b.get(end).is_some_and(|c| c.is_ascii_whitespace()) {
                            b[k..end].fill(b' ');
                            changed = true;
                        }
                    }
                }
                _ => {}
            }
            k += 1;
        }
    }
    changed
}

/// `*(T*)p` (dereference of a pointer cast) → `*_T__p`: the grammar cannot parse `*(` at all, a
/// dereference of one identifier parses everywhere, and the length stays the same.
fn blank_pointer_deref_casts(b: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'*' && b[i + 1] == b'(' {
            let start = i + 2;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            let stars = j;
            while j < b.len() && b[j] == b'*' {
                j += 1;
            }
            if j > stars && stars > start && b.get(j) == Some(&b')') {
                b[i + 1] = b'_';
                for c in &mut b[start..=j] {
                    if !(c.is_ascii_alphanumeric() || *c == b'_') {
                        *c = b'_';
                    }
                }
                changed = true;
                i = j;
            } else if unary_at(b, i)
                && let Some(close) = matching_paren(b, i + 1)
            {
                // `*(p + n)` (dereference of pointer arithmetic) → `_[p + n]`: an element
                // access, which parses wherever the dereference can stand, assignments included.
                b[i] = b'_';
                b[i + 1] = b'[';
                b[close] = b']';
                changed = true;
            }
        }
        i += 1;
    }
    changed
}

/// Whether the `*` at `i` is a prefix operator: what comes before it cannot end an operand.
fn unary_at(b: &[u8], i: usize) -> bool {
    let mut p = i;
    loop {
        let mut newline = false;
        while p > 0 && b[p - 1].is_ascii_whitespace() {
            newline |= b[p - 1] == b'\n';
            p -= 1;
        }
        if !newline {
            break;
        }
        // A `//` comment ending the line before says nothing about the operand before the `*`.
        // Only a line break leads here, so each line is read for this at most once per `*(`
        // that starts the next line: a long line of `*(` stays linear.
        let line = b[..p].iter().rposition(|c| *c == b'\n').map_or(0, |n| n + 1);
        match b[line..p].windows(2).position(|w| w == b"//") {
            Some(c) => p = line + c,
            None => break,
        }
    }
    if p == 0 {
        return true;
    }
    let c = b[p - 1];
    if c.is_ascii_alphanumeric() || c == b'_' {
        // An operand, unless the word is a keyword that takes an expression after it.
        let word_start =
            b[..p].iter().rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_')).map_or(0, |w| w + 1);
        return matches!(&b[word_start..p], b"return" | b"in" | b"case" | b"yield" | b"await" | b"throw");
    }
    !matches!(c, b')' | b']' | b'"' | b'\'')
}

/// The `)` closing the `(` at `open`, within [`PAREN_REACH`] and one expression.
fn matching_paren(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open).take(PAREN_REACH) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            b';' | b'{' | b'}' | b'"' | b'\'' => return None,
            _ => {}
        }
    }
    None
}

/// Blanks conditional groups whose branches do not balance their braces on their own (the
/// grammar parses every branch, the compiler only one): the directive lines and every branch but
/// the first become spaces, which is what the compiler sees when the first branch is active.
///
/// Linear in the text whatever the nesting: brace deltas come from one prefix sum, and groups
/// deeper than [`csharp::MAX_IF_DEPTH`] are left as they are.
fn blank_split_conditionals(b: &mut [u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else { return false };
    let dirs = csharp::directives(text);
    // Groups: (directive indices) with the brace delta of each branch.
    let mut stack: Vec<Vec<usize>> = Vec::new();
    let mut excess = 0usize;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        match d.kind {
            DirKind::If if stack.len() >= csharp::MAX_IF_DEPTH => excess += 1,
            DirKind::If => stack.push(vec![i]),
            DirKind::Endif if excess > 0 => excess -= 1,
            _ if excess > 0 => {}
            DirKind::Elif | DirKind::Else => {
                if let Some(g) = stack.last_mut() {
                    g.push(i)
                }
            }
            DirKind::Endif => {
                if let Some(mut g) = stack.pop() {
                    g.push(i);
                    groups.push(g);
                }
            }
        }
    }
    if groups.is_empty() {
        return false;
    }
    let braces = brace_prefix(b);
    let mut blank: Vec<(usize, usize)> = Vec::new();
    for g in &groups {
        let branch = |w: &[usize]| (dirs[w[0]].line.1, dirs[w[1]].line.0);
        let delta = |(s, e): (usize, usize)| braces[e.max(s)] - braces[s];
        // Alternative headers stop mid-declaration in every branch; a lone unfinished branch
        // is more likely a real error (a missing `;`) and stays visible.
        let split = g.windows(2).any(|w| delta(branch(w)) != 0)
            || (g.len() > 2 && g.windows(2).all(|w| is_fragment(text, branch(w))));
        if !split {
            continue;
        }
        for (k, &di) in g.iter().enumerate() {
            blank.push(dirs[di].line);
            if k >= 1 && k + 1 < g.len() {
                blank.push((dirs[di].line.1, dirs[g[k + 1]].line.0));
            }
        }
    }
    for (s, e) in &blank {
        for c in &mut b[*s..*e] {
            // Multi-byte sequences become spaces byte for byte, so the text stays UTF-8.
            if *c != b'\n' && *c != b'\r' {
                *c = b' ';
            }
        }
    }
    !blank.is_empty()
}

/// Whether an alternative branch stops mid-declaration or mid-statement, like the two headers of
/// `#if A class C : B, I #else class C : B #endif {`: parsed together they read as one broken
/// header. A branch ending in `;`, `{`, `}`, `]`, `,` or `:` ends where its alternatives can.
fn is_fragment(text: &str, (start, end): (usize, usize)) -> bool {
    let Some(branch) = text.get(start..end.max(start)) else { return false };
    // From the end: only the last non-blank line matters.
    let last = branch
        .lines()
        .rev()
        .map(|l| l.split("//").next().unwrap_or("").trim_end())
        .find(|l| !l.trim().is_empty());
    last.and_then(|l| l.chars().next_back()).is_some_and(|c| !matches!(c, ';' | '{' | '}' | ']' | ',' | ':'))
}

/// `out[i]` is the brace balance of `b[..i]`, counting braces outside double-quoted strings;
/// the string state restarts at each line (branches start at line starts).
fn brace_prefix(b: &[u8]) -> Vec<i64> {
    let mut out = Vec::with_capacity(b.len() + 1);
    let mut d = 0i64;
    let mut in_str = false;
    let mut prev = 0u8;
    out.push(0);
    for &c in b {
        match c {
            b'"' if prev != b'\\' => in_str = !in_str,
            b'\n' => in_str = false,
            b'{' if !in_str => d += 1,
            b'}' if !in_str => d -= 1,
            _ => {}
        }
        prev = c;
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scripts of tests/fixtures/valid and tests/fixtures/post9 (top level).
    fn fixture_entries() -> impl Iterator<Item = std::fs::DirEntry> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        ["valid", "post9"].into_iter().flat_map(move |d| std::fs::read_dir(root.join(d)).unwrap().flatten())
    }

    /// The walk skips the children of anonymous nodes and of the opaque kinds: they must have
    /// none that a rule could look at (tokens are leaves; opaque kinds hold tokens only).
    #[test]
    fn skipped_children_hold_nothing_for_the_rules() {
        let g = Grammar::get();
        let mut nodes = 0;
        for e in fixture_entries() {
            let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
            let tree = parse(&text).unwrap();
            let mut c = tree.walk();
            let mut stack = vec![tree.root_node()];
            while let Some(n) = stack.pop() {
                nodes += 1;
                let (_, descend) = g.classify(n);
                if !n.is_named() {
                    assert_eq!(n.child_count(), 0, "token `{}` with children", n.kind());
                }
                if !descend {
                    let mut inner: Vec<Node<'_>> = n.children(&mut c).collect();
                    while let Some(ch) = inner.pop() {
                        assert_eq!(g.classify(ch).0, K::Other, "{} in {}", ch.kind(), n.kind());
                        inner.extend(ch.children(&mut c));
                    }
                }
                stack.extend(n.children(&mut c));
            }
        }
        assert!(nodes > 10_000, "{nodes}");
    }

    /// The incremental re-parse after blanking must give exactly the tree a fresh parse gives,
    /// also next to real errors (the cases where tree-sitter's reuse is the most delicate).
    #[test]
    fn incremental_reparse_equals_fresh_parse() {
        let mut names: Vec<_> = fixture_entries().map(|e| e.path()).collect();
        names.retain(|p| p.extension().is_some_and(|e| e == "cs"));
        names.sort();
        let mut checked = 0;
        for (n, path) in names.iter().enumerate().take(12) {
            let base = std::fs::read_to_string(path).unwrap();
            let Some(at) = base.find("{\n") else { continue };
            let gap = format!("{}{{ var s = $\"\"; var r = *(int*)p; }}\n{}", &base[..at], &base[at + 2..]);
            // Real errors at a few places: a removed `;`, `)` or `}`.
            let cuts: Vec<usize> = gap
                .match_indices([';', ')', '}'])
                .map(|(i, _)| i)
                .filter(|i| i % 7 == n % 7)
                .take(4)
                .collect();
            for text in std::iter::once(gap.clone())
                .chain(cuts.iter().map(|&i| format!("{}{}", &gap[..i], &gap[i + 1..])))
            {
                let first = parse(&text).unwrap();
                if !first.root_node().has_error() {
                    continue;
                }
                let Some(fixed) = neutralize(&text) else { continue };
                let inc = reparse(&text, &fixed, first, &CancelToken::new()).unwrap();
                let fresh = parse(&fixed).unwrap();
                assert_eq!(shape_of(&inc), shape_of(&fresh), "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} cases");
    }

    #[test]
    fn neutralize_keeps_length() {
        for s in [
            "var s = $\"\";",
            "if (a is [1, .. var rest]) {}",
            "if (a is [.., var last]) {}",
            "var v = *(int*)p;",
            "#if A\nvoid M() {\n#else\nvoid N() {\n#endif\n}\n",
            "D d = (in int a, ref int b) => { b = a; };",
        ] {
            let n = neutralize(s).unwrap();
            assert_eq!(n.len(), s.len(), "{s}");
        }
        assert!(neutralize("var s = $\"\"\"raw\"\"\";").is_none());
        assert_eq!(neutralize("x = a *(int*)p;").unwrap(), "x = a *_int__p;");
        assert_eq!(neutralize("*(b + n) = *(b + (n - 1));").unwrap(), "_[b + n] = _[b + (n - 1)];");
        assert_eq!(neutralize("return *(p + 1);").unwrap(), "return _[p + 1];");
        assert_eq!(
            neutralize("x = 1; // to the end\n  *(p) = 2;").unwrap(),
            "x = 1; // to the end\n  _[p] = 2;"
        );
        // Multiplication stays.
        assert!(neutralize("x = a *(b + c); y = f() *(d); z = v[0] *(e);").is_none());
        assert_eq!(
            neutralize("E e = (in int a,\n  out int b) => a;").unwrap(),
            "E e = (   int a,\n      int b) => a;"
        );
        // Not a lambda's parameter list: an `out` argument, a `foreach`, a parameter named `in_x`.
        assert!(neutralize("F(out var x); foreach (var x in xs) { } G g = (int in_x) => in_x;").is_none());
    }
}
