/** Real flights (BTS 2001, vega-datasets) as batch files, and helpers to run the batch core in memory. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir } from "@sml/model-training/data";
import type { TextSink } from "../../src/batch/score-range";

export interface Flight {
  readonly origin: string;
  readonly destination: string;
  readonly departure: string;
  readonly distance: number;
}

/** The first `n` flights of flights-20k.json, with the departure in /predict's format. */
export function realFlights(n: number): Flight[] {
  const raw = JSON.parse(readFileSync(join(dataDir(), "flights-20k.json"), "utf8")) as {
    date: string;
    distance: number;
    origin: string;
    destination: string;
  }[];
  return raw.slice(0, n).map((f) => ({
    origin: f.origin,
    destination: f.destination,
    departure: `${f.date.slice(0, 10).replaceAll("/", "-")}T${f.date.slice(11)}:00`,
    distance: f.distance,
  }));
}

/** Splits `text` into chunks of `size` bytes, so records straddle chunk boundaries as they do off the network. */
export async function* chunked(text: string | Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A sink that keeps what the worker writes. */
export function memorySink(): TextSink & { text(): string; bytes(): Buffer } {
  const parts: Buffer[] = [];
  const bytes = () => Buffer.concat(parts);
  return {
    write: async (data) => {
      parts.push(typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data));
    },
    text: () => bytes().toString("utf8"),
    bytes,
  };
}
