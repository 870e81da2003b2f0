//! The context the walk keeps for the rules: the enclosing type, function, loop and `using`
//! frames, the locals in scope, and the questions rules ask about a node.

use std::collections::HashMap;

use tree_sitter::Node;

use super::classes::UnityKind;
use super::source::{K, Source};
use super::target::Target;
use super::tree::kids;

/// Facts about the enclosing type.
pub(crate) struct TypeFrame {
    pub unity: Option<UnityKind>,
    /// The type derives directly from a Unity base (`MonoBehaviour`…), so every inherited member
    /// is Unity's own; a project base class may declare members of any name.
    pub direct_unity_base: bool,
    /// Methods declared in the type returning IEnumerator.
    pub coroutines: Vec<String>,
    /// All method names declared in the type.
    pub methods: Vec<String>,
    /// Field names declared in the type.
    pub fields: Vec<String>,
    /// Declared (name, type text) of the type's fields and properties.
    pub field_types: Vec<(String, String)>,
}

/// Facts about the enclosing function (method, local function, lambda).
pub(crate) struct FuncFrame {
    pub name: String,
    /// `Update`, `FixedUpdate` or `LateUpdate` of a MonoBehaviour (inherited by local functions).
    pub per_frame: Option<&'static str>,
    /// Parameters that can carry text (numbers and bools cannot steer a file path anywhere).
    pub params: Vec<String>,
    pub lambda: bool,
    /// Whether the function is private to its type (no access modifier or `private`), so its
    /// parameters come from inside the type; lambdas and local functions inherit it.
    pub private: bool,
    /// (name, type text) of every parameter and local declared so far; `var` locals get the type
    /// their initializer shows (`GetComponent<T>()`, `new T()`, `as T`), else stay `var`.
    pub declared: Vec<(String, String)>,
}

pub(crate) enum Frame {
    Type(TypeFrame),
    Func(FuncFrame),
    Loop,
    Using,
}

/// What the rules see besides the node.
pub(crate) struct Ctx<'s> {
    pub src: &'s Source<'s>,
    pub known: &'s HashMap<String, UnityKind>,
    /// File stem when the name ends in `.cs`.
    pub stem: Option<String>,
    /// Whether the file lives under an `Editor` folder (editor-only assembly).
    pub editor_folder: bool,
    /// Whether `using UnityEditor` appears inside `#if UNITY_EDITOR`.
    pub editor_using_guarded: bool,
    /// Whether `using UnityEditor` appears unguarded (already reported).
    pub editor_using_unguarded: bool,
    pub uses_http_client: bool,
    pub uses_web_client: bool,
    /// Whether `tag` occurs in the text at all: without it no tag comparison can exist, and the
    /// rule skips the field look-ups on every binary expression.
    pub mentions_tag: bool,
    /// String constants and initialised string fields of the file: name → literal content.
    pub strings: HashMap<String, String>,
    /// Open frames, each with the tree depth of the node that opened it (push and pop through
    /// [`Ctx::push_frame`] / [`Ctx::pop_frame`], which keep the indexes below in step).
    pub frames: Vec<(usize, Frame)>,
    /// Indexes in `frames` of the open type frames and function frames.
    type_frames: Vec<usize>,
    func_frames: Vec<usize>,
    /// Declared names in scope → (frame index, type text), innermost last.
    scope: HashMap<String, Vec<(usize, String)>>,
    /// Ids of identifiers that are the member name of a member access (`x.Name`), recorded when
    /// the access is entered so a rule on the identifier need not ask for its parent (a
    /// tree-sitter parent look-up walks down from the root: quadratic on deep nesting). A stack:
    /// the name is the access's last child, so every access entered after it has had its name
    /// visited (and popped) before it; its depth is the nesting of member accesses.
    pub member_names: Vec<usize>,
    /// Id of the expression of the `yield return` being walked (same reason as `member_names`).
    pub yielded: Option<usize>,
    /// Byte range of the outermost `*` product last looked at by the vector-math rule, so the
    /// inner links of the same product are not looked at again.
    pub product: std::ops::Range<usize>,
    /// Class name → first base, for the file (computed on first use).
    pub class_bases: Option<HashMap<String, String>>,
    pub top_level_reported: bool,
    /// The Unity version and C# the file must compile with.
    pub target: Target,
    /// Byte ranges the target version never compiles (`#if UNITY_6000_0_OR_NEWER` in 2022.3):
    /// version rules skip them.
    pub off_target: Vec<std::ops::Range<usize>>,
    /// Whether the file has `#if` groups: the keyword rule and SPK1003 then leave the whole file
    /// to the per-configuration parses (see [`super::preproc`]).
    pub conditional: bool,
    /// Values the security rules track within the method being walked.
    pub sec: super::security::Locals,
}

