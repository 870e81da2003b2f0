"""validate_project(): Editor assemblies, duplicate types, malformed asmdefs, input shapes."""

from __future__ import annotations

import pytest

import spark

TOOL = """using UnityEditor;
using UnityEngine;

public static class BuildTool
{
    [MenuItem("Tools/Build")]
    static void Build() { Debug.Log("built"); }
}
"""
EDITOR_ONLY = '{ "name": "Game.Tools", "includePlatforms": ["Editor"] }'
RUNTIME = '{ "name": "Game.Runtime" }'


def where(diags: list[spark.Diagnostic]) -> list[tuple[str, str, int, int]]:
    return [(d.file, d.rule, d.line, d.column) for d in diags]


def test_editor_only_asmdef_allows_unity_editor() -> None:
    files = {"Assets/Tools/BuildTool.cs": TOOL}
    assert spark.validate_project(files, {"Assets/Tools/Game.Tools.asmdef": EDITOR_ONLY}) == []
    assert spark.Spark({"providers": {"order": ["offline"]}}).validate_project(files, {"Assets/Tools/Game.Tools.asmdef": EDITOR_ONLY}) == []


def test_runtime_asmdef_reports_unity_editor_with_the_file() -> None:
    files = [("Assets/Tools/BuildTool.cs", TOOL)]
    expected = [("Assets/Tools/BuildTool.cs", "SPK1002", 1, 7)]
    assert where(spark.validate_project(files, [("Assets/Tools/Game.Runtime.asmdef", RUNTIME)])) == expected
    assert where(spark.validate_project(files)) == expected


def test_duplicate_type_at_the_second_declaration() -> None:
    a = "namespace Game { public class Health { } }\n"
    b = "namespace Game\n{\n    public class Health { }\n}\n"
    d = spark.validate_project({"A.cs": a, "B.cs": b})
    assert where(d) == [("B.cs", "SPK1027", 3, 18)]
    assert "Game.Health" in d[0].message
    assert spark.validate_project({"A.cs": a, "B.cs": b.replace("Game", "Ui")}) == []


def test_result_files_are_accepted() -> None:
    out = spark.Spark({"providers": {"order": ["offline"]}}).generate("a rotating pickup")
    assert spark.validate_project(out.files) == []


def test_malformed_asmdef_is_a_diagnostic() -> None:
    d = spark.validate_project({"T/BuildTool.cs": TOOL}, {"T/Game.asmdef": '{ "name": '})
    assert [x.rule for x in d] == ["SPK1028", "SPK1002"]
    assert d[0].file == "T/Game.asmdef"


def test_bad_input_shapes_raise_type_error() -> None:
    with pytest.raises(TypeError):
        spark.validate_project("Assets/A.cs")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        spark.validate_project([("A.cs", 3)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        spark.validate_project({"A.cs": None})  # type: ignore[dict-item]


def test_oversized_file_is_input_too_large() -> None:
    client = spark.Spark({"limits": {"max_source_bytes": 32}})
    with pytest.raises(spark.InputTooLarge):
        client.validate_project({"A.cs": "// " * 40})
