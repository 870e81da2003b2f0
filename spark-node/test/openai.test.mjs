// The binding against a loopback OpenAI-compatible server: the real OpenAI provider of
// spark-core speaks Chat Completions (JSON and SSE) to it.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'

import { spark, startOpenAiMock, mockConfig, pieces, PLAYER_REPLY } from './helpers.mjs'

const { Spark, errorCodes } = spark

const noRetry = { retry: { max_attempts: 1 } }

/** Asserts `promise` rejects with a SPARK error of `code`, and returns that error. */
async function sparkError(promise, code) {
  let caught
  await assert.rejects(promise, (e) => { caught = e; return true })
  assert.equal(caught.name, 'SparkError', caught.stack)
  assert.equal(caught.code, code, caught.message)
  assert.equal(caught.codeNumber, errorCodes()[code])
  return caught
}

async function rejection(promise) {
  let caught
  await assert.rejects(promise, (e) => { caught = e; return true })
  assert.ok(caught instanceof Error)
  assert.equal(caught.name, 'SparkError', caught.stack)
  assert.equal(caught.codeNumber, errorCodes()[caught.code])
  return caught
}

describe('generate against a loopback OpenAI mock', () => {
  let mock
  before(async () => { mock = await startOpenAiMock() })
  after(() => mock.close())

  test('a second request of a caller over its rate rejects with rate_limited and retryAfter', async () => {
    const s = new Spark(mockConfig(mock, { rate_limit: { requests_per_minute: 1, burst: 1 } }))
    await s.generate('a coin', { caller: 'alice' })
    // The same prompt again is a cache hit, which spends no tokens; a new one is limited.
    await s.generate('a coin', { caller: 'alice' })
    const e = await sparkError(s.generate('a door', { caller: 'alice' }), 'rate_limited')
    assert.equal(e.codeNumber, 6)
    assert.equal(e.retryable, true)
    assert.ok(e.retryAfter > 0 && e.retryAfter <= 60, `retryAfter ${e.retryAfter}`)
    assert.match(e.message, /alice/)
    // Another caller has its own bucket; a stream is limited the same way.
    await s.generate('a door', { caller: 'bob' })
    await sparkError((async () => { for await (const _ of s.stream('a lamp', { caller: 'bob' })) { /* nothing */ } })(), 'rate_limited')
  })

  test('a request names its provider and its Unity version', async () => {
    const s = new Spark(mockConfig(mock, { providers: { order: ['openai', 'offline'] } }))
    const before = mock.requests.length
    const offline = await s.generate('a coin', { provider: 'offline', noCache: true })
    assert.equal(offline.provider, 'offline')
    assert.equal(mock.requests.length, before, 'the pinned offline scaffold calls no server')
    const six = await s.generate('a coin', { provider: 'openai', unityVersion: '6000.0', noCache: true })
    assert.equal(six.provider, 'openai')
    const system = mock.requests.at(-1).body.messages[0]
    assert.equal(system.role, 'system')
    assert.match(system.content, /Unity 6000\.0/)
    await sparkError(s.generate('a coin', { provider: 'anthropic' }), 'invalid_request')
    await sparkError(s.generate('a coin', { unityVersion: 'latest' }), 'invalid_request')
  })

  test('a generation is one Chat Completions call with the prompt and the key', async () => {
    const before = mock.requests.length
    const s = new Spark(mockConfig(mock))
    assert.deepEqual(s.providers, ['openai'])
    assert.equal(s.isOffline, false)
    const result = await s.generate('a player that walks forward', { noCache: true })
    assert.equal(result.offline, false)
    assert.equal(result.provider, 'openai')
    assert.equal(result.model, 'gpt-4o-mini')
    assert.deepEqual(result.files.map((f) => f.path), ['Player.cs'])
    assert.match(result.files[0].content, /public class Player : MonoBehaviour/)
    assert.deepEqual(result.diagnostics, [])
    assert.deepEqual(result.usage, { inputTokens: 120, outputTokens: 80, cacheReadTokens: 0, cacheWriteTokens: 0 })
    assert.ok(Math.abs(result.costUsd - (120 * 0.15 + 80 * 0.6) / 1e6) < 1e-12, `costUsd ${result.costUsd}`)
    assert.equal(result.raw, PLAYER_REPLY)
    assert.equal(result.rounds.length, 1)

    const calls = mock.requests.slice(before)
    assert.equal(calls.length, 1)
    const [call] = calls
    assert.equal(call.headers.authorization, 'Bearer test')
    assert.equal(call.body.model, 'gpt-4o-mini')
    const user = call.body.messages.find((m) => m.role === 'user')
    assert.match(typeof user.content === 'string' ? user.content : JSON.stringify(user.content), /a player that walks forward/)
    assert.ok(call.body.messages.some((m) => m.role === 'system' || m.role === 'developer'))
  })

  test('requestId and traceparent reach the provider as headers', async () => {
    const s = new Spark(mockConfig(mock))
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const result = await s.generate('a player', { noCache: true, requestId: 'node-req-1', traceparent: parent })
    assert.equal(result.requestId, 'node-req-1')
    const sent = mock.requests.at(-1).headers
    assert.equal(sent['x-request-id'], 'node-req-1')
    const [version, traceId, spanId] = sent.traceparent.split('-')
    assert.deepEqual([version, traceId], ['00', '4bf92f3577b34da6a3ce929d0e0e4736'])
    assert.notEqual(spanId, '00f067aa0ba902b7')
    assert.equal(spanId.length, 16)
  })

  test('onEvent gets the streamed deltas in order, then diagnostics and done', async () => {
    const before = mock.requests.length
    const s = new Spark(mockConfig(mock))
    const events = []
    const result = await s.generate('a player that walks forward', { noCache: true, onEvent: (e) => events.push(e) })
    const call = mock.requests[before]
    assert.equal(call.body.stream, true)
    const kinds = events.map((e) => e.type)
    assert.equal(kinds[0], 'started')
    assert.equal(events[0].provider, 'openai')
    assert.equal(events[0].model, 'gpt-4o-mini')
    assert.deepEqual(kinds.slice(-2), ['diagnostics', 'done'])
    const deltas = events.filter((e) => e.type === 'delta').map((e) => e.text).filter((t) => t.length > 0)
    assert.deepEqual(deltas, pieces(PLAYER_REPLY, 4))
    assert.deepEqual(events.at(-1).result, result)
    assert.deepEqual(result.usage, { inputTokens: 120, outputTokens: 80, cacheReadTokens: 0, cacheWriteTokens: 0 })
    assert.equal(result.raw, PLAYER_REPLY)
  })

  test('stream() yields the same events from the SSE stream', async () => {
    const s = new Spark(mockConfig(mock))
    const events = []
    for await (const e of s.stream('a player that walks forward', { noCache: true })) events.push(e)
    assert.equal(events[0].type, 'started')
    assert.deepEqual(events.filter((e) => e.type === 'delta').map((e) => e.text).join(''), PLAYER_REPLY)
    assert.equal(events.at(-1).type, 'done')
    assert.deepEqual(events.at(-1).result.files.map((f) => f.path), ['Player.cs'])
  })

  test('concurrent generates each make their own call and resolve', async () => {
    const before = mock.requests.length
    const s = new Spark(mockConfig(mock))
    const prompts = Array.from({ length: 8 }, (_, i) => `a player number ${i} that walks forward`)
    const results = await Promise.all(prompts.map((p, i) => s.generate(p, { caller: `u${i}`, noCache: true })))
    for (const r of results) assert.deepEqual(r.files.map((f) => f.path), ['Player.cs'])
    const seen = mock.requests.slice(before).map((r) => JSON.stringify(r.body.messages))
    assert.equal(seen.length, prompts.length)
    for (const p of prompts) assert.equal(seen.filter((m) => m.includes(p)).length, 1, p)
  })
})

