// Console test of the C# wrapper, run under Mono by scripts/test-ffi.sh (no test framework needed).
// Prints "N passed, N failed" and exits non-zero on failure. With SPARK_MOCK_URL set
// (tests/mock_openai.py) it also generates against a loopback OpenAI-compatible server.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Spark;

internal static class SparkTests
{
    private static int _passed, _failed;

    private const string OfflineConfig = "{\"providers\":{\"order\":[\"offline\"]}}";

    private static void Check(bool ok, string what)
    {
        if (ok) _passed++;
        else
        {
            _failed++;
            Console.Error.WriteLine("FAIL: " + what);
        }
    }

    private static T Throws<T>(Action action, string what) where T : Exception
    {
        try
        {
            action();
        }
        catch (T e)
        {
            _passed++;
            return e;
        }
        catch (Exception e)
        {
            _failed++;
            Console.Error.WriteLine("FAIL: " + what + ": expected " + typeof(T).Name + ", got " + e);
            return null;
        }
        _failed++;
        Console.Error.WriteLine("FAIL: " + what + ": expected " + typeof(T).Name + ", nothing thrown");
        return null;
    }

    private static Exception Unwrap(Exception e)
    {
        var agg = e as AggregateException;
        return agg != null && agg.InnerExceptions.Count == 1 ? agg.InnerExceptions[0] : e;
    }

    /// <summary>Records events synchronously on the generating thread, in order.</summary>
    private sealed class Recorder : IProgress<SparkEvent>
    {
        public readonly List<SparkEvent> Events = new List<SparkEvent>();
        public Action<SparkEvent> OnReport;

        public void Report(SparkEvent value)
        {
            Events.Add(value);
            if (OnReport != null) OnReport(value);
        }
    }

