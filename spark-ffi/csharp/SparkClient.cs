// The SPARK client for .NET / Mono / Unity, over the C ABI of spark_ffi.
#if UNITY_5_3_OR_NEWER
using MonoPInvokeCallbackAttribute = AOT.MonoPInvokeCallbackAttribute;
#endif
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Spark.Interop;

namespace Spark
{
    /// <summary>
    /// Generates, validates and exports Unity C# scripts. Thread-safe: share one per process and
    /// Dispose it when done. Blocking calls run on the caller's thread; the *Async methods run them
    /// on a background thread, so they never block Unity's main thread.
    /// </summary>
    public sealed class SparkClient : IDisposable
    {
        private readonly SparkClientHandle _handle;

        // Kept in a static field so the delegate handed to native code is never collected.
        private static readonly SparkEventCallback OnEventDelegate = OnEvent;

        /// <summary>
        /// Creates a client from a JSON configuration (the spark.toml schema as JSON, e.g.
        /// <c>{"providers":{"order":["offline"]}}</c>). <c>null</c> or empty: defaults plus the
        /// <c>SPARK_*</c> environment variables. Throws <see cref="SparkException"/> with
        /// <see cref="SparkErrorCode.InvalidConfig"/> for a bad configuration.
        /// </summary>
        public SparkClient(string configJson = null)
        {
            byte[] config = Native.Utf8(configJson);
            SparkClientHandle handle;
            IntPtr err = Native.spark_client_new(config, Native.Len(config), out handle);
            _handle = Checked(err, handle);
        }

        private SparkClient(SparkClientHandle handle)
        {
            _handle = handle;
        }

        /// <summary>
        /// Creates a client from a <c>spark.toml</c> file, with <c>SPARK_*</c> environment overrides
        /// (as <c>from_toml</c> in Python, Node and C). Throws <see cref="SparkException"/> with
        /// <see cref="SparkErrorCode.InvalidConfig"/> for a missing file or a bad field.
        /// </summary>
        public static SparkClient FromToml(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            byte[] p = Native.Utf8(path);
            SparkClientHandle handle;
            IntPtr err = Native.spark_client_new_from_toml(p, Native.Len(p), out handle);
            return new SparkClient(Checked(err, handle));
        }

        /// <summary>
        /// Creates a client from the text of a <c>spark.toml</c> (no environment overrides; empty
        /// means the defaults). Throws <see cref="SparkException"/> with
        /// <see cref="SparkErrorCode.InvalidConfig"/> naming the bad field.
        /// </summary>
        public static SparkClient FromTomlStr(string configToml)
        {
            if (configToml == null) throw new ArgumentNullException("configToml");
            byte[] config = Native.Utf8(configToml);
            SparkClientHandle handle;
            IntPtr err = Native.spark_client_new_from_toml_str(config, Native.Len(config), out handle);
            return new SparkClient(Checked(err, handle));
        }

        private static SparkClientHandle Checked(IntPtr err, SparkClientHandle handle)
        {
            if (err != IntPtr.Zero)
            {
                handle.Dispose();
                Native.Check(err);
            }
            return handle;
        }

        /// <summary>A client that only uses the embedded offline scaffold (no network, no key).</summary>
        public static SparkClient Offline()
        {
            return new SparkClient("{\"providers\":{\"order\":[\"offline\"]}}");
        }

        /// <summary>The native library's version (<c>"0.1.0"</c>).</summary>
        public static string NativeVersion
        {
            get { return Native.BorrowedString(Native.spark_version()); }
        }

        /// <summary>The stable name of a numeric error code, from the native library.</summary>
        public static string CodeName(int code)
        {
            return Native.BorrowedString(Native.spark_code_name((uint)code));
        }

        /// <summary>The client's version, providers and effective configuration (keys redacted), as JSON.</summary>
        public string InfoJson()
        {
            SparkBuf buf;
            Native.Check(Native.spark_client_info(_handle, out buf));
            return Native.TakeString(ref buf);
        }

        /// <summary>Circuit-breaker state of each provider (fallback order) and cache counters.</summary>
        public ClientStatus Status()
        {
            return ClientStatus.FromJson(StatusJson());
        }

        /// <summary><see cref="Status"/> as the native JSON.</summary>
        public string StatusJson()
        {
            SparkBuf buf;
            Native.Check(Native.spark_client_status(_handle, out buf));
            return Native.TakeString(ref buf);
        }

        /// <summary>Prometheus text exposition of the client's metrics (empty when metrics are off).</summary>
        public string MetricsText()
        {
            SparkBuf buf;
            Native.Check(Native.spark_client_metrics_text(_handle, out buf));
            return Native.TakeString(ref buf);
        }

