// SafeHandles for the native handles: the runtime keeps a handle alive while a P/Invoke uses it
// and releases it exactly once, even when the owner forgets Dispose (finalizer).
using System;
using System.Runtime.InteropServices;

namespace Spark.Interop
{
    /// <summary>Owns a <c>spark_client_t*</c>; released with <c>spark_client_free</c>.</summary>
    public sealed class SparkClientHandle : SafeHandle
    {
        /// <summary>An invalid handle, filled in by the marshaller.</summary>
        public SparkClientHandle() : base(IntPtr.Zero, true)
        {
        }

        /// <summary>True for NULL.</summary>
        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>Frees the native object (ignored by the library when already freed).</summary>
        protected override bool ReleaseHandle()
        {
            Native.spark_client_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>spark_cancel_t*</c>; released with <c>spark_cancel_free</c>.</summary>
    public sealed class SparkCancelHandle : SafeHandle
    {
        /// <summary>An invalid handle; see <see cref="Create"/>.</summary>
        public SparkCancelHandle() : base(IntPtr.Zero, true)
        {
        }

        internal static SparkCancelHandle Create()
        {
            var h = new SparkCancelHandle();
            h.SetHandle(Native.spark_cancel_new());
            if (h.IsInvalid) throw new SparkException(SparkErrorCode.Internal, "internal", "spark_cancel_new failed", null);
            return h;
        }

        /// <summary>True for NULL.</summary>
        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>Frees the native object (ignored by the library when already freed).</summary>
        protected override bool ReleaseHandle()
        {
            Native.spark_cancel_free(handle);
            return true;
        }
    }
}
