// The binding against the offline scaffold: no network, deterministic.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { spark, readZip, readTarGz } from './helpers.mjs'

const { Spark, version, errorCodes, buildProfile } = spark
const here = path.dirname(fileURLToPath(import.meta.url))
const offline = () => new Spark({ providers: { order: ['offline'] } })

/** Asserts `promise` rejects with a SPARK error of `code`, and returns that error. */
async function sparkError(promise, code) {
  let caught
  await assert.rejects(promise, (e) => { caught = e; return true })
  assertSparkError(caught, code)
  return caught
}

function assertSparkError(e, code) {
  assert.ok(e instanceof Error, `not an Error: ${e}`)
  assert.equal(e.name, 'SparkError', e.stack)
  assert.equal(e.code, code, e.message)
  assert.equal(e.codeNumber, errorCodes()[code])
  assert.equal(typeof e.message, 'string')
  assert.ok(e.message.length > 0)
}

function assertTypeError(e, pattern) {
  assert.ok(e instanceof TypeError, `not a TypeError: ${e?.name}: ${e?.message}`)
  assert.equal(e.code, 'invalid_argument')
  assert.equal(e.codeNumber, errorCodes().invalid_argument)
  assert.match(e.message, pattern)
  return true
}

describe('module', () => {
  test('version matches the package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(here, '..', 'package.json'), 'utf8'))
    assert.equal(version(), pkg.version)
    assert.ok(['debug', 'release'].includes(buildProfile()), buildProfile())
  })

  test('errorCodes lists the stable codes, and the d.ts ErrorCode union matches it', () => {
    const codes = errorCodes()
    assert.equal(codes.invalid_request, 1)
    assert.equal(codes.rate_limited, 6)
    assert.equal(codes.invalid_argument, 24)
    assert.equal(codes.internal, 25)
    const dts = fs.readFileSync(path.join(here, '..', 'index.d.ts'), 'utf8')
    const union = /export type ErrorCode =([^]*?)\n\n/.exec(dts)[1]
    const names = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1])
    assert.deepEqual(names.sort(), Object.keys(codes).sort())
  })
})

describe('configuration', () => {
  test('no configuration and no keys gives the offline scaffold', (t) => {
    if (process.env.ANTHROPIC_API_KEY || process.env.OPENAI_API_KEY) return t.skip('provider keys in the environment')
    for (const s of [new Spark(), new Spark(undefined), new Spark(null), new Spark({})]) {
      assert.deepEqual(s.providers, ['offline'])
      assert.equal(s.isOffline, true)
    }
  })

  test('a bad value is an invalid_config error naming the field', () => {
    assert.throws(() => new Spark({ openai: { max_tokens: 0 } }), (e) => {
      assertSparkError(e, 'invalid_config')
      assert.match(e.message, /openai\.max_tokens/)
      return true
    })
    assert.throws(() => new Spark({ providers: { ordr: ['offline'] } }), (e) => {
      assertSparkError(e, 'invalid_config')
      assert.match(e.message, /providers\.ordr/)
      return true
    })
    assert.throws(() => new Spark({ providers: { order: ['nope'] } }), (e) => {
      assertSparkError(e, 'invalid_config')
      assert.match(e.message, /providers\.order/)
      assert.match(e.message, /nope/)
      return true
    })
    assert.throws(() => new Spark({ rate_limit: { burst: 'ten' } }), (e) => {
      assertSparkError(e, 'invalid_config')
      assert.match(e.message, /rate_limit\.burst/)
      return true
    })
  })

  test('fromToml reads a file and names the bad field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-node-'))
    try {
      const good = path.join(dir, 'good.toml')
      fs.writeFileSync(good, '[providers]\norder = ["offline"]\n\n[export]\nroot = "Gen"\n')
      assert.deepEqual(Spark.fromToml(good).providers, ['offline'])
      assert.deepEqual(new Spark(good).providers, ['offline'])

      const bad = path.join(dir, 'bad.toml')
      fs.writeFileSync(bad, '[providers]\norder = ["offline"]\n\n[limits]\nmax_prompt_bytes = "big"\n')
      assert.throws(() => Spark.fromToml(bad), (e) => {
        assertSparkError(e, 'invalid_config')
        assert.match(e.message, /limits\.max_prompt_bytes/)
        return true
      })
      assert.throws(() => Spark.fromToml(path.join(dir, 'missing.toml')), (e) => {
        assertSparkError(e, 'invalid_config')
        assert.match(e.message, /missing\.toml/)
        return true
      })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('fromEnv builds a client', (t) => {
    if (process.env.ANTHROPIC_API_KEY || process.env.OPENAI_API_KEY) return t.skip('provider keys in the environment')
    assert.equal(Spark.fromEnv().isOffline, true)
  })
})

