// Metrics, health and usage analytics through the Node binding, against a loopback OpenAI mock.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'

import { spark, startOpenAiMock, mockConfig } from './helpers.mjs'

const { Spark } = spark

/** The sum of the samples of `name` whose labels include `labels`. */
function sample(text, name, labels = {}) {
  let total = 0
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue
    const head = line.slice(0, line.lastIndexOf(' '))
    const brace = head.indexOf('{')
    if ((brace < 0 ? head : head.slice(0, brace)) !== name) continue
    const found = Object.fromEntries([...head.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

describe('metrics, health and usage', () => {
  let mock
  before(async () => { mock = await startOpenAiMock() })
  after(() => mock.close())

  test('metricsText counts requests and cache hits, without caller ids', async () => {
    const s = new Spark(mockConfig(mock, { retry: { max_attempts: 1 } }))
    assert.equal(sample(s.metricsText(), 'spark_requests_total'), 0)
    await s.generate('a coin', { caller: 'alice' })
    await s.generate('a coin', { caller: 'alice' })
    const text = s.metricsText()
    assert.match(text, /# TYPE spark_requests_total counter/)
    assert.equal(sample(text, 'spark_requests_total', { provider: 'openai', outcome: 'ok' }), 2)
    assert.equal(sample(text, 'spark_cache_requests_total', { outcome: 'result_hit' }), 1)
    assert.equal(sample(text, 'spark_request_duration_seconds_count'), 2)
    assert.ok(!text.includes('alice'))
  })

  test('health reports each provider, the cache and the queue', async () => {
    const s = new Spark(mockConfig(mock, { retry: { max_attempts: 1 } }))
    await s.generate('a door')
    const h = s.health()
    assert.equal(h.ready, true)
    assert.equal(h.providers.length, 1)
    assert.equal(h.providers[0].name, 'openai')
    assert.equal(h.providers[0].breaker, 'closed')
    assert.equal(h.providers[0].usable, true)
    assert.equal(h.providers[0].recentAttempts, 1)
    assert.equal(h.providers[0].recentErrorRate, 0)
    assert.ok(h.cacheFill >= 0 && h.cacheFill <= 1)
    assert.equal(h.queueDepth, 0)
    assert.equal(h.ledger, 'off')
  })

  test('usage, usageBy, topCallers, exportUsage and usageReport read the ledger', async () => {
    const s = new Spark(mockConfig(mock, { ledger: { enabled: true } }))
    for (const caller of ['alice', 'alice', 'bob']) await s.generate(`a lamp for ${caller}`, { caller })
    const totals = await s.usage()
    assert.deepEqual(totals.map((t) => [t.caller, t.requests]), [['alice', 2], ['bob', 1]])
    const byProvider = await s.usageBy({ groupBy: 'provider' })
    assert.deepEqual(byProvider.map((g) => [g.key, g.requests, g.errorRate]), [['openai', 3, 0]])
    const top = await s.topCallers({ rankBy: 'requests', limit: 1 })
    assert.deepEqual(top.map((g) => g.key), ['alice'])
    const exported = JSON.parse(await s.exportUsage({ caller: 'bob', period: 'all' }))
    assert.deepEqual(exported.records.map((r) => r.caller), ['bob'])
    const report = JSON.parse(await s.usageReport())
    assert.equal(report.top_callers[0].key, 'alice')
    assert.equal(report.by_day.length, 1)
    await assert.rejects(s.usageBy({ groupBy: 'week' }), (e) => e.code === 'invalid_request')
  })

  test('metrics can be turned off', async () => {
    const s = new Spark({ providers: { order: ['offline'] }, metrics: { enabled: false } })
    await s.generate('a door')
    assert.equal(s.metricsText(), '')
  })
})
