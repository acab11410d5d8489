/**
 * The two file formats: how a record becomes a prediction instance (the fields POST /predict takes), and how a
 * scored record is written back. Either way the result row is the input record's own bytes with the prediction
 * appended, so every carried-over column or field comes back byte for byte (non-UTF-8 bytes, 9007199254740993,
 * 1e400, the object's spacing): a CSV row gets `,<delayProbability>,<delayed>`; a JSON Lines object gets
 * `,"delayProbability":<p>,"delayed":<b>` inserted before its closing brace.
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

const FIELD_LIST = BATCH_REQUIRED_FIELDS.join(", ");

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
        return field === width ? toInstance(origin, destination, departure, distance) : wrongWidth(field);
      }
      let fields: string[];
      try {
        fields = splitCsvRecord(text);
      } catch (err) {
        return { ok: false, message: `not a CSV record: ${(err as Error).message}` };
      }
      if (fields.length !== width) return wrongWidth(fields.length);
      return toInstance(
        fields[index.origin],
        fields[index.destination],
        fields[index.departure],
        index.distance >= 0 ? fields[index.distance] : undefined,
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