describe('generate (offline)', () => {
  test('resolves with plain camelCase objects', async () => {
    const result = await offline().generate('a rotating pickup that plays a sound')
    assert.equal(result.files.length, 1)
    assert.equal(result.files[0].path, 'RotatingPickup.cs')
    assert.match(result.files[0].content, /public class RotatingPickup : MonoBehaviour/)
    assert.equal(result.offline, true)
    assert.equal(result.provider, 'offline')
    assert.equal(result.model, 'offline-scaffold')
    assert.deepEqual(result.diagnostics, [])
    assert.deepEqual(result.usage, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 })
    assert.equal(result.rounds.length, 1)
    assert.equal(result.rounds[0].round, 0)
    assert.equal(result.rounds[0].blocking, 0)
    assert.match(result.requestHash, /^[0-9a-f]{64}$/)
    assert.match(result.raw, /```csharp/)
    assert.equal(result.stopReason, 'end_turn')
    assert.equal(Object.getPrototypeOf(result), Object.prototype)
    for (const key of Object.keys(result)) assert.doesNotMatch(key, /_/, `snake_case key ${key}`)
    const again = await offline().generate('a rotating pickup that plays a sound', { noCache: true })
    assert.deepEqual(again.files, result.files)
  })

  test('serves the template library: the mechanic, kind and folder the request asks for', async () => {
    // The first line names the composed mechanics; the old placeholder named none.
    const cases = [
      ['an enemy that patrols between waypoints and chases the player', 'Enemy.cs', 'patrol_chase',
        [/public class Enemy : MonoBehaviour/, /Transform\[\] waypoints/]],
      ['a scriptable object for weapon stats', 'WeaponStats.cs', 'scriptable_data',
        [/public class WeaponStats : ScriptableObject/, /\[CreateAssetMenu\(/]],
      ['an editor window that renames selected objects', 'Editor/BatchRenameWindow.cs', 'rename_window',
        [/public class BatchRenameWindow : EditorWindow/, /using UnityEditor;/]],
      ['a timer that counts down from 60', 'CountdownTimer.cs', 'timer', [/duration = 60f/]],
    ]
    const client = offline()
    for (const [request, file, mechanics, patterns] of cases) {
      const result = await client.generate(request)
      const first = result.files[0]
      assert.equal(first.path, file, request)
      const header = first.content.split('\n')[0]
      assert.ok(header.startsWith("// Generated by SPARK's offline scaffold") && header.includes(mechanics), header)
      for (const p of patterns) assert.match(first.content, p)
      assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), [])
    }
  })

  test('onEvent receives every event in order, ending with done', async () => {
    const events = []
    const result = await offline().generate('a spinning coin', { onEvent: (e) => events.push(e) })
    assert.ok(events.length >= 4, `${events.length} events`)
    assert.equal(events[0].type, 'started')
    assert.equal(events[0].provider, 'offline')
    assert.equal(events[0].model, 'offline-scaffold')
    const kinds = events.map((e) => e.type)
    const firstDiag = kinds.indexOf('diagnostics')
    assert.ok(firstDiag > 1)
    assert.ok(kinds.slice(1, firstDiag).every((k) => k === 'delta'), kinds.join(','))
    assert.deepEqual(kinds.slice(firstDiag), ['diagnostics', 'done'])
    const text = events.filter((e) => e.type === 'delta').map((e) => e.text).join('')
    assert.equal(text, result.raw)
    assert.deepEqual(events.at(-1).result, result)
    assert.deepEqual(events[firstDiag].diagnostics, result.diagnostics)
  })

  test('an exception thrown by onEvent stops the generation and rejects with it', async () => {
    const boom = new RangeError('stop here')
    let calls = 0
    await assert.rejects(
      offline().generate('a spinning coin', { onEvent: () => { calls++; if (calls === 2) throw boom } }),
      (e) => e === boom,
    )
    assert.equal(calls, 2)
  })

  test('aborting from onEvent stops the generation with cancelled', async () => {
    const controller = new AbortController()
    const kinds = []
    const e = await sparkError(offline().generate('a spinning coin', {
      signal: controller.signal,
      onEvent: (ev) => { kinds.push(ev.type); if (ev.type === 'delta') controller.abort() },
    }), 'cancelled')
    assert.match(e.message, /cancelled/)
    assert.deepEqual(kinds, ['started', 'delta'])
  })

  test('stream() is an async iterator of the same events', async () => {
    const s = offline()
    const events = []
    for await (const e of s.stream('a spinning coin')) events.push(e)
    const kinds = events.map((e) => e.type)
    assert.equal(kinds[0], 'started')
    assert.deepEqual(kinds.slice(-2), ['diagnostics', 'done'])
    const result = events.at(-1).result
    assert.equal(events.filter((e) => e.type === 'delta').map((e) => e.text).join(''), result.raw)
    assert.deepEqual(result.files, (await s.generate('a spinning coin')).files)
  })

  test('leaving a for-await loop early cancels quietly; the client stays usable', async () => {
    const s = offline()
    let seen = 0
    for await (const e of s.stream('a door that opens')) {
      seen++
      if (e.type === 'delta') break
    }
    assert.equal(seen, 2)
    const result = await s.generate('a door that opens')
    assert.equal(result.files.length, 1)
  })

  test('stream() throws the SPARK error from the loop', async () => {
    const s = offline()
    await sparkError((async () => { for await (const _ of s.stream('   ')) { /* nothing */ } })(), 'invalid_request')
  })

  test('concurrent generates all resolve with their own result', async () => {
    const s = offline()
    const prompts = [
      'a third-person controller with double jump',
      'enemy health with damage and death event',
      'a spawner that spawns enemies every 3 seconds',
      'a camera that follows the player smoothly',
      'a floating coin pickup',
      'a door',
    ]
    const parallel = await Promise.all(prompts.map((p, i) => s.generate(p, { caller: `c${i}`, noCache: true })))
    for (const [i, p] of prompts.entries()) {
      const alone = await s.generate(p, { caller: `solo${i}`, noCache: true })
      assert.deepEqual(parallel[i].files, alone.files, p)
      assert.deepEqual(parallel[i].diagnostics, [])
    }
    assert.equal(new Set(parallel.map((r) => r.files[0].path)).size, prompts.length)
  })
})

describe('errors', () => {
  test('an empty prompt rejects with invalid_request', async () => {
    const e = await sparkError(offline().generate('   '), 'invalid_request')
    assert.equal(e.codeNumber, 1)
    assert.equal(e.retryable, false)
    assert.match(e.message, /prompt is empty/)
  })

  test('the offline scaffold is never rate limited: it costs nothing', async () => {
    const s = new Spark({ providers: { order: ['offline'] }, rate_limit: { requests_per_minute: 1, burst: 1 } })
    for (let i = 0; i < 5; i++) await s.generate(`a coin ${i}`, { caller: 'alice' })
  })

  test('option values out of range reject with invalid_request', async () => {
    const s = offline()
    await sparkError(s.generate('a coin', { temperature: 5 }), 'invalid_request')
    await sparkError(s.generate('a coin', { maxTokens: 0 }), 'invalid_request')
  })

  test('a prompt over the size limit rejects with input_too_large', async () => {
    const s = new Spark({ providers: { order: ['offline'] }, limits: { max_prompt_bytes: 64 } })
    await sparkError(s.generate('x'.repeat(65)), 'input_too_large')
  })
})

describe('wrong argument types', () => {
  const s = offline()

  test('generate rejects with a TypeError naming the argument', async () => {
    await assert.rejects(s.generate(5), (e) => assertTypeError(e, /prompt must be a string, got a number/))
    await assert.rejects(s.generate(), (e) => assertTypeError(e, /prompt must be a string, got undefined/))
    await assert.rejects(s.generate('a coin', 'fast'), (e) => assertTypeError(e, /options must be an object/))
    await assert.rejects(s.generate('a coin', { maxTokens: 'lots' }), (e) => assertTypeError(e, /maxTokens/))
    await assert.rejects(s.generate('a coin', { maxTokens: 1.5 }), (e) => assertTypeError(e, /maxTokens/))
    await assert.rejects(s.generate('a coin', { noCache: 'yes' }), (e) => assertTypeError(e, /noCache/))
    await assert.rejects(s.generate('a coin', { onEvent: 3 }), (e) => assertTypeError(e, /onEvent must be a function/))
    await assert.rejects(s.generate('a coin', { max_tokens: 5 }), (e) => assertTypeError(e, /unknown field `max_tokens`/))
    await assert.rejects(s.generate('a coin', { signal: 'stop' }), (e) => assertTypeError(e, /signal must be an AbortSignal/))
    await assert.rejects(s.generate('a coin', { signal: {} }), (e) => assertTypeError(e, /signal must be an AbortSignal/))
  })

  test('constructors, stream and the sync methods throw a TypeError', () => {
    assert.throws(() => new Spark(42), (e) => assertTypeError(e, /config/))
    assert.throws(() => Spark.fromToml(3), (e) => assertTypeError(e, /path must be a string/))
    assert.throws(() => s.stream(null), (e) => assertTypeError(e, /prompt must be a string, got null/))
    assert.throws(() => s.stream('a coin', { onEvent() {} }), (e) => assertTypeError(e, /onEvent/))
    assert.throws(() => s.stream('a coin', { signal: new AbortController().signal }), (e) => assertTypeError(e, /signal/))
    assert.throws(() => s.validateSync(Buffer.from('x'), 'A.cs'), (e) => assertTypeError(e, /source must be a string/))
    assert.throws(() => s.validateSync('class A {}', 3), (e) => assertTypeError(e, /fileName must be a string/))
    assert.throws(() => s.exportSync({ files: [] }, 1), (e) => assertTypeError(e, /format must be a string/))
  })

  test('validate and export reject with a TypeError', async () => {
    await assert.rejects(s.validate(1, 'A.cs'), (e) => assertTypeError(e, /source must be a string/))
    await assert.rejects(s.validate('class A {}', {}), (e) => assertTypeError(e, /fileName must be a string/))
    await assert.rejects(s.export(null, 'zip'), (e) => assertTypeError(e, /result must be an object/))
    await assert.rejects(s.export({ files: 'A.cs' }, 'zip'), (e) => assertTypeError(e, /result/))
    await assert.rejects(s.export({ files: [{ path: 'A.cs' }] }, 'zip'), (e) => assertTypeError(e, /content/))
  })
})

const BROKEN = `using UnityEngine;

public class Enemy : MonoBehaviour
{
    void Update()
    {
        if (gameObject.tag == "Player") { Debug.Log("hit"); }
    }
`

describe('validate', () => {
  const s = offline()

  test('clean code has no diagnostics', async () => {
    const { files } = await s.generate('a floating coin pickup')
    assert.deepEqual(await s.validate(files[0].content, files[0].path), [])
    assert.deepEqual(s.validateSync(files[0].content, files[0].path), [])
  })

  test('broken code gives rule ids and 1-based positions', async () => {
    const diagnostics = await s.validate(BROKEN, 'Enemy.cs')
    assert.deepEqual(diagnostics.map((d) => [d.rule, d.severity, d.line, d.column, d.endLine, d.endColumn]), [
      ['SPK0003', 'error', 4, 1, 4, 2],
      ['SPK1005', 'warning', 7, 13, 7, 39],
    ])
    for (const d of diagnostics) assert.equal(d.file, 'Enemy.cs')
    assert.match(diagnostics[0].message, /never closed/)
    assert.match(diagnostics[1].message, /CompareTag/)
    assert.deepEqual(s.validateSync(BROKEN, 'Enemy.cs'), diagnostics)
  })

  test('a class named unlike its file is SPK1001 at the class name', async () => {
    const src = 'using UnityEngine;\npublic class Door : MonoBehaviour\n{\n    void Start() { Debug.Log("hi"); }\n}\n'
    const [d, ...rest] = await s.validate(src, 'Gate.cs')
    assert.deepEqual(rest, [])
    assert.deepEqual([d.rule, d.severity, d.line, d.column, d.endLine, d.endColumn], ['SPK1001', 'error', 2, 14, 2, 18])
  })

  test('many validations run in parallel off the main thread', async () => {
    const all = await Promise.all(Array.from({ length: 16 }, (_, i) => s.validate(BROKEN, `E${i}.cs`)))
    for (const [i, list] of all.entries()) {
      assert.deepEqual(list.map((d) => d.rule), ['SPK0003', 'SPK1005'])
      assert.ok(list.every((d) => d.file === `E${i}.cs`))
    }
  })

  test('a source over the size limit rejects with input_too_large', async () => {
    const small = new Spark({ providers: { order: ['offline'] }, limits: { max_source_bytes: 16 } })
    await sparkError(small.validate('public class A {}\n', 'A.cs'), 'input_too_large')
    assert.throws(() => small.validateSync('public class A {}\n', 'A.cs'), (e) => { assertSparkError(e, 'input_too_large'); return true })
  })
})

describe('export', () => {
  const s = offline()

  test('zip: an Assets/ tree with the scripts and a .meta for every file and folder', async () => {
    const result = await s.generate('a floating coin pickup')
    const zip = await s.export(result, 'zip')
    assert.ok(Buffer.isBuffer(zip))
    const entries = readZip(zip)
    const names = [...entries.keys()]
    const script = names.find((n) => n.endsWith('/FloatingCoinPickup.cs'))
    assert.ok(script, names.join('\n'))
    assert.match(script, /^Assets\/Generated\//)
    assert.equal(entries.get(script).toString('utf8'), result.files[0].content)
    for (const name of names) {
      assert.ok(name.startsWith('Assets/'), name)
      assert.ok(!name.includes('..'), name)
      if (!name.endsWith('.meta') && !name.endsWith('/')) assert.ok(entries.has(`${name}.meta`), `no meta for ${name}`)
    }
    assert.match(entries.get(`${script}.meta`).toString('utf8'), /guid: [0-9a-f]{32}/)
    // The same input gives the same bytes, on either thread.
    assert.deepEqual(s.exportSync(result, 'zip'), zip)
  })

  test('the manifest records the provenance of a result; `{ files }` alone is enough to export', async () => {
    const result = await s.generate('a floating coin pickup')
    const manifestOf = (buf) => {
      const entries = readZip(buf)
      const name = [...entries.keys()].find((n) => n.endsWith('/spark-manifest.json'))
      assert.ok(name, [...entries.keys()].join('\n'))
      return JSON.parse(entries.get(name).toString('utf8'))
    }
    const full = manifestOf(await s.export(result, 'zip'))
    assert.equal(full.provider, 'offline')
    assert.equal(full.model, 'offline-scaffold')
    assert.equal(full.request_hash, result.requestHash)
    assert.equal(full.validation.error + full.validation.warning + full.validation.info, 0)

    const bare = manifestOf(await s.export({ files: result.files }, 'zip'))
    assert.equal(bare.provider ?? null, null)
    assert.equal(bare.model ?? null, null)

    const diagnostics = await s.validate(BROKEN, 'Enemy.cs')
    const flagged = manifestOf(s.exportSync({ files: [{ path: 'Enemy.cs', content: BROKEN }], diagnostics }, 'zip'))
    assert.equal(flagged.validation.error, 1)
    assert.equal(flagged.validation.warning, 1)
    assert.deepEqual(flagged.validation.rules, ['SPK0003', 'SPK1005'])
    await assert.rejects(
      s.export({ files: result.files, diagnostics: [{ ...diagnostics[0], severity: 'fatal' }] }, 'zip'),
      (e) => assertTypeError(e, /severity/),
    )
  })

  test('nothing to export is an export error', async () => {
    const e = await sparkError(s.export({ files: [] }, 'zip'), 'export')
    assert.match(e.message, /no scripts/)
  })

  test('upm: a tarball with package/package.json and the scripts under package/', async () => {
    const result = await s.generate('a floating coin pickup')
    const entries = readTarGz(await s.export(result, 'upm'))
    const names = [...entries.keys()]
    assert.ok(names.every((n) => n.startsWith('package/')), names.join('\n'))
    const manifest = JSON.parse(entries.get('package/package.json').toString('utf8'))
    assert.match(manifest.name, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    assert.match(manifest.version, /^\d+\.\d+\.\d+/)
    const script = names.find((n) => n.endsWith('/FloatingCoinPickup.cs'))
    assert.ok(script, names.join('\n'))
    assert.equal(entries.get(script).toString('utf8'), result.files[0].content)
  })

  test('unitypackage: <guid>/asset, asset.meta and pathname', async () => {
    const result = await s.generate('a floating coin pickup')
    const entries = readTarGz(await s.export(result, 'unitypackage'))
    const pathnames = [...entries.keys()].filter((n) => n.endsWith('/pathname'))
    const script = pathnames.find((n) => entries.get(n).toString('utf8').split('\n')[0].endsWith('/FloatingCoinPickup.cs'))
    assert.ok(script, pathnames.join('\n'))
    const guid = script.split('/')[0]
    assert.match(guid, /^[0-9a-f]{32}$/)
    assert.equal(entries.get(`${guid}/asset`).toString('utf8'), result.files[0].content)
    assert.match(entries.get(`${guid}/asset.meta`).toString('utf8'), new RegExp(`guid: ${guid}`))
  })

  test('an unknown format is an invalid_argument SparkError listing the known ones', async () => {
    const e = await sparkError(s.export({ files: [{ path: 'A.cs', content: 'class A {}' }] }, 'rar'), 'invalid_argument')
    assert.ok(!(e instanceof TypeError))
    assert.match(e.message, /rar/)
    assert.match(e.message, /zip/)
  })
})