describe('provider errors from the mock', () => {
  let mock
  let answer
  before(async () => { mock = await startOpenAiMock((req) => answer(req)) })
  after(() => mock.close())

  test('HTTP 429 rate_limit_exceeded rejects with rate_limited, retryAfter and the provider details', async () => {
    answer = () => ({
      status: 429,
      headers: { 'retry-after': '7', 'x-ratelimit-remaining-requests': '0' },
      body: { error: { message: 'Rate limit reached for gpt-4o-mini', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    })
    const s = new Spark(mockConfig(mock, noRetry))
    for (const run of [
      () => s.generate('a player', { noCache: true }),
      () => s.generate('a player', { noCache: true, onEvent() {} }),
    ]) {
      const e = await rejection(run())
      assert.equal(e.code, 'rate_limited', e.message)
      assert.equal(e.codeNumber, 6)
      assert.equal(e.retryable, true)
      assert.equal(e.retryAfter, 7)
      assert.equal(e.provider, 'openai')
      assert.equal(e.httpStatus, 429)
      assert.match(e.requestId, /^req_mock\d+$/)
      assert.match(e.sparkRequestId, /^[0-9a-f]{32}$/)
      assert.doesNotMatch(`${e.message} ${e.stack}`, /Bearer/)
      assert.ok(e.cause instanceof Error, 'no cause')
      assert.equal(e.cause.name, 'ProviderError')
      assert.match(e.cause.message, /Rate limit reached for gpt-4o-mini/)
      assert.equal(e.cause.errorType, 'rate_limit_exceeded')
      assert.equal(e.cause.httpStatus, 429)
      assert.equal(e.cause.provider, 'openai')
      assert.equal(e.cause.code, undefined)
    }
  })

  test('stream() errors carry the request id, as generate() errors do', async () => {
    answer = () => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    })
    const s = new Spark(mockConfig(mock, noRetry))
    const drain = async (options) => {
      for await (const _ of s.stream('a player', options)) { /* nothing */ }
    }
    const generated = await rejection(drain({ noCache: true }))
    assert.equal(generated.code, 'rate_limited', generated.message)
    assert.match(generated.sparkRequestId, /^[0-9a-f]{32}$/)
    assert.match(generated.requestId, /^req_mock\d+$/, 'requestId stays the provider\'s')
    const named = await rejection(drain({ noCache: true, requestId: 'order-17' }))
    assert.equal(named.code, 'rate_limited', named.message)
    assert.equal(named.sparkRequestId, 'order-17')
  })

  test('HTTP 429 insufficient_quota is quota_exceeded, not retryable', async () => {
    answer = () => ({
      status: 429,
      body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } },
    })
    const e = await rejection(new Spark(mockConfig(mock, noRetry)).generate('a player', { noCache: true }))
    assert.equal(e.code, 'quota_exceeded', e.message)
    assert.equal(e.retryable, false)
    assert.equal(e.httpStatus, 429)
    assert.equal(e.cause.errorType, 'insufficient_quota')
  })

  test('HTTP 401 is authentication', async () => {
    answer = () => ({
      status: 401,
      body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
    })
    const e = await rejection(new Spark(mockConfig(mock, noRetry)).generate('a player', { noCache: true }))
    assert.equal(e.code, 'authentication', e.message)
    assert.equal(e.httpStatus, 401)
    assert.equal(e.retryable, false)
  })
})

