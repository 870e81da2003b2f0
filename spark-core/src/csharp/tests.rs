use super::*;

#[test]
fn table_is_sorted_for_binary_search() {
    assert!(PACKAGE_ASSEMBLIES.windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn editor_usage_outside_guards_only() {
    assert!(uses_unity_editor("using UnityEditor;\nclass A {}"));
    assert!(uses_unity_editor("using UnityEditor.SceneManagement;\nclass A {}"));
    assert!(uses_unity_editor("class A { void F() { UnityEditor.EditorGUILayout.Space(); } }"));
    assert!(uses_unity_editor("class A { void F() { global::UnityEditor.Selection.activeObject = null; } }"));
    assert!(uses_unity_editor("using X = UnityEditorInternal.ReorderableList;"));
    assert!(uses_unity_editor("class A { string s = $\"{UnityEditor.EditorApplication.isPlaying}\"; }"));
    assert!(!uses_unity_editor("#if UNITY_EDITOR\nusing UnityEditor;\n#endif\nclass A {}"));
    assert!(!uses_unity_editor("#if UNITY_EDITOR_WIN\nusing UnityEditor;\n#endif\nclass A {}"));
    assert!(!uses_unity_editor("#if(UNITY_EDITOR)\nusing UnityEditor;\n#endif\nclass A {}"));
    assert!(!uses_unity_editor("#if UNITY_EDITOR && DEBUG\nusing UnityEditor;\n#endif"));
    assert!(!uses_unity_editor("#if (UNITY_EDITOR)\n  #if DEBUG\n UnityEditor.X.Y();\n  #endif\n#endif"));
    assert!(!uses_unity_editor("#if !UNITY_EDITOR\nint x;\n#else\nusing UnityEditor;\n#endif"));
    assert!(uses_unity_editor("#if UNITY_EDITOR\n#else\nusing UnityEditor;\n#endif"));
    assert!(uses_unity_editor("#if UNITY_EDITOR || DEBUG\nusing UnityEditor;\n#endif"));
    assert!(uses_unity_editor("#if DEBUG\nusing UnityEditor;\n#endif"));
    assert!(!uses_unity_editor("#if DEBUG\n#elif UNITY_EDITOR\nusing UnityEditor;\n#endif"));
    assert!(!uses_unity_editor(
        "// using UnityEditor;\n/* UnityEditor.X */ class A { string s = \"UnityEditor.X\"; }"
    ));
    assert!(!uses_unity_editor("class A { string s = @\"a\"\" UnityEditor.X\"; char c = '\"'; }"));
    assert!(!uses_unity_editor("class A { int UnityEditorStuff; void F() { Foo.UnityEditor(); } }"));
    assert!(uses_unity_editor("#if UNITY_EDITOR\n#endif\nusing UnityEditor;"));
    // Code after a nested interpolation is code again.
    assert!(uses_unity_editor("class A { string s = $\"{$\"{1}\"}\"; } \nusing UnityEditor;"));
}

#[test]
fn references_unsafe_and_type() {
    let f = scan(
        "// class Commented {}\nusing TMPro;\nusing UnityEngine.UIElements;\n\
         public unsafe class Hud : MonoBehaviour { UnityEngine.InputSystem.Key k; }",
    );
    assert_eq!(f.references.iter().copied().collect::<Vec<_>>(), ["Unity.InputSystem", "Unity.TextMeshPro"]);
    assert!(f.uses_unsafe);
    assert_eq!(f.first_type.as_deref(), Some("Hud"));
    assert_eq!(scan("public record class Point(int X);").first_type.as_deref(), Some("Point"));
    assert!(!scan("class A { string s = \"unsafe\"; }").uses_unsafe);
    assert!(!f.limited);
}

#[test]
fn directives_skip_comments_and_strings() {
    let t = "#if A // note\nx\n/*\n#if B\n*/\nvar s = @\"\n#if C\n\";\n  #elif (D)\n#else\n#endif\n#iffy\n";
    let d = directives(t);
    let kinds: Vec<DirKind> = d.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DirKind::If, DirKind::Elif, DirKind::Else, DirKind::Endif]);
    assert_eq!(&t[d[0].cond.0..d[0].cond.1], "A");
    assert_eq!(&t[d[1].cond.0..d[1].cond.1], "(D)");
    assert_eq!(&t[d[1].line.0..d[1].line.1], "  #elif (D)\n");
}

#[test]
fn regions() {
    let t = "a\n#if UNITY_EDITOR\nb\n#else\nc\n#endif\n#if !UNITY_EDITOR\nd\n#else\ne\n#endif\n\
             #if UNITY_EDITOR_OSX\nf\n#endif\n";
    let (regions, limited) = editor_regions(t);
    assert!(!limited);
    let covered: Vec<&str> = regions.into_iter().map(|r| t[r].trim()).collect();
    assert_eq!(covered, vec!["b", "e", "f"]);
}

/// Runs `f` on a thread with a small stack: a recursion that input depth controls overflows it.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(128 * 1024).spawn(f).unwrap().join().unwrap()
}

#[test]
fn hostile_depths_are_linear_and_stackless() {
    let parens = format!("class A {{}}\n#if {}\nusing UnityEditor;\n#endif\n", "(".repeat(100_000));
    let holes = format!("class B {{ string s = {}; }}", "$\"{".repeat(100_000));
    let ifs =
        format!("{}using UnityEditor;\n{}", "#if UNITY_EDITOR\n".repeat(100_000), "#endif\n".repeat(100_000));
    let (p, h, i, r) = small_stack(move || (scan(&parens), scan(&holes), scan(&ifs), editor_regions(&ifs)));
    assert_eq!(p.first_type.as_deref(), Some("A"));
    assert!(p.uses_editor, "an unknown condition guards nothing");
    assert_eq!(h.first_type.as_deref(), Some("B"));
    assert!(h.limited);
    assert!(!i.uses_editor, "the outer groups are editor-only");
    assert!(i.limited);
    assert_eq!((r.0.len(), r.1), (1, true));
}

#[test]
fn version_regions_follow_the_target() {
    let src = "a\n#if UNITY_6000_0_OR_NEWER\nnew\n#else\nold\n#endif\n#if DEBUG\nd\n#endif\n";
    let text =
        |rs: Vec<Range<usize>>| rs.iter().map(|r| src[r.clone()].trim().to_string()).collect::<Vec<_>>();
    assert_eq!(text(version_regions(src, (2022, 3))), ["new"]);
    assert_eq!(text(version_regions(src, (6000, 0))), ["old"]);
    assert_eq!(version_symbol("UNITY_2022_3", (2022, 3)), Some(true));
    assert_eq!(version_symbol("UNITY_2022", (2022, 1)), Some(true));
    assert_eq!(version_symbol("UNITY_2021_2_OR_NEWER", (2021, 1)), Some(false));
    assert_eq!(version_symbol("UNITY_EDITOR", (2022, 3)), None);
    assert_eq!(version_symbol("UNITY_ANDROID", (2022, 3)), None);
}
