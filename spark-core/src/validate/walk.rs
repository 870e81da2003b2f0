//! The single walk over a file's tree: keeps the context rules need (enclosing type, method,
//! loop) and hands every node to the Unity and security rules.

use std::collections::HashMap;

use tree_sitter::Node;

use super::Sink;
use super::source::{K, Source};
use super::{security, unity};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// The Unity base a class derives from, as far as syntax tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum UnityKind {
    MonoBehaviour,
    ScriptableObject,
    Editor,
    EditorWindow,
    StateMachineBehaviour,
}

impl UnityKind {
    /// MonoBehaviour and everything deriving from it.
    pub fn is_mono(self) -> bool {
        self == UnityKind::MonoBehaviour
    }
}

/// Unity types whose subclasses are MonoBehaviours or ScriptableObjects.
const BUILTIN_BASES: &[(&str, UnityKind)] = &[
    ("MonoBehaviour", UnityKind::MonoBehaviour),
    ("NetworkBehaviour", UnityKind::MonoBehaviour),
    ("UIBehaviour", UnityKind::MonoBehaviour),
    ("Graphic", UnityKind::MonoBehaviour),
    ("MaskableGraphic", UnityKind::MonoBehaviour),
    ("Selectable", UnityKind::MonoBehaviour),
    ("BaseMeshEffect", UnityKind::MonoBehaviour),
    ("BaseRaycaster", UnityKind::MonoBehaviour),
    ("BaseInputModule", UnityKind::MonoBehaviour),
    ("PointerInputModule", UnityKind::MonoBehaviour),
    ("LayoutGroup", UnityKind::MonoBehaviour),
    ("ScriptableObject", UnityKind::ScriptableObject),
    ("PlayableAsset", UnityKind::ScriptableObject),
    ("ScriptableRendererFeature", UnityKind::ScriptableObject),
    ("ScriptableSingleton", UnityKind::ScriptableObject),
    ("Editor", UnityKind::Editor),
    ("EditorWindow", UnityKind::EditorWindow),
    ("ScriptableWizard", UnityKind::EditorWindow),
    ("StateMachineBehaviour", UnityKind::StateMachineBehaviour),
];

/// A class declaration found before the walk (for inheritance resolution).
#[derive(Debug, Clone)]
pub(crate) struct ClassDecl {
    pub name: String,
    /// The first base type, without qualifier or type arguments.
    pub base: Option<String>,
}

/// The last simple name of a type (`UnityEngine.MonoBehaviour` → `MonoBehaviour`,
/// `Singleton<T>` → `Singleton`).
pub(crate) fn simple_name(text: &str) -> &str {
    let head = text.split('<').next().unwrap_or(text);
    let last = head.rsplit(['.', ':']).next().unwrap_or(head);
    last.trim()
}

/// Class declarations of a file (namespaces and nested types included, method bodies skipped).
pub(crate) fn collect_classes(src: &Source<'_>) -> Vec<ClassDecl> {
    let g = src.g;
    let mut out = Vec::new();
    let mut stack = vec![src.tree.root_node()];
    while let Some(n) = stack.pop() {
        let mut c = n.walk();
        for ch in n.named_children(&mut c) {
            match g.kind(ch) {
                K::Class | K::Record => {
                    let name =
                        ch.child_by_field_id(g.f.name).map(|x| src.t(x).to_string()).unwrap_or_default();
                    let base = base_list(ch, src)
                        .and_then(|b| b.named_child(0))
                        .map(|b| simple_name(src.t(b)).to_string());
                    out.push(ClassDecl { name, base });
                    if let Some(body) = ch.child_by_field_id(g.f.body) {
                        stack.push(body);
                    }
                }
                K::Namespace | K::DeclarationList | K::Struct => {
                    if let Some(body) = ch.child_by_field_id(g.f.body) {
                        stack.push(body);
                    } else {
                        stack.push(ch);
                    }
                }
                _ if n.is_error() || ch.is_error() => stack.push(ch),
                _ => {}
            }
        }
    }
    out
}

pub(crate) fn base_list<'t>(class: Node<'t>, src: &Source<'_>) -> Option<Node<'t>> {
    kids(class).find(|n| src.g.kind(*n) == K::BaseList)
}

