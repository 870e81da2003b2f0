// Hostile model replies through the Node binding (issue 9): tests/hostile/scenarios.json.
//
// Each scenario runs `generate` in a child Node process (this file with `--hostile-child`), so a
// stack overflow or an abort is a reported failure, not a dead test runner. The child prints one
// `HOSTILE-REPORT {json}` line; the parent asserts the outcome class, the wall time
// (total_ms + 10%), an empty stderr, CPU quiet after the call and safe result paths.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const HOSTILE = path.resolve(HERE, '../../tests/hostile')
const SPEC = JSON.parse(readFileSync(path.join(HOSTILE, 'scenarios.json'), 'utf8'))
// A child still running after this is killed and reported (a hang or a super-linear blow-up).
const CAP_MS = Number(process.env.HOSTILE_CAP_S ?? 20) * 1000
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** True when `p` could escape a folder a host joins it to, or hides its real name. */
export function unsafePath (p) {
  if (!p || p.startsWith('/') || p.startsWith('\\') || p[1] === ':') return true
  if (p.replace(/\\/g, '/').split('/').some((s) => s === '..' || s === '')) return true
  return /[\p{Cc}\p{Cf}]/u.test(p)
}

async function runChild (name, base) {
  const spark = createRequire(import.meta.url)('../index.js')
  const config = JSON.parse(JSON.stringify(SPEC.config).replaceAll('@BASE@', base).replaceAll('@SCENARIO@', name))
  const client = new spark.Spark(config)
  const report = { scenario: name }
  const start = performance.now()
  try {
    const result = await client.generate('a player controller', { model: name, noCache: true })
    report.outcome = 'result'
    report.paths = result.files.map((f) => f.path)
  } catch (e) {
    report.outcome = typeof e?.code === 'string' ? e.code : `untyped:${e?.name}`
    report.message = String(e?.message).slice(0, 300)
  }
  report.elapsed_ms = performance.now() - start
  const cpu = process.cpuUsage() // the whole process, every thread (the native runtime's too)
  await sleep(SPEC.cpu_after_sleep_ms)
  const used = process.cpuUsage(cpu)
  report.cpu_after_ms = (used.user + used.system) / 1000
  process.stdout.write(`HOSTILE-REPORT ${JSON.stringify(report)}\n`, () => process.exit(0))
}

async function startMock () {
  const dir = mkdtempSync(path.join(tmpdir(), 'spark-hostile-'))
  const portFile = path.join(dir, 'port')
  const proc = spawn('python3', [path.join(HOSTILE, 'mock.py'), portFile, '1800'], { stdio: 'inherit' })
  for (let i = 0; i < 200 && !existsSync(portFile); i++) await sleep(50)
  if (!existsSync(portFile)) throw new Error('the hostile mock did not start')
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`
  return { base, stop: () => { proc.kill(); rmSync(dir, { recursive: true, force: true }) } }
}

function check (scenario, child) {
  const problems = []
  if (child.error?.code === 'ETIMEDOUT') problems.push(`still running after ${CAP_MS / 1000} s (killed)`)
  else if (child.signal) problems.push(`child killed by ${child.signal}`)
  else if (child.status !== 0) problems.push(`child exit status ${child.status}`)
  if (child.stderr) problems.push(`stderr not empty: ${JSON.stringify(child.stderr.slice(0, 400))}`)
  const line = (child.stdout ?? '').split('\n').findLast((l) => l.startsWith('HOSTILE-REPORT '))
  if (!line) return [...problems, 'no report']
  const report = JSON.parse(line.slice('HOSTILE-REPORT '.length))
  const limit = SPEC.total_ms * 1.1
  if (!scenario.expect.includes(report.outcome)) {
    problems.push(`outcome ${report.outcome} (${JSON.stringify(report.message ?? '')}), expected ${scenario.expect}`)
  }
  if (report.elapsed_ms > limit) problems.push(`took ${report.elapsed_ms.toFixed(0)} ms > ${limit.toFixed(0)} ms`)
  if (report.cpu_after_ms >= SPEC.cpu_after_max_ms) {
    problems.push(`${report.cpu_after_ms.toFixed(0)} ms of CPU in the ${SPEC.cpu_after_sleep_ms} ms after the call`)
  }
  const bad = (report.paths ?? []).filter(unsafePath)
  if (bad.length) problems.push(`unsafe result paths ${JSON.stringify(bad.slice(0, 3))}`)
  return problems
}

if (process.argv[2] === '--hostile-child') {
  await runChild(process.argv[3], process.argv[4])
} else {
  const { test, before, after } = await import('node:test')
  const assert = await import('node:assert/strict')
  const stderrs = new Map()
  let mock
  before(async () => { mock = await startMock() })
  after(() => mock?.stop())

  for (const scenario of SPEC.scenarios) {
    test(`hostile reply: ${scenario.name}`, () => {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--hostile-child', scenario.name, mock.base], {
        encoding: 'utf8', timeout: CAP_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024
      })
      stderrs.set(scenario.name, child.stderr ?? '')
      const problems = check(scenario, child)
      assert.deepEqual(problems, [], `${scenario.name}: ${problems.join('; ')}`)
    })
  }

  test('no panic message in the whole hostile suite', () => {
    assert.equal(stderrs.size, SPEC.scenarios.length, 'every scenario ran')
    const panicked = [...stderrs].filter(([, err]) => err.includes('panicked')).map(([n]) => n)
    assert.deepEqual(panicked, [])
  })
}
