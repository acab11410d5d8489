/**
 * The batch worker's use case for one range of a file: read records as they stream in, gather BATCH_CHUNK_ROWS of
 * them, score the chunk with one model call, write the chunk's result rows, repeat. Memory holds one chunk,
 * whatever the file.
 *
 * Each row goes through POST /predict's own steps (@sml/contracts' InstanceSchema, the core's resolve-and-encode,
 * the same model and rounding), but one row at a time: a row /predict would refuse is rejected alone, with its
 * line and /predict's reason, at the cost of a valid row. (Scoring the chunk as one request and retrying without
 * the rows its 400 named cost 27x per bad row: a 400 names 20 rows.) The reasons are written for the first
 * BATCH_MAX_LISTED_ERRORS rejected lines only; zod's error formatting runs for no other row.
 *
 * The scorer yields to the event loop after every chunk of records, so the process keeps answering (the local
 * stack serves the API from the same process) however fast the bytes arrive.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import {
  BATCH_CHUNK_ROWS,
  BATCH_MAX_LISTED_ERRORS,
  type BatchFormat,
  type BatchRowError,
  type RangeOutcome,
} from "@sml/contracts/batches";
import { InstanceSchema } from "@sml/contracts/predict";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { encodeEach, isValidInstance, round4 } from "@sml/flight-model/predict-flights";
import type * as z from "zod";
import { FileFormatError } from "./errors";
import {
  continuationFormat,
  type InstanceInput,
  neutralizeCsvBytes,
  neutralizeCsvRecord,
  type RecordFormat,
  recordFormat,
} from "./formats";
import { scanRecords } from "./records";

/** Where result rows go, in order: a multipart upload in the worker, a file or a counter in tests. */
export interface TextSink {
  write(data: string | Uint8Array): Promise<void>;
}

export interface RangeInput {
  readonly model: FlightDelayModel;
  readonly format: BatchFormat;
  /** The range's bytes, as they arrive. */
  readonly source: AsyncIterable<Uint8Array>;
  /** Byte offset and 1-based line of the range's first byte. */
  readonly start: number;
  readonly firstLine: number;
  /**
   * The CSV header for a range after the first. Absent for the first range, which reads the header (or, for
   * JSON Lines, checks its first line) and writes the result's header.
   */
  readonly header?: string;
  readonly chunkRows?: number;
}

type Instance = z.output<typeof InstanceSchema>;

interface PendingRow {
  readonly line: number;
  readonly text: string;
  /** The record's bytes when they are not valid UTF-8 (records.ts). */
  readonly raw: Buffer | undefined;
  readonly instance: InstanceInput;
  readonly tail: number;
  readonly separator: string;
}

