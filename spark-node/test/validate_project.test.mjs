// validateProject: editor-only assembly definitions, duplicate types, malformed asmdefs.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'

import { spark } from './helpers.mjs'

const { Spark } = spark
const offline = () => new Spark({ providers: { order: ['offline'] } })

const TOOL = 'using UnityEditor;\nusing UnityEngine;\n\npublic static class BuildTool\n{\n    [MenuItem("Tools/Build")]\n    static void Build() { Debug.Log("built"); }\n}\n'
const EDITOR_ONLY = '{ "name": "Game.Tools", "includePlatforms": ["Editor"] }'
const RUNTIME = '{ "name": "Game.Runtime" }'
const where = (ds) => ds.map((d) => [d.file, d.rule, d.line, d.column])

describe('validateProject', () => {
  const s = offline()
  const tool = [{ path: 'Assets/Tools/BuildTool.cs', content: TOOL }]

  test('an editor-only asmdef allows UnityEditor', async () => {
    const asmdefs = [{ path: 'Assets/Tools/Game.Tools.asmdef', content: EDITOR_ONLY }]
    assert.deepEqual(await s.validateProject(tool, asmdefs), [])
    assert.deepEqual(s.validateProjectSync(tool, asmdefs), [])
  })

  test('a runtime asmdef or none reports SPK1002 with the file name', async () => {
    const expected = [['Assets/Tools/BuildTool.cs', 'SPK1002', 1, 7]]
    const runtime = [{ path: 'Assets/Tools/Game.Runtime.asmdef', content: RUNTIME }]
    assert.deepEqual(where(await s.validateProject(tool, runtime)), expected)
    assert.deepEqual(where(await s.validateProject(tool)), expected)
    assert.deepEqual(where(s.validateProjectSync(tool, null)), expected)
  })

  test('a type declared twice is SPK1027 at the second declaration', async () => {
    const files = [
      { path: 'A.cs', content: 'namespace Game { public class Health { } }\n' },
      { path: 'B.cs', content: 'namespace Game\n{\n    public class Health { }\n}\n' },
    ]
    const d = await s.validateProject(files)
    assert.deepEqual(where(d), [['B.cs', 'SPK1027', 3, 18]])
    assert.match(d[0].message, /Game\.Health/)
    files[1].content = files[1].content.replace('Game', 'Ui')
    assert.deepEqual(await s.validateProject(files), [])
  })

  test('a generated result\'s files are accepted', async () => {
    const out = await s.generate('a rotating pickup')
    assert.deepEqual(await s.validateProject(out.files), [])
  })

  test('a malformed asmdef is a diagnostic', async () => {
    const d = await s.validateProject(tool, [{ path: 'Assets/Tools/Game.asmdef', content: '{ "name": ' }])
    assert.deepEqual(d.map((x) => x.rule), ['SPK1028', 'SPK1002'])
    assert.equal(d[0].file, 'Assets/Tools/Game.asmdef')
  })

  test('wrong arguments are TypeErrors', async () => {
    await assert.rejects(s.validateProject('A.cs'), TypeError)
    await assert.rejects(s.validateProject([{ path: 'A.cs' }]), TypeError)
    assert.throws(() => s.validateProjectSync(tool, 'x'), TypeError)
  })

  test('an oversized file is input_too_large', async () => {
    const small = new Spark({ providers: { order: ['offline'] }, limits: { max_source_bytes: 32 } })
    await assert.rejects(small.validateProject([{ path: 'A.cs', content: '// '.repeat(40) }]), (e) => e.code === 'input_too_large')
  })
})
