"""validate(): clean and broken code, rule ids and positions."""

from __future__ import annotations

import pathlib

import pytest

import spark

CLEAN = """using UnityEngine;

public class Spinner : MonoBehaviour
{
    [SerializeField] private float speed = 90f;

    private void Update()
    {
        transform.Rotate(0f, speed * Time.deltaTime, 0f);
    }
}
"""

TAG_COMPARE = """using UnityEngine;

public class Player : MonoBehaviour
{
    private void OnTriggerEnter(Collider other)
    {
        if (other.tag == "Enemy") { Destroy(other.gameObject); }
    }
}
"""

UNCLOSED = """using UnityEngine;

public class Broken : MonoBehaviour
{
    private void Update()
    {
        transform.Rotate(0f, 1f, 0f);
    }
"""


def test_clean_code_has_no_diagnostics(offline: spark.Spark) -> None:
    assert offline.validate(CLEAN, "Spinner.cs") == []
    assert spark.validate(CLEAN, "Spinner.cs") == []


def test_tag_comparison_warning_with_position(offline: spark.Spark) -> None:
    diags = offline.validate(TAG_COMPARE, "Player.cs")
    assert len(diags) == 1
    d = diags[0]
    assert isinstance(d, spark.Diagnostic)
    assert (d.severity, d.rule, d.file) == ("warning", "SPK1005", "Player.cs")
    assert (d.line, d.column) == (7, 13)
    assert d.end_line == 7 and d.end_column > d.column
    assert "CompareTag" in d.message
    assert str(d).startswith("Player.cs:7:13: warning[SPK1005]:")
    assert repr(d).startswith("Diagnostic(warning SPK1005 at Player.cs:7:13:")
    assert d == spark.validate(TAG_COMPARE, "Player.cs")[0] and hash(d) == hash(diags[0])


def test_syntax_error_is_an_error_diagnostic(offline: spark.Spark) -> None:
    diags = offline.validate(UNCLOSED, "Broken.cs")
    errors = [d for d in diags if d.severity == "error"]
    assert errors, diags
    assert errors[0].rule.startswith("SPK0")
    assert errors[0].line == 4  # the `{` that is never closed


def test_default_file_name(offline: spark.Spark) -> None:
    # Named after the main type, so the class-name rule passes; no type at all: Script.cs.
    diags = offline.validate("class A : MonoBehaviour { void Update() { if (tag == \"x\") {} } }")
    assert diags and all(d.file == "A.cs" for d in diags)
    assert [d.rule for d in diags] == ["SPK1005"]
    assert all(d.file == "Script.cs" for d in offline.validate("int x = ;"))


def test_source_over_the_limit_is_input_too_large() -> None:
    client = spark.Spark({"limits": {"max_source_bytes": 100}})
    with pytest.raises(spark.InputTooLarge) as info:
        client.validate(CLEAN * 3, "Spinner.cs")
    e = info.value
    assert e.code == "input_too_large" and e.what == "source" and e.limit == 100 and e.size == len(CLEAN * 3)


def test_bench_fixture_validates() -> None:
    root = pathlib.Path(__file__).resolve().parents[2]
    source = (root / "tests/fixtures/bench/ThirdPersonCharacter.cs").read_text()
    diags = spark.validate(source, "ThirdPersonCharacter.cs")
    assert all(d.severity != "error" for d in diags), diags
