// SPARK's log events (spark_set_log_callback) delivered to a managed handler.
#if UNITY_5_3_OR_NEWER
using MonoPInvokeCallbackAttribute = AOT.MonoPInvokeCallbackAttribute;
#endif
using System;
using System.Runtime.InteropServices;
using Spark.Interop;

namespace Spark
{
    /// <summary>Log levels of SPARK's events (the numbers of the C macros <c>SPARK_LOG_*</c>).</summary>
    public enum SparkLogLevel
    {
        /// <summary>A failure.</summary>
        Error = 1,
        /// <summary>A problem SPARK worked around (a retry, a fallback to the next provider).</summary>
        Warn = 2,
        /// <summary>Progress worth noting.</summary>
        Info = 3,
        /// <summary>Details for debugging.</summary>
        Debug = 4,
        /// <summary>Very verbose details.</summary>
        Trace = 5,
    }

    /// <summary>
    /// Routes SPARK's log events to a handler, e.g. <c>SparkLog.SetHandler((level, target, message) =&gt;
    /// Debug.Log(message))</c>. Events are filtered by the <c>SPARK_LOG</c> environment variable
    /// (env-filter syntax, default <c>warn</c>) or <see cref="SetFilter"/>; they never contain API keys.
    /// The handler runs on whatever thread logged (often a SPARK worker): in Unity, queue the
    /// message for the main thread rather than touching the scene. Exceptions it throws are dropped.
    /// </summary>
    public static class SparkLog
    {
        // The delegate handed to native code lives in a static field so it is never collected; the
        // handler travels as a GCHandle in user_data and is freed only when replaced.
        private static readonly SparkLogCallback OnLogDelegate = OnLog;
        private static readonly object Lock = new object();

        /// <summary>Sends SPARK's log events to <paramref name="handler"/>; <c>null</c> stops them.</summary>
        public static void SetHandler(Action<SparkLogLevel, string, string> handler)
        {
            lock (Lock)
            {
                GCHandle next = handler == null ? default(GCHandle) : GCHandle.Alloc(handler);
                IntPtr err = Native.spark_set_log_callback(handler == null ? null : OnLogDelegate,
                    handler == null ? IntPtr.Zero : GCHandle.ToIntPtr(next));
                if (err != IntPtr.Zero)
                {
                    if (next.IsAllocated) next.Free();
                    Native.Check(err);
                }
                // The previous handle is never freed: a delivery already running on another thread
                // may still read it. One small object per replacement is the price.
            }
        }

        /// <summary>Replaces the filter (env-filter syntax: <c>warn</c>, <c>spark_core=debug</c>;
        /// empty means <c>warn</c>). Throws <see cref="SparkException"/> for invalid syntax, or when no
        /// handler was ever set.</summary>
        public static void SetFilter(string filter)
        {
            byte[] f = Native.Utf8(filter ?? "");
            Native.Check(Native.spark_set_log_filter(f, Native.Len(f)));
        }

        // Called by native code on any thread. Managed exceptions never unwind into native code.
        [MonoPInvokeCallback(typeof(SparkLogCallback))]
        private static void OnLog(uint level, IntPtr target, IntPtr message, IntPtr userData)
        {
            try
            {
                var handler = (Action<SparkLogLevel, string, string>)GCHandle.FromIntPtr(userData).Target;
                if (handler != null)
                    handler((SparkLogLevel)level, Native.BorrowedString(target), Native.BorrowedString(message));
            }
            catch (Exception)
            {
                // A failing log handler must not take the native caller down; the event is dropped.
            }
        }
    }
}