describe('cancellation with an AbortSignal', () => {
  let mock
  let answer
  before(async () => { mock = await startOpenAiMock((req) => answer(req)) })
  after(() => mock.close())

  test('aborting rejects with cancelled and closes the provider call in flight', async () => {
    const s = new Spark(mockConfig(mock, noRetry))
    for (const onEvent of [undefined, () => {}]) {
      let arrived
      const requestArrived = new Promise((resolve) => { arrived = resolve })
      answer = (req) => { arrived(req); return { text: PLAYER_REPLY, hold: new Promise(() => {}) } }
      const controller = new AbortController()
      const pending = s.generate('a player that waits', { noCache: true, signal: controller.signal, onEvent })
      const req = await requestArrived
      assert.equal(req.body.stream, true) // generate always reads the reply as a stream
      controller.abort()
      const e = await rejection(pending)
      assert.equal(e.code, 'cancelled', e.message)
      // Dropping the work closes the provider's connection.
      for (let i = 0; i < 200 && !req.closedEarly; i++) await new Promise((r) => setTimeout(r, 10))
      assert.equal(req.closedEarly, true)
    }
  })

  test('an aborted signal rejects at once without calling the provider', async () => {
    answer = () => ({ text: PLAYER_REPLY })
    const before = mock.requests.length
    const e = await rejection(new Spark(mockConfig(mock)).generate('a player', { noCache: true, signal: AbortSignal.abort() }))
    assert.equal(e.code, 'cancelled')
    assert.equal(mock.requests.length, before)
  })

  test('a signal that never aborts changes nothing', async () => {
    answer = () => ({ text: PLAYER_REPLY })
    const result = await new Spark(mockConfig(mock)).generate('a player', { noCache: true, signal: new AbortController().signal })
    assert.deepEqual(result.files.map((f) => f.path), ['Player.cs'])
  })
})

