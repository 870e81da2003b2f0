// Window > SPARK > Script Generator: describe a behaviour, press Generate, and SPARK writes validated
// C# scripts under Assets/. Generation runs off the main thread through SparkClient.GenerateAsync;
// progress comes back on the main thread (Progress<T> captures Unity's synchronization context).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using UnityEditor;
using UnityEngine;

namespace Spark.Editor
{
    /// <summary>An editor window that generates Unity scripts from a prompt with SPARK.</summary>
    public sealed class SparkWindow : EditorWindow
    {
        private const string ConfigPref = "Spark.ConfigJson";
        private const string FolderPref = "Spark.OutputFolder";
        private const string DefaultFolder = "Assets/Spark/Generated";

        // One native client per editor session; rebuilt when the configuration text changes.
        private static SparkClient s_client;
        private static string s_clientConfig;

        [SerializeField] private string _prompt = "";
        [SerializeField] private string _folder = DefaultFolder;
        [SerializeField] private string _config = "";
        [SerializeField] private bool _showConfig;

        private CancellationTokenSource _cts;
        private string _status = "";
        private MessageType _statusType = MessageType.None;
        private readonly StringBuilder _streamed = new StringBuilder();
        private readonly List<Diagnostic> _diagnostics = new List<Diagnostic>();
        private readonly List<string> _written = new List<string>();
        private Vector2 _scroll;

        /// <summary>Opens the window.</summary>
        [MenuItem("Window/SPARK/Script Generator")]
        public static void Open()
        {
            GetWindow<SparkWindow>("SPARK");
        }

        private bool Busy
        {
            get { return _cts != null; }
        }

        private void OnEnable()
        {
            _config = EditorPrefs.GetString(ConfigPref, "");
            _folder = EditorPrefs.GetString(FolderPref, DefaultFolder);
            AssemblyReloadEvents.beforeAssemblyReload += DisposeClient;
        }

        private void OnDisable()
        {
            AssemblyReloadEvents.beforeAssemblyReload -= DisposeClient;
            if (_cts != null) _cts.Cancel();
        }

        // The native library outlives a domain reload, its managed handle does not: release it first.
        private static void DisposeClient()
        {
            if (s_client != null) s_client.Dispose();
            s_client = null;
            s_clientConfig = null;
        }

        private void OnGUI()
        {
            EditorGUILayout.LabelField("Describe the behaviour", EditorStyles.boldLabel);
            _prompt = EditorGUILayout.TextArea(_prompt, GUILayout.MinHeight(60));
            _folder = EditorGUILayout.TextField("Output folder", _folder);

            _showConfig = EditorGUILayout.Foldout(_showConfig, "Configuration (JSON)");
            if (_showConfig)
            {
                EditorGUILayout.HelpBox(
                    "Empty: providers and keys come from the environment (ANTHROPIC_API_KEY, OPENAI_API_KEY, SPARK_*). " +
                    "Example: {\"providers\":{\"order\":[\"offline\"]}}. Keep API keys in the environment, not here.",
                    MessageType.Info);
                _config = EditorGUILayout.TextArea(_config, GUILayout.MinHeight(40));
            }

            using (new EditorGUILayout.HorizontalScope())
            {
                using (new EditorGUI.DisabledScope(Busy || string.IsNullOrEmpty(_prompt.Trim())))
                {
                    if (GUILayout.Button("Generate")) Generate();
                }
                using (new EditorGUI.DisabledScope(!Busy))
                {
                    if (GUILayout.Button("Cancel", GUILayout.Width(80))) _cts.Cancel();
                }
            }

            if (_status.Length > 0) EditorGUILayout.HelpBox(_status, _statusType);

            _scroll = EditorGUILayout.BeginScrollView(_scroll);
            foreach (Diagnostic d in _diagnostics)
            {
                MessageType type = d.IsError ? MessageType.Error : d.Severity == "warning" ? MessageType.Warning : MessageType.Info;
                EditorGUILayout.HelpBox(d.ToString(), type);
            }
            foreach (string path in _written)
            {
                if (GUILayout.Button(path, EditorStyles.linkLabel))
                {
                    EditorGUIUtility.PingObject(AssetDatabase.LoadAssetAtPath<MonoScript>(path));
                }
            }
            if (Busy && _streamed.Length > 0)
            {
                EditorGUILayout.LabelField("Reply so far", EditorStyles.boldLabel);
                EditorGUILayout.SelectableLabel(_streamed.ToString(), EditorStyles.textArea, GUILayout.MinHeight(120));
            }
            EditorGUILayout.EndScrollView();
        }

        private SparkClient Client()
        {
            string config = (_config ?? "").Trim();
            if (s_client == null || s_clientConfig != config)
            {
                DisposeClient();
                s_client = new SparkClient(config.Length == 0 ? null : config);
                s_clientConfig = config;
            }
            return s_client;
        }