/// Which class names are Unity objects: the built-in bases plus every class deriving from one,
/// transitively.
pub(crate) fn resolve_unity<'a>(
    classes: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> HashMap<String, UnityKind> {
    let mut map: HashMap<String, UnityKind> =
        BUILTIN_BASES.iter().map(|(n, k)| (n.to_string(), *k)).collect();
    let pending: Vec<(&str, &str)> = classes.filter_map(|(n, b)| b.map(|b| (n, b))).collect();
    loop {
        let mut changed = false;
        for (name, base) in &pending {
            if map.contains_key(*name) {
                continue;
            }
            if let Some(k) = map.get(*base).copied() {
                map.insert(name.to_string(), k);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    map
}

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
    /// tree-sitter parent look-up walks down from the root: quadratic on deep nesting).
    pub member_names: std::collections::HashSet<usize>,
    /// Id of the expression of the `yield return` being walked (same reason as `member_names`).
    pub yielded: Option<usize>,
    /// Class name → first base, for the file (computed on first use).
    pub class_bases: Option<HashMap<String, String>>,
    pub top_level_reported: bool,
    /// The Unity version and C# the file must compile with.
    pub target: super::rules::version::Target,
    /// Byte ranges the target version never compiles (`#if UNITY_6000_0_OR_NEWER` in 2022.3):
    /// version rules skip them.
    pub off_target: Vec<std::ops::Range<usize>>,
}

impl<'s> Ctx<'s> {
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
    fn declare(&mut self, name: String, ty: String) {
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

/// Walks the whole tree once.
pub(crate) fn walk(
    src: &Source<'_>,
    file: &str,
    known: &HashMap<String, UnityKind>,
    sink: &mut Sink<'_>,
    cancel: &CancelToken,
) -> Result<()> {
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
        member_names: std::collections::HashSet::new(),
        yielded: None,
        top_level_reported: false,
        target: super::rules::version::Target::of(sink.config.unity_version.as_deref()),
        off_target: Vec::new(),
    };
    if src.text.contains("UNITY_") && src.text.contains("#if") {
        ctx.off_target = crate::csharp::version_regions(src.text, ctx.target.unity);
    }
    let mut rules = Rules { ctx: &mut ctx, sink, cancel, nodes: 0, stopped: None };
    preorder(src.tree.root_node(), &mut rules);
    rules.stopped.map_or(Ok(()), Err)
}

/// How many nodes the walk visits between two looks at the cancel token.
const CHECK_EVERY: u32 = 4096;

/// What [`preorder`] calls on the way.
pub(crate) trait Visit<'t> {
    /// A node, `depth` ancestors deep; returns whether to visit its children.
    fn enter(&mut self, node: Node<'t>, depth: usize) -> bool;
    /// The node entered at `depth` and everything below it are done.
    fn leave(&mut self, depth: usize);
    /// Whether the walk must end now (asked after every `enter`).
    fn stop(&self) -> bool {
        false
    }
}

struct Rules<'c, 's, 'k> {
    ctx: &'c mut Ctx<'s>,
    sink: &'c mut Sink<'k>,
    cancel: &'c CancelToken,
    nodes: u32,
    /// Why the walk stopped early.
    stopped: Option<Error>,
}

impl<'t> Visit<'t> for Rules<'_, '_, '_> {
    fn enter(&mut self, node: Node<'t>, depth: usize) -> bool {
        self.nodes = self.nodes.wrapping_add(1);
        if self.nodes.is_multiple_of(CHECK_EVERY)
            && let Err(e) = self.cancel.check()
        {
            self.stopped = Some(e);
            return false;
        }
        enter(node, depth, self.ctx, self.sink)
    }

    fn stop(&self) -> bool {
        self.stopped.is_some()
    }

    fn leave(&mut self, depth: usize) {
        while self.ctx.frames.last().is_some_and(|(d, _)| *d >= depth) {
            self.ctx.pop_frame();
        }
    }
}

/// Visits the tree under `root` in document order, without recursion.
///
/// Children are taken by index (`Node::child(i)`) under parents with a few children: each call
/// restarts from the first child, but for small parents that costs about half of a `TreeCursor`
/// step, and the steps are most of the walk's cost. Wide parents (long blocks, class bodies,
/// big initialisers) are listed once with a cursor so no parent is quadratic.
pub(crate) fn preorder<'t>(root: Node<'t>, v: &mut impl Visit<'t>) {
    struct Level<'t> {
        node: Node<'t>,
        next: u32,
        count: u32,
        /// The children of a wide parent, listed with the cursor; empty otherwise.
        kids: Vec<Node<'t>>,
    }
    let mut cursor = root.walk();
    let mut stack: Vec<Level<'t>> = Vec::new();
    let mut node = root;
    loop {
        let depth = stack.len();
        let count = if v.enter(node, depth) { node.child_count() } else { 0 };
        if v.stop() {
            return;
        }
        if count > 0 {
            let mut kids = Vec::new();
            if count > NARROW {
                cursor.reset(node);
                if cursor.goto_first_child() {
                    kids.reserve(count as usize);
                    loop {
                        kids.push(cursor.node());
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                }
            }
            stack.push(Level { node, next: 0, count, kids });
        } else {
            v.leave(depth);
        }
        // The next node: the next child of the deepest parent that has one left.
        loop {
            let Some(top) = stack.last_mut() else { return };
            if top.next < top.count {
                let i = top.next;
                top.next += 1;
                let next =
                    if top.kids.is_empty() { top.node.child(i) } else { top.kids.get(i as usize).copied() };
                if let Some(n) = next {
                    node = n;
                    break;
                }
                top.next = top.count;
                continue;
            }
            stack.pop();
            v.leave(stack.len());
        }
    }
}

