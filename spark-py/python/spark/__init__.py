"""SPARK: turns a request into validated, Unity-ready C# scripts.

>>> import spark
>>> client = spark.Spark()                      # environment, or the offline scaffold
>>> result = client.generate("a rotating pickup that plays a sound")
>>> [f.path for f in result.files]              # doctest: +SKIP
>>> open("Pickup.zip", "wb").write(result.export("zip"))  # doctest: +SKIP

SPARK's log events go to the `logging` logger "spark", filtered by the `SPARK_LOG` environment
variable (env-filter syntax, default "warn") or `set_log_filter`; they never contain API keys.
"""

from __future__ import annotations

import logging as _logging
from typing import Union

from ._spark import (
    BUILD_PROFILE,
    ERROR_CODES,
    AuthenticationError,
    Blocked,
    Cancelled,
    CircuitOpen,
    ConfigError,
    ConnectionFailed,
    CreatedKey,
    Delta,
    Diagnostic,
    Diagnostics,
    Done,
    EventStream,
    ExportError,
    Forbidden,
    GeneratedScripts,
    InputRejected,
    InputTooLarge,
    InternalError,
    InvalidArgument,
    InvalidRequest,
    KeyManager,
    MalformedResponse,
    MissingApiKey,
    NoCode,
    Overloaded,
    ProviderError,
    QueueFull,
    QuotaExceeded,
    RateLimited,
    Repairing,
    RequestSigner,
    RequestVerifier,
    ScriptFile,
    Spark,
    SparkError,
    SparkIOError,
    Started,
    StreamTruncated,
    Timeout,
    OutputBlocked,
    Unauthenticated,
    UnsafeArchive,
    Usage,
    ValidationFailed,
    Verdict,
    __version__,
    set_log_filter,
    validate,
    validate_project,
)

#: Any progress event of a generation.
StreamEvent = Union[Started, Delta, Repairing, Diagnostics, Done]

__all__ = [
    "BUILD_PROFILE",
    "ERROR_CODES",
    "AuthenticationError",
    "Blocked",
    "Cancelled",
    "CircuitOpen",
    "ConfigError",
    "ConnectionFailed",
    "CreatedKey",
    "Delta",
    "Diagnostic",
    "Diagnostics",
    "Done",
    "EventStream",
    "ExportError",
    "Forbidden",
    "GeneratedScripts",
    "InputRejected",
    "InputTooLarge",
    "InternalError",
    "InvalidArgument",
    "InvalidRequest",
    "KeyManager",
    "MalformedResponse",
    "MissingApiKey",
    "NoCode",
    "Overloaded",
    "ProviderError",
    "QueueFull",
    "QuotaExceeded",
    "RateLimited",
    "Repairing",
    "RequestSigner",
    "RequestVerifier",
    "ScriptFile",
    "Spark",
    "SparkError",
    "SparkIOError",
    "Started",
    "StreamEvent",
    "StreamTruncated",
    "Timeout",
    "OutputBlocked",
    "Unauthenticated",
    "UnsafeArchive",
    "Usage",
    "ValidationFailed",
    "Verdict",
    "__version__",
    "set_log_filter",
    "validate",
    "validate_project",
]

# A library never prints by itself: without a handler configured by the application, Python's
# last-resort handler would write SPARK's warnings to stderr (the logging HOWTO's advice).
_logging.getLogger("spark").addHandler(_logging.NullHandler())