impl<'s> Ctx<'s> {
    /// The context at the top of `file` (its path decides the class-name and `Editor/` rules).
    pub fn new(
        src: &'s Source<'s>,
        file: &str,
        known: &'s HashMap<String, UnityKind>,
        target: Target,
    ) -> Self {
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = base
            .len()
            .checked_sub(3)
            .filter(|&i| base.is_char_boundary(i) && base[i..].eq_ignore_ascii_case(".cs"))
            .map(|i| base[..i].to_string());
        let editor_folder = file.split(['/', '\\']).rev().skip(1).any(|c| c.eq_ignore_ascii_case("editor"));
        let mut ctx = Ctx {
            src,
            known,
            stem,
            editor_folder,
            editor_using_guarded: false,
            editor_using_unguarded: false,
            uses_http_client: src.scan.contains("HttpClient"),
            uses_web_client: src.scan.contains("WebClient"),
            mentions_tag: src.scan.contains("tag"),
            strings: HashMap::new(),
            frames: Vec::new(),
            type_frames: Vec::new(),
            func_frames: Vec::new(),
            scope: HashMap::new(),
            class_bases: None,
            product: 0..0,
            member_names: Vec::new(),
            yielded: None,
            top_level_reported: false,
            target,
            off_target: Vec::new(),
            conditional: !src.conditional.is_empty(),
            sec: Default::default(),
        };
        if src.text.contains("UNITY_") && src.text.contains("#if") {
            ctx.off_target = crate::csharp::version_regions(src.text, ctx.target.unity);
        }
        ctx
    }

    pub fn type_frame(&self) -> Option<&TypeFrame> {
        match self.frames.get(*self.type_frames.last()?) {
            Some((_, Frame::Type(t))) => Some(t),
            _ => None,
        }
    }

    /// The enclosing Unity object type, when the code is directly in one (not in a nested
    /// non-Unity type).
    pub fn unity_type(&self) -> Option<(&TypeFrame, UnityKind)> {
        let t = self.type_frame()?;
        t.unity.map(|k| (t, k))
    }

    /// Index in `frames` of the innermost type frame (0 when none: every frame is above it).
    fn type_floor(&self) -> usize {
        self.type_frames.last().copied().unwrap_or(0)
    }

    /// The nearest function frame inside the innermost type.
    pub fn func(&self) -> Option<&FuncFrame> {
        let i = *self.func_frames.last()?;
        if !self.type_frames.is_empty() && i < self.type_floor() {
            return None;
        }
        match self.frames.get(i) {
            Some((_, Frame::Func(f))) => Some(f),
            _ => None,
        }
    }

    /// Opens a frame. Frames are looked up through index stacks and a name map, never by
    /// scanning: deeply nested input (100,000 nested lambdas) must stay linear.
    pub fn push_frame(&mut self, depth: usize, f: Frame) {
        let i = self.frames.len();
        match &f {
            Frame::Type(t) => {
                self.type_frames.push(i);
                for (n, ty) in &t.field_types {
                    self.scope.entry(n.clone()).or_default().push((i, ty.clone()));
                }
            }
            Frame::Func(fr) => {
                self.func_frames.push(i);
                for (n, ty) in &fr.declared {
                    self.scope.entry(n.clone()).or_default().push((i, ty.clone()));
                }
            }
            _ => {}
        }
        self.frames.push((depth, f));
    }