/// Parents with at most this many children are walked by child index.
const NARROW: u32 = 16;

/// The children of a node (named and anonymous), by index when there are few of them, else with
/// a cursor; see [`preorder`] for why.
pub(crate) fn kids<'t>(node: Node<'t>) -> Kids<'t> {
    let count = node.child_count();
    let cursor = (count > NARROW).then(|| node.walk());
    Kids { node, next: 0, count, cursor }
}

pub(crate) struct Kids<'t> {
    node: Node<'t>,
    next: u32,
    count: u32,
    cursor: Option<tree_sitter::TreeCursor<'t>>,
}

impl<'t> Iterator for Kids<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        if self.next >= self.count {
            return None;
        }
        self.next += 1;
        match &mut self.cursor {
            None => self.node.child(self.next - 1),
            Some(c) => {
                let moved = if self.next == 1 { c.goto_first_child() } else { c.goto_next_sibling() };
                if moved {
                    Some(c.node())
                } else {
                    self.next = self.count;
                    None
                }
            }
        }
    }
}

/// Runs the rules on one node and opens its frame; returns whether its children matter.
fn enter(node: Node<'_>, depth: usize, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) -> bool {
    let (k, descend) = ctx.src.g.classify(node);
    if k == K::Other {
        return descend;
    }
    // What several rules of both families need, computed once per node.
    let pre = match k {
        K::Identifier | K::MemberAccess | K::Modifier => Pre::Text(ctx.t(node)),
        K::Invocation => Pre::Callee(ctx.callee(node)),
        _ => Pre::None,
    };
    unity::enter(node, k, &pre, ctx, sink);
    security::enter(node, k, &pre, ctx, sink);
    super::rules::version::enter(node, k, ctx, sink);
    super::rules::api::enter(node, k, ctx, sink);
    super::rules::nullsafety::enter(node, k, ctx, sink);
    // Frames are pushed after the rules so a declaration's own rules see the outer context.
    let frame = match k {
        K::Class | K::Struct | K::Record | K::Interface => Some(Frame::Type(type_frame(node, ctx))),
        K::Method | K::Constructor | K::LocalFunction => {
            let name = ctx.field(node, ctx.src.g.f.name).map(|n| ctx.t(n).to_string()).unwrap_or_default();
            let inherited = if k == K::LocalFunction { ctx.per_frame() } else { None };
            let per_frame = match (k, ctx.unity_type()) {
                (K::Method, Some((_, kind))) if kind.is_mono() => match name.as_str() {
                    "Update" => Some("Update"),
                    "FixedUpdate" => Some("FixedUpdate"),
                    "LateUpdate" => Some("LateUpdate"),
                    _ => None,
                },
                _ => inherited,
            };
            let params = param_names(node, ctx);
            let private = match k {
                K::LocalFunction => ctx.private_func(),
                _ => !kids(node).any(|m| {
                    ctx.kind(m) == K::Modifier && matches!(ctx.t(m), "public" | "protected" | "internal")
                }),
            };
            let declared = param_types(node, ctx);
            Some(Frame::Func(FuncFrame { name, per_frame, params, lambda: false, private, declared }))
        }
        K::Lambda | K::AnonymousMethod => Some(Frame::Func(FuncFrame {
            name: String::new(),
            per_frame: None,
            params: param_names(node, ctx),
            lambda: true,
            private: ctx.private_func(),
            declared: param_types(node, ctx),
        })),
        K::VariableDeclaration | K::Foreach => {
            declare_locals(node, k, ctx);
            (k == K::Foreach).then_some(Frame::Loop)
        }
        K::For | K::While | K::Do => Some(Frame::Loop),
        K::Using => Some(Frame::Using),
        _ => None,
    };
    if let Some(f) = frame {
        ctx.push_frame(depth, f);
    }
    descend
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

/// (name, type text) of a function's parameters.
fn param_types(node: Node<'_>, ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let g = ctx.src.g;
    let Some(list) = ctx.field(node, g.f.parameters) else { return Vec::new() };
    kids(list)
        .filter(|p| ctx.kind(*p) == K::Parameter)
        .filter_map(|p| {
            let name = ctx.t(ctx.field(p, g.f.name)?).to_string();
            let ty = ctx.field(p, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
            Some((name, ty.to_string()))
        })
        .collect()
}

/// Records the locals a declaration (or a `foreach` variable) introduces in the innermost
/// function frame.
fn declare_locals(node: Node<'_>, k: K, ctx: &mut Ctx<'_>) {
    let g = ctx.src.g;
    let ty = ctx.field(node, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
    let mut found: Vec<(String, String)> = Vec::new();
    if k == K::Foreach {
        if let Some(n) = node.child_by_field_name("left").filter(|n| ctx.kind(*n) == K::Identifier) {
            found.push((ctx.t(n).to_string(), ty.to_string()));
        }
    } else {
        for v in kids(node).filter(|v| ctx.kind(*v) == K::VariableDeclarator) {
            let Some(n) = ctx.field(v, g.f.name) else { continue };
            let init =
                v.named_child(v.named_child_count().saturating_sub(1) as u32).filter(|i| i.id() != n.id());
            let t = match (ty, init) {
                ("var", Some(i)) => infer_type(i, ctx).unwrap_or("var"),
                _ => ty,
            };
            found.push((ctx.t(n).to_string(), t.to_string()));
        }
    }
    for (name, ty) in found {
        ctx.declare(name, ty);
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
        _ => None,
    }
}

fn param_names(node: Node<'_>, ctx: &Ctx<'_>) -> Vec<String> {
    let Some(list) = ctx.field(node, ctx.src.g.f.parameters) else { return Vec::new() };
    if ctx.kind(list) == K::Identifier {
        return vec![ctx.t(list).to_string()];
    }
    kids(list)
        .filter(|p| ctx.kind(*p) == K::Parameter)
        .filter(|p| !ctx.field(*p, ctx.src.g.f.type_).is_some_and(|t| is_scalar(ctx.t(t))))
        .filter_map(|p| ctx.field(p, ctx.src.g.f.name).map(|n| ctx.t(n).to_string()))
        .collect()
}

/// Built-in numeric and bool types: their text form holds no path separator or `..`.
fn is_scalar(t: &str) -> bool {
    matches!(
        t.trim(),
        "int"
            | "uint"
            | "long"
            | "ulong"
            | "short"
            | "ushort"
            | "byte"
            | "sbyte"
            | "float"
            | "double"
            | "decimal"
            | "bool"
    )
}

fn type_frame(node: Node<'_>, ctx: &mut Ctx<'_>) -> TypeFrame {
    let g = ctx.src.g;
    let base = if ctx.kind(node) == K::Class {
        base_list(node, ctx.src).and_then(|b| b.named_child(0)).map(|b| simple_name(ctx.t(b)))
    } else {
        None
    };
    let unity = base.and_then(|b| ctx.known.get(b).copied());
    let direct_unity_base = base.is_some_and(|b| BUILTIN_BASES.iter().any(|(n, _)| *n == b));
    let mut tf = TypeFrame {
        unity,
        direct_unity_base,
        coroutines: Vec::new(),
        methods: Vec::new(),
        fields: Vec::new(),
        field_types: Vec::new(),
    };
    let Some(body) = ctx.field(node, g.f.body) else { return tf };
    // Kinds are only given to named nodes, so all children filtered by kind are the named ones.
    for m in kids(body) {
        match ctx.kind(m) {
            K::Method => {
                let Some(n) = ctx.field(m, g.f.name) else { continue };
                let mname = ctx.t(n).to_string();
                if let Some(r) = ctx.field(m, g.f.returns) {
                    let rt = ctx.t(r);
                    if simple_name(rt) == "IEnumerator" {
                        tf.coroutines.push(mname.clone());
                    }
                }
                tf.methods.push(mname);
            }
            K::FieldDeclaration | K::PropertyDeclaration => {
                let decl = kids(m).find(|x| ctx.kind(*x) == K::VariableDeclaration);
                if let Some(decl) = decl {
                    let ty = ctx.field(decl, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
                    for v in kids(decl).filter(|x| g.kind(*x) == K::VariableDeclarator) {
                        let Some(n) = ctx.field(v, g.f.name) else { continue };
                        let fname = ctx.t(n).to_string();
                        tf.field_types.push((fname.clone(), ty.to_string()));
                        if let Some(val) = v.named_child(v.named_child_count().saturating_sub(1) as u32)
                            && let Some(lit) = ctx.literal(val)
                        {
                            ctx.strings.insert(fname.clone(), lit.to_string());
                        }
                        tf.fields.push(fname);
                    }
                } else if let Some(n) = ctx.field(m, g.f.name) {
                    let ty = ctx.field(m, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
                    tf.field_types.push((ctx.t(n).to_string(), ty.to_string()));
                    tf.fields.push(ctx.t(n).to_string());
                }
            }
            _ => {}
        }
    }
    tf
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Trace(Vec<(usize, usize, &'static str)>);

    impl<'t> Visit<'t> for Trace {
        fn enter(&mut self, node: Node<'t>, depth: usize) -> bool {
            self.0.push((node.id(), depth, "enter"));
            true
        }
        fn leave(&mut self, depth: usize) {
            self.0.push((0, depth, "leave"));
        }
    }

    /// The reference order: a plain `TreeCursor` walk.
    fn cursor_order(root: Node<'_>) -> Vec<(usize, usize, &'static str)> {
        let mut out = Vec::new();
        let mut c = root.walk();
        let mut depth = 0;
        loop {
            out.push((c.node().id(), depth, "enter"));
            if c.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                out.push((0, depth, "leave"));
                if c.goto_next_sibling() {
                    break;
                }
                if !c.goto_parent() {
                    return out;
                }
                depth -= 1;
            }
        }
    }

    #[test]
    fn preorder_visits_like_a_cursor() {
        let fields: String = (0..40).map(|i| format!("int f{i} = {i};\n")).collect();
        let elems: String = (0..50).map(|i| format!("{i}, ")).collect();
        let wide = format!("class A {{ {fields} int[] xs = {{ {elems} }}; void M() {{ Foo(1, 2); }} }}");
        let broken = "class B { void M() { if (x { y = ; } int[] a = { 1, 2 ";
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/valid");
        let mut texts = vec![wide, broken.to_string()];
        for e in std::fs::read_dir(dir).unwrap().flatten().take(8) {
            if let Ok(t) = std::fs::read_to_string(e.path()) {
                texts.push(t);
            }
        }
        for text in &texts {
            let tree = super::super::source::parse(text).unwrap();
            let mut trace = Trace(Vec::new());
            preorder(tree.root_node(), &mut trace);
            assert_eq!(trace.0, cursor_order(tree.root_node()));
        }
    }
}
