// A compile-only stand-in for the UnityEngine / UnityEditor API the Unity sample uses
// (examples/unity/com.spark.unity), so scripts/test-ffi.sh proves the Runtime and Editor code compile
// the way Unity compiles them (UNITY_5_3_OR_NEWER, UNITY_EDITOR) without a Unity install. Signatures
// follow Unity's scripting reference; bodies are empty on purpose: nothing here ever runs. Kept
// separate from tests/fixtures/unity-stub (which serves the offline scaffold) so neither constrains
// the other.
using System;

namespace AOT
{
    /// <summary>Marks a static method that native code calls (IL2CPP, full AOT).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type) { }
    }
}

namespace UnityEngine
{
    public class Object
    {
        public static implicit operator bool(Object o) { return !ReferenceEquals(o, null); }
    }

    public class ScriptableObject : Object { }
    public class TextAsset : Object { }

    public struct Vector2
    {
        public float x, y;
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute { }

    public static class Application
    {
        public static string dataPath { get { return ""; } }
    }

    public static class Debug
    {
        public static void Log(object message) { }
        public static void LogException(Exception exception) { }
    }

    public sealed class GUILayoutOption { }
    public class GUIStyle { }

    public static class GUILayout
    {
        public static bool Button(string text, params GUILayoutOption[] options) { return false; }
        public static bool Button(string text, GUIStyle style, params GUILayoutOption[] options) { return false; }
        public static GUILayoutOption Width(float width) { return null; }
        public static GUILayoutOption MinHeight(float minHeight) { return null; }
    }
}

namespace UnityEditor
{
    using UnityEngine;

    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class MenuItem : Attribute
    {
        public MenuItem(string itemName) { }
    }

    public class EditorWindow : ScriptableObject
    {
        public static T GetWindow<T>(string title) where T : EditorWindow { return null; }
        public void Repaint() { }
    }

    public class MonoScript : TextAsset { }

    public enum MessageType { None = 0, Info = 1, Warning = 2, Error = 3 }

    public static class EditorPrefs
    {
        public static string GetString(string key, string defaultValue) { return defaultValue; }
        public static void SetString(string key, string value) { }
    }

    public static class AssemblyReloadEvents
    {
        public delegate void AssemblyReloadCallback();
        public static event AssemblyReloadCallback beforeAssemblyReload { add { } remove { } }
    }

    public static class EditorApplication
    {
        public static void LockReloadAssemblies() { }
        public static void UnlockReloadAssemblies() { }
    }

    public static class EditorStyles
    {
        public static GUIStyle boldLabel { get { return null; } }
        public static GUIStyle linkLabel { get { return null; } }
        public static GUIStyle textArea { get { return null; } }
    }

    public static class EditorGUI
    {
        public struct DisabledScope : IDisposable
        {
            public DisabledScope(bool disabled) { }
            public void Dispose() { }
        }
    }

    public static class EditorGUILayout
    {
        public class HorizontalScope : IDisposable
        {
            public HorizontalScope(params GUILayoutOption[] options) { }
            public void Dispose() { }
        }

        public static void LabelField(string label, GUIStyle style, params GUILayoutOption[] options) { }
        public static string TextArea(string text, params GUILayoutOption[] options) { return text; }
        public static string TextField(string label, string text, params GUILayoutOption[] options) { return text; }
        public static bool Foldout(bool foldout, string content) { return foldout; }
        public static void HelpBox(string message, MessageType type) { }
        public static void SelectableLabel(string text, GUIStyle style, params GUILayoutOption[] options) { }
        public static Vector2 BeginScrollView(Vector2 scrollPosition, params GUILayoutOption[] options) { return scrollPosition; }
        public static void EndScrollView() { }
    }

    public static class EditorGUIUtility
    {
        public static void PingObject(Object obj) { }
    }

    public static class EditorUtility
    {
        public static bool DisplayDialog(string title, string message, string ok, string cancel) { return true; }
    }

    public static class AssetDatabase
    {
        public static T LoadAssetAtPath<T>(string assetPath) where T : Object { return null; }
        public static void Refresh() { }
    }
}