    /// Closes the innermost frame and forgets the names it declared.
    pub fn pop_frame(&mut self) {
        let Some((_, f)) = self.frames.pop() else { return };
        let names: Vec<&String> = match &f {
            Frame::Type(t) => {
                self.type_frames.pop();
                t.field_types.iter().map(|(n, _)| n).collect()
            }
            Frame::Func(fr) => {
                self.func_frames.pop();
                fr.declared.iter().map(|(n, _)| n).collect()
            }
            _ => Vec::new(),
        };
        for n in names {
            if let Some(v) = self.scope.get_mut(n.as_str()) {
                v.pop();
                if v.is_empty() {
                    self.scope.remove(n.as_str());
                }
            }
        }
    }

    /// Records a local of the innermost function.
    pub fn declare(&mut self, name: String, ty: String) {
        let Some(&i) = self.func_frames.last() else { return };
        if !self.type_frames.is_empty() && i < self.type_floor() {
            return;
        }
        self.scope.entry(name.clone()).or_default().push((i, ty.clone()));
        if let Some((_, Frame::Func(fr))) = self.frames.get_mut(i) {
            fr.declared.push((name, ty));
        }
    }

    /// The per-frame Unity message this code runs in (not through a lambda).
    pub fn per_frame(&self) -> Option<&'static str> {
        self.func().filter(|f| !f.lambda).and_then(|f| f.per_frame)
    }

    /// Whether the node is inside a loop of the current function.
    pub fn in_loop(&self) -> bool {
        for (_, f) in self.frames.iter().rev() {
            match f {
                Frame::Loop => return true,
                Frame::Func(_) | Frame::Type(_) => return false,
                _ => {}
            }
        }
        false
    }

    pub fn in_using(&self) -> bool {
        matches!(self.frames.last(), Some((_, Frame::Using)))
    }

    /// The declared type of a name visible here: locals and parameters of the enclosing functions
    /// (innermost first), then fields of the enclosing type.
    pub fn type_of(&self, name: &str) -> Option<&str> {
        let (i, t) = self.scope.get(name)?.last()?;
        (*i >= self.type_floor()).then_some(t.as_str())
    }

    /// Whether the enclosing function takes its input from inside its type only.
    pub fn private_func(&self) -> bool {
        self.func().is_some_and(|f| f.private)
    }

    /// Parameter names of the enclosing functions up to the type.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        // Bounded: a path built from a parameter 64 lambdas out is beyond any real script, and
        // an unbounded look-up per file call would be quadratic in nesting depth.
        self.frames
            .iter()
            .rev()
            .take(MAX_PARAM_FRAMES)
            .take_while(|(_, f)| !matches!(f, Frame::Type(_)))
            .filter_map(|(_, f)| if let Frame::Func(fr) = f { Some(fr) } else { None })
            .flat_map(|f| f.params.iter().map(String::as_str))
    }

    pub fn t(&self, n: Node<'_>) -> &'s str {
        self.src.scan.get(n.byte_range()).unwrap_or("")
    }

    pub fn kind(&self, n: Node<'_>) -> K {
        self.src.g.kind(n)
    }

    pub fn field<'t>(&self, n: Node<'t>, f: u16) -> Option<Node<'t>> {
        n.child_by_field_id(f)
    }

    /// Records `name`, an identifier, as the member name of the access being entered.
    pub fn push_member_name(&mut self, name: Node<'_>) {
        self.member_names.push(name.id());
    }

    /// Whether identifier `n` is the member name of an access (see [`Ctx::member_names`]); it is
    /// forgotten once asked.
    pub fn take_member_name(&mut self, n: Node<'_>) -> bool {
        if self.member_names.last() == Some(&n.id()) {
            self.member_names.pop();
            return true;
        }
        false
    }

    /// Whether the target Unity version compiles the code at `byte`.
    pub fn on_target(&self, byte: usize) -> bool {
        let after = self.off_target.partition_point(|r| r.start <= byte);
        after == 0 || byte >= self.off_target[after - 1].end
    }

    /// Whether a byte offset only compiles in the editor.
    pub fn editor_only(&self, byte: usize) -> bool {
        self.editor_folder || self.src.in_editor_region(byte)
    }
}

