//! Iterative traversal of a tree-sitter tree: no recursion, so no input can overflow the stack,
//! and no parent is listed more than once.

use tree_sitter::Node;

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

/// Visits the named nodes of the tree under `root` in document order, without recursion.
/// Anonymous nodes (tokens) are leaves no rule looks at, and each visit costs a child look-up
/// (measured: the walk's largest cost), so they are skipped.
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
        let count = if v.enter(node, depth) { node.named_child_count() as u32 } else { 0 };
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
                        let n = cursor.node();
                        if n.is_named() {
                            kids.push(n);
                        }
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
                let next = if top.kids.is_empty() {
                    top.node.named_child(i)
                } else {
                    top.kids.get(i as usize).copied()
                };
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

    /// The reference order: a plain `TreeCursor` walk, anonymous nodes left out.
    fn cursor_order(root: Node<'_>) -> Vec<(usize, usize, &'static str)> {
        let mut out = Vec::new();
        let mut c = root.walk();
        let mut depth = 0;
        loop {
            if !c.node().is_named() {
                // A token is a leaf: on to its next sibling.
                loop {
                    if c.goto_next_sibling() {
                        break;
                    }
                    if !c.goto_parent() {
                        return out;
                    }
                    depth -= 1;
                    out.push((0, depth, "leave"));
                }
                continue;
            }
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