        /// <summary>Each provider's breaker and recent error rate and latency, cache fill, queue depth,
        /// ledger state; <see cref="Health.Ready"/> when at least one provider is usable.</summary>
        public Health Health()
        {
            return Spark.Health.FromJson(HealthJson());
        }

        /// <summary>The health report of <c>Health()</c> as the native JSON.</summary>
        public string HealthJson()
        {
            SparkBuf buf;
            Native.Check(Native.spark_client_health(_handle, out buf));
            return Native.TakeString(ref buf);
        }

        /// <summary>Usage totals per caller over <paramref name="period"/> (<c>day</c>, <c>month</c> or
        /// <c>all</c>, UTC) from the ledger; <paramref name="caller"/> narrows them to one caller.</summary>
        public IList<UsageTotals> Usage(string caller = null, string period = "day")
        {
            var list = new List<UsageTotals>();
            foreach (object o in Json.Arr(UsageQuery("totals", caller, period, null, null, null)))
                list.Add(UsageTotals.FromJson(Json.Obj(o)));
            return list;
        }

        /// <summary>Ledger totals over <paramref name="period"/> grouped by <paramref name="groupBy"/>
        /// (<c>caller</c>, <c>provider</c>, <c>day</c> or <c>hour</c>), each with its error rate.</summary>
        public IList<UsageGroup> UsageBy(string groupBy = "caller", string caller = null, string period = "day")
        {
            return UsageGroup.ListFromJson(UsageQuery("by", caller, period, groupBy, null, null));
        }

        /// <summary>The <paramref name="limit"/> callers ranking highest over <paramref name="period"/> by
        /// <paramref name="rankBy"/> (<c>cost</c>, <c>requests</c>, <c>tokens</c> or <c>errors</c>).</summary>
        public IList<UsageGroup> TopCallers(string period = "day", string rankBy = "cost", int limit = 10)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException("limit");
            return UsageGroup.ListFromJson(UsageQuery("top", null, period, null, rankBy, limit));
        }

        /// <summary>A usage report over <paramref name="period"/> as JSON text: <c>by_caller</c>,
        /// <c>by_provider</c> (with error rates), <c>by_day</c>, <c>top_callers</c>.</summary>
        public string UsageReport(string caller = null, string period = "day")
        {
            return UsageJson(UsageRequestJson("report", caller, period, null, null, null));
        }

        /// <summary>The ledger's totals and records over <paramref name="period"/> as JSON text.</summary>
        public string ExportUsage(string caller = null, string period = "day")
        {
            return UsageJson(UsageRequestJson("export", caller, period, null, null, null));
        }

        /// <summary>Any usage query of spark_client_usage (its JSON in, its JSON out).</summary>
        public string UsageJson(string queryJson)
        {
            if (queryJson == null) throw new ArgumentNullException("queryJson");
            byte[] q = Native.Utf8(queryJson);
            SparkBuf buf;
            Native.Check(Native.spark_client_usage(_handle, q, Native.Len(q), out buf));
            return Native.TakeString(ref buf);
        }

        private object UsageQuery(string kind, string caller, string period, string groupBy, string rankBy, int? limit)
        {
            return Json.Parse(UsageJson(UsageRequestJson(kind, caller, period, groupBy, rankBy, limit)));
        }

        private static string UsageRequestJson(
            string kind, string caller, string period, string groupBy, string rankBy, int? limit)
        {
            var sb = new StringBuilder("{\"query\":");
            Json.WriteString(sb, kind);
            if (caller != null) { sb.Append(",\"caller\":"); Json.WriteString(sb, caller); }
            if (period != null) { sb.Append(",\"period\":"); Json.WriteString(sb, period); }
            if (groupBy != null) { sb.Append(",\"group_by\":"); Json.WriteString(sb, groupBy); }
            if (rankBy != null) { sb.Append(",\"rank_by\":"); Json.WriteString(sb, rankBy); }
            if (limit.HasValue) sb.Append(",\"limit\":").Append(limit.Value.ToString(CultureInfo.InvariantCulture));
            return sb.Append('}').ToString();
        }

        /// <summary>Generates scripts for <paramref name="prompt"/>, blocking the calling thread.</summary>
        public GeneratedScripts Generate(string prompt)
        {
            return Generate(new GenerateRequest(prompt));
        }

