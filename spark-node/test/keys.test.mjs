// Caller keys and tiers from Node: a key is shown once, each failed check names its reason, and
// a key's tier decides its token limit before any request reaches the provider.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { mockConfig, spark, startOpenAiMock } from './helpers.mjs'

const { Spark } = spark

async function reason(client, key) {
  try {
    await client.keys.verify(key)
  } catch (e) {
    assert.equal(e.name, 'SparkError')
    assert.equal(e.code, 'unauthenticated')
    assert.ok(!e.message.includes(key.slice(-64)))
    return e.reason
  }
  assert.fail('verify should have rejected')
}

test('create, verify, list and revoke caller keys', async () => {
  const client = new Spark({ providers: { order: ['offline'] }, tiers: { pro: { tokens_per_minute: 5000 } } })
  const created = await client.keys.create('alice', { scopes: ['generate', 'usage'], tier: 'pro', name: 'ci' })
  const { key } = created
  assert.match(key, /^spk_[0-9a-f]{16}_[0-9a-f]{64}$/)
  assert.equal(created.info.caller, 'alice')

  const info = await client.keys.verify(key, 'usage')
  assert.deepEqual([info.caller, info.tier, info.scopes], ['alice', 'pro', ['generate', 'usage']])
  assert.ok(info.lastUsedMs >= info.createdMs)
  await assert.rejects(client.keys.verify(key, 'admin'), (e) => e.code === 'forbidden' && e.scope === 'admin')

  assert.equal(await reason(client, key.slice(0, -64) + '0'.repeat(64)), 'bad_secret')
  assert.equal(await reason(client, 'spk_' + 'f'.repeat(16) + key.slice(-65)), 'unknown_key')
  assert.equal(await reason(client, 'nope'), 'malformed_key')
  await assert.rejects(client.keys.create('bob', { tier: 'gold' }), (e) => e.code === 'invalid_request')
  await assert.rejects(client.keys.create('bob', { scope: ['x'] }), TypeError)

  const short = await client.keys.create('bob', { expiresInSeconds: 0.05 })
  await client.keys.verify(short.key)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(await reason(client, short.key), 'expired')

  const listed = await client.keys.list()
  assert.deepEqual(listed.map((k) => k.caller), ['alice', 'bob'])
  assert.ok(!JSON.stringify(listed).includes(key.slice(-64)))
  assert.notEqual((await client.keys.revoke(info.id)).revokedMs, undefined)
  assert.equal(await reason(client, key), 'revoked')
})

test("a key's tier limits tokens before any request reaches the provider", async () => {
  const mock = await startOpenAiMock()
  try {
    const client = new Spark(mockConfig(mock, {
      tiers: { free: { tokens_per_minute: 300 }, pro: { tokens_per_minute: 100000 } },
      caller_tiers: { default: 'free' },
    }))
    const free = await client.keys.verify((await client.keys.create('dora')).key, 'generate')
    await assert.rejects(
      client.generate('a rotating pickup', { caller: free.caller, tier: free.tier, maxTokens: 1000 }),
      (e) => e.code === 'rate_limited' && e.retryAfter > 0,
    )
    assert.equal(mock.requests.length, 0)
    const pro = await client.keys.verify((await client.keys.create('erin', { tier: 'pro' })).key)
    const result = await client.generate('a rotating pickup', { caller: pro.caller, tier: pro.tier, maxTokens: 1000 })
    assert.ok(result.files.length > 0)
    assert.equal(mock.requests.length, 1)
  } finally {
    await mock.close()
  }
})