        // async void is right for a UI event handler: every exception is caught below.
        private async void Generate()
        {
            EditorPrefs.SetString(ConfigPref, _config ?? "");
            EditorPrefs.SetString(FolderPref, _folder ?? "");
            _diagnostics.Clear();
            _written.Clear();
            _streamed.Length = 0;
            _cts = new CancellationTokenSource();
            SetStatus("Generating...", MessageType.Info);
            // A domain reload while native code calls back into managed code would crash the
            // editor: hold reloads until the call has returned.
            EditorApplication.LockReloadAssemblies();
            try
            {
                string folder = CheckedFolder(_folder);
                var progress = new Progress<SparkEvent>(OnProgress);
                var request = new GenerateRequest(_prompt) { Caller = "unity-editor" };
                GeneratedScripts result = await Client().GenerateAsync(request, progress, _cts.Token);
                _diagnostics.AddRange(result.Diagnostics);
                int written = Write(folder, result);
                SetStatus(string.Format("{0} file(s) written to {1} by {2} ({3} in / {4} out tokens).",
                    written, folder, result.Provider, result.Usage.InputTokens, result.Usage.OutputTokens),
                    MessageType.Info);
            }
            catch (OperationCanceledException)
            {
                SetStatus("Cancelled.", MessageType.Warning);
            }
            catch (SparkException e)
            {
                _diagnostics.AddRange(e.Diagnostics);
                string retry = e.RetryAfter.HasValue ? string.Format(" Retry in {0:0.#} s.", e.RetryAfter.Value.TotalSeconds) : "";
                SetStatus(string.Format("{0} ({1}).{2}", e.Message, e.Code, retry), MessageType.Error);
            }
            catch (Exception e)
            {
                Debug.LogException(e);
                SetStatus(e.Message, MessageType.Error);
            }
            finally
            {
                EditorApplication.UnlockReloadAssemblies();
                _cts.Dispose();
                _cts = null;
                // The window may have been closed meanwhile (Unity's Object == null test).
                if (this) Repaint();
            }
        }

        private void OnProgress(SparkEvent e)
        {
            switch (e.Kind)
            {
                case SparkEventKind.Started:
                    SetStatus(string.Format("Generating with {0} ({1})...", e.Provider, e.Model), MessageType.Info);
                    break;
                case SparkEventKind.Delta:
                    _streamed.Append(e.Text);
                    break;
                case SparkEventKind.Repairing:
                    _streamed.Length = 0;
                    SetStatus(string.Format("Repairing (round {0})...", e.Round), MessageType.Info);
                    break;
            }
            if (this) Repaint();
        }

        private void SetStatus(string text, MessageType type)
        {
            _status = text;
            _statusType = type;
        }

        // Writes the files under `folder`, asking before overwriting; returns how many were written.
        private int Write(string folder, GeneratedScripts result)
        {
            string projectRoot = Path.GetDirectoryName(Application.dataPath);
            var targets = new List<KeyValuePair<string, ScriptFile>>();
            int existing = 0;
            foreach (ScriptFile file in result.Files)
            {
                string assetPath = folder + "/" + CheckedRelative(file.Path);
                targets.Add(new KeyValuePair<string, ScriptFile>(assetPath, file));
                if (File.Exists(Path.Combine(projectRoot, assetPath))) existing++;
            }
            if (existing > 0 && !EditorUtility.DisplayDialog("SPARK",
                    string.Format("{0} file(s) already exist under {1}. Overwrite them?", existing, folder), "Overwrite", "Cancel"))
            {
                return 0;
            }
            var utf8 = new UTF8Encoding(false);
            foreach (KeyValuePair<string, ScriptFile> t in targets)
            {
                string full = Path.Combine(projectRoot, t.Key);
                Directory.CreateDirectory(Path.GetDirectoryName(full));
                File.WriteAllText(full, t.Value.Content, utf8);
                _written.Add(t.Key);
            }
            AssetDatabase.Refresh();
            return targets.Count;
        }

        // "Assets" or a folder below it, with forward slashes and no "..".
        private static string CheckedFolder(string folder)
        {
            string f = (folder ?? "").Trim().Replace('\\', '/').TrimEnd('/');
            if (f != "Assets" && !f.StartsWith("Assets/", StringComparison.Ordinal))
                throw new ArgumentException("The output folder must be Assets or a folder below it: " + folder);
            CheckedRelative(f);
            return f;
        }

        // Generated paths are relative (Player.cs, Editor/PlayerEditor.cs); nothing may escape the folder.
        private static string CheckedRelative(string path)
        {
            string p = (path ?? "").Replace('\\', '/');
            if (p.Length == 0 || p.StartsWith("/", StringComparison.Ordinal) || p.IndexOf(':') >= 0)
                throw new ArgumentException("Unsafe path: " + path);
            foreach (string part in p.Split('/'))
            {
                if (part.Length == 0 || part == "." || part == "..")
                    throw new ArgumentException("Unsafe path: " + path);
            }
            return p;
        }
    }
}