        /// <summary>Generates scripts for <paramref name="request"/>, blocking the calling thread.</summary>
        public GeneratedScripts Generate(GenerateRequest request)
        {
            if (request == null) throw new ArgumentNullException("request");
            byte[] req = Native.Utf8(request.ToJson());
            SparkBuf buf;
            Native.Check(Native.spark_generate(_handle, req, Native.Len(req), out buf));
            return GeneratedScripts.FromJson(Native.TakeString(ref buf));
        }

        /// <summary>Generates on a background thread, reporting progress events.</summary>
        public Task<GeneratedScripts> GenerateAsync(
            string prompt, IProgress<SparkEvent> progress = null, CancellationToken ct = default(CancellationToken))
        {
            return GenerateAsync(new GenerateRequest(prompt), progress, ct);
        }

        /// <summary>
        /// Generates on a background thread, reporting each <see cref="SparkEvent"/> to
        /// <paramref name="progress"/> (a <c>Progress&lt;T&gt;</c> created on Unity's main thread
        /// reports there). Cancelling <paramref name="ct"/> stops the native work promptly and the
        /// task ends as cancelled (<see cref="OperationCanceledException"/>); failures throw
        /// <see cref="SparkException"/>; an exception thrown by the progress handler cancels the work
        /// and is rethrown.
        /// </summary>
        public Task<GeneratedScripts> GenerateAsync(
            GenerateRequest request, IProgress<SparkEvent> progress = null, CancellationToken ct = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            byte[] req = Native.Utf8(request.ToJson());
            return Task.Factory.StartNew(
                () => GenerateStreaming(req, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Validates one C# file; <paramref name="fileName"/> matters (class name rules).
        /// <c>null</c> or empty means the main type's name (<c>Player.cs</c>), as in every binding.</summary>
        public IList<Diagnostic> Validate(string source, string fileName = null)
        {
            if (source == null) throw new ArgumentNullException("source");
            byte[] src = Native.Utf8(source), name = Native.Utf8(fileName);
            SparkBuf buf;
            Native.Check(Native.spark_validate(_handle, src, Native.Len(src), name, Native.Len(name), out buf));
            return Diagnostic.ListFromJson((List<object>)Json.Parse(Native.TakeString(ref buf)));
        }

        /// <summary><see cref="Validate"/> on a background thread.</summary>
        public Task<IList<Diagnostic>> ValidateAsync(string source, string fileName = null)
        {
            return Task.Run(() => Validate(source, fileName));
        }

        /// <summary>Validates C# files as one Unity project: Editor folders and assembly definitions
        /// (<paramref name="asmdefs"/>, their JSON) whose <c>includePlatforms</c> is exactly
        /// <c>["Editor"]</c> make a file editor code (SPK1002), a type two files of one assembly declare
        /// is SPK1027, a malformed asmdef is SPK1028. Each diagnostic names its file.</summary>
        public IList<Diagnostic> ValidateProject(IEnumerable<ProjectFile> files, IEnumerable<ProjectFile> asmdefs = null)
        {
            if (files == null) throw new ArgumentNullException("files");
            var sb = new StringBuilder("{\"files\":[");
            AppendFiles(sb, files);
            sb.Append("],\"asmdefs\":[");
            if (asmdefs != null) AppendFiles(sb, asmdefs);
            sb.Append("]}");
            byte[] req = Native.Utf8(sb.ToString());
            SparkBuf buf;
            Native.Check(Native.spark_validate_project(_handle, req, Native.Len(req), out buf));
            return Diagnostic.ListFromJson((List<object>)Json.Parse(Native.TakeString(ref buf)));
        }

        /// <summary><see cref="ValidateProject(IEnumerable{ProjectFile}, IEnumerable{ProjectFile})"/> of a
        /// generation's files (<see cref="GeneratedScripts.Files"/>).</summary>
        public IList<Diagnostic> ValidateProject(IEnumerable<ScriptFile> files)
        {
            if (files == null) throw new ArgumentNullException("files");
            var list = new List<ProjectFile>();
            foreach (var f in files) list.Add(new ProjectFile(f.Path, f.Content));
            return ValidateProject(list);
        }

        /// <summary><see cref="ValidateProject(IEnumerable{ProjectFile}, IEnumerable{ProjectFile})"/> on a background thread.</summary>
        public Task<IList<Diagnostic>> ValidateProjectAsync(IEnumerable<ProjectFile> files, IEnumerable<ProjectFile> asmdefs = null)
        {
            return Task.Run(() => ValidateProject(files, asmdefs));
        }

        private static void AppendFiles(StringBuilder sb, IEnumerable<ProjectFile> files)
        {
            bool first = true;
            foreach (var f in files)
            {
                if (f == null) throw new ArgumentException("a ProjectFile is null");
                if (!first) sb.Append(',');
                first = false;
                f.WriteJson(sb);
            }
        }

        /// <summary>Builds an archive of <paramref name="result"/>: <c>"zip"</c> (an Assets/ tree with
        /// .meta files), <c>"upm"</c> (a UPM package .tgz) or <c>"unitypackage"</c>. A
        /// <see cref="GeneratedScripts.Blocked"/> result throws <c>output_blocked</c> unless
        /// <paramref name="allowUnsafe"/>, which exports its withheld files.</summary>
        public byte[] Export(GeneratedScripts result, string format = "zip", bool allowUnsafe = false)
        {
            if (result == null) throw new ArgumentNullException("result");
            return ExportJson(result.Json, format, allowUnsafe);
        }

        /// <summary>Like <see cref="Export"/>, from a result's JSON.</summary>
        public byte[] ExportJson(string resultJson, string format = "zip", bool allowUnsafe = false)
        {
            if (resultJson == null) throw new ArgumentNullException("resultJson");
            if (format == null) throw new ArgumentNullException("format");
            byte[] json = Native.Utf8(resultJson), fmt = Native.Utf8(format);
            byte[] options = Native.Utf8(allowUnsafe ? "{\"allow_unsafe\":true}" : "{}");
            SparkBuf buf;
            Native.Check(Native.spark_export_with_options(
                _handle, json, Native.Len(json), fmt, Native.Len(fmt), options, Native.Len(options), out buf));
            return Native.TakeBytes(ref buf);
        }

        /// <summary><see cref="Export"/> on a background thread.</summary>
        public Task<byte[]> ExportAsync(GeneratedScripts result, string format = "zip", bool allowUnsafe = false)
        {
            return Task.Run(() => Export(result, format, allowUnsafe));
        }

        /// <summary>Releases the native client. Calls already running finish first.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private sealed class StreamState
        {
            public IProgress<SparkEvent> Progress;
            public ExceptionDispatchInfo Error;
        }

        private GeneratedScripts GenerateStreaming(byte[] req, IProgress<SparkEvent> progress, CancellationToken ct)
        {
            var state = new StreamState { Progress = progress };
            GCHandle gc = GCHandle.Alloc(state);
            try
            {
                using (SparkCancelHandle cancel = SparkCancelHandle.Create())
                // Disposed before the handle: Dispose waits for a running registration callback.
                using (ct.Register(() => Native.spark_error_free(Native.spark_cancel_cancel(cancel))))
                {
                    SparkBuf buf;
                    IntPtr err = Native.spark_generate_stream(
                        _handle, req, Native.Len(req), progress == null ? null : OnEventDelegate,
                        GCHandle.ToIntPtr(gc), cancel, out buf);
                    if (err != IntPtr.Zero)
                    {
                        if (state.Error != null)
                        {
                            Native.spark_error_free(err);
                            state.Error.Throw();
                        }
                        try
                        {
                            Native.Check(err);
                        }
                        catch (SparkException e)
                        {
                            if (e.ErrorCode == SparkErrorCode.Cancelled && ct.IsCancellationRequested)
                                throw new OperationCanceledException("generation cancelled", e, ct);
                            throw;
                        }
                    }
                    return GeneratedScripts.FromJson(Native.TakeString(ref buf));
                }
            }
            finally
            {
                gc.Free();
            }
        }

        // Called by native code on the generating thread. Managed exceptions must never unwind into
        // native code: they are caught, stored, and the work is cancelled (non-zero return).
        [MonoPInvokeCallback(typeof(SparkEventCallback))]
        private static int OnEvent(IntPtr eventJson, UIntPtr len, IntPtr userData)
        {
            StreamState state = null;
            try
            {
                state = (StreamState)GCHandle.FromIntPtr(userData).Target;
                var bytes = new byte[checked((int)len.ToUInt64())];
                Marshal.Copy(eventJson, bytes, 0, bytes.Length);
                SparkEvent e = SparkEvent.FromJson(System.Text.Encoding.UTF8.GetString(bytes));
                if (state.Progress != null) state.Progress.Report(e);
                return 0;
            }
            catch (Exception ex)
            {
                if (state != null) state.Error = ExceptionDispatchInfo.Capture(ex);
                return 1;
            }
        }
    }
}

#if !UNITY_5_3_OR_NEWER
namespace Spark.Interop
{
    /// <summary>
    /// Stand-in for Unity's <c>AOT.MonoPInvokeCallbackAttribute</c> outside Unity: IL2CPP and
    /// Mono's full AOT look the attribute up by name to emit a native entry point for callbacks.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type)
        {
            Type = type;
        }

        public Type Type { get; private set; }
    }
}
#endif