    private static string Snake(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    private static void TestVersionAndCodes()
    {
        string v = SparkClient.NativeVersion;
        Check(v != null && v.Split('.').Length == 3, "native version " + v);
        foreach (SparkErrorCode code in Enum.GetValues(typeof(SparkErrorCode)))
        {
            Check(SparkClient.CodeName((int)code) == Snake(code.ToString()),
                "enum " + code + " mirrors native name " + SparkClient.CodeName((int)code));
        }
        int count = Enum.GetValues(typeof(SparkErrorCode)).Length;
        Check(SparkClient.CodeName(count + 1) == null, "the enum covers every native code (" + count + ")");
    }

    private static void TestGenerate(SparkClient client)
    {
        Check(client.InfoJson().Contains("\"offline\":true"), "info says offline");
        ClientStatus st = client.Status();
        Check(st.Providers.Count == 1 && st.Providers[0].Name == "offline" && st.Cache != null, "offline status: " + client.StatusJson());
        GeneratedScripts r = client.Generate("a rotating pickup that plays a sound");
        Check(r.Files.Count >= 1, "files: " + r.Files.Count);
        Check(r.Files.All(f => f.Path.EndsWith(".cs", StringComparison.Ordinal)), "paths end in .cs");
        Check(r.Files.Any(f => f.Content.Contains("MonoBehaviour")), "a MonoBehaviour");
        Check(r.Offline && r.Provider == "offline", "offline provider: " + r.Provider);
        Check(r.Rounds.Count >= 1 && r.Rounds.Count(x => x.Kept) == 1, "rounds " + r.Rounds.Count);
        Check(r.Diagnostics.All(d => !d.IsError), "offline scaffold has no errors");

        byte[] zip = client.Export(r);
        Check(zip.Length > 22 && zip[0] == (byte)'P' && zip[1] == (byte)'K' && zip[2] == 3 && zip[3] == 4, "zip magic");
        foreach (string format in new[] { "upm", "unitypackage" })
        {
            byte[] gz = client.Export(r, format);
            Check(gz.Length > 18 && gz[0] == 0x1f && gz[1] == 0x8b, format + ": gzip magic");
        }
        Check(client.ExportAsync(r, "upm").Result.Length > 18, "async export");
        var e = Throws<SparkException>(() => client.Export(r, "tarball"), "unknown export format");
        Check(e != null && e.ErrorCode == SparkErrorCode.InvalidArgument && e.Code == "invalid_argument" &&
              e.Message.Contains("unitypackage"), "unknown format maps to invalid_argument listing the formats");
        Throws<SparkException>(() => client.ExportJson("{\"files\": 3}"), "bad result JSON");

        // Non-ASCII text crosses the boundary intact.
        GeneratedScripts u = client.Generate(new GenerateRequest("a glowing crystal \u2728 that says h\u00e9llo") { Caller = "unicode" });
        Check(u.Files.Count >= 1, "unicode prompt");

        var empty = Throws<SparkException>(() => client.Generate("   "), "empty prompt");
        Check(empty != null && empty.ErrorCode == SparkErrorCode.InvalidRequest, "empty prompt is invalid_request");
        var badTemp = Throws<SparkException>(
            () => client.Generate(new GenerateRequest("a door") { Temperature = 9 }), "temperature out of range");
        Check(badTemp != null && badTemp.Message.Contains("temperature"), "message names temperature");
    }

    private static void TestStream(SparkClient client)
    {
        var rec = new Recorder();
        GeneratedScripts r = client.GenerateAsync(
            new GenerateRequest("a third-person controller with double jump") { Caller = "stream" }, rec).Result;
        var kinds = rec.Events.Select(e => e.Kind).ToList();
        Check(kinds.Count >= 4, "events: " + kinds.Count);
        Check(kinds.First() == SparkEventKind.Started, "first is started: " + kinds.First());
        Check(kinds.Last() == SparkEventKind.Done, "last is done: " + kinds.Last());
        Check(kinds[kinds.Count - 2] == SparkEventKind.Diagnostics, "diagnostics before done");
        int firstNonDelta = kinds.FindIndex(1, k => k != SparkEventKind.Delta);
        Check(firstNonDelta > 2 && kinds.Skip(firstNonDelta).All(k => k != SparkEventKind.Delta),
            "deltas come together right after started");
        Check(rec.Events[0].Provider == "offline", "started names the provider");
        string text = string.Concat(rec.Events.Where(e => e.Kind == SparkEventKind.Delta).Select(e => e.Text));
        Check(r.Rounds.Count != 1 || text == r.Raw, "deltas add up to the reply");
        Check(rec.Events.Last().Result != null && rec.Events.Last().Result.Json == r.Json, "done carries the result");

        // Cancel through the token from the progress handler, on the first delta.
        var cts = new CancellationTokenSource();
        var rec2 = new Recorder();
        rec2.OnReport = e =>
        {
            if (e.Kind == SparkEventKind.Delta) cts.Cancel();
        };
        Task<GeneratedScripts> t = client.GenerateAsync(new GenerateRequest("a treasure chest") { Caller = "stream" }, rec2, cts.Token);
        Exception ex = null;
        try { t.Wait(); }
        catch (Exception e) { ex = Unwrap(e); }
        Check(ex is OperationCanceledException, "token cancel gives OperationCanceledException: " + ex);
        Check(t.IsCanceled, "the task ends as cancelled: " + t.Status);
        Check(rec2.Events.Count == 2, "no event after the cancelling one: " + rec2.Events.Count);

        // An already cancelled token.
        var cts3 = new CancellationTokenSource();
        cts3.Cancel();
        ex = null;
        try { client.GenerateAsync("a lamp", null, cts3.Token).Wait(); }
        catch (Exception e) { ex = Unwrap(e); }
        Check(ex is OperationCanceledException, "pre-cancelled token: " + ex);

        // An exception in the progress handler cancels the work and surfaces as itself.
        var rec4 = new Recorder();
        rec4.OnReport = e => { throw new InvalidOperationException("boom from the handler"); };
        ex = null;
        try { client.GenerateAsync(new GenerateRequest("a lamp") { Caller = "stream" }, rec4).Wait(); }
        catch (Exception e) { ex = Unwrap(e); }
        Check(ex is InvalidOperationException && ex.Message == "boom from the handler", "handler exception rethrown: " + ex);
        Check(rec4.Events.Count == 1, "stopped at the first event");

        // The callback path survives garbage collections in the middle of a stream.
        var rec5 = new Recorder();
        rec5.OnReport = e => GC.Collect();
        GeneratedScripts r5 = client.GenerateAsync(new GenerateRequest("a bouncing ball") { Caller = "gc" }, rec5).Result;
        Check(r5.Files.Count >= 1 && rec5.Events.Last().Kind == SparkEventKind.Done, "stream with GC.Collect");
    }

    private static void TestValidate(SparkClient client)
    {
        const string clean = "using UnityEngine;\n\npublic class Spinner : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n";
        Check(client.Validate(clean, "Spinner.cs").Count == 0, "clean script has no diagnostics");
        const string broken = "using UnityEngine;\n\npublic class Broken : MonoBehaviour\n{\n    void Update()\n    {\n        int x = ;\n    }\n}\n";
        IList<Diagnostic> ds = client.Validate(broken, "Broken.cs");
        Diagnostic err = ds.FirstOrDefault(d => d.IsError);
        Check(err != null, "broken script has an error");
        if (err != null)
        {
            Check(err.Line == 7 && err.Column > 0, "error on line 7: " + err);
            Check(err.Rule != null && err.Rule.StartsWith("SPK", StringComparison.Ordinal), "rule id: " + err.Rule);
            Check(err.File == "Broken.cs" && err.ToString().StartsWith("Broken.cs:7:", StringComparison.Ordinal), "display: " + err);
        }
        IList<Diagnostic> async = client.ValidateAsync(broken, "Broken.cs").Result;
        Check(async.Count == ds.Count, "async validate");
        Check(client.Validate(clean).Count == 0 && client.Validate(clean, "").Count == 0, "no file name: the main type's");

        // One client, many threads.
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() => client.Validate(broken, "Broken.cs").Count)).ToArray();
        Task.WaitAll(tasks);
        Check(tasks.All(t => t.Result == ds.Count), "concurrent validate");
    }

    private static void TestValidateProject(SparkClient client)
    {
        const string tool = "using UnityEditor;\nusing UnityEngine;\n\npublic static class BuildTool\n{\n    [MenuItem(\"Tools/Build\")]\n    static void Build() { Debug.Log(\"built\"); }\n}\n";
        var files = new[] { new ProjectFile("Assets/Tools/BuildTool.cs", tool) };
        var editorOnly = new[] { new ProjectFile("Assets/Tools/Tools.asmdef", "{ \"name\": \"Tools\", \"includePlatforms\": [\"Editor\"] }") };
        IList<Diagnostic> clean = client.ValidateProject(files, editorOnly);
        Check(clean.Count == 0, "editor-only asmdef: " + string.Join("; ", clean.Select(d => d.ToString()).ToArray()));
        IList<Diagnostic> ds = client.ValidateProject(files);
        Check(ds.Count == 1 && ds[0].Rule == "SPK1002" && ds[0].File == "Assets/Tools/BuildTool.cs" && ds[0].Line == 1 && ds[0].Column == 7,
              "no asmdef: SPK1002 in the tool at 1:7: " + string.Join("; ", ds.Select(d => d.ToString()).ToArray()));
        Check(client.ValidateProjectAsync(files, editorOnly).Result.Count == 0, "async validate project");

        var dup = new[] { new ProjectFile("A.cs", "public class Pool { }"), new ProjectFile("B.cs", "\npublic class Pool { }") };
        IList<Diagnostic> d2 = client.ValidateProject(dup);
        Check(d2.Count == 1 && d2[0].Rule == "SPK1027" && d2[0].ToString().StartsWith("B.cs:2:14:", StringComparison.Ordinal),
              "duplicate type: " + string.Join("; ", d2.Select(d => d.ToString()).ToArray()));
        IList<Diagnostic> d3 = client.ValidateProject(files, new[] { new ProjectFile("Assets/Tools/Tools.asmdef", "{ \"name\": ") });
        Check(d3.Count == 2 && d3[0].Rule == "SPK1028" && d3[0].File == "Assets/Tools/Tools.asmdef" && d3[1].Rule == "SPK1002",
              "malformed asmdef: " + string.Join("; ", d3.Select(d => d.ToString()).ToArray()));

        GeneratedScripts r = client.Generate(new GenerateRequest("a rotating pickup"));
        Check(client.ValidateProject(r.Files).Count == 0, "a result's files validate as a project");
        Throws<ArgumentNullException>(() => client.ValidateProject((IEnumerable<ProjectFile>)null), "null files");
        Throws<ArgumentException>(() => client.ValidateProject(new[] { new ProjectFile("A.cs", null) }), "file without content");
    }

    private static void TestErrors()
    {
        var e = Throws<SparkException>(() => new SparkClient("{\"providers\": "), "malformed config");
        Check(e != null && e.Code == "invalid_config" && e.CodeNumber == 4, "malformed config is invalid_config");
        e = Throws<SparkException>(() => new SparkClient("{\"providers\":{\"order\":[\"skynet\"]}}"), "unknown provider");
        Check(e != null && e.ErrorCode == SparkErrorCode.InvalidConfig && e.Message.Contains("providers.order"),
            "unknown provider names the field");

        const string toml = "[providers]\norder = [\"offline\"]\n[rate_limit]\nburst = 3\n";
        using (var fromToml = SparkClient.FromTomlStr(toml))
        {
            Check(fromToml.InfoJson().Contains("\"burst\":3"), "FromTomlStr applies the TOML");
        }
        string path = System.IO.Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(path, toml);
            using (var fromFile = SparkClient.FromToml(path))
            {
                Check(fromFile.InfoJson().Contains("\"burst\":3"), "FromToml reads the file");
            }
        }
        finally
        {
            System.IO.File.Delete(path);
        }
        e = Throws<SparkException>(() => SparkClient.FromToml(toml), "TOML text is not a path");
        Check(e != null && e.Code == "invalid_config", "FromToml takes a path");
        e = Throws<SparkException>(() => SparkClient.FromTomlStr("[cache]\nenabled = \"yes\"\n"), "bad TOML");
        Check(e != null && e.ErrorCode == SparkErrorCode.InvalidConfig && e.Message.Contains("cache.enabled"),
            "bad TOML names the field");

        // Limits protect provider spend: the offline scaffold is never limited.
        using (var offlineLimited = new SparkClient(
            "{\"providers\":{\"order\":[\"offline\"]},\"rate_limit\":{\"requests_per_minute\":1,\"burst\":1}}"))
        {
            for (int i = 0; i < 5; i++) offlineLimited.Generate(new GenerateRequest("a door " + i) { Caller = "alice" });
            Check(true, "offline calls are not rate limited");
        }

        var disposed = SparkClient.Offline();
        disposed.Dispose();
        disposed.Dispose();
        Throws<ObjectDisposedException>(() => disposed.Validate("class A {}", "A.cs"), "use after Dispose");
    }

    private static void TestMock(string baseUrl)
    {
        string limitedConfig = "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":" + Json.Quote(baseUrl) +
                        ",\"model\":\"mock\",\"api_key\":\"sk-mock\"},\"rate_limit\":{\"requests_per_minute\":1,\"burst\":1}}";
        using (var limited = new SparkClient(limitedConfig))
        {
            limited.Generate(new GenerateRequest("a door that opens") { Caller = "alice" });
            var req = new GenerateRequest("a coin that spins") { Caller = "alice" };
            SparkException e = Throws<SparkException>(() => limited.Generate(req), "second call is rate limited");
            Check(e != null && e.Code == "rate_limited" && e.CodeNumber == 6 && e.ErrorCode == SparkErrorCode.RateLimited,
                "rate_limited code: " + (e == null ? "" : e.Code));
            Check(e != null && e.IsRetryable && e.RetryAfter.HasValue && e.RetryAfter.Value > TimeSpan.Zero,
                "retry after " + (e == null ? "" : e.RetryAfter.ToString()));
            Exception ae = null;
            try { limited.GenerateAsync(req).Wait(); }
            catch (Exception x) { ae = Unwrap(x); }
            Check(ae is SparkException && ((SparkException)ae).ErrorCode == SparkErrorCode.RateLimited, "async rate limit: " + ae);
            limited.Generate(new GenerateRequest("a lamp that flickers") { Caller = "bob" });
            // The caller's request id and trace context travel with the request; a tier must exist.
            GeneratedScripts traced = limited.Generate(new GenerateRequest("a lamp that flickers") {
                Caller = "carol", RequestId = "cs-req-1", Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
            Check(traced.RequestId == "cs-req-1", "request id round trip: " + traced.RequestId);
            SparkException te = Throws<SparkException>(
                () => limited.Generate(new GenerateRequest("a lamp") { Caller = "dave", Tier = "no-such-tier" }), "unknown tier");
            Check(te != null && te.Code == "invalid_request" && te.Message.Contains("no-such-tier"), "unknown tier: " + (te == null ? "" : te.Message));
            // A request names its provider (one of the chain) and the Unity version it targets.
            GeneratedScripts pinned = limited.Generate(new GenerateRequest("a lamp that flickers") {
                Caller = "erin", Provider = "openai", UnityVersion = "6000.0" });
            Check(pinned.Provider == "openai" && pinned.Files.Count > 0, "pinned provider: " + pinned.Provider);
            SparkException pe = Throws<SparkException>(
                () => limited.Generate(new GenerateRequest("a lamp") { Caller = "erin", Provider = "offline" }), "provider not in the chain");
            Check(pe != null && pe.Code == "invalid_request" && pe.Message.Contains("offline"), "provider not in the chain: " + (pe == null ? "" : pe.Message));
            SparkException ue = Throws<SparkException>(
                () => limited.Generate(new GenerateRequest("a lamp") { Caller = "erin", UnityVersion = "latest" }), "bad Unity version");
            Check(ue != null && ue.Code == "invalid_request", "bad Unity version: " + (ue == null ? "" : ue.Message));
            Check(true, "another caller passes");
        }


        string config = "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":" + Json.Quote(baseUrl) +
                        ",\"model\":\"mock\",\"api_key\":\"sk-mock\"},\"retry\":{\"max_attempts\":1},\"cache\":{\"enabled\":false}}";
        using (var client = new SparkClient(config))
        {
            GeneratedScripts r = client.Generate("a spinning pickup");
            Check(r.Files.Count == 1 && r.Files[0].Path == "Spinner.cs", "mock file: " + string.Join(",", r.Files.Select(f => f.Path)));
            Check(r.Usage.InputTokens == 42 && r.Usage.OutputTokens == 17, "mock usage");
            Check(r.Provider == "openai" && !r.Offline, "mock provider " + r.Provider);

            var rec = new Recorder();
            GeneratedScripts s = client.GenerateAsync("a spinning pickup", rec).Result;
            Check(rec.Events.First().Kind == SparkEventKind.Started && rec.Events.Last().Kind == SparkEventKind.Done &&
                  rec.Events.Count(x => x.Kind == SparkEventKind.Delta) > 3, "mock stream events");
            Check(s.Files.Count == 1 && s.Usage.InputTokens == 42, "mock stream result");

            var e = Throws<SparkException>(
                () => client.Generate(new GenerateRequest("a spinning pickup") { Model = "mock-429" }), "429");
            Check(e != null && e.Code == "rate_limited" && e.ProviderStatus == 429, "429 maps to rate_limited");
            Check(e != null && e.RetryAfter == TimeSpan.FromSeconds(1), "retry-after 1 s: " + (e == null ? "" : e.RetryAfter.ToString()));

            ClientStatus status = client.Status();
            Check(status.Providers.Count == 1 && status.Providers[0].Name == "openai" && status.Providers[0].State == "closed" &&
                  status.Providers[0].Successes == 2, "mock status: " + client.StatusJson());
            Check(!client.InfoJson().Contains("sk-mock"), "the key is redacted in InfoJson");

            // Two answers and one provider 429, with the cache off: exact counts in the metrics.
            string metrics = client.MetricsText();
            Check(metrics.Contains("# TYPE spark_requests_total counter"), "metrics text: " + metrics);
            Check(SampleSum(metrics, "spark_requests_total", "outcome=\"ok\"") == 2, "2 ok requests in the metrics");
            Check(SampleSum(metrics, "spark_errors_total", "code=\"rate_limited\"") == 1, "1 rate_limited error in the metrics");
            Check(SampleSum(metrics, "spark_request_duration_seconds_count", "") == 3, "3 request durations in the metrics");
            Check(!metrics.Contains("sk-mock"), "no key in the metrics");
            Health health = client.Health();
            Check(health.Ready && health.Providers.Count == 1 && health.Providers[0].Name == "openai" &&
                  health.Providers[0].Breaker == "closed" && health.Providers[0].Usable &&
                  health.Providers[0].RecentAttempts == 3 && health.Ledger == "off", "health: " + client.HealthJson());
            var missing = new List<string>();
            CheckFields(Json.Parse(client.HealthJson()), health, "health", missing);
            Check(missing.Count == 0, "every health field reaches the C# model; missing: " + string.Join(", ", missing));
        }
    }

    // Usage analytics over an in-memory ledger: typed queries, JSON reports, every field in the models.
    private static void TestUsage()
    {
        using (var client = new SparkClient("{\"providers\":{\"order\":[\"offline\"]},\"ledger\":{\"enabled\":true}}"))
        {
            client.Generate(new GenerateRequest("a door that opens") { Caller = "alice" });
            client.Generate(new GenerateRequest("a coin that spins") { Caller = "alice" });
            client.Generate(new GenerateRequest("a lamp that blinks") { Caller = "bob" });
            IList<UsageTotals> alice = client.Usage("alice");
            Check(alice.Count == 1 && alice[0].Caller == "alice" && alice[0].Requests == 2 && alice[0].Errors == 0,
                  "alice's totals");
            var missing = new List<string>();
            CheckFields(Json.Parse(client.UsageJson("{\"query\":\"totals\"}")), client.Usage(), "totals", missing);
            IList<UsageGroup> byProvider = client.UsageBy("provider", null, "all");
            Check(byProvider.Count == 1 && byProvider[0].Key == "offline" && byProvider[0].Requests == 3 &&
                  byProvider[0].ErrorRate == 0.0, "by provider");
            CheckFields(Json.Parse(client.UsageJson("{\"query\":\"by\",\"group_by\":\"provider\"}")), byProvider,
                        "by", missing);
            Check(missing.Count == 0, "every usage field reaches the C# models; missing: " + string.Join(", ", missing));
            IList<UsageGroup> top = client.TopCallers("day", "requests", 1);
            Check(top.Count == 1 && top[0].Key == "alice" && top[0].Requests == 2, "top caller");
            var report = Json.Parse(client.UsageReport()) as Dictionary<string, object>;
            Check(report != null && ((List<object>)report["by_caller"]).Count == 2 &&
                  ((List<object>)report["top_callers"]).Count > 0, "report: " + client.UsageReport());
            var export = Json.Parse(client.ExportUsage("bob", "all")) as Dictionary<string, object>;
            Check(export != null && (string)export["caller"] == "bob" && ((List<object>)export["records"]).Count == 1,
                  "export of bob");
            var e = Throws<SparkException>(() => client.UsageBy("week"), "bad group_by");
            Check(e != null && e.Code == "invalid_request", "a bad group_by is invalid_request");
        }
        using (var client = new SparkClient(OfflineConfig))
        {
            var e = Throws<SparkException>(() => client.Usage(), "ledger off");
            Check(e != null && e.Code == "invalid_config" && e.Message.Contains("ledger"), "ledger off names the setting");
        }
    }

    // The sum of the samples of `name` whose label text contains `label`.
    private static double SampleSum(string text, string name, string label)
    {
        double total = 0;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("#", StringComparison.Ordinal) || line.Length == 0) continue;
            int space = line.LastIndexOf(' ');
            string head = line.Substring(0, space);
            int brace = head.IndexOf('{');
            if ((brace < 0 ? head : head.Substring(0, brace)) != name || !head.Contains(label)) continue;
            total += double.Parse(line.Substring(space + 1), System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }

    private static string Pascal(string snake)
    {
        var sb = new StringBuilder();
        foreach (string part in snake.Split('_'))
            if (part.Length > 0) sb.Append(char.ToUpperInvariant(part[0])).Append(part.Substring(1));
        return sb.ToString();
    }

    // Every field of the core's JSON (recursively) must reach the model with the same value: the
    // field list comes from the JSON, so a field added to spark-core fails here until it is mapped.
    private static void CheckFields(object json, object model, string where, List<string> missing)
    {
        var obj = json as Dictionary<string, object>;
        var list = json as List<object>;
        if (obj != null)
        {
            foreach (var kv in obj)
            {
                PropertyInfo p = model == null ? null : model.GetType().GetProperty(Pascal(kv.Key));
                if (p == null) { missing.Add(where + "." + kv.Key); continue; }
                CheckFields(kv.Value, p.GetValue(model, null), where + "." + kv.Key, missing);
            }
        }
        else if (list != null)
        {
            var items = model as System.Collections.IList;
            if (items == null || items.Count != list.Count) { missing.Add(where + " (list of " + list.Count + ")"); return; }
            for (int i = 0; i < list.Count; i++) CheckFields(list[i], items[i], where + "[" + i + "]", missing);
        }
        else if (json == null)
        {
            if (model != null) missing.Add(where + " (null in JSON, " + model + " in the model)");
        }
        else if (json is double)
        {
            bool same = model != null && !(model is string) && !(model is bool) &&
                        Math.Abs(Convert.ToDouble(model, System.Globalization.CultureInfo.InvariantCulture) - (double)json) < 1e-9;
            if (!same) missing.Add(where + " (" + json + " vs " + model + ")");
        }
        else if (!json.Equals(model))
        {
            missing.Add(where + " (" + json + " vs " + model + ")");
        }
    }

    private static void TestParity(string baseUrl)
    {
        string config = "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":" + Json.Quote(baseUrl) +
                        ",\"model\":\"mock-warn\",\"api_key\":\"sk-mock\"},\"retry\":{\"max_attempts\":1},\"cache\":{\"enabled\":false}}";
        using (var client = new SparkClient(config))
        {
            GeneratedScripts r = client.Generate("a spinning pickup");
            var json = (Dictionary<string, object>)Json.Parse(r.Json);
            Check(r.Diagnostics.Count > 0 && r.Rounds.Count > 0 && r.Rounds[0].DiagnosticsAfter.Count > 0 && r.RequestId != null,
                "the parity sample has diagnostics, rounds and a request id: " + r.Json);
            var missing = new List<string>();
            CheckFields(json, r, "result", missing);
            Check(missing.Count == 0, "every result field reaches the C# model; missing: " + string.Join(", ", missing));
        }
    }

    // The output policy: a reply with blocking findings comes back Blocked with its files held back,
    // Export throws output_blocked unless allowUnsafe, and the AWS key never reaches the result.
    private static void TestOutputPolicy(string baseUrl)
    {
        const string key = "AKIAQ7ZD3KX9PLMN4RTB";
        string config = "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":" + Json.Quote(baseUrl) +
                        ",\"model\":\"mock-hostile\",\"api_key\":\"sk-mock\"},\"retry\":{\"max_attempts\":1}," +
                        "\"repair\":{\"max_rounds\":0}}";
        using (var client = new SparkClient(config))
        {
            GeneratedScripts r = client.Generate("an uploader");
            Check(r.Blocked != null && string.Join(",", r.Blocked.Rules) == "SPK2001,SPK2009", "blocked with its rules: " + r.Json);
            Check(r.Files.Count == 0 && r.Blocked != null && r.Blocked.WithheldFiles.Count == 1 &&
                  r.Blocked.WithheldFiles[0].Path == "Exfil.cs", "files held back");
            Check(r.Blocked != null && r.Blocked.Findings.All(d => d.Severity == "error"), "findings are the blocking errors");
            Check(!r.Json.Contains(key), "the key is redacted");
            var missing = new List<string>();
            CheckFields(Json.Parse(r.Json), r, "result", missing);
            Check(missing.Count == 0, "every field of a blocked result reaches the C# model; missing: " + string.Join(", ", missing));
            var e = Throws<SparkException>(() => client.Export(r, "zip"), "export of a blocked result");
            Check(e != null && e.Code == "output_blocked" && e.ErrorCode == SparkErrorCode.OutputBlocked && e.CodeNumber == 27,
                "export throws output_blocked: " + (e == null ? "" : e.Code));
            byte[] zip = client.Export(r, "zip", allowUnsafe: true);
            Check(zip.Length > 22 && zip[0] == (byte)'P' && zip[1] == (byte)'K', "allowUnsafe exports the withheld files");

            GeneratedScripts opted = client.Generate(new GenerateRequest("an uploader") { AllowUnsafe = true });
            Check(opted.Blocked == null && opted.Files.Count == 1, "AllowUnsafe unblocks");
            Check(opted.Files.Count == 1 && opted.Files[0].Content.Contains("AwsKey = \"REDACTED\"") &&
                  !opted.Json.Contains(key), "the key is redacted when unblocked too");
            Check(client.Export(opted, "zip").Length > 22, "an unblocked result exports");
        }
    }

    // Log events reach the handler, filtered, and never carry the API key.
    private static void TestLogs(string baseUrl)
    {
        const string secret = "sk-canary-5ecret-d0-not-log";
        var records = new List<string>();
        SparkLog.SetHandler((level, target, message) =>
        {
            lock (records) records.Add(level + " " + target + ": " + message);
            throw new InvalidOperationException("a throwing handler must not reach native code");
        });
        SparkLog.SetFilter("warn");
        Throws<SparkException>(() => SparkLog.SetFilter("spark_core=loud"), "bad filter syntax");
        string config = "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":" + Json.Quote(baseUrl) +
                        ",\"model\":\"mock-500\",\"api_key\":\"" + secret + "\"},\"retry\":{\"max_attempts\":3," +
                        "\"base_delay_ms\":1,\"max_delay_ms\":2},\"cache\":{\"enabled\":false}}";
        using (var client = new SparkClient(config))
        {
            var failed = Throws<SparkException>(() => client.Generate("a spinning pickup"), "500 fails");
            Check(failed != null && failed.SparkRequestId != null && failed.SparkRequestId.Length == 32,
                  "the error carries SPARK's request id: " + (failed == null ? "none" : failed.SparkRequestId));
        }
        SparkLog.SetHandler(null);
        lock (records)
        {
            Check(records.Any(x => x.StartsWith("Warn ", StringComparison.Ordinal)), "warnings were logged: " + records.Count);
            Check(!records.Any(x => x.Contains(secret)), "no log record holds the API key");
        }
    }

    private static int Main()
    {
        var tests = new List<KeyValuePair<string, Action>>();
        SparkClient client = null;
        tests.Add(new KeyValuePair<string, Action>("version", TestVersionAndCodes));
        tests.Add(new KeyValuePair<string, Action>("client", () => client = new SparkClient(OfflineConfig)));
        tests.Add(new KeyValuePair<string, Action>("generate", () => TestGenerate(client)));
        tests.Add(new KeyValuePair<string, Action>("stream", () => TestStream(client)));
        tests.Add(new KeyValuePair<string, Action>("validate", () => TestValidate(client)));
        tests.Add(new KeyValuePair<string, Action>("validate project", () => TestValidateProject(client)));
        tests.Add(new KeyValuePair<string, Action>("errors", TestErrors));
        tests.Add(new KeyValuePair<string, Action>("usage", TestUsage));
        string mock = Environment.GetEnvironmentVariable("SPARK_MOCK_URL");
        if (!string.IsNullOrEmpty(mock))
        {
            tests.Add(new KeyValuePair<string, Action>("mock", () => TestMock(mock)));
            tests.Add(new KeyValuePair<string, Action>("parity", () => TestParity(mock)));
            tests.Add(new KeyValuePair<string, Action>("output policy", () => TestOutputPolicy(mock)));
            tests.Add(new KeyValuePair<string, Action>("logs", () => TestLogs(mock)));
        }
        else Console.WriteLine("(SPARK_MOCK_URL not set: loopback provider tests skipped)");
        foreach (var t in tests)
        {
            try
            {
                t.Value();
            }
            catch (Exception e)
            {
                _failed++;
                Console.Error.WriteLine("FAIL: " + t.Key + " threw " + e);
            }
        }
        if (client != null) client.Dispose();
        Console.WriteLine(_passed + " passed, " + _failed + " failed");
        return _failed == 0 ? 0 : 1;
    }
}
