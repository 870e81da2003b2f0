"""Request signing from Python: a signed request verifies once; each tampering names its cause."""

import pytest

import spark

SECRET = "k3y-0f-at-least-32-bytes-for-hmac-sha256!"
BODY = b'{"prompt": "a rotating coin"}'


def verifier() -> spark.RequestVerifier:
    return spark.RequestVerifier({"k1": SECRET, "k2": "the-next-key-in-rotation-0000000"}, window_seconds=300)


def reason(v: spark.RequestVerifier, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(spark.Unauthenticated) as info:
        v.verify(method, path, headers, body)
    assert info.value.code == "unauthenticated"
    assert isinstance(info.value, spark.SparkError)
    return str(info.value.reason)


def test_sign_and_verify_once() -> None:
    v = verifier()
    headers = spark.RequestSigner("k1", SECRET).sign("POST", "/v1/generate", BODY)
    assert set(headers) == {
        "x-spark-key-id",
        "x-spark-timestamp",
        "x-spark-nonce",
        "x-spark-content-sha256",
        "x-spark-signature",
    }
    # Header names are matched without regard to case, as HTTP frameworks hand them over.
    upper = {k.upper(): val for k, val in headers.items()}
    assert v.verify("POST", "/v1/generate", upper, BODY) == "k1"
    assert reason(v, "POST", "/v1/generate", headers, BODY) == "replayed"


def test_each_failure_has_its_own_reason() -> None:
    v = verifier()
    s = spark.RequestSigner("k1", SECRET)
    assert reason(v, "POST", "/v1/generate", s.sign("POST", "/v1/generate", BODY), b"{}") == "body_mismatch"
    assert reason(v, "POST", "/v1/other", s.sign("POST", "/v1/generate", BODY), BODY) == "bad_signature"
    wrong = spark.RequestSigner("k1", "not-the-secret").sign("POST", "/p", BODY)
    assert reason(v, "POST", "/p", wrong, BODY) == "bad_signature"
    unknown = spark.RequestSigner("k9", SECRET).sign("POST", "/p", BODY)
    assert reason(v, "POST", "/p", unknown, BODY) == "unknown_key"
    old = s.sign("POST", "/p", BODY)
    old["x-spark-timestamp"] = str(int(old["x-spark-timestamp"]) - 3600)
    assert reason(v, "POST", "/p", old, BODY) == "expired"
    partial = s.sign("POST", "/p", BODY)
    del partial["x-spark-nonce"]
    assert reason(v, "POST", "/p", partial, BODY) == "missing_header"
    rotated = spark.RequestSigner("k2", "the-next-key-in-rotation-0000000").sign("POST", "/p", BODY)
    assert v.verify("POST", "/p", rotated, BODY) == "k2"


def test_secrets_never_print_and_bad_arguments_are_typed() -> None:
    s = spark.RequestSigner("k1", SECRET)
    v = verifier()
    assert SECRET not in repr(s) and SECRET not in repr(v)
    with pytest.raises(spark.InvalidArgument):
        spark.RequestSigner("", SECRET)
    with pytest.raises(spark.InvalidArgument):
        spark.RequestVerifier({}, window_seconds=300)
    with pytest.raises(spark.InvalidArgument):
        spark.RequestVerifier({"k": SECRET}, window_seconds=float("nan"))
    assert spark.ERROR_CODES["unauthenticated"] == 26
