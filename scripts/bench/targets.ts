/**
 * Every target `npm run bench` checks, in one place: the bench files compare against these, run.ts exits 1 when
 * a row misses its target, and scripts/tests/unit/bench-targets.test.ts keeps the root README's "Performance
 * targets" table equal to this object (issue 29: the bench's targets and the README's figures had drifted apart).
 * Ratios are within one run, each against a baseline measured alongside it.
 */
export const BENCH_TARGETS = {
  /** Every zip bundle's index.js, in KB. */
  zipBundleKb: 250,
  /** A zip bundle's cold import against the same handler loaded unbundled (tsx, node_modules): at most. */
  bundledImportRatio: 0.4,
  /** Prediction image: fresh process (Node boot, bundle, model, first request) against an empty Node process: at most. */
  predictionColdStartVsEmptyNode: 3,
  /** POST /predict with 1,000 instances against raw model.predict on built tensors: at least. */
  predictVsRaw: 0.8,
  /** POST /predict with 1,000 instances against its floor (JSON.parse of the body + raw model.predict): at least. */
  predictVsFloor: 0.9,
  /** Batch worker rows per CPU second against raw model.predict on the same rows, pre-encoded: at least. */
  batchVsRawPredict: 0.5,
  /** Users subscriber, one SQS batch into PostgreSQL, against a raw pg multi-row upsert: at least. */
  subscriberVsRawUpsert: 0.8,
  /** GET /users via the handler against the raw keyset query: at least. */
  usersApiVsRawQuery: 0.7,
  /** `npm start` to the first 200 /health with a new PGlite data folder, in ms (idle 2-core machine). */
  startFreshMs: 5000,
  /** `npm start` to the first 200 /health with an existing PGlite data folder, in ms (idle 2-core machine). */
  startExistingMs: 2000,
  /** Synthesizing all stacks (app process, and the cdktf CLI), in seconds: under. */
  synthSeconds: 10,
} as const;
