// Request signing from Node: a signed request verifies once; each tampering names its cause.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { RequestSigner, RequestVerifier, errorCodes } from '../index.js'

const SECRET = 'k3y-0f-at-least-32-bytes-for-hmac-sha256!'
const BODY = Buffer.from('{"prompt":"a rotating coin"}')

const verifier = () =>
  new RequestVerifier({ k1: SECRET, k2: 'the-next-key-in-rotation-0000000' }, { windowSeconds: 300 })

function reason(v, method, path, headers, body) {
  try {
    v.verify(method, path, headers, body)
  } catch (e) {
    assert.equal(e.name, 'SparkError')
    assert.equal(e.code, 'unauthenticated')
    assert.equal(e.codeNumber, errorCodes().unauthenticated)
    return e.reason
  }
  assert.fail('verify should have thrown')
}

test('a signed request verifies once, with header names in any case', () => {
  const v = verifier()
  const headers = new RequestSigner('k1', SECRET).sign('POST', '/v1/generate', BODY)
  assert.deepEqual(Object.keys(headers).sort(), [
    'x-spark-content-sha256',
    'x-spark-key-id',
    'x-spark-nonce',
    'x-spark-signature',
    'x-spark-timestamp',
  ])
  const upper = Object.fromEntries(Object.entries(headers).map(([k, val]) => [k.toUpperCase(), val]))
  assert.equal(v.verify('POST', '/v1/generate', upper, BODY), 'k1')
  assert.equal(reason(v, 'POST', '/v1/generate', headers, BODY), 'replayed')
})

test('each failure has its own reason', () => {
  const v = verifier()
  const s = new RequestSigner('k1', SECRET)
  assert.equal(reason(v, 'POST', '/p', s.sign('POST', '/p', BODY), '{}'), 'body_mismatch')
  assert.equal(reason(v, 'POST', '/other', s.sign('POST', '/p', BODY), BODY), 'bad_signature')
  assert.equal(reason(v, 'POST', '/p', new RequestSigner('k1', 'nope').sign('POST', '/p', BODY), BODY), 'bad_signature')
  assert.equal(reason(v, 'POST', '/p', new RequestSigner('k9', SECRET).sign('POST', '/p', BODY), BODY), 'unknown_key')
  const old = s.sign('POST', '/p', BODY)
  old['x-spark-timestamp'] = String(Number(old['x-spark-timestamp']) - 3600)
  assert.equal(reason(v, 'POST', '/p', old, BODY), 'expired')
  const partial = s.sign('POST', '/p', BODY)
  delete partial['x-spark-nonce']
  assert.equal(reason(v, 'POST', '/p', partial, BODY), 'missing_header')
  const rotated = new RequestSigner('k2', 'the-next-key-in-rotation-0000000').sign('POST', '/p', 'a string body')
  assert.equal(v.verify('POST', '/p', rotated, Buffer.from('a string body')), 'k2')
})

test('wrong argument types are TypeErrors', () => {
  assert.throws(() => new RequestSigner(1, SECRET), TypeError)
  assert.throws(() => new RequestVerifier({}), TypeError)
  assert.throws(() => new RequestVerifier({ k: SECRET }, { windowSeconds: Number.NaN }), TypeError)
  assert.throws(() => new RequestVerifier({ k: SECRET }, { window: 3 }), TypeError)
  assert.throws(() => verifier().verify('POST', '/p', {}, 42), TypeError)
  assert.throws(() => new RequestSigner('', SECRET), (e) => e.code === 'invalid_argument')
})
