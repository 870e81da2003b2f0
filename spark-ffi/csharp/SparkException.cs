// Errors from the native library: one exception type carrying the stable code of spark_core::ErrorCode.
using System;
using System.Collections.Generic;

namespace Spark
{
    /// <summary>The stable error codes (same numbers as the SPARK_ERROR_* macros of spark.h).</summary>
    public enum SparkErrorCode
    {
        /// <summary>The request is malformed (empty prompt, bad option).</summary>
        InvalidRequest = 1,
        /// <summary>An input exceeds a configured size limit.</summary>
        InputTooLarge = 2,
        /// <summary>An input guard (prompt injection, content filter) refused the request.</summary>
        InputRejected = 3,
        /// <summary>The configuration is invalid; the message names the field.</summary>
        InvalidConfig = 4,
        /// <summary>A configured provider has no API key.</summary>
        MissingApiKey = 5,
        /// <summary>Rate limited, locally (per caller) or by the provider (HTTP 429).</summary>
        RateLimited = 6,
        /// <summary>Quota or budget exhausted. Not retryable.</summary>
        QuotaExceeded = 7,
        /// <summary>The provider refused the credentials (401/403).</summary>
        Authentication = 8,
        /// <summary>The provider rejected the request (400, 404, 413...).</summary>
        ProviderRejected = 9,
        /// <summary>The provider failed (5xx) or reported an error mid-stream.</summary>
        ProviderFailed = 10,
        /// <summary>The provider is overloaded.</summary>
        Overloaded = 11,
        /// <summary>A deadline passed (connect, first token, idle gap, total).</summary>
        Timeout = 12,
        /// <summary>The connection failed or was reset.</summary>
        Connection = 13,
        /// <summary>The stream ended before its terminal event.</summary>
        StreamTruncated = 14,
        /// <summary>The provider answered something that does not follow its wire format.</summary>
        MalformedResponse = 15,
        /// <summary>The provider's circuit breaker is open.</summary>
        CircuitOpen = 16,
        /// <summary>The admission queue is full.</summary>
        QueueFull = 17,
        /// <summary>The operation was cancelled by the caller.</summary>
        Cancelled = 18,
        /// <summary>The model reply contained no C# code.</summary>
        NoCode = 19,
        /// <summary>Blocking diagnostics remained after repair.</summary>
        ValidationFailed = 20,
        /// <summary>An export could not be produced (limits, bad names).</summary>
        Export = 21,
        /// <summary>An archive given to the import side is unsafe.</summary>
        UnsafeArchive = 22,
        /// <summary>An I/O error.</summary>
        Io = 23,
        /// <summary>A value crossing the C ABI is not valid (NULL, bad UTF-8, bad JSON, freed handle).</summary>
        InvalidArgument = 24,
        /// <summary>A bug in SPARK (including a caught panic); please report it.</summary>
        Internal = 25,
        /// <summary>The caller could not be authenticated (request signature, caller key).</summary>
        Unauthenticated = 26,
        /// <summary>The output policy holds the result back (blocking security findings); export it only with allowUnsafe.</summary>
        OutputBlocked = 27,
        /// <summary>The caller key is valid but lacks the scope the operation needs.</summary>
        Forbidden = 28,
    }

    /// <summary>A SPARK call failed. <see cref="Code"/> is the stable snake_case name
    /// (<c>"rate_limited"</c>), <see cref="CodeNumber"/> its number: the <c>code</c> and
    /// <c>code_number</c> of the Python, Node and C bindings.</summary>
    public class SparkException : Exception
    {
        /// <summary>Creates an exception for a code.</summary>
        public SparkException(SparkErrorCode code, string codeName, string message, Exception inner)
            : base(message, inner)
        {
            ErrorCode = code;
            Code = codeName ?? code.ToString();
            Diagnostics = new List<Diagnostic>();
        }

        /// <summary>The stable snake_case name of the code (<c>"rate_limited"</c>).</summary>
        public string Code { get; private set; }

        /// <summary>The stable number of the code (see <see cref="SparkErrorCode"/>).</summary>
        public int CodeNumber
        {
            get { return (int)ErrorCode; }
        }

        /// <summary>The code as an enum value.</summary>
        public SparkErrorCode ErrorCode { get; private set; }

        /// <summary>Whether the same call may succeed later (rate limits, overload, timeouts...).</summary>
        public bool IsRetryable { get; private set; }

        /// <summary>How long the provider or the local limiter asked to wait, when it said.</summary>
        public TimeSpan? RetryAfter { get; private set; }

        /// <summary>Text streamed before the failure, so nothing is silently lost.</summary>
        public string PartialText { get; private set; }

        /// <summary>HTTP status of a provider error.</summary>
        public int? ProviderStatus { get; private set; }

        /// <summary>The provider's request id, for support tickets.</summary>
        public string RequestId { get; private set; }

        /// <summary>SPARK's request id of the failed generation (the caller's, or the one generated); null for other calls.</summary>
        public string SparkRequestId { get; private set; }

        /// <summary>Blocking diagnostics of a <see cref="SparkErrorCode.ValidationFailed"/> error.</summary>
        public IList<Diagnostic> Diagnostics { get; private set; }

        /// <summary>Everything the native library reported, as JSON (see spark_error_details).</summary>
        public string DetailsJson { get; private set; }

        internal static SparkException FromNative(int code, string detailsJson)
        {
            Dictionary<string, object> d = null;
            try
            {
                if (detailsJson != null) d = Json.Obj(Json.Parse(detailsJson));
            }
            catch (FormatException)
            {
                d = null;
            }
            string message = Json.Str(d, "message") ?? ("SPARK error " + code);
            var ex = new SparkException((SparkErrorCode)code, Json.Str(d, "code"), message, null);
            ex.DetailsJson = detailsJson;
            ex.IsRetryable = Json.Bool(d, "retryable");
            double? ms = Json.Num(d, "retry_after_ms");
            if (ms.HasValue) ex.RetryAfter = TimeSpan.FromMilliseconds(ms.Value);
            ex.PartialText = Json.Str(d, "partial_text");
            ex.SparkRequestId = Json.Str(d, "request_id");
            var provider = Json.Obj(Json.Get(d, "provider"));
            if (provider != null)
            {
                double? status = Json.Num(provider, "status");
                if (status.HasValue) ex.ProviderStatus = (int)status.Value;
                ex.RequestId = Json.Str(provider, "request_id");
            }
            foreach (object o in Json.Arr(d, "diagnostics")) ex.Diagnostics.Add(Diagnostic.FromJson(Json.Obj(o)));
            return ex;
        }
    }
}