describe('providerStatus and cacheStats', () => {
  let mock
  let answer
  before(async () => { mock = await startOpenAiMock((req) => answer(req)) })
  after(() => mock.close())

  test('a repeated request is answered from the cache', async () => {
    answer = () => ({ text: PLAYER_REPLY })
    const s = new Spark(mockConfig(mock))
    assert.deepEqual(s.cacheStats(), { hits: 0, misses: 0, coalesced: 0, entries: 0, bytes: 0 })
    const before = mock.requests.length
    const first = await s.generate('a cached player')
    const second = await s.generate('a cached player')
    assert.equal(mock.requests.length, before + 1)
    assert.equal(first.rounds[0].cached, false)
    assert.equal(second.rounds[0].cached, true)
    assert.deepEqual(second.files, first.files)
    const stats = s.cacheStats()
    assert.equal(stats.hits, 1)
    assert.equal(stats.misses, 1)
    assert.equal(stats.coalesced, 0)
    await s.generate('a cached player', { noCache: true })
    assert.equal(mock.requests.length, before + 2)
  })

  test('server errors open the circuit breaker; then no call is made', async () => {
    answer = () => ({ status: 500, body: { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } } })
    const s = new Spark(mockConfig(mock, { ...noRetry, breaker: { failure_threshold: 2, cooldown_ms: 600000 } }))
    const [fresh] = s.providerStatus()
    assert.deepEqual(fresh, {
      name: 'openai', model: 'gpt-4o-mini', state: 'closed', failures: 0, timesOpened: 0, successes: 0, totalFailures: 0,
    })
    for (let i = 0; i < 2; i++) {
      const e = await rejection(s.generate(`a player ${i}`, { noCache: true }))
      assert.equal(e.code, 'provider_failed', e.message)
      assert.equal(e.httpStatus, 500)
    }
    const [open] = s.providerStatus()
    assert.equal(open.state, 'open')
    assert.equal(open.timesOpened, 1)
    assert.equal(open.totalFailures, 2)
    assert.ok(open.retryInMs > 0 && open.retryInMs <= 600000, `retryInMs ${open.retryInMs}`)
    const before = mock.requests.length
    const e = await rejection(s.generate('a player 3', { noCache: true }))
    assert.equal(e.code, 'circuit_open', e.message)
    assert.equal(mock.requests.length, before)
  })
})

test('a refused connection is a connection error with a cause chain', async () => {
  // A port that was just free: nothing listens on it.
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => resolve(p)) })
  })
  const s = new Spark({
    providers: { order: ['openai'] },
    openai: { base_url: `http://127.0.0.1:${port}/v1`, api_key: 'test' },
    ...noRetry,
  })
  const e = await rejection(s.generate('a player', { noCache: true }))
  assert.equal(e.code, 'connection', e.message)
  assert.equal(e.retryable, true)
  assert.equal(e.provider, 'openai')
  assert.equal(e.httpStatus, undefined)
  assert.ok(e.cause instanceof Error, 'no cause')
  assert.equal(e.cause.name, 'ProviderError')
  assert.match(e.cause.message, /connect/i)
  assert.doesNotMatch(e.cause.message, new RegExp(`127\\.0\\.0\\.1:${port}/v1`))
})
