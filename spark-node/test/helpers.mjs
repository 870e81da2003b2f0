// Shared by the tests: the addon, a loopback OpenAI-compatible mock and archive readers.
import { createRequire } from 'node:module'
import http from 'node:http'
import zlib from 'node:zlib'

const require = createRequire(import.meta.url)

/** The addon, loaded through the generated `index.js` like a user would. */
export const spark = require('../index.js')

/** A reply the validator accepts as it is (no repair round). */
export const PLAYER_REPLY = [
  "Here is the script.",
  "",
  "### Player.cs",
  "",
  "```csharp",
  "using UnityEngine;",
  "",
  "public class Player : MonoBehaviour",
  "{",
  "    [SerializeField] private float speed = 5f;",
  "",
  "    private void Update()",
  "    {",
  "        transform.Translate(speed * Time.deltaTime * Vector3.forward);",
  "    }",
  "}",
  "```",
  "",
].join('\n')

/** Splits `text` into `n` pieces of about the same length (the SSE deltas). */
export function pieces(text, n) {
  const size = Math.ceil(text.length / n)
  const out = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/**
 * An OpenAI Chat Completions test double on 127.0.0.1. `respond(request)` decides each answer:
 * `{ text, promptTokens?, completionTokens? }` for a success (a JSON body or an SSE stream,
 * following `stream` in the request), or `{ status, body, headers? }` for an error.
 * `{ hold: promise, … }` answers only once `promise` resolves (a closed connection sets
 * `closedEarly` on the recorded request). Every request is recorded in `requests` (method, url,
 * headers, parsed body).
 */
export async function startOpenAiMock(respond = () => ({ text: PLAYER_REPLY })) {
  const requests = []
  let counter = 0
  const server = http.createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => {
      let body = null
      try { body = JSON.parse(raw) } catch { body = raw }
      const recorded = { method: req.method, url: req.url, headers: req.headers, body }
      requests.push(recorded)
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error', param: null, code: null } }))
        return
      }
      const answer = respond(recorded)
      if (answer.hold) {
        // Answer later (or never): lets a test cancel a call in flight.
        res.on('close', () => { if (!res.writableFinished) recorded.closedEarly = true })
        answer.hold.then(() => { if (!res.destroyed) reply(answer, body) })
      } else {
        reply(answer, body)
      }
    })

    function reply(answer, body) {
      const id = `chatcmpl-mock${++counter}`
      const requestId = `req_mock${counter}`
      if (answer.status && answer.status !== 200) {
        res.writeHead(answer.status, { 'content-type': 'application/json', 'x-request-id': requestId, ...(answer.headers ?? {}) })
        res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body))
        return
      }
      const model = body?.model ?? 'gpt-4o-mini'
      const created = 1_764_000_000
      const usage = {
        prompt_tokens: answer.promptTokens ?? 120,
        completion_tokens: answer.completionTokens ?? 80,
        total_tokens: (answer.promptTokens ?? 120) + (answer.completionTokens ?? 80),
      }
      if (body?.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': requestId })
        const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`)
        const chunk = (delta, finish) => ({
          id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock',
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        })
        send(chunk({ role: 'assistant', content: '', refusal: null }, null))
        for (const p of pieces(answer.text, answer.chunks ?? 4)) send(chunk({ content: p }, null))
        send(chunk({}, 'stop'))
        if (body?.stream_options?.include_usage) {
          send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock', choices: [], usage })
        }
        res.end('data: [DONE]\n\n')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId })
      res.end(JSON.stringify({
        id, object: 'chat.completion', created, model, system_fingerprint: 'fp_mock',
        choices: [{ index: 0, message: { role: 'assistant', content: answer.text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      }))
    }
  })
  // Without this every small response waits for a delayed ACK.
  server.on('connection', (socket) => socket.setNoDelay(true))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    port,
    requests,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }),
  }
}

/** The configuration object that points SPARK at the mock. */
export function mockConfig(mock, extra = {}) {
  return {
    providers: { order: ['openai'] },
    openai: { base_url: mock.baseUrl, api_key: 'test', model: 'gpt-4o-mini' },
    ...extra,
  }
}

/** The entries of a ZIP archive (`name` → contents as a Buffer), read from its central directory. */
export function readZip(buf) {
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break }
  }
  if (eocd < 0) throw new Error('not a ZIP: no end of central directory')
  const count = buf.readUInt16LE(eocd + 10)
  let at = buf.readUInt32LE(eocd + 16)
  const entries = new Map()
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = buf.readUInt16LE(at + 10)
    const compressed = buf.readUInt32LE(at + 20)
    const nameLen = buf.readUInt16LE(at + 28)
    const extraLen = buf.readUInt16LE(at + 30)
    const commentLen = buf.readUInt16LE(at + 32)
    const local = buf.readUInt32LE(at + 42)
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen)
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const data = buf.subarray(dataAt, dataAt + compressed)
    entries.set(name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data))
    at += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/** The regular files of a gzip-compressed tar (`name` → contents), for `.tgz` and `.unitypackage`. */
export function readTarGz(buf) {
  const tar = zlib.gunzipSync(buf)
  const entries = new Map()
  let longName = null
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512)
    if (header.every((b) => b === 0)) break
    const field = (from, len) => header.toString('utf8', from, from + len).replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = null
    const data = tar.subarray(at + 512, at + 512 + size)
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '')
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? null
    else if (type === '0' || type === '') entries.set(name, Buffer.from(data))
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}
