/**
 * Splits a byte stream into records without holding more than one chunk and one unfinished record. Works on
 * bytes, not text, so each record's byte offset is exact (the planner cuts ranges at record starts) and a
 * multi-byte character split across two chunks is decoded whole. CSV records may span lines inside quoted fields
 * (RFC 4180): a newline inside an open quote does not end the record; `""` toggles twice, so it needs no special
 * case. JSON Lines has no such quoting (a JSON string cannot hold a raw newline).
 */
import { FileFormatError } from "./errors";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;

/** A record longer than this fails the file: it bounds what the scanner holds (no flight row is near it). */
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface RawRecord {
  /** 1-based physical line of the file on which the record starts. */
  readonly line: number;
  /** Byte offset of the record's first byte in the file. */
  readonly offset: number;
  /** The record without its line ending; "" for a blank line. */
  readonly text: string;
}

export interface ScanOptions {
  readonly quoted: boolean;
  /** Line number and byte offset of the stream's first byte (a range's start). */
  readonly firstLine: number;
  readonly firstOffset: number;
  /** Skip decoding text (the planner needs offsets and line numbers only, and the first record's text). */
  readonly decode?: (index: number) => boolean;
}

/** Yields the records of `source` in groups (one per chunk), so the per-record cost is a loop, not an await. */
export async function* scanRecords(
  source: AsyncIterable<Uint8Array>,
  options: ScanOptions,
): AsyncGenerator<RawRecord[]> {
  let pending: Buffer = Buffer.alloc(0);
  let pendingOffset = options.firstOffset;
  let line = options.firstLine;
  let inQuotes = false;
  let count = 0;
  // Scan position inside `pending` (bytes before it were scanned already), and the quote state there.
  let scanned = 0;
  let recordLine = line;
  const decodeAll = options.decode === undefined;

  const emit = (out: RawRecord[], buf: Buffer, start: number, end: number, at: number, from: number) => {
    let stop = end;
    if (stop > start && buf[stop - 1] === CARRIAGE_RETURN) stop--;
    const text = decodeAll || options.decode?.(count) ? buf.toString("utf8", start, stop) : "";
    out.push({ line: from, offset: at, text });
    count++;
  };

  for await (const chunk of source) {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf: Buffer = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
    const out: RawRecord[] = [];
    let start = 0;
    let i = scanned;
    while (i < buf.length) {
      const nl = buf.indexOf(NEWLINE, i);
      const lineEnd = nl === -1 ? buf.length : nl;
      if (options.quoted) {
        let q = buf.indexOf(QUOTE, i);
        while (q !== -1 && q < lineEnd) {
          inQuotes = !inQuotes;
          q = buf.indexOf(QUOTE, q + 1);
        }
      }
      if (nl === -1) {
        i = buf.length;
        break;
      }
      line++;
      i = nl + 1;
      if (!inQuotes) {
        emit(out, buf, start, nl, pendingOffset + start, recordLine);
        start = i;
        recordLine = line;
      }
    }
    pendingOffset += start;
    pending = buf.subarray(start);
    scanned = pending.length;
    if (pending.length > MAX_RECORD_BYTES) {
      throw new FileFormatError(
        `line ${recordLine} holds a record longer than ${MAX_RECORD_BYTES} bytes${inQuotes ? " (an unclosed quote?)" : ""}`,
      );
    }
    if (out.length > 0) yield out;
  }
  if (pending.length > 0) {
    if (inQuotes) throw new FileFormatError(`line ${recordLine} opens a quoted field that never closes`);
    const out: RawRecord[] = [];
    emit(out, pending, 0, pending.length, pendingOffset, recordLine);
    yield out;
  }
}
