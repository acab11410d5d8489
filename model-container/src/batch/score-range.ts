/**
 * The batch worker's use case for one range of a file: read records as they stream in, gather BATCH_CHUNK_ROWS of
 * them, score the chunk with one call of the very use case behind POST /predict (same validation, same features,
 * same model, same rounding), write the chunk's result rows, repeat. Memory holds one chunk, whatever the file.
 *
 * A row /predict would refuse is rejected on its own, with its line and /predict's reason: the chunk is scored
 * again without the rows its ValidationError names (a chunk of good rows is scored once).
 */
import {
  BATCH_CHUNK_ROWS,
  BATCH_MAX_LISTED_ERRORS,
  type BatchFormat,
  type BatchRowError,
  type RangeOutcome,
} from "@sml/contracts/batches";
import { ValidationError } from "@sml/contracts/errors";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { predictFlights } from "@sml/flight-model/predict-flights";
import { FileFormatError } from "./errors";
import { continuationFormat, type InstanceInput, type RecordFormat, recordFormat } from "./formats";
import { scanRecords } from "./records";

/** Where result rows go, in order: a multipart upload in the worker, a file or a counter in tests. */
export interface TextSink {
  write(text: string): Promise<void>;
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

interface PendingRow {
  readonly line: number;
  readonly text: string;
  readonly instance: InstanceInput;
  readonly carry: unknown;
}

const INSTANCE_FIELD = /^instances\.(\d+)\.(.+)$/;

/** The rows a /predict ValidationError names, with the reasons per row (`field: message`). */
function rejectedRows(err: ValidationError): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const detail of err.details ?? []) {
    const match = INSTANCE_FIELD.exec(detail.field ?? "");
    if (!match) continue;
    const index = Number(match[1]);
    const reasons = rows.get(index) ?? [];
    reasons.push(`${match[2]}: ${detail.message}`);
    rows.set(index, reasons);
  }
  return rows;
}

export async function scoreRange(input: RangeInput, sink: TextSink): Promise<RangeOutcome> {
  const chunkRows = input.chunkRows ?? BATCH_CHUNK_ROWS;
  const first = input.header === undefined;
  let format: RecordFormat | undefined = first ? undefined : continuationFormat(input.format, input.header);
  let headerPending = first;
  let read = 0;
  let scored = 0;
  let rejected = 0;
  let errors: BatchRowError[] = [];
  let pending: PendingRow[] = [];

  const reject = (line: number, message: string) => {
    rejected++;
    if (errors.length < BATCH_MAX_LISTED_ERRORS * 2) errors.push({ line, message });
  };

  const flush = async () => {
    let rows = pending;
    pending = [];
    const out: string[] = [];
    if (headerPending && format?.headerOut !== undefined) out.push(format.headerOut);
    headerPending = false;
    while (rows.length > 0) {
      try {
        const { predictions } = predictFlights(input.model, { instances: rows.map((r) => r.instance) });
        const fmt = format as RecordFormat;
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i] as PendingRow;
          const p = predictions[i] as { delayProbability: number; delayed: boolean };
          out.push(fmt.render(row.carry, row.text, p.delayProbability, p.delayed));
        }
        scored += rows.length;
        break;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const bad = rejectedRows(err);
        if (bad.size === 0) throw err;
        for (const [index, reasons] of bad) {
          const row = rows[index] as PendingRow;
          reject(row.line, reasons.join("; "));
        }
        rows = rows.filter((_, i) => !bad.has(i));
      }
    }
    if (errors.length > BATCH_MAX_LISTED_ERRORS) {
      errors = errors.sort((a, b) => a.line - b.line).slice(0, BATCH_MAX_LISTED_ERRORS);
    }
    if (out.length > 0) await sink.write(`${out.join("\n")}\n`);
  };

  const records = scanRecords(input.source, {
    quoted: input.format === "csv",
    firstLine: input.firstLine,
    firstOffset: input.start,
  });
  for await (const group of records) {
    for (const record of group) {
      if (record.text.trim() === "") continue;
      if (format === undefined) {
        format = recordFormat(input.format, record.text);
        // The CSV header is no row; a JSON Lines file's first line is one.
        if (input.format === "csv") continue;
      }
      read++;
      const parsed = format.parse(record.text);
      if (!parsed.ok) {
        reject(record.line, parsed.message);
        continue;
      }
      pending.push({ line: record.line, text: record.text, instance: parsed.instance, carry: parsed.carry });
      if (pending.length >= chunkRows) await flush();
    }
  }
  if (first && format === undefined) throw new FileFormatError("the file is empty");
  if (first && read === 0) throw new FileFormatError("the file has a header but no rows");
  await flush();
  errors.sort((a, b) => a.line - b.line);
  return { read, scored, rejected, errors: errors.slice(0, BATCH_MAX_LISTED_ERRORS) };
}
