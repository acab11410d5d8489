/**
 * The two file formats: how a record becomes a prediction instance (the fields POST /predict takes), and how a
 * scored record is written back. Either way the result row is the input record's own bytes with the prediction
 * appended, so every carried-over column or field comes back byte for byte (non-UTF-8 bytes, 9007199254740993,
 * 1e400, the object's spacing): a CSV row gets `,<delayProbability>,<delayed>`; a JSON Lines object gets
 * `,"delayProbability":<p>,"delayed":<b>` inserted before its closing brace.
 *
 * One exception, in CSV only: a cell a spreadsheet would run as a formula (OWASP, "CSV Injection": one that
 * begins with `=`, `+`, `@`, a tab or a carriage return, or with `-` when the cell is not a number) comes back
 * prefixed with `'` and quoted, so `=HYPERLINK(...)` reaches an admin's Excel as text. The row is then rewritten
 * from its fields (RFC 4180 quoting); rows without such a cell keep their bytes. JSON Lines stays raw: no
 * spreadsheet opens it as cells.
 */
import {
  BATCH_INPUT_FIELDS,
  BATCH_OUTPUT_FIELDS,
  BATCH_REQUIRED_FIELDS,
  type BatchFormat,
} from "@sml/contracts/batches";
import { FileFormatError } from "./errors";

/** The body of one POST /predict instance, as read from the file (validation is /predict's own). */
export type InstanceInput = Record<string, unknown>;

export type ParsedRecord =
  | {
      readonly ok: true;
      readonly instance: InstanceInput;
      /**
       * The result row is the record without its last `tail` characters (all ASCII, so as many bytes), then
       * `separator`, then the format's `suffix`.
       */
      readonly tail: number;
      readonly separator: string;
      /** The record to write instead of its own text (a CSV row with a formula cell neutralized). */
      readonly text?: string;
    }
  | { readonly ok: false; readonly message: string };

export interface RecordFormat {
  /** Whether records follow CSV quoting (a quoted field may hold a newline). */
  readonly quoted: boolean;
  /** What the result's first line appends to the input's header, if the format has a header. */
  readonly headerSuffix: string | undefined;
  parse(text: string): ParsedRecord;
  /** What a scored row ends with, for its rounded probability and flag (the caller caches it per value). */
  suffix(delayProbability: number, delayed: boolean): string;
}