/// How many enclosing frames [`Ctx::params`] looks through.
const MAX_PARAM_FRAMES: usize = 64;

/// A call's target: `Name(…)`, `Name<T>(…)`, `recv.Name(…)`.
pub(crate) struct Callee<'t> {
    pub name: &'t str,
    pub generic: bool,
    pub receiver: Option<Node<'t>>,
}

impl<'s> Ctx<'s> {
    pub fn callee<'t>(&self, inv: Node<'t>) -> Option<Callee<'t>>
    where
        's: 't,
    {
        let f = self.field(inv, self.src.g.f.function)?;
        self.target(f)
    }

    /// Splits a (possibly generic, possibly member-access) name.
    pub fn target<'t>(&self, f: Node<'t>) -> Option<Callee<'t>>
    where
        's: 't,
    {
        let (receiver, name_node) = match self.kind(f) {
            K::MemberAccess => (self.field(f, self.src.g.f.expression), self.field(f, self.src.g.f.name)?),
            K::Identifier | K::GenericName => (None, f),
            _ => return None,
        };
        let (name_node, generic) = if self.kind(name_node) == K::GenericName {
            (name_node.named_child(0)?, true)
        } else {
            (name_node, false)
        };
        Some(Callee { name: self.t(name_node), generic, receiver })
    }

    /// Argument expressions of an invocation or object creation.
    pub fn args<'t>(&self, call: Node<'t>) -> Vec<Node<'t>> {
        let Some(list) = self.field(call, self.src.g.f.arguments) else { return Vec::new() };
        kids(list)
            .filter(|a| self.kind(*a) == K::Argument)
            .filter_map(|a| a.named_child(a.named_child_count().saturating_sub(1) as u32))
            .collect()
    }

    /// The `i`-th argument expression, without allocating.
    pub fn arg<'t>(&self, call: Node<'t>, i: usize) -> Option<Node<'t>> {
        let list = self.field(call, self.src.g.f.arguments)?;
        let a = kids(list).filter(|a| self.kind(*a) == K::Argument).nth(i)?;
        a.named_child(a.named_child_count().saturating_sub(1) as u32)
    }

    /// Whether `recv` is absent or `this`/`base`.
    pub fn is_self(&self, recv: Option<Node<'_>>) -> bool {
        match recv {
            None => true,
            Some(r) => matches!(self.t(r), "this" | "base"),
        }
    }

    /// The receiver's text with a `UnityEngine.`/`System.…` qualifier removed.
    pub fn recv_name(&self, recv: Option<Node<'_>>) -> &'s str {
        match recv {
            None => "",
            Some(r) => {
                let t = self.t(r);
                t.rsplit('.').next().unwrap_or(t)
            }
        }
    }

    /// The content of a plain string literal node (`"…"`, `@"…"`, raw), or `None`.
    pub fn literal(&self, n: Node<'_>) -> Option<&'s str> {
        let t = self.t(n);
        match self.kind(n) {
            K::StringLiteral => t.strip_prefix('"').and_then(|s| s.strip_suffix('"')),
            K::VerbatimString => t.strip_prefix("@\"").and_then(|s| s.strip_suffix('"')),
            K::RawString => Some(t.trim_matches('"')),
            _ => None,
        }
    }
}

/// Facts about the current node shared by the Unity and security rules.
pub(crate) enum Pre<'t> {
    None,
    /// The node's text (identifiers, member accesses, modifiers).
    Text(&'t str),
    /// The target of an invocation.
    Callee(Option<Callee<'t>>),
}

impl<'t> Pre<'t> {
    pub fn text(&self) -> &'t str {
        match self {
            Pre::Text(t) => t,
            _ => "",
        }
    }

    pub fn callee(&self) -> Option<&Callee<'t>> {
        match self {
            Pre::Callee(c) => c.as_ref(),
            _ => None,
        }
    }
}