/** zod's reasons for an instance the pre-check refused, as /predict words them (`field: message; ...`). */
function instanceProblems(instance: InstanceInput): string | Instance {
  const parsed = InstanceSchema.safeParse(instance);
  if (parsed.success) return parsed.data;
  return parsed.error.issues
    .map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

/**
 * The first BATCH_MAX_LISTED_ERRORS rejected lines, in line order, however they arrive (a chunk's rows refused
 * while encoding arrive after later rows refused while reading). Keeps at most twice that many between trims.
 */
class FirstErrors {
  private list: BatchRowError[] = [];
  /** Only lines below this can still be listed (every line is rejected at most once). */
  private cutoff = Number.POSITIVE_INFINITY;

  wants(line: number): boolean {
    return line < this.cutoff;
  }

  add(line: number, message: string): void {
    if (line >= this.cutoff) return;
    this.list.push({ line, message });
    if (this.list.length >= 2 * BATCH_MAX_LISTED_ERRORS) this.trim();
  }

  private trim(): void {
    this.list.sort((a, b) => a.line - b.line);
    this.list.length = Math.min(this.list.length, BATCH_MAX_LISTED_ERRORS);
    if (this.list.length === BATCH_MAX_LISTED_ERRORS) this.cutoff = (this.list.at(-1) as BatchRowError).line;
  }

  result(): BatchRowError[] {
    this.trim();
    return this.list;
  }
}

export async function scoreRange(input: RangeInput, sink: TextSink): Promise<RangeOutcome> {
  const chunkRows = input.chunkRows ?? BATCH_CHUNK_ROWS;
  const { model } = input;
  const first = input.header === undefined;
  let format: RecordFormat | undefined = first ? undefined : continuationFormat(input.format, input.header);
  let read = 0;
  let scored = 0;
  let rejected = 0;
  const errors = new FirstErrors();
  let pending: PendingRow[] = [];
  let instances: Instance[] = [];
  // What each rounded probability (0..10,000) and flag renders as, filled as values occur.
  const suffixes: [string[], string[]] = [[], []];
  let out: (string | Uint8Array)[] = [];
  let text = "";

  const reject = (line: number, message: () => string) => {
    rejected++;
    if (errors.wants(line)) errors.add(line, message());
  };

  const write = async () => {
    if (text !== "") out.push(text);
    text = "";
    const parts = out;
    out = [];
    for (const part of parts) await sink.write(part);
  };

  const flush = async () => {
    const rows = pending;
    const batch = instances;
    pending = [];
    instances = [];
    if (rows.length === 0) return;
    let refused: Uint8Array | undefined;
    let refusedCount = 0;
    const encoded = encodeEach(model, batch, (i, field, message) => {
      refused ??= new Uint8Array(rows.length);
      refused[i] = 1;
      refusedCount++;
      reject((rows[i] as PendingRow).line, () => `${field}: ${message}`);
    });
    // A chunk whose every row was refused needs no model call.
    if (refusedCount === rows.length) return;
    const probabilities = model.predict(encoded);
    const threshold = model.threshold;
    for (let i = 0; i < rows.length; i++) {
      if (refused?.[i]) continue;
      const row = rows[i] as PendingRow;
      const p = probabilities[i] as number;
      const delayed = p >= threshold;
      const key = Math.round(p * 10_000);
      const cache = suffixes[delayed ? 1 : 0];
      let suffix = cache[key];
      if (suffix === undefined) {
        suffix = (format as RecordFormat).suffix(round4(p), delayed);
        cache[key] = suffix;
      }
      if (row.raw === undefined) {
        text += `${row.tail === 0 ? row.text : row.text.slice(0, row.text.length - row.tail)}${row.separator}${suffix}\n`;
      } else {
        // Bytes that are not UTF-8 go out as they came.
        if (text !== "") out.push(text);
        out.push(row.raw.subarray(0, row.raw.length - row.tail));
        text = `${row.separator}${suffix}\n`;
      }
      scored++;
    }
    await write();
  };

  const records = scanRecords(input.source, {
    quoted: input.format === "csv",
    firstLine: input.firstLine,
    firstOffset: input.start,
  });
  let sinceYield = 0;
  for await (const group of records) {
    for (const record of group) {
      if (++sinceYield >= chunkRows) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      if (record.text.trim() === "") continue;
      if (format === undefined) {
        format = recordFormat(input.format, record.text);
        // The CSV header is no row (the result's header is its own bytes plus the two columns); a JSON Lines
        // file's first line is one.
        if (format.headerSuffix !== undefined) {
          // Column names are cells too: a formula there is neutralized as in any row (formats.ts).
          if (record.raw === undefined)
            text = `${neutralizeCsvRecord(record.text) ?? record.text}${format.headerSuffix}\n`;
          else out.push(neutralizeCsvBytes(record.raw), `${format.headerSuffix}\n`);
          continue;
        }
      }
      read++;
      const parsed = format.parse(record.text);
      if (!parsed.ok) {
        reject(record.line, () => parsed.message);
      } else if (!isValidInstance(parsed.instance)) {
        // The pre-check is exact on these plain objects (a test holds it to InstanceSchema); zod only words it.
        const { instance, tail, separator } = parsed;
        const problems = errors.wants(record.line) ? instanceProblems(instance) : "";
        if (typeof problems !== "string") {
          const text = parsed.text ?? record.text;
          const raw =
            parsed.text === undefined || record.raw === undefined
              ? record.raw
              : neutralizeCsvBytes(record.raw);
          pending.push({ line: record.line, text, raw, instance, tail, separator });
          instances.push(problems);
        } else reject(record.line, () => problems);
      } else {
        pending.push({
          line: record.line,
          // A CSV row with a formula cell is written as formats.ts rewrote it.
          text: parsed.text ?? record.text,
          raw:
            parsed.text === undefined || record.raw === undefined
              ? record.raw
              : neutralizeCsvBytes(record.raw),
          instance: parsed.instance,
          tail: parsed.tail,
          separator: parsed.separator,
        });
        instances.push(parsed.instance);
      }
      if (pending.length >= chunkRows) await flush();
    }
  }
  if (first && format === undefined) throw new FileFormatError("the file is empty");
  if (first && read === 0) throw new FileFormatError("the file has a header but no rows");
  await flush();
  await write();
  return { read, scored, rejected, errors: errors.result() };
}
