/**
 * Splits an uploaded file into ranges of about BATCH_RANGE_BYTES that start on record boundaries, each with the
 * line number of its first record, so parallel workers report the same line numbers one worker would. One
 * streamed pass counts lines (a range's first line number is only known by counting); a file of one range is not
 * read at all here.
 */
import { BATCH_RANGE_BYTES, type BatchFormat, type BatchRange } from "@sml/contracts/batches";
import { FileFormatError } from "./errors";
import { recordFormat } from "./formats";
import { scanRecords } from "./records";

export interface Plan {
  readonly ranges: BatchRange[];
  /** The CSV header line, which ranges after the first need (undefined for one range, or JSON Lines). */
  readonly header?: string;
}

export async function planRanges(options: {
  readonly format: BatchFormat;
  readonly size: number;
  /** The whole file, streamed (only read when it is larger than one range). */
  readonly read: () => AsyncIterable<Uint8Array>;
  readonly rangeBytes?: number;
}): Promise<Plan> {
  const rangeBytes = options.rangeBytes ?? BATCH_RANGE_BYTES;
  if (options.size === 0) throw new FileFormatError("the file is empty");
  if (options.size <= rangeBytes)
    return { ranges: [{ index: 0, start: 0, end: options.size, firstLine: 1 }] };
  const ranges: BatchRange[] = [];
  let header: string | undefined;
  let start = 0;
  let firstLine = 1;
  let cut = rangeBytes;
  // The first range holds the CSV header and at least one row, so that a first range without rows means a file
  // without rows (only a header longer than a range could otherwise leave it alone).
  let sawRow = options.format === "jsonl";
  const records = scanRecords(options.read(), {
    quoted: options.format === "csv",
    firstLine: 1,
    firstOffset: 0,
    decode: (index) => index === 0 || !sawRow,
  });
  for await (const group of records) {
    for (const record of group) {
      if (header === undefined) {
        header = record.text;
        // Fails now, before any range is queued, if the file is plainly not the declared format.
        recordFormat(options.format, header);
        continue;
      }
      if (!sawRow) {
        sawRow = record.text.trim() !== "";
        continue;
      }
      if (record.offset >= cut) {
        ranges.push({ index: ranges.length, start, end: record.offset, firstLine });
        start = record.offset;
        firstLine = record.line;
        cut = record.offset + rangeBytes;
      }
    }
  }
  ranges.push({ index: ranges.length, start, end: options.size, firstLine });
  return options.format === "csv" && header !== undefined ? { ranges, header } : { ranges };
}
