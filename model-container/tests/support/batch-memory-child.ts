/**
 * Runs the worker's range path once in its own process and reports the process's peak RSS: the input streamed from
 * the bucket (AWS_ENDPOINT_URL: the test's fauxqs, in another process, so the emulator's memory is not counted),
 * scored in chunks, the result written with the multipart writer. Prints one JSON line.
 *   node --expose-gc --import tsx batch-memory-child.ts <bucket> <inputKey> <resultKey> <size>
 *
 * Two figures: `peakRssBytes`, the process's maximum RSS, and `peakLiveBytes`, the most the worker held: the V8
 * heap in use plus external memory (Buffers, ArrayBuffers) right after a full garbage collection, sampled every
 * few input chunks. RSS alone mixes what the worker holds with V8's own sizing: it frees the network's Buffers
 * lazily (measured here: +120 MiB on 1M rows without the forced collections, none of it reachable) and keeps the
 * heap it grew committed (heapTotal 66 -> 100 MiB on 1M rows while heapUsed stayed at 29-30 MiB).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { initBackend } from "@sml/flight-model/backend";
import { ModelRegistry } from "@sml/flight-model/model-registry";
import { BATCH_S3_CLIENT_CONFIG, createS3BatchObjects } from "../../src/batch/s3-objects";
import { scoreRange } from "../../src/batch/score-range";
import { workspaceRegistryDir } from "./events";

const gc = (globalThis as { gc?: () => void }).gc;
let peakLive = 0;
function sample(): void {
  if (!gc) throw new Error("run with --expose-gc");
  gc();
  const m = process.memoryUsage();
  peakLive = Math.max(peakLive, m.heapUsed + m.external);
}

/** The source as the worker sees it, sampling memory between chunks (every 8, ~0.5 MiB of input). */
async function* sampled(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let chunks = 0;
  for await (const chunk of source) {
    yield chunk;
    if (++chunks % 8 === 0) sample();
  }
}

async function main(): Promise<void> {
  const [bucket, inputKey, resultKey, size] = process.argv.slice(2) as [string, string, string, string];
  await initBackend(["wasm", "cpu"]);
  const model = ModelRegistry.load(workspaceRegistryDir).champion;
  const objects = createS3BatchObjects({
    bucket,
    s3: new S3Client({ ...BATCH_S3_CLIENT_CONFIG, forcePathStyle: true }),
  });
  const writer = objects.writer(resultKey, "text/csv");
  const outcome = await scoreRange(
    {
      model,
      format: "csv",
      source: sampled(objects.read(inputKey, 0, Number(size))),
      start: 0,
      firstLine: 1,
    },
    writer,
  );
  await writer.complete();
  sample();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ ...outcome, errors: outcome.errors.length, peakRssBytes, peakLiveBytes: peakLive })}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