/** Splits one CSV record into its fields (RFC 4180: quoted fields, `""` inside them). */
export function splitCsvRecord(text: string): string[] {
  if (text.indexOf('"') === -1) return text.split(",");
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new Error("a quoted field does not close");
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      fields.push(value);
      if (j === text.length) return fields;
      if (text[j] !== ",")
        throw new Error(`a quoted field is followed by ${JSON.stringify(text[j])}, not a comma`);
      i = j + 1;
    } else {
      const comma = text.indexOf(",", i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/**
 * Whether a spreadsheet would read a cell as a formula (OWASP "CSV Injection"): it begins with = + @ TAB CR, or
 * with - and is not a plain number (`-3`, `-0.5`, `-1e3` stay numbers; `-2+3` is a formula). The full-width forms
 * of = + - @ count too: some spreadsheet locales fold them to ASCII.
 */
const NEGATIVE_NUMBER = /^-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
export function isFormulaCell(cell: string): boolean {
  switch (cell.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // carriage return
    case 0xff1d: // full-width =
    case 0xff0b: // full-width +
    case 0xff0d: // full-width -
    case 0xff20: // full-width @
      return true;
    case 0x2d: // -
      return !NEGATIVE_NUMBER.test(cell);
    default:
      return false;
  }
}

/** A cell as RFC 4180 writes it: quoted (inner quotes doubled) when it holds a quote, comma, CR or LF. */
const csvCell = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

/**
 * A CSV record with every formula cell neutralized (prefixed `'`, and quoted as OWASP advises), or undefined when
 * it has none (the common case: the record keeps its bytes). Throws what splitCsvRecord throws.
 */
export function neutralizeCsvRecord(
  text: string,
  fields: readonly string[] = splitCsvRecord(text),
): string | undefined {
  if (!fields.some(isFormulaCell)) return undefined;
  return fields.map((f) => (isFormulaCell(f) ? `"'${f.replaceAll('"', '""')}"` : csvCell(f))).join(",");
}

/** neutralizeCsvRecord over bytes that are not UTF-8: latin1 maps each byte to one character and back. */
export function neutralizeCsvBytes(raw: Buffer): Buffer {
  const rewritten = neutralizeCsvRecord(raw.toString("latin1"));
  return rewritten === undefined ? raw : Buffer.from(rewritten, "latin1");
}

const FIELD_LIST = BATCH_REQUIRED_FIELDS.join(", ");

/** A character isFormulaCell looks at, at the start of a record or after a comma (a cheap pre-check, no split). */
const MAY_HOLD_FORMULA = /(?:^|,)[=+@\t\r\uff1d\uff0b\uff0d\uff20-]/;

/** A parsed record with the text to write instead of its own, when a cell was neutralized. */
function withNeutralized(parsed: ParsedRecord, neutralized: string | undefined): ParsedRecord {
  return parsed.ok && neutralized !== undefined ? { ...parsed, text: neutralized } : parsed;
}

function csvFormat(header: string): RecordFormat {
  const trimmed = header.charCodeAt(0) === 0xfeff ? header.slice(1) : header;
  if (trimmed.trimStart().startsWith("{")) {
    throw new FileFormatError(
      `line 1 is a JSON object, not a CSV header; create the batch with "format": "jsonl"`,
    );
  }
  let columns: string[];
  try {
    columns = splitCsvRecord(trimmed).map((c) => c.trim());
  } catch (err) {
    throw new FileFormatError(`line 1 is not a CSV header: ${(err as Error).message}`);
  }
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column))
      throw new FileFormatError(`the header names column ${JSON.stringify(column)} twice`);
    seen.add(column);
  }
  const missing = BATCH_REQUIRED_FIELDS.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    throw new FileFormatError(
      `the CSV header (line 1) lacks ${missing.join(", ")}; it must name ${FIELD_LIST} (and optionally distance), in any order`,
    );
  }
  const clash = BATCH_OUTPUT_FIELDS.filter((f) => seen.has(f));
  if (clash.length > 0) {
    throw new FileFormatError(`the header already has ${clash.join(", ")}, which the result adds; rename it`);
  }
  const index = Object.fromEntries(BATCH_INPUT_FIELDS.map((f) => [f, columns.indexOf(f)])) as Record<
    (typeof BATCH_INPUT_FIELDS)[number],
    number
  >;
  const width = columns.length;
  const wrongWidth = (fields: number): ParsedRecord => ({
    ok: false,
    message: `has ${fields} fields; the header has ${width}`,
  });
  const toInstance = (
    origin: string | undefined,
    destination: string | undefined,
    departure: string | undefined,
    distanceField: string | undefined,
  ): ParsedRecord => {
    const instance: InstanceInput = { origin, destination, departure };
    if (distanceField !== undefined) {
      const raw = distanceField.trim();
      if (raw !== "") {
        const distance = Number(raw);
        if (!Number.isFinite(distance)) {
          return {
            ok: false,
            message: `distance: must be a number of miles (got ${JSON.stringify(raw.slice(0, 40))})`,
          };
        }
        instance.distance = distance;
      }
    }
    return { ok: true, instance, tail: 0, separator: "," };
  };
  return {
    quoted: true,
    headerSuffix: BATCH_OUTPUT_FIELDS.map((f) => `,${f}`).join(""),
    parse(text) {
      if (text.indexOf('"') === -1) {
        // No quotes: the fields lie between commas. Only the four /predict reads become strings (splitting
        // the record into an array of every field showed in the batch worker's profile).
        let origin: string | undefined;
        let destination: string | undefined;
        let departure: string | undefined;
        let distance: string | undefined;
        let field = 0;
        let start = 0;
        for (;;) {
          const comma = text.indexOf(",", start);
          const end = comma === -1 ? text.length : comma;
          if (field === index.origin) origin = text.slice(start, end);
          else if (field === index.destination) destination = text.slice(start, end);
          else if (field === index.departure) departure = text.slice(start, end);
          else if (field === index.distance) distance = text.slice(start, end);
          field++;
          if (comma === -1) break;
          start = comma + 1;
        }
        if (field !== width) return wrongWidth(field);
        const parsed = toInstance(origin, destination, departure, distance);
        // Most records start no cell with a formula character: only those pay for the split.
        return MAY_HOLD_FORMULA.test(text) ? withNeutralized(parsed, neutralizeCsvRecord(text)) : parsed;
      }
      let fields: string[];
      try {
        fields = splitCsvRecord(text);
      } catch (err) {
        return { ok: false, message: `not a CSV record: ${(err as Error).message}` };
      }
      if (fields.length !== width) return wrongWidth(fields.length);
      return withNeutralized(
        toInstance(
          fields[index.origin],
          fields[index.destination],
          fields[index.departure],
          index.distance >= 0 ? fields[index.distance] : undefined,
        ),
        neutralizeCsvRecord(text, fields),
      );
    },
    suffix: (p, delayed) => `${p},${delayed}`,
  };
}

const jsonlFormat: RecordFormat = {
  quoted: false,
  headerSuffix: undefined,
  parse(text) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, message: "is not valid JSON" };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, message: "must be a JSON object" };
    }
    const row = value as Record<string, unknown>;
    const clash = BATCH_OUTPUT_FIELDS.find((f) => f in row);
    if (clash) return { ok: false, message: `already has the field ${clash}, which the result adds` };
    const instance: InstanceInput = {};
    for (const f of BATCH_INPUT_FIELDS) if (f in row) instance[f] = row[f];
    let members = false;
    for (const _ in row) {
      members = true;
      break;
    }
    // The object's text ends with its closing brace and maybe JSON whitespace: the fields go in before it.
    return { ok: true, instance, tail: text.length - text.lastIndexOf("}"), separator: members ? "," : "" };
  },
  suffix: (p, delayed) => `"${BATCH_OUTPUT_FIELDS[0]}":${p},"${BATCH_OUTPUT_FIELDS[1]}":${delayed}}`,
};

/**
 * The format of a file whose first record is `first` (the CSV header, or the first JSON line). Throws
 * FileFormatError when the file is plainly not that format: a CSV without the columns, JSON Lines whose first
 * line is not a JSON object.
 */
export function recordFormat(format: BatchFormat, first: string): RecordFormat {
  if (format === "csv") return csvFormat(first);
  const parsed = jsonlFormat.parse(first);
  if (!parsed.ok) {
    throw new FileFormatError(
      `line 1 ${parsed.message}, so the file is not JSON Lines${first.includes(",") && !first.trimStart().startsWith("{") ? '; for CSV create the batch with "format": "csv"' : ""}`,
    );
  }
  return jsonlFormat;
}

/** The format of a range after the first: CSV takes the header the planner read; JSON Lines needs none. */
export function continuationFormat(format: BatchFormat, header: string | undefined): RecordFormat {
  if (format === "jsonl") return jsonlFormat;
  if (header === undefined) throw new Error("a CSV range after the first needs the file's header");
  return csvFormat(header);
}
