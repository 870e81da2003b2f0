// Node leg of the cross-language validate benchmark (the Rust baseline is benches/validate_rust.rs).
//
// Same protocol in every language: validate tests/fixtures/bench/ThirdPersonCharacter.cs (300 lines)
// through the public API (`spark.validateSync`, diagnostics converted to JS objects), warm up 200
// calls, then 30 batches of 200 calls; the figure is the median over batches of the per-call mean.
// Prints one JSON line. Needs the release addon:
//
//   (cd spark-node && npm ci && npm run build) && node benches/validate_node.js
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { Spark, buildProfile } = require('../spark-node')

const WARMUP = 200
const BATCHES = 30
const BATCH = 200
const FILE = 'ThirdPersonCharacter.cs'

if (buildProfile() !== 'release' && process.env.SPARK_BENCH_ALLOW_DEBUG !== '1') {
  console.error('validate_node: the addon is a debug build; run `npm run build` in spark-node first')
  process.exit(1)
}

const source = fs.readFileSync(path.join(__dirname, '..', 'tests', 'fixtures', 'bench', FILE), 'utf8')
const spark = new Spark({ providers: { order: ['offline'] } })

let sink = 0
for (let i = 0; i < WARMUP; i++) sink += spark.validateSync(source, FILE).length

const perCallUs = []
for (let b = 0; b < BATCHES; b++) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < BATCH; i++) sink += spark.validateSync(source, FILE).length
  perCallUs.push(Number(process.hrtime.bigint() - start) / 1e3 / BATCH)
}
perCallUs.sort((a, b) => a - b)
const median = (perCallUs[BATCHES / 2 - 1] + perCallUs[BATCHES / 2]) / 2
if (sink < 0) console.error(sink) // keeps the results alive
console.log(JSON.stringify({ lang: 'node', median_us: Number(median.toFixed(2)), batches: BATCHES, batch: BATCH }))
