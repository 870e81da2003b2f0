// What reaches the host: logs through setLogger, every core result field, and the TOML
// constructors named as in every binding.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { spark, startOpenAiMock, mockConfig, PLAYER_REPLY } from './helpers.mjs'

const { Spark, setLogger, setLogFilter, resultToJson } = spark
const SECRET = 'sk-canary-5ecret-d0-not-log'
const serverError = { status: 500, body: { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } } }

/** Lets queued threadsafe calls (log records) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** Every field of the core's JSON (recursively) must be in the JavaScript object, same value. */
function missingFields(expected, actual, where, out = []) {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) out.push(`${where} (list of ${expected.length})`)
    else expected.forEach((e, i) => missingFields(e, actual[i], `${where}[${i}]`, out))
  } else if (expected !== null && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) {
      if (actual === null || typeof actual !== 'object' || !(camel(key) in actual)) out.push(`${where}.${key}`)
      else missingFields(value, actual[camel(key)], `${where}.${key}`, out)
    }
  } else if (expected !== actual) {
    out.push(`${where} (${JSON.stringify(expected)} vs ${JSON.stringify(actual)})`)
  }
  return out
}

describe('host integration', () => {
  let mock
  let answer = () => ({ text: PLAYER_REPLY })
  before(async () => { mock = await startOpenAiMock((r) => answer(r)) })
  after(() => mock.close())

  test('log records reach the logger, filtered, without the API key', async () => {
    const records = []
    setLogger((level, target, message) => {
      records.push({ level, target, message })
      throw new Error('a throwing logger must not crash the process')
    })
    try {
      setLogFilter('warn')
      assert.throws(() => setLogFilter('spark_core=loud'), (e) => e.code === 'invalid_argument')
      answer = () => serverError
      const config = mockConfig(mock, { retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2 } })
      config.openai.api_key = SECRET
      await assert.rejects(new Spark(config).generate('a player', { noCache: true }))
      await settle()
      assert.ok(records.some((r) => r.level === 'warn' && r.target.startsWith('spark')), JSON.stringify(records))
      assert.ok(records.every((r) => !JSON.stringify(r).includes(SECRET)))

      const seen = records.length
      setLogFilter('error')
      await assert.rejects(new Spark(config).generate('a player', { noCache: true }))
      await settle()
      assert.equal(records.filter((r) => r.level === 'warn').length, records.slice(0, seen).filter((r) => r.level === 'warn').length)
    } finally {
      setLogger(null)
      setLogFilter('')
      answer = () => ({ text: PLAYER_REPLY })
    }
    assert.throws(() => setLogger(3), TypeError)
  })

  test('a registered logger neither keeps the process alive nor fails at exit', () => {
    const addon = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.js')
    const script = `
      const { Spark, setLogger } = require(${JSON.stringify(addon)})
      setLogger(() => {})
      new Spark({ providers: { order: ['openai'] }, retry: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 100 },
                  openai: { base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } })
        .generate('a door').catch(() => {})
      setTimeout(() => {}, 20)`
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stderr, '')
  })

  test('every core result field reaches the JavaScript object', async () => {
    // GetComponent in Update draws a warning: diagnostics in the result and in its round.
    answer = () => ({ text: PLAYER_REPLY.replace('transform.Translate', 'GetComponent<Transform>().Translate') })
    try {
      const result = await new Spark(mockConfig(mock)).generate('a player', { noCache: true })
      const core = JSON.parse(resultToJson(result))
      assert.ok(core.diagnostics.length && core.rounds.length && core.rounds[0].diagnostics_after.length, JSON.stringify(core))
      assert.ok(core.request_id && core.stop_reason && core.cost_usd !== null)
      assert.deepEqual(missingFields(core, result, 'result'), [])
      // The same JSON whichever way it is read back.
      assert.equal(resultToJson(JSON.parse(JSON.stringify(result))), resultToJson(result))
    } finally {
      answer = () => ({ text: PLAYER_REPLY })
    }
    assert.throws(() => resultToJson({ files: [] }), (e) => e.code === 'invalid_argument')
  })

  test('validate names the file after its main type when no name is given', async () => {
    const s = new Spark({ providers: { order: ['offline'] } })
    const source = 'using UnityEngine;\npublic class Door : MonoBehaviour { }\n'
    assert.deepEqual(s.validateSync(source), [])
    assert.deepEqual(await s.validate(source, null), [])
    assert.ok(s.validateSync(source, 'Other.cs').some((d) => d.file === 'Other.cs'))
  })

  test('fromToml takes a path, fromTomlStr the text', () => {
    const toml = '[providers]\norder = ["offline"]\n[rate_limit]\nburst = 7\n'
    assert.deepEqual(Spark.fromTomlStr(toml).providers, ['offline'])
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-toml-'))
    try {
      const file = path.join(dir, 'spark.toml')
      fs.writeFileSync(file, toml)
      assert.deepEqual(Spark.fromToml(file).providers, ['offline'])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    assert.throws(() => Spark.fromToml(toml), (e) => e.code === 'invalid_config')
    assert.throws(() => Spark.fromTomlStr('[cache]\nenabled = "yes"\n'), (e) => e.code === 'invalid_config' && /cache\.enabled/.test(e.message))
  })
})
