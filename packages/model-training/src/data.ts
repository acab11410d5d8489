/**
 * Reads the flight records that vega-datasets ships (BTS on-time data, 2001) into compact columns, and its
 * airport table. Training, the evaluation test and the benchmark read the data only through here.
 *
 * What the columns mean (vega-datasets scripts/flights.py): `date` is the scheduled flight date combined with
 * the ACTUAL departure time (DepTime), and `delay` is the ARRIVAL delay (ArrDelay). Callers of the API send
 * scheduled departures, so every feature is built from a reconstructed scheduled departure (scheduledMinuteOfDay).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type FlightInput, localDateTimeFromTimestamp } from "@sml/flight-model/features";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { type ColumnData, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";

/** Delayed means an arrival delay of more than 15 minutes (the BTS on-time definition; `delay` is ArrDelay). */
export const DELAY_THRESHOLD_MINUTES = 15;

/** vega-datasets exports only its JS entry (build/index.js); the data folder sits beside build/. */
export const dataDir = (): string => join(dirname(require.resolve("vega-datasets")), "..", "data");
export const FLIGHTS_FILE = "flights-3m.parquet";
export const AIRPORTS_FILE = "airports.csv";

/** One row per flight, column-wise in typed arrays: 3M row objects would each carry an object header and boxed fields. */
export interface FlightTable {
  readonly size: number;
  /**
   * The file's `date`: the scheduled date at the ACTUAL local departure time, stored as if UTC (no zone). It
   * reads how late the flight left, so no feature may use its time of day (see scheduledMs).
   */
  readonly departureMs: Float64Array;
  /** Reconstructed scheduled local departure (see scheduledMinuteOfDay), stored as if UTC; what features read. */
  readonly scheduledMs: Float64Array;
  readonly delayMinutes: Int32Array;
  readonly distance: Float64Array;
  /** Indices into `codes`. */
  readonly origin: Uint16Array;
  readonly destination: Uint16Array;
  readonly codes: readonly string[];
}

