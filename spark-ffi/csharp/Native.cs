// P/Invoke declarations for spark_ffi (include/spark.h). Strings go in as UTF-8 byte[] + length;
// results come back in SparkBuf (Rust-owned memory, copied and freed with spark_buf_free in a
// finally block). No declaration returns `string`: the marshaller would free Rust memory with the
// wrong allocator.
using System;
using System.Runtime.InteropServices;

namespace Spark.Interop
{
    /// <summary>Mirror of <c>spark_buf_t</c>: bytes owned by the native library.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SparkBuf
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary>Mirror of <c>spark_event_cb</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int SparkEventCallback(IntPtr eventJson, UIntPtr len, IntPtr userData);

    /// <summary>Mirror of <c>spark_log_cb</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void SparkLogCallback(uint level, IntPtr target, IntPtr message, IntPtr userData);

    internal static class Native
    {
        // Resolved as libspark_ffi.so / libspark_ffi.dylib / spark_ffi.dll.
        internal const string Lib = "spark_ffi";

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_code_name(uint code);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_new(byte[] configJson, UIntPtr len, out SparkClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_new_from_toml(byte[] path, UIntPtr len, out SparkClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_new_from_toml_str(byte[] configToml, UIntPtr len, out SparkClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_set_log_callback(SparkLogCallback cb, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_set_log_filter(byte[] filter, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void spark_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_info(SparkClientHandle client, out SparkBuf info);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_status(SparkClientHandle client, out SparkBuf status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_metrics_text(SparkClientHandle client, out SparkBuf text);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_health(SparkClientHandle client, out SparkBuf health);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_client_usage(SparkClientHandle client, byte[] query, UIntPtr len, out SparkBuf answer);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_generate(SparkClientHandle client, byte[] requestJson, UIntPtr len, out SparkBuf result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_generate_stream(
            SparkClientHandle client, byte[] requestJson, UIntPtr len, SparkEventCallback cb, IntPtr userData,
            SparkCancelHandle cancel, out SparkBuf result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_cancel_new();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_cancel_cancel(SparkCancelHandle cancel);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void spark_cancel_free(IntPtr cancel);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_validate(
            SparkClientHandle client, byte[] source, UIntPtr sourceLen, byte[] fileName, UIntPtr fileNameLen, out SparkBuf diagnostics);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_validate_project(
            SparkClientHandle client, byte[] requestJson, UIntPtr requestLen, out SparkBuf diagnostics);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_export(
            SparkClientHandle client, byte[] resultJson, UIntPtr resultLen, byte[] format, UIntPtr formatLen, out SparkBuf bytes);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr spark_export_with_options(
            SparkClientHandle client, byte[] resultJson, UIntPtr resultLen, byte[] format, UIntPtr formatLen,
            byte[] options, UIntPtr optionsLen, out SparkBuf bytes);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void spark_buf_free(ref SparkBuf buf);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint spark_error_code_number(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal static extern bool spark_error_details(IntPtr err, out SparkBuf details);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void spark_error_free(IntPtr err);

        /// <summary>Copies a native buffer into managed bytes and frees it, whatever happens.</summary>
        internal static byte[] TakeBytes(ref SparkBuf buf)
        {
            try
            {
                var bytes = new byte[checked((int)buf.Len.ToUInt64())];
                if (bytes.Length > 0) Marshal.Copy(buf.Data, bytes, 0, bytes.Length);
                return bytes;
            }
            finally
            {
                spark_buf_free(ref buf);
            }
        }

        /// <summary>Decodes a native UTF-8 buffer and frees it.</summary>
        internal static string TakeString(ref SparkBuf buf)
        {
            return System.Text.Encoding.UTF8.GetString(TakeBytes(ref buf));
        }

        /// <summary>Decodes a static or borrowed NUL-terminated UTF-8 string (never freed here).</summary>
        internal static string BorrowedString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Throws the <see cref="SparkException"/> for a non-NULL <c>spark_error_t*</c>, freeing it.</summary>
        internal static void Check(IntPtr err)
        {
            if (err == IntPtr.Zero) return;
            SparkException ex;
            try
            {
                uint code = spark_error_code_number(err);
                SparkBuf details;
                string json = spark_error_details(err, out details) ? TakeString(ref details) : null;
                ex = SparkException.FromNative((int)code, json);
            }
            finally
            {
                spark_error_free(err);
            }
            throw ex;
        }

        internal static byte[] Utf8(string s)
        {
            return s == null ? null : System.Text.Encoding.UTF8.GetBytes(s);
        }

        internal static UIntPtr Len(byte[] b)
        {
            return new UIntPtr(b == null ? 0u : (uint)b.Length);
        }
    }
}
