//! Editor tooling (files under `Editor/`): windows, a custom inspector, menu items.

pub(super) const RENAME_WINDOW: &str = r#"using UnityEditor;
using UnityEngine;

/// <summary>Editor window that renames the selected objects: prefix, base name, numbering. Undoable.</summary>
public class {{NAME}} : EditorWindow
{
    private string baseName = "Object";
    private string prefix = "";
    private int startNumber = 1;
    private bool numbered = true;

    [MenuItem("Tools/Batch Rename")]
    private static void Open()
    {
        GetWindow<{{NAME}}>("Batch Rename");
    }

    private void OnGUI()
    {
        EditorGUILayout.LabelField("Selected objects", Selection.gameObjects.Length.ToString());
        prefix = EditorGUILayout.TextField("Prefix", prefix);
        baseName = EditorGUILayout.TextField("Base name", baseName);
        numbered = EditorGUILayout.Toggle("Add numbers", numbered);
        using (new EditorGUI.DisabledScope(!numbered))
        {
            startNumber = EditorGUILayout.IntField("Start at", startNumber);
        }
        using (new EditorGUI.DisabledScope(Selection.gameObjects.Length == 0))
        {
            if (GUILayout.Button("Rename"))
            {
                Rename();
            }
        }
    }

    private void Rename()
    {
        GameObject[] selected = Selection.gameObjects;
        // Hierarchy order, not click order, gives predictable numbering.
        System.Array.Sort(selected, (a, b) => a.transform.GetSiblingIndex().CompareTo(b.transform.GetSiblingIndex()));
        Undo.RecordObjects(selected, "Batch Rename");
        for (int i = 0; i < selected.Length; i++)
        {
            selected[i].name = prefix + baseName + (numbered ? " " + (startNumber + i) : "");
        }
    }

    // Repaint so the selection count follows the Hierarchy.
    private void OnSelectionChange()
    {
        Repaint();
    }
}
"#;

pub(super) const TOOL_WINDOW: &str = r#"using UnityEditor;
using UnityEngine;

/// <summary>Editor tool window: lists the selected objects and applies an action to them. Extend OnGUI.</summary>
public class {{NAME}} : EditorWindow
{
    private Vector2 scroll;
    private bool includeChildren;

    [MenuItem("Tools/{{NAME}}")]
    private static void Open()
    {
        GetWindow<{{NAME}}>("{{NAME}}");
    }

    private void OnGUI()
    {
        EditorGUILayout.LabelField("Selection", EditorStyles.boldLabel);
        includeChildren = EditorGUILayout.Toggle("Include children", includeChildren);
        scroll = EditorGUILayout.BeginScrollView(scroll);
        foreach (GameObject go in Selection.gameObjects)
        {
            EditorGUILayout.ObjectField(go, typeof(GameObject), true);
        }
        EditorGUILayout.EndScrollView();
        if (GUILayout.Button("Reset transforms"))
        {
            foreach (GameObject go in Selection.gameObjects)
            {
                foreach (Transform t in includeChildren ? go.GetComponentsInChildren<Transform>() : new[] { go.transform })
                {
                    Undo.RecordObject(t, "Reset transforms");
                    // Not SetLocalPositionAndRotation: it needs Unity 2021.3.11 or later.
                    t.localPosition = Vector3.zero;
                    t.localScale = Vector3.one;
                    t.localRotation = Quaternion.identity;
                }
            }
        }
    }

    private void OnSelectionChange()
    {
        Repaint();
    }
}
"#;

pub(super) const INSPECTOR: &str = r#"using UnityEditor;
using UnityEngine;

/// <summary>Custom inspector for {{TARGET}}: the default fields, grouped, plus buttons that work on every selected object.</summary>
[CustomEditor(typeof({{TARGET}}))]
[CanEditMultipleObjects]
public class {{NAME}} : Editor
{
    private bool showFields = true;

    public override void OnInspectorGUI()
    {
        serializedObject.Update();
        showFields = EditorGUILayout.Foldout(showFields, "Settings", true);
        if (showFields)
        {
            // Iterating the serialized properties keeps this inspector right when fields are added.
            SerializedProperty property = serializedObject.GetIterator();
            bool enterChildren = true;
            while (property.NextVisible(enterChildren))
            {
                enterChildren = false;
                using (new EditorGUI.DisabledScope(property.propertyPath == "m_Script"))
                {
                    EditorGUILayout.PropertyField(property, true);
                }
            }
        }
        serializedObject.ApplyModifiedProperties();

        EditorGUILayout.Space();
        if (GUILayout.Button("Select in scene"))
        {
            Selection.objects = targets;
        }
        if (GUILayout.Button("Ping asset"))
        {
            EditorGUIUtility.PingObject(target);
        }
    }
}
"#;

pub(super) const MENU_ITEM: &str = r#"using UnityEditor;
using UnityEngine;

/// <summary>Editor menu commands under Tools: each works on the selection and can be undone.</summary>
public static class {{NAME}}
{
    [MenuItem("Tools/Selection/Group Selected %g")]
    private static void GroupSelected()
    {
        GameObject[] selected = Selection.gameObjects;
        var group = new GameObject("Group");
        Undo.RegisterCreatedObjectUndo(group, "Group Selected");
        foreach (GameObject go in selected)
        {
            Undo.SetTransformParent(go.transform, group.transform, "Group Selected");
        }
        Selection.activeGameObject = group;
    }

    // The validate function greys the item out when nothing is selected.
    [MenuItem("Tools/Selection/Group Selected %g", true)]
    private static bool CanGroupSelected()
    {
        return Selection.gameObjects.Length > 0;
    }

    [MenuItem("Tools/Selection/Snap To Ground")]
    private static void SnapToGround()
    {
        foreach (GameObject go in Selection.gameObjects)
        {
            if (Physics.Raycast(go.transform.position + Vector3.up, Vector3.down, out RaycastHit hit, 1000f))
            {
                Undo.RecordObject(go.transform, "Snap To Ground");
                go.transform.position = hit.point;
            }
        }
    }

    [MenuItem("Tools/Selection/Log Count")]
    private static void LogCount()
    {
        Debug.Log($"{Selection.gameObjects.Length} object(s) selected");
    }
}
"#;