/// The type an initializer evidently has: `new T(…)`, `x as T`, `(T)x`, and the generic Unity
/// look-ups that return their type argument (`GetComponent<T>()`, `AddComponent<T>()`…).
pub(crate) fn infer_type<'s>(expr: Node<'_>, ctx: &Ctx<'s>) -> Option<&'s str> {
    let g = ctx.src.g;
    match ctx.kind(expr) {
        K::ObjectCreation | K::Cast => ctx.field(expr, g.f.type_).map(|t| ctx.t(t)),
        K::Invocation => {
            let f = ctx.field(expr, g.f.function)?;
            let name = match ctx.kind(f) {
                K::MemberAccess => ctx.field(f, g.f.name)?,
                _ => f,
            };
            if ctx.kind(name) != K::GenericName {
                return None;
            }
            let method = ctx.t(name.named_child(0)?);
            let returns_arg = matches!(
                method,
                "GetComponent"
                    | "GetComponentInChildren"
                    | "GetComponentInParent"
                    | "AddComponent"
                    | "FindObjectOfType"
                    | "FindAnyObjectByType"
                    | "FindFirstObjectByType"
                    | "Instantiate"
                    | "Load"
                    | "CreateInstance"
            );
            let args = name.named_child(1)?;
            (returns_arg && args.named_child_count() == 1)
                .then(|| args.named_child(0))
                .flatten()
                .map(|t| ctx.t(t))
        }
        K::AsExpression => ctx.field(expr, g.f.right).map(|t| ctx.t(t)),
        // `var speed = 5f;`, `var up = Vector3.up;`: what a literal or a vector constant is.
        K::Other => literal_type(ctx.t(expr), expr.kind()),
        K::MemberAccess => {
            let recv = ctx.t(ctx.field(expr, g.f.expression)?);
            vector_constant(
                recv.strip_prefix("UnityEngine.").unwrap_or(recv),
                ctx.t(ctx.field(expr, g.f.name)?),
            )
        }
        _ => None,
    }
}

/// The name and type of variable declarator `v` of a declaration of type `ty`: `var` takes the
/// type its initializer shows (see [`infer_type`]), else stays `var`.
pub(crate) fn declarator<'s>(v: Node<'_>, ty: &'s str, ctx: &Ctx<'s>) -> Option<(&'s str, &'s str)> {
    let n = ctx.field(v, ctx.src.g.f.name)?;
    // Without an initializer the last named child is the name itself.
    let init = v.named_child(v.named_child_count().saturating_sub(1) as u32).filter(|i| i.id() != n.id());
    let t = match (ty, init) {
        ("var", Some(i)) => infer_type(i, ctx).unwrap_or("var"),
        _ => ty,
    };
    Some((ctx.t(n), t))
}

/// The vector type of a vector constant (`Vector3.up`, `Vector2.zero`): `recv` without its
/// `UnityEngine.` prefix.
pub(crate) fn vector_constant<'r>(recv: &'r str, name: &str) -> Option<&'r str> {
    let constant = matches!(name, "up" | "down" | "left" | "right" | "forward" | "back" | "one" | "zero");
    (constant && matches!(recv, "Vector2" | "Vector3" | "Vector4")).then_some(recv)
}

/// The C# type of a numeric literal (`5` int, `5u` uint, `5L` long, `2f` float, `2.0` double,
/// `2m` decimal); `None` for other nodes.
pub(crate) fn literal_type(text: &str, kind: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    let last = |n: usize| b.len().checked_sub(n).map(|i| b[i].to_ascii_lowercase());
    match kind {
        "integer_literal" => Some(match (last(2), last(1)) {
            (Some(b'u'), Some(b'l')) | (Some(b'l'), Some(b'u')) => "ulong",
            (_, Some(b'l')) => "long",
            (_, Some(b'u')) => "uint",
            _ => "int",
        }),
        "real_literal" => Some(match last(1) {
            Some(b'f') => "float",
            Some(b'm') => "decimal",
            _ => "double",
        }),
        _ => None,
    }
}
