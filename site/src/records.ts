/**
 * Reading the files the page handles, in the browser: the header of a dropped file (does it have a `delay`
 * column?) and the rows of a result file (the input's columns plus `delayProbability`), CSV (RFC 4180 quoting)
 * or JSON Lines, as the batch worker reads and writes them.
 */
import type { BatchFormat } from "@sml/contracts/batches";
import { DELAYED_AFTER_MINUTES, type Scored } from "./metrics";

/** The format a file name says, or undefined (the page then asks). */
export function formatOfName(name: string): BatchFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  return undefined;
}

/** Splits CSV text into records of fields (quotes, doubled quotes, CRLF, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ""));
}

/** The column (field) names of a file, from its first line (CSV header, or the first JSON object's keys). */
export function columnsOf(firstLine: string, format: BatchFormat): string[] {
  if (format === "csv") return (parseCsv(firstLine)[0] ?? []).map((c) => c.trim());
  try {
    const value: unknown = JSON.parse(firstLine);
    return value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
  } catch {
    return [];
  }
}

/**
 * The scored rows of a result that carry a usable `delay` (a number of minutes) and `delayProbability`; rows
 * without one (a blank delay: cancelled flights) are left out.
 */
export function scoredRows(text: string, format: BatchFormat): Scored[] {
  const rows: { delay: unknown; delayProbability: unknown }[] = [];
  if (format === "csv") {
    const [header, ...records] = parseCsv(text);
    const delay = header?.indexOf("delay") ?? -1;
    const probability = header?.indexOf("delayProbability") ?? -1;
    if (delay < 0 || probability < 0) return [];
    for (const r of records) rows.push({ delay: r[delay], delayProbability: r[probability] });
  } else {
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        rows.push(JSON.parse(line));
      } catch {
        // A result line is always JSON; anything else is not a row.
      }
    }
  }
  return rows.flatMap(({ delay, delayProbability }) => {
    const minutes =
      typeof delay === "number" ? delay : delay === "" || delay == null ? Number.NaN : Number(delay);
    const probability = Number(delayProbability);
    if (!Number.isFinite(minutes) || !Number.isFinite(probability)) return [];
    return [{ probability, delayed: minutes > DELAYED_AFTER_MINUTES }];
  });
}
