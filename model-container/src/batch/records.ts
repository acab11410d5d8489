/**
 * Splits a byte stream into records without holding more than one chunk and one unfinished record. Works on
 * bytes, not text, so each record's byte offset is exact (the planner cuts ranges at record starts) and a
 * multi-byte character split across two chunks is decoded whole.
 *
 * CSV records follow RFC 4180 (section 2): a field that starts with a double quote is quoted, may hold commas
 * and newlines, and escapes a quote as `""`. A quote anywhere else (`5" screen`) is a literal character, as
 * csv-parse reads it with `relax_quotes`: it neither opens nor closes anything, so it can never swallow the lines
 * after it. A quoted field followed by anything but a comma or the end of the record ends at the next newline
 * like an unquoted one; the record is then rejected on its own line (formats.ts), never merged into the next.
 * JSON Lines has no such quoting (a JSON string cannot hold a raw newline).
 */
import { isUtf8 } from "node:buffer";
import { FileFormatError } from "./errors";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** Where the CSV scanner is inside a record. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Just after a quote inside a quoted field: `""` (an escaped quote) or the field's end, said by the next byte. */
const QUOTE_IN_QUOTED = 3;
type CsvState = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED;

/** The CSV state after bytes [from, to) of `buf`, none of them a newline, starting in `state`. */
function csvStateAfter(buf: Buffer, from: number, to: number, state: CsvState): CsvState {
  let s: CsvState = state;
  for (let j = from; j < to; j++) {
    const c = buf[j];
    if (s === FIELD_START) s = c === QUOTE ? QUOTED : c === COMMA ? FIELD_START : UNQUOTED;
    else if (s === UNQUOTED) {
      if (c === COMMA) s = FIELD_START;
    } else if (s === QUOTED) {
      const q = buf.indexOf(QUOTE, j);
      if (q === -1 || q >= to) return QUOTED;
      j = q;
      s = QUOTE_IN_QUOTED;
    } else s = c === QUOTE ? QUOTED : c === COMMA ? FIELD_START : UNQUOTED;
  }
  return s;
}

/** A record longer than this fails the file: it bounds what the scanner holds (no flight row is near it). */
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface RawRecord {
  /** 1-based physical line of the file on which the record starts. */
  readonly line: number;
  /** Byte offset of the record's first byte in the file. */
  readonly offset: number;
  /** The record without its line ending; "" for a blank line. */
  readonly text: string;
  /**
   * The record's own bytes, when they are not valid UTF-8 (`text` then holds U+FFFD where they were): the result
   * carries these, so every input byte comes back unchanged. Valid UTF-8 round-trips through `text` exactly.
   */
  readonly raw?: Buffer;
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
  let state: CsvState = FIELD_START;
  let count = 0;
  // Scan position inside `pending` (bytes before it were scanned already), and the quote state there.
  let scanned = 0;
  let recordLine = line;
  const decodeAll = options.decode === undefined;

  const emit = (out: RawRecord[], buf: Buffer, start: number, end: number, at: number, from: number) => {
    let stop = end;
    if (stop > start && buf[stop - 1] === CARRIAGE_RETURN) stop--;
    const text = decodeAll || options.decode?.(count) ? buf.toString("utf8", start, stop) : "";
    if (text.indexOf("\uFFFD") !== -1 && !isUtf8(buf.subarray(start, stop))) {
      out.push({ line: from, offset: at, text, raw: buf.subarray(start, stop) });
    } else out.push({ line: from, offset: at, text });
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
    // The next quote at or after i (-1: none left in buf), found once per quote rather than once per line: a
    // search per line would read on to the end of the chunk whenever a file has no quotes.
    let nextQuote = options.quoted ? buf.indexOf(QUOTE, i) : -1;
    while (i < buf.length) {
      const nl = buf.indexOf(NEWLINE, i);
      const lineEnd = nl === -1 ? buf.length : nl;
      if (options.quoted) {
        if (nextQuote !== -1 && nextQuote < i) nextQuote = buf.indexOf(QUOTE, i);
        if (state !== QUOTED && state !== QUOTE_IN_QUOTED && (nextQuote === -1 || nextQuote >= lineEnd)) {
          // No quote on this line and none open: only its last byte matters.
          if (lineEnd > i) state = buf[lineEnd - 1] === COMMA ? FIELD_START : UNQUOTED;
        } else state = csvStateAfter(buf, i, lineEnd, state);
      }
      if (nl === -1) {
        i = buf.length;
        break;
      }
      line++;
      i = nl + 1;
      // A newline ends the record unless it sits inside a quoted field.
      if (state !== QUOTED) {
        // The check after the loop sees only the unfinished remainder of a chunk: a record that ends inside
        // this chunk is measured here, so none over the limit gets through (by up to a chunk, before).
        if (nl - start > MAX_RECORD_BYTES) {
          throw new FileFormatError(
            `line ${recordLine} holds a record longer than ${MAX_RECORD_BYTES} bytes`,
          );
        }
        state = FIELD_START;
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
        `line ${recordLine} holds a record longer than ${MAX_RECORD_BYTES} bytes${state === QUOTED ? " (an unclosed quote?)" : ""}`,
      );
    }
    if (out.length > 0) yield out;
  }
  if (pending.length > 0) {
    if (state === QUOTED)
      throw new FileFormatError(`line ${recordLine} opens a quoted field that never closes`);
    const out: RawRecord[] = [];
    emit(out, pending, 0, pending.length, pendingOffset, recordLine);
    yield out;
  }
}
