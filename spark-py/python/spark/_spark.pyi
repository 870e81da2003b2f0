"""Type stubs of the native module `spark._spark` (re-exported by `spark`)."""

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol, Union, final, overload

__all__ = [
    "BUILD_PROFILE",
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
    "ERROR_CODES",
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
__version__: str
#: "release" or "debug": how the native module was compiled.
BUILD_PROFILE: Literal["release", "debug"]
#: Every stable error code: snake_case name -> number.
ERROR_CODES: dict[str, int]

_ExportFormat = Literal["zip", "upm", "unitypackage"]
_StrPath = Union[str, os.PathLike[str]]

class _PathAndContent(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def content(self) -> str: ...

_ProjectFiles = Union[Mapping[str, str], Iterable[tuple[str, str]], Iterable[_PathAndContent]]

@final
class ScriptFile:
    """One generated C# file."""
    @property
    def path(self) -> str: ...
    @property
    def content(self) -> str: ...
    @property
    def raw_path(self) -> str | None:
        """The name exactly as the model wrote it: untrusted, never use it as a path."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Diagnostic:
    """One validation finding: 1-based lines and character columns; `end_column` is exclusive."""
    @property
    def severity(self) -> Literal["error", "warning", "info"]: ...
    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def end_column(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Verdict:
    """One guard finding: which guard and detector, how sure, what was done."""
    @property
    def guard(self) -> str: ...
    @property
    def detector(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def action(self) -> Literal["allow", "warn", "block"]: ...
    @property
    def message(self) -> str: ...
    @property
    def span(self) -> tuple[int, int] | None: ...

@final
class Blocked:
    """Why the output policy held a result back, and the files it held back."""
    @property
    def rules(self) -> list[str]: ...
    @property
    def findings(self) -> list[Diagnostic]: ...
    @property
    def withheld_files(self) -> list[ScriptFile]: ...

@final
class Usage:
    """Tokens used by all rounds together."""
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def total_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class GeneratedScripts:
    """The result of one generation."""
    @property
    def files(self) -> list[ScriptFile]: ...
    @property
    def diagnostics(self) -> list[Diagnostic]: ...
    @property
    def usage(self) -> Usage: ...
    @property
    def cost_usd(self) -> float | None: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def offline(self) -> bool: ...
    @property
    def raw(self) -> str: ...
    @property
    def rounds(self) -> list[dict[str, Any]]: ...
    @property
    def stop_reason(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def request_hash(self) -> str: ...
    @property
    def verdicts(self) -> list[Verdict]: ...
    @property
    def blocked(self) -> Blocked | None: ...
    @overload
    def export(
        self, format: _ExportFormat = "zip", *, path: None = None, allow_unsafe: bool = False
    ) -> bytes: ...
    @overload
    def export(self, format: _ExportFormat = "zip", *, path: _StrPath, allow_unsafe: bool = False) -> None: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Started:
    """The provider started answering."""
    @property
    def type(self) -> Literal["started"]: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...

@final
class Delta:
    """A piece of the reply's text."""
    @property
    def type(self) -> Literal["delta"]: ...
    @property
    def text(self) -> str: ...

@final
class Repairing:
    """A repair round (1-based) is starting."""
    @property
    def type(self) -> Literal["repairing"]: ...
    @property
    def round(self) -> int: ...

@final
class Diagnostics:
    """The diagnostics of the final files."""
    @property
    def type(self) -> Literal["diagnostics"]: ...
    @property
    def diagnostics(self) -> list[Diagnostic]: ...

@final
class Done:
    """The finished result; always the last event of a successful stream."""
    @property
    def type(self) -> Literal["done"]: ...
    @property
    def result(self) -> GeneratedScripts: ...

_Event = Union[Started, Delta, Repairing, Diagnostics, Done]

@final
class EventStream:
    """Progress of one generation: an async iterator and a plain iterator; ends after `Done`."""
    def __aiter__(self) -> EventStream: ...
    def __anext__(self) -> Any: ...  # awaitable of one event
    def __iter__(self) -> EventStream: ...
    def __next__(self) -> _Event: ...
    def close(self) -> None: ...
    def aclose(self) -> Any: ...  # awaitable of None

@final
class Spark:
    """The SPARK client. Build one and share it; every method is thread-safe."""
    def __new__(cls, config: dict[str, Any] | None = None) -> Spark: ...
    @staticmethod
    def from_config(config: dict[str, Any]) -> Spark: ...
    @staticmethod
    def from_toml(path: _StrPath) -> Spark: ...
    @staticmethod
    def from_toml_str(text: str) -> Spark: ...
    @staticmethod
    def from_env() -> Spark: ...
    @property
    def providers(self) -> list[str]: ...
    @property
    def offline(self) -> bool: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def system_prompt(self) -> str: ...
    def provider_status(self) -> list[dict[str, Any]]: ...
    def cache_stats(self) -> dict[str, int]: ...
    @property
    def keys(self) -> KeyManager: ...
    def usage(
        self, *, caller: str | None = None, period: Literal["day", "month", "all"] = "day"
    ) -> list[dict[str, Any]]: ...
    def export_usage(
        self, *, caller: str | None = None, period: Literal["day", "month", "all"] = "day"
    ) -> str: ...
    def metrics_text(self) -> str: ...
    def health(self) -> dict[str, Any]: ...
    def usage_by(
        self,
        *,
        group_by: Literal["caller", "provider", "day", "hour"] = "caller",
        caller: str | None = None,
        period: Literal["day", "month", "all"] = "day",
    ) -> list[dict[str, Any]]: ...
    def top_callers(
        self,
        *,
        period: Literal["day", "month", "all"] = "day",
        rank_by: Literal["cost", "requests", "tokens", "errors"] = "cost",
        limit: int = 10,
    ) -> list[dict[str, Any]]: ...
    def usage_report(
        self, *, caller: str | None = None, period: Literal["day", "month", "all"] = "day"
    ) -> str: ...
    def generate(
        self,
        prompt: str,
        *,
        caller: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repair_rounds: int | None = None,
        no_cache: bool = False,
        allow_unsafe: bool = False,
        on_event: Callable[[_Event], object] | None = None,
        tier: str | None = None,
        request_id: str | None = None,
        traceparent: str | None = None,
        provider: str | None = None,
        unity_version: str | None = None,
    ) -> GeneratedScripts: ...
    async def agenerate(
        self,
        prompt: str,
        *,
        caller: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repair_rounds: int | None = None,
        no_cache: bool = False,
        allow_unsafe: bool = False,
        on_event: Callable[[_Event], object] | None = None,
        tier: str | None = None,
        request_id: str | None = None,
        traceparent: str | None = None,
        provider: str | None = None,
        unity_version: str | None = None,
    ) -> GeneratedScripts: ...
    def stream(
        self,
        prompt: str,
        *,
        caller: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repair_rounds: int | None = None,
        no_cache: bool = False,
        allow_unsafe: bool = False,
        tier: str | None = None,
        request_id: str | None = None,
        traceparent: str | None = None,
        provider: str | None = None,
        unity_version: str | None = None,
    ) -> EventStream: ...
    def validate(self, source: str, file_name: str | None = None) -> list[Diagnostic]: ...
    def validate_project(self, files: _ProjectFiles, asmdefs: _ProjectFiles | None = None) -> list[Diagnostic]: ...
    @overload
    def export(
        self,
        result: GeneratedScripts,
        format: _ExportFormat = "zip",
        *,
        path: None = None,
        allow_unsafe: bool = False,
    ) -> bytes: ...
    @overload
    def export(
        self, result: GeneratedScripts, format: _ExportFormat = "zip", *, path: _StrPath, allow_unsafe: bool = False
    ) -> None: ...

def validate(source: str, file_name: str | None = None) -> list[Diagnostic]:
    """Validates one C# file with the default policy; `file_name` defaults to the main type's."""

def validate_project(files: _ProjectFiles, asmdefs: _ProjectFiles | None = None) -> list[Diagnostic]:
    """Validates C# files as one Unity project (asmdefs decide editor code and assemblies)."""

def set_log_filter(filter: str) -> None:
    """Replaces the filter of SPARK's logs (logger `spark`), in `SPARK_LOG`'s env-filter syntax."""

class SparkError(Exception):
    """Base of every SPARK error; `.code` is the stable snake_case code, `.code_number` its number."""
    code: str
    code_number: int
    message: str
    retry_after: float | None
    provider: str | None
    status: int | None
    error_type: str | None
    # The provider's request id; SPARK's own is `spark_request_id` (set on generation errors).
    request_id: str | None
    spark_request_id: str | None
    partial_text: str | None
    field: str | None
    env_var: str | None
    caller: str | None
    guard: str | None
    reason: str | None
    rules: list[str] | None
    what: str | None
    size: int | None
    limit: int | None
    stage: str | None
    scope: str | None
    diagnostics: list[Diagnostic] | None

class InvalidRequest(SparkError, ValueError): ...
class InputTooLarge(SparkError, ValueError): ...
class InputRejected(SparkError, ValueError): ...
class ConfigError(SparkError, ValueError): ...
class MissingApiKey(ConfigError): ...
class RateLimited(SparkError): ...
class QuotaExceeded(SparkError): ...
class ProviderError(SparkError): ...
class AuthenticationError(ProviderError): ...
class Overloaded(ProviderError): ...
class ConnectionFailed(ProviderError, ConnectionError): ...
class StreamTruncated(ProviderError): ...
class MalformedResponse(ProviderError): ...
class Timeout(SparkError, TimeoutError): ...
class CircuitOpen(SparkError): ...
class QueueFull(SparkError): ...
class Cancelled(SparkError): ...
class NoCode(SparkError): ...
class ValidationFailed(SparkError): ...
class ExportError(SparkError): ...
class UnsafeArchive(SparkError): ...
class SparkIOError(SparkError, OSError): ...
class InvalidArgument(SparkError, ValueError): ...
class InternalError(SparkError): ...
class OutputBlocked(SparkError):
    """The output policy held the result back; `.rules` names the blocking findings' rules.
    Export with `allow_unsafe=True` to override."""

class Unauthenticated(SparkError):
    """A request signature or caller key failed; `.reason` says how (`bad_signature`, `replayed`,
    `expired`, `body_mismatch`, `unknown_key`, `missing_header`, `malformed_header`; caller keys:
    `malformed_key`, `unknown_key`, `bad_secret`, `revoked`, `expired`)."""

class Forbidden(SparkError, PermissionError):
    """A caller key is valid but lacks the scope the operation needs (`.scope`)."""

@final
class CreatedKey:
    """A caller key just created: `key` is its only copy (the store keeps a salted hash)."""
    @property
    def key(self) -> str: ...
    @property
    def info(self) -> dict[str, Any]: ...

@final
class KeyManager:
    """The caller keys of a client (`spark.keys`), in the ledger's database."""
    def create(
        self,
        caller: str,
        *,
        scopes: list[str] | None = None,
        tier: str | None = None,
        name: str | None = None,
        expires_in: float | None = None,
    ) -> CreatedKey: ...
    def list(self) -> list[dict[str, Any]]: ...
    def revoke(self, id: str) -> dict[str, Any]: ...
    def verify(self, key: str, scope: str | None = None) -> dict[str, Any]:
        """The key's dict (`id`, `caller`, `tier`, `scopes`…); raises `Unauthenticated` or `Forbidden`."""

@final
class RequestSigner:
    """Signs requests with one shared key (HMAC-SHA256 over method, path, time, nonce, body)."""
    def __new__(cls, key_id: str, secret: str) -> RequestSigner: ...
    def sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The five `x-spark-*` headers to send with this request, signed now."""

@final
class RequestVerifier:
    """Checks signed requests against active keys `{key_id: secret}` (several, for rotation)."""
    def __new__(
        cls, keys: dict[str, str], window_seconds: float = 300.0, max_nonces: int = 100_000
    ) -> RequestVerifier: ...
    def verify(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> str:
        """The id of the key that signed; raises `Unauthenticated` (with `.reason`) otherwise."""