export async function loadFlights(file = join(dataDir(), FLIGHTS_FILE)): Promise<FlightTable> {
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let size = 0;
  const chunks: ColumnData[] = [];
  await parquetRead({
    file: buffer,
    compressors,
    columns: ["date", "delay", "distance", "origin", "destination"],
    parsers: { timestampFromMicroseconds: (micros: bigint) => Number(micros / 1000n) },
    onChunk: (chunk) => {
      chunks.push(chunk);
      size = Math.max(size, chunk.rowEnd);
    },
  });
  const table = {
    size,
    departureMs: new Float64Array(size),
    scheduledMs: new Float64Array(size),
    delayMinutes: new Int32Array(size),
    distance: new Float64Array(size),
    origin: new Uint16Array(size),
    destination: new Uint16Array(size),
    codes: [] as string[],
  };
  const codeIndex = new Map<string, number>();
  const code = (value: string): number => {
    let i = codeIndex.get(value);
    if (i === undefined) {
      i = table.codes.length;
      codeIndex.set(value, i);
      table.codes.push(value);
    }
    return i;
  };
  for (const { columnName, columnData, rowStart, rowEnd } of chunks) {
    for (let row = rowStart, i = 0; row < rowEnd; row++, i++) {
      const v = columnData[i];
      switch (columnName) {
        case "date":
          table.departureMs[row] = v as number;
          break;
        case "delay":
          table.delayMinutes[row] = Number(v);
          break;
        case "distance":
          table.distance[row] = Number(v);
          break;
        case "origin":
          table.origin[row] = code(v as string);
          break;
        case "destination":
          table.destination[row] = code(v as string);
          break;
      }
    }
  }
  for (let row = 0; row < size; row++) {
    const { day, minute: actualMinute } = actualDeparture(table.departureMs[row] as number);
    const minute = scheduledMinuteOfDay(actualMinute, table.delayMinutes[row] as number);
    table.scheduledMs[row] = day + minute * MINUTE_MS;
  }
  return table;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Published schedules sit on 5-minute marks; reconstructed times are rounded onto them (see below). */
export const SCHEDULE_GRID_MINUTES = 5;

/**
 * The flight's date and actual departure minute of that date, from the file's `date`. BTS writes a departure at
 * midnight as 2400, never 0000, and flights.py adds those 24 hours to the date: the record lands on 00:00 of the
 * NEXT day (335 flights; no record reads 2001-01-01T00:00, 6 read 07-01). Every 00:00 record is therefore minute
 * 1440 of the day before, which is its scheduled date.
 */
export function actualDeparture(epochMs: number): { day: number; minute: number } {
  const day = Math.floor(epochMs / DAY_MS) * DAY_MS;
  const minute = (epochMs - day) / MINUTE_MS;
  return minute === 0 ? { day: day - DAY_MS, minute: 1440 } : { day, minute };
}

/**
 * The scheduled departure's minute of the day, reconstructed from the actual departure minute (1 to 1440, see
 * actualDeparture) and the arrival delay: actual - max(0, arrival delay), rounded to the 5-minute grid, on the
 * record's own (scheduled) date. A flight that left after midnight wraps back to the evening before; a time that
 * rounds up to 24:00 stays on its date at 23:55 (a schedule's last mark), never the morning of that date. The
 * data hold no departure delay, so this leaves an error: early departures keep their earliness (actual <
 * scheduled, delay <= 0), and a late flight's en-route gain or loss (departure delay - arrival delay) stays in;
 * features therefore read the route's established slot, not this minute (features.ts establishedSlot).
 * Rounding to the grid matters: before it, reconstructed times exactly on a 5-minute mark were mostly punctual
 * flights (delayed share 0.12-0.16 on the marks against 0.21-0.24 between them, training days).
 */
export function scheduledMinuteOfDay(actualMinuteOfDay: number, arrivalDelay: number): number {
  const raw = actualMinuteOfDay - Math.max(0, arrivalDelay);
  // Only a negative time wraps (left after midnight): 24:00 itself (a 2400 departure on time) is its date's end.
  const wrapped = raw < 0 ? ((raw % 1440) + 1440) % 1440 : raw;
  const rounded = Math.round(wrapped / SCHEDULE_GRID_MINUTES) * SCHEDULE_GRID_MINUTES;
  return Math.min(rounded, 1440 - SCHEDULE_GRID_MINUTES);
}

export interface Airport {
  readonly code: string;
  readonly latitude: number;
  readonly longitude: number;
}

/** airports.csv: iata,name,city,state,country,latitude,longitude (names may be quoted and hold commas). */
export function loadAirports(file = join(dataDir(), AIRPORTS_FILE)): Airport[] {
  const lines = readFileSync(file, "utf8").split(/\r?\n/).slice(1);
  const airports: Airport[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    // Only the first field (the code, never quoted) and the last two (coordinates) are needed, so quoted names
    // holding commas do not matter.
    const parts = line.split(",");
    const code = parts[0];
    const latitude = Number(parts[parts.length - 2]);
    const longitude = Number(parts[parts.length - 1]);
    if (code && Number.isFinite(latitude) && Number.isFinite(longitude))
      airports.push({ code, latitude, longitude });
  }
  return airports;
}

/**
 * Row `row` as the feature pipeline's input, with its reconstructed scheduled departure: the same shape serving
 * builds from a request, which carries a scheduled departure.
 */
export function flightAt(table: FlightTable, row: number): FlightInput {
  return {
    origin: table.codes[table.origin[row] as number] as string,
    destination: table.codes[table.destination[row] as number] as string,
    departure: localDateTimeFromTimestamp(table.scheduledMs[row] as number),
    distance: table.distance[row] as number,
  };
}

/**
 * Row `row` with its ACTUAL departure time, as the models before issue 26 were trained: only for measuring that
 * leak (tests, the card); never a model input.
 */
export function actualFlightAt(table: FlightTable, row: number): FlightInput {
  return { ...flightAt(table, row), departure: localDateTimeFromTimestamp(table.departureMs[row] as number) };
}

export const isDelayed = (table: FlightTable, row: number): 0 | 1 =>
  (table.delayMinutes[row] as number) > DELAY_THRESHOLD_MINUTES ? 1 : 0;

/** P(delay) for table rows through the serving model, in chunks so memory stays flat; `flightOf` builds the inputs. */
export function predictTable(
  model: FlightDelayModel,
  table: FlightTable,
  rows: Uint32Array,
  flightOf: (table: FlightTable, row: number) => FlightInput = flightAt,
): Float32Array {
  const out = new Float32Array(rows.length);
  const chunk = 20_000;
  for (let from = 0; from < rows.length; from += chunk) {
    const to = Math.min(rows.length, from + chunk);
    const flights = Array.from(rows.subarray(from, to), (row) => flightOf(table, row));
    out.set(model.predict(model.encoder.encode(flights)), from);
  }
  return out;
}
