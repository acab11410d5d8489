/**
 * The feature pipeline: the one module that turns a flight into model inputs, used by the training script and
 * by the inference core alike, so a feature cannot drift between the two.
 *
 * A flight becomes two vocabulary indices (origin, destination; index 0 is the out-of-vocabulary bucket) and a
 * dense numeric row: departure hour one-hot (24), weekday one-hot (7, Monday first), the standardized natural log
 * of the distance in miles, then delay-rate columns looked up in tables fitted on the training days (feature set
 * 2: origin x hour, destination x hour, origin x destination; set 3 adds origin x destination x half-hour of
 * departure, the schedule's own slot), then (set 3) the nearness of a US federal holiday, and last the
 * month on the unit circle (sin, cos). Models trained with an earlier set still load: the metadata's
 * numericFeatures says which set a model was trained on, and the encoder builds exactly that. A model with a
 * `schedule` reads every time feature from the departure placed on its route's nearest established half-hour
 * (FeatureEncoder.departureOf), never from the minute.
 */
import { LOCAL_DATE_TIME } from "@sml/contracts/predict";
import * as z from "zod";

/** Index reserved for airports outside the training vocabulary (and for rare ones, so the bucket is trained). */
export const OOV_INDEX = 0;
export const HOURS = 24;
export const WEEKDAYS = 7;
export const WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

const BASE_COLUMNS = [
  ...Array.from({ length: HOURS }, (_, h) => `hour=${h}`),
  ...WEEKDAY_NAMES.map((d) => `weekday=${d}`),
  "log_distance_std",
];
const MONTH_COLUMNS = ["month_sin", "month_cos"];

/**
 * Delay-rate tables, fitted on the training days: the smoothed log-odds of a delay for the pair, minus the
 * overall log-odds (0 = as delay-prone as the average flight; unseen pairs get 0). They carry the airport x hour
 * and route interactions that a small network on embeddings picks up slowly (evaluation AUC 0.684 without them).
 */
export const RATE_TABLES = ["origin_hour", "destination_hour", "route", "route_slot"] as const;
export type RateTableName = (typeof RATE_TABLES)[number];
const rateColumn = (t: RateTableName): string => `${t}_rate`;
/**
 * Half-hours per day: the departure slot of the route_slot table. Every table is keyed on the scheduled departure:
 * keyed on the actual one (models before issue 26), a route x half-hour rate reads how late the flight left and
 * reached test AUC 0.77 on its own; keyed on a reconstructed scheduled half-hour that no schedule flies, it still
 * read the delayed flights scattered there (issue 26 review), hence the established slots (`schedule`).
 */
export const SLOTS = 48;
export const HOLIDAY_COLUMN = "holiday_proximity";
/** Holidays further away than this many days read 0 in the holiday column. */
export const HOLIDAY_WINDOW_DAYS = 7;

/** Feature set 1 (model 51fbf243ccea): hour, weekday, distance, month. */
export const FEATURE_SET_1: readonly string[] = [...BASE_COLUMNS, ...MONTH_COLUMNS];
/** Feature set 2 (model 3727960e2634): set 1 plus the airport x hour and route rates. */
export const FEATURE_SET_2: readonly string[] = [
  ...BASE_COLUMNS,
  ...(["origin_hour", "destination_hour", "route"] as const).map(rateColumn),
  ...MONTH_COLUMNS,
];
/** Names of the dense numeric columns this code trains with, in order; the model card lists them from here. */
export const NUMERIC_FEATURE_NAMES: readonly string[] = [
  ...BASE_COLUMNS,
  ...RATE_TABLES.map(rateColumn),
  HOLIDAY_COLUMN,
  ...MONTH_COLUMNS,
];
/** Every feature set a committed model may list, the current one last. */
export const FEATURE_SETS: readonly (readonly string[])[] = [
  FEATURE_SET_1,
  FEATURE_SET_2,
  NUMERIC_FEATURE_NAMES,
];
export const NUMERIC_FEATURES = NUMERIC_FEATURE_NAMES.length;
/** The month columns come last: the network adds them linearly to its output (see model-spec.ts). */
export const MONTH_FEATURES = MONTH_COLUMNS.length;
/** Columns that go through the hidden layers (current feature set). */
export const DEEP_NUMERIC_FEATURES = NUMERIC_FEATURES - MONTH_FEATURES;
const DISTANCE_OFFSET = HOURS + WEEKDAYS;
const RATES_OFFSET = DISTANCE_OFFSET + 1;

/** Half-hour of the day of a departure, 0 (00:00-00:29) to 47 (23:30-23:59). */
export const slotOf = (t: { readonly hour: number; readonly minute: number }): number =>
  t.hour * 2 + (t.minute >= 30 ? 1 : 0);

/** The start of a half-hour slot, as the time every feature reads once a departure is placed on its slot. */
export const slotStart = (slot: number): { hour: number; minute: number } => ({
  hour: slot >> 1,
  minute: (slot & 1) * 30,
});

/**
 * The key among ascending `keys` nearest to `target` within [first, last], the lower one on a tie; -1 when none
 * lies in the range. With route x slot keys ((origin * C + destination) * SLOTS + slot) and the range of one
 * route, it is the route's established slot nearest a departure's slot (see FeatureEncoder.departureOf).
 */
export function nearestKey(keys: ArrayLike<number>, first: number, last: number, target: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  const above = lo < keys.length && (keys[lo] as number) <= last ? (keys[lo] as number) : -1;
  const below = lo > 0 && (keys[lo - 1] as number) >= first ? (keys[lo - 1] as number) : -1;
  if (above < 0) return below;
  if (below < 0) return above;
  return above - target < target - below ? above : below;
}

/** The key of a rate table's row: `ORD|17`, `SEA|LAX`, `SEA|LAX|29` (route and half-hour slot). */
export function rateKey(table: RateTableName, flight: FlightInput): string {
  switch (table) {
    case "origin_hour":
      return `${flight.origin}|${flight.departure.hour}`;
    case "destination_hour":
      return `${flight.destination}|${flight.departure.hour}`;
    case "route":
      return `${flight.origin}|${flight.destination}`;
    case "route_slot":
      return `${flight.origin}|${flight.destination}|${slotOf(flight.departure)}`;
  }
}

/** Wall-clock departure time at the origin airport (the data set's timestamps carry no time zone). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** What the model needs to know about one flight. */
export interface FlightInput {
  readonly origin: string;
  readonly destination: string;
  readonly departure: LocalDateTime;
  /** Great-circle distance in statute miles. */
  readonly distance: number;
}

/** Written by training to model/<name>@<version>/features.json; read by serving. */
export const FeatureMetadataSchema = z.object({
  originVocabulary: z.array(z.string()).min(1),
  destinationVocabulary: z.array(z.string()).min(1),
  logDistance: z.object({ mean: z.number(), std: z.number().positive() }),
  numericFeatures: z.array(z.string()),
  /** Probability at or above which a flight is reported as `delayed`. */
  threshold: z.number().min(0).max(1),
  /** Feature set 2: key -> centred log-odds, per table the set lists (see RATE_TABLES). */
  rates: z.partialRecord(z.enum(RATE_TABLES), z.record(z.string(), z.number())).optional(),
  /**
   * Feature set 3: the rate tables live in rates.bin (see packRateTables), in this order; `codes` numbers the
   * airports of their integer keys. JSON for ~45,000 route_slot keys took longer to parse and validate at cold
   * start than everything else the model loads.
   */
  packedRates: z
    .object({
      codes: z.array(z.string()),
      tables: z.array(z.object({ name: z.enum(RATE_TABLES), keys: z.number().int().nonnegative() })),
    })
    .optional(),
  /**
   * What the departure time meant when the model was trained (and its rate tables keyed): `scheduled`, the
   * departure callers send (reconstructed from the data, see packages/model-training/src/data.ts scheduledMinuteOfDay). Models
   * without it were trained on the ACTUAL departure time, which leaks the label (issue 26).
   */
  timeBasis: z.enum(["scheduled"]).optional(),
  /**
   * The route's established slots (issue 26 review): a half-hour of a route is established when at least
   * `minFlights` training flights were reconstructed in it, i.e. a schedule flies then; the established slots
   * are exactly the keys of the route_slot table. Every time feature reads the departure moved to its route's
   * nearest established slot (FeatureEncoder.departureOf), never its minute. Without it (models before the review),
   * features read the reconstructed half-hour itself, whose sparse "phantom" cells were mostly delayed flights.
   */
  schedule: z.object({ minFlights: z.number().int().positive() }).optional(),
  /** The days the rate tables were fitted on (training window only), first and last, YYYY-MM-DD. */
  rateWindow: z.object({ from: z.string(), to: z.string() }).optional(),
  /**
   * Platt scaling fitted on the validation days: P = sigmoid(slope * z + intercept) over the network's logit z.
   * Serving folds it into the output layer (model.ts), so it costs nothing per request.
   */
  calibration: z
    .object({
      method: z.literal("platt"),
      slope: z.number().positive(),
      intercept: z.number(),
      fittedOn: z.object({ from: z.string(), to: z.string(), flights: z.number().int().positive() }),
    })
    .optional(),
});
export type FeatureMetadata = z.infer<typeof FeatureMetadataSchema>;

/** A batch of encoded flights, laid out for one batched model call. */
export interface EncodedBatch {
  readonly size: number;
  readonly originIndex: Int32Array;
  readonly destinationIndex: Int32Array;
  /** Columns per row of `numeric`: the model's numericFeatures minus the month columns. */
  readonly deepFeatures: number;
  /** Row-major [size, deepFeatures]: the first columns of the model's numericFeatures. */
  readonly numeric: Float32Array;
  /**
   * Row-major [size, MONTH_FEATURES]: the last columns of NUMERIC_FEATURE_NAMES, kept apart because the model
   * feeds them to another layer (slicing them off a tensor would add a copy per request; the model bench's
   * "departures, distances, feature encoding" row is what encoding costs).
   */
  readonly month: Float32Array;
}

/** `YYYY-MM-DDTHH:MM[:SS[.fff]]` (or a space for the T), the API's contract; the calendar check is in parseLocalDateTime. */
export { LOCAL_DATE_TIME };

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
/** Two or four ASCII digits at a fixed offset (the pattern has already checked they are digits). */
const digits = (s: string, at: number, count: number): number => {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
};

/**
 * Parses `YYYY-MM-DDTHH:MM[:SS[.fff]]`, a local time without offset (as in the training data). Returns
 * undefined for anything else, including impossible dates such as 2001-02-30. Runs once per instance, so it
 * reads the fixed-width fields directly instead of allocating match arrays and Dates.
 */
export function parseLocalDateTime(value: string): LocalDateTime | undefined {
  return LOCAL_DATE_TIME.test(value) ? parseMatchedLocalDateTime(value) : undefined;
}

/**
 * parseLocalDateTime for a value already known to match LOCAL_DATE_TIME (serving validates the format first),
 * so the pattern does not run twice per instance: only the calendar check.
 */
export function parseMatchedLocalDateTime(value: string): LocalDateTime | undefined {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = value.length >= 19 ? digits(value, 17, 2) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > daysInMonth) return undefined;
  return { year, month, day, hour, minute };
}

/** The training data's timestamps are local times stored as if they were UTC; read them back the same way. */
export function localDateTimeFromTimestamp(epochMs: number): LocalDateTime {
  const d = new Date(epochMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

const SAKAMOTO_MONTH_OFFSETS = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];

/** 0 = Monday ... 6 = Sunday (Sakamoto's method: no Date allocation on the per-row path). */
export function weekdayOf(t: LocalDateTime): number {
  const y = t.month < 3 ? t.year - 1 : t.year;
  const sundayFirst =
    (y +
      Math.floor(y / 4) -
      Math.floor(y / 100) +
      Math.floor(y / 400) +
      (SAKAMOTO_MONTH_OFFSETS[t.month - 1] as number) +
      t.day) %
    7;
  return (sundayFirst + 6) % 7;
}

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil: integer arithmetic, no Date). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const dateOf = (year: number, month: number, day: number): LocalDateTime => ({
  year,
  month,
  day,
  hour: 0,
  minute: 0,
});
/** Day of the month of the n-th `weekday` (0 = Monday) of a month. */
const nthWeekday = (year: number, month: number, weekday: number, n: number): number =>
  1 + ((weekday - weekdayOf(dateOf(year, month, 1)) + 7) % 7) + 7 * (n - 1);
/** Day of the month of the last `weekday` (0 = Monday) of a 31-day month. */
const lastWeekday31 = (year: number, month: number, weekday: number): number =>
  31 - ((weekdayOf(dateOf(year, month, 31)) - weekday + 7) % 7);

/**
 * The US federal holidays of a year, as day numbers, by today's rules (5 U.S.C. 6103): New Year's Day, Martin
 * Luther King Jr. Day (3rd Monday of January), Washington's Birthday (3rd Monday of February), Memorial Day (last
 * Monday of May), Independence Day, Labor Day (1st Monday of September), Columbus Day (2nd Monday of October),
 * Veterans Day, Thanksgiving (4th Thursday of November), Christmas. Juneteenth (since 2021) is left out: the
 * training data (2001) cannot have taught the model anything about it. The actual dates, not the observed weekday.
 */
export function federalHolidays(year: number): number[] {
  return [
    dayNumber(year, 1, 1),
    dayNumber(year, 1, nthWeekday(year, 1, 0, 3)),
    dayNumber(year, 2, nthWeekday(year, 2, 0, 3)),
    dayNumber(year, 5, lastWeekday31(year, 5, 0)),
    dayNumber(year, 7, 4),
    dayNumber(year, 9, nthWeekday(year, 9, 0, 1)),
    dayNumber(year, 10, nthWeekday(year, 10, 0, 2)),
    dayNumber(year, 11, 11),
    dayNumber(year, 11, nthWeekday(year, 11, 3, 4)),
    dayNumber(year, 12, 25),
  ];
}

/** Holidays of years y-1..y+1 by year y, filled as years occur (serving accepts 1914..2100, so it stays small). */
const holidaysAround = new Map<number, readonly number[]>();

/** Days from `t` to the nearest federal holiday (either direction; 0 on the holiday itself). */
export function daysToHoliday(t: LocalDateTime): number {
  let holidays = holidaysAround.get(t.year);
  if (!holidays) {
    holidays = [...federalHolidays(t.year - 1), ...federalHolidays(t.year), ...federalHolidays(t.year + 1)];
    holidaysAround.set(t.year, holidays);
  }
  const day = dayNumber(t.year, t.month, t.day);
  let nearest = Number.POSITIVE_INFINITY;
  for (const h of holidays) nearest = Math.min(nearest, Math.abs(day - h));
  return nearest;
}

/** 1 on a federal holiday, falling linearly to 0 at HOLIDAY_WINDOW_DAYS days away (the travel peaks around them). */
export const holidayProximity = (t: LocalDateTime): number =>
  Math.max(0, 1 - daysToHoliday(t) / HOLIDAY_WINDOW_DAYS);

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/**
 * What the encoder reads of a year, per day (index: days since January 1st): its weekday follows from the first
 * day's, its holidayProximity is looked up, filled the first time a day occurs. A flight costs two array reads
 * instead of day-number arithmetic and the distance to 30 holidays.
 */
interface YearCalendar {
  readonly year: number;
  readonly leap: boolean;
  /** weekdayOf January 1st (0 = Monday). */
  readonly firstWeekday: number;
  /** holidayProximity of each day (NaN until first asked), computed by holidayProximity itself. */
  readonly proximity: Float64Array;
}

const calendars = new Map<number, YearCalendar>();
let lastCalendar: YearCalendar | undefined;

function calendarOf(year: number): YearCalendar {
  if (lastCalendar?.year === year) return lastCalendar;
  let calendar = calendars.get(year);
  if (!calendar) {
    const leap = isLeapYear(year);
    const proximity = new Float64Array(leap ? 366 : 365).fill(Number.NaN);
    calendar = { year, leap, firstWeekday: weekdayOf(dateOf(year, 1, 1)), proximity };
    calendars.set(year, calendar);
  }
  lastCalendar = calendar;
  return calendar;
}

const EARTH_RADIUS_MILES = 3958.8;
const toRadians = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle (haversine) distance in statute miles, the unit of the data set's `distance`. */
export function greatCircleMiles(
  a: { readonly latitude: number; readonly longitude: number },
  b: { readonly latitude: number; readonly longitude: number },
): number {
  const dLat = toRadians(b.latitude - a.latitude);
  const dLon = toRadians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(a.latitude)) * Math.cos(toRadians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_MILES * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distances below one mile are clamped so the log stays finite. */
export const logDistance = (miles: number): number => Math.log(Math.max(1, miles));

/**
 * Smoothed centred log-odds per key: (delays + m * p) / (flights + m) against the overall rate p, so a pair seen
 * a few times stays near 0. Keys with fewer than `minCount` flights are left out (they read as 0). Keys are
 * sorted so the table, and features.json, are the same on every run.
 */
export function fitRateTable(
  keys: readonly string[],
  labels: ArrayLike<number>,
  smoothing: number,
  minCount: number,
): Record<string, number> {
  const counts = new Map<string, [number, number]>();
  let delays = 0;
  for (let i = 0; i < keys.length; i++) {
    const y = labels[i] as number;
    delays += y;
    const c = counts.get(keys[i] as string);
    if (c) {
      c[0]++;
      c[1] += y;
    } else counts.set(keys[i] as string, [1, y]);
  }
  const prior = delays / keys.length;
  const logit = (p: number) => Math.log(p / (1 - p));
  const table: Record<string, number> = {};
  for (const key of [...counts.keys()].sort()) {
    const [n, d] = counts.get(key) as [number, number];
    if (n < minCount) continue;
    // Rounded so features.json stays small and its bytes do not depend on float summation noise.
    table[key] = Math.round((logit((d + smoothing * prior) / (n + smoothing)) - logit(prior)) * 1e4) / 1e4;
  }
  return table;
}

/** One rate table as serving reads it: ascending integer keys (see packedKey) and their rates. */
export interface PackedRateTable {
  readonly keys: Int32Array;
  readonly values: Float32Array;
}
export type PackedRates = Partial<Record<RateTableName, PackedRateTable>>;
export type PackedRatesMetadata = NonNullable<FeatureMetadata["packedRates"]>;

/**
 * The integer key of a flight in a packed table, from the airports' indices among `codes` (C of them), or -1
 * when an airport is not among them (no rate: reads 0).
 */
export function packedKey(
  table: RateTableName,
  origin: number,
  destination: number,
  t: { readonly hour: number; readonly minute: number },
  codeCount: number,
): number {
  switch (table) {
    case "origin_hour":
      return origin < 0 ? -1 : origin * HOURS + t.hour;
    case "destination_hour":
      return destination < 0 ? -1 : destination * HOURS + t.hour;
    case "route":
      return origin < 0 || destination < 0 ? -1 : origin * codeCount + destination;
    case "route_slot":
      return origin < 0 || destination < 0 ? -1 : (origin * codeCount + destination) * SLOTS + slotOf(t);
  }
}

/** Where `key` sits in the table (binary search over the ascending keys), -1 when the table does not hold it. */
function packedIndex(table: PackedRateTable, key: number): number {
  let lo = 0;
  let hi = table.keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = table.keys[mid] as number;
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The rate under `key`, 0 when the table does not hold it. */
export function packedRate(table: PackedRateTable, key: number): number {
  const index = packedIndex(table, key);
  return index < 0 ? 0 : (table.values[index] as number);
}

/** Batches of at least this many rows read the rate tables paged (FeatureEncoder.encodeRows). */
const PAGED_MIN_ROWS = 256;

/** Keys per page of a PagedRateTable: one route's half-hour slots. */
const PAGE = SLOTS;

/**
 * A packed rate table laid out for a lookup in two array reads instead of a binary search (four searches per
 * flight were the largest item of the batch worker's profile). Keys are cut into pages of PAGE consecutive keys and
 * only pages holding a key get a row of values, so it holds at most keys x PAGE floats (the champion's 36,401
 * route_slot keys: 3,179 routes, 0.6 MB), not the key space's codes^2 x 48 (2.5M).
 */
interface PagedRateTable {
  /** Row of each page in `values`, -1 for a page without keys. */
  readonly pageRow: Int32Array;
  /** Row-major [pages, PAGE]; 0 where the table holds no key (what packedRate reads for a missing key). */
  readonly values: Float32Array;
}

/** `table` paged; keys at or above `keySpace` cannot be looked up (packedKey never makes them) and are left out. */
function pageRateTable(table: PackedRateTable, keySpace: number): PagedRateTable {
  const pageRow = new Int32Array(Math.ceil(keySpace / PAGE)).fill(-1);
  let pages = 0;
  for (let i = 0; i < table.keys.length; i++) {
    const key = table.keys[i] as number;
    if (key < 0 || key >= keySpace) continue;
    const page = (key / PAGE) | 0;
    if (pageRow[page] === -1) pageRow[page] = pages++;
  }
  const values = new Float32Array(pages * PAGE);
  for (let i = 0; i < table.keys.length; i++) {
    const key = table.keys[i] as number;
    if (key < 0 || key >= keySpace) continue;
    const page = (key / PAGE) | 0;
    values[(pageRow[page] as number) * PAGE + (key - page * PAGE)] = table.values[i] as number;
  }
  return { pageRow, values };
}

/**
 * Where `key`'s rate sits in a paged table's values, or -1 when the table does not hold it (packedRate reads 0
 * there; a page's unused places hold 0 too).
 */
function pagedPosition(table: PagedRateTable, key: number): number {
  if (key < 0) return -1;
  const page = (key / PAGE) | 0;
  if (page >= table.pageRow.length) return -1;
  const row = table.pageRow[page] as number;
  return row < 0 ? -1 : row * PAGE + (key - page * PAGE);
}

/** The largest key packedKey can give `table` with `codeCount` airport codes, plus one. */
function keySpace(table: RateTableName, codeCount: number): number {
  switch (table) {
    case "origin_hour":
    case "destination_hour":
      return codeCount * HOURS;
    case "route":
      return codeCount * codeCount;
    case "route_slot":
      return codeCount * codeCount * SLOTS;
  }
}

/**
 * Packs string-keyed rate tables (fitRateTable's output, keys as rateKey writes them) for serving: the airport
 * codes they mention, sorted, and per table its integer keys in ascending order with the rates as float32 (the
 * precision of the model's input columns anyway). `bytes` is rates.bin: per table, keys (int32) then values
 * (float32), little-endian, in `metadata.tables` order.
 */
export function packRateTables(
  rates: Partial<Record<RateTableName, Readonly<Record<string, number>>>>,
  codes?: readonly string[],
): { metadata: PackedRatesMetadata; tables: PackedRates; bytes: Uint8Array } {
  const names = RATE_TABLES.filter((t) => rates[t] !== undefined);
  const allCodes =
    codes ??
    [
      ...new Set(
        names.flatMap((t) =>
          Object.keys(rates[t] ?? {}).flatMap((key) => {
            const parts = key.split("|");
            return t === "origin_hour" || t === "destination_hour" ? [parts[0] as string] : parts.slice(0, 2);
          }),
        ),
      ),
    ].sort();
  const index = new Map(allCodes.map((code, i) => [code, i]));
  const at = (code: string | undefined): number => (code === undefined ? -1 : (index.get(code) ?? -1));
  const tables: PackedRates = {};
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const entries: [number, number][] = [];
    for (const [key, rate] of Object.entries(rates[name] ?? {})) {
      const [a, b, c] = key.split("|");
      const hour = Number(name === "route_slot" ? 0 : b);
      const slot = Number(c);
      const packed =
        name === "origin_hour"
          ? packedKey(name, at(a), -1, { hour, minute: 0 }, allCodes.length)
          : name === "destination_hour"
            ? packedKey(name, -1, at(a), { hour, minute: 0 }, allCodes.length)
            : name === "route"
              ? packedKey(name, at(a), at(b), { hour: 0, minute: 0 }, allCodes.length)
              : packedKey(name, at(a), at(b), { hour: slot >> 1, minute: (slot & 1) * 30 }, allCodes.length);
      if (packed < 0) throw new Error(`rate table ${name}: key ${key} names an airport outside the codes`);
      entries.push([packed, rate]);
    }
    entries.sort((x, y) => x[0] - y[0]);
    const table = {
      keys: Int32Array.from(entries, ([k]) => k),
      values: Float32Array.from(entries, ([, v]) => v),
    };
    tables[name] = table;
    chunks.push(new Uint8Array(table.keys.buffer), new Uint8Array(table.values.buffer));
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return {
    metadata: {
      codes: [...allCodes],
      tables: names.map((name) => ({ name, keys: tables[name]?.keys.length ?? 0 })),
    },
    tables,
    bytes,
  };
}

/** rates.bin read back as typed-array views (no copy); throws when its size disagrees with the metadata. */
export function unpackRateTables(metadata: PackedRatesMetadata, bytes: Uint8Array): PackedRates {
  const expected = metadata.tables.reduce((n, t) => n + 8 * t.keys, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`rates.bin has ${bytes.byteLength} bytes, features.json expects ${expected}`);
  }
  // Typed-array views need 4-byte alignment: copy once if the buffer's offset is not aligned.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const tables: PackedRates = {};
  let offset = aligned.byteOffset;
  for (const { name, keys } of metadata.tables) {
    tables[name] = {
      keys: new Int32Array(aligned.buffer, offset, keys),
      values: new Float32Array(aligned.buffer, offset + 4 * keys, keys),
    };
    offset += 8 * keys;
  }
  return tables;
}

/**
 * Vocabulary from training rows: codes seen at least `minCount` times, most frequent first (ties by code), with
 * the OOV bucket at index 0. Rarer codes fall into the bucket during training, which is what trains it.
 */
export function buildVocabulary(codes: Iterable<string>, minCount: number): string[] {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  const kept = [...counts.entries()]
    .filter(([, n]) => n >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([code]) => code);
  return ["<OOV>", ...kept];
}

/** Mean and standard deviation of log distance over the training rows. */
export function fitLogDistance(distances: Iterable<number>): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const d of distances) {
    const x = logDistance(d);
    n++;
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 1e-12)) };
}

/** Turns flights into one batch. Serving and training both call this; nothing else builds model inputs. */
/** What the encoder knows of an airport code: its vocabulary indices and its number among the packed codes. */
interface AirportIndices {
  readonly origin: number;
  readonly destination: number;
  /** -1 when the packed rate tables do not number it (no rates: they read 0). */
  readonly code: number;
}

const UNKNOWN_AIRPORT: AirportIndices = { origin: OOV_INDEX, destination: OOV_INDEX, code: -1 };

/** sin and cos of each month (1-12) on the unit circle, as the month columns hold them. */
const MONTH_ANGLES = Array.from({ length: 12 }, (_, m) => (2 * Math.PI * m) / 12);
const MONTH_SIN = MONTH_ANGLES.map(Math.sin);
const MONTH_COS = MONTH_ANGLES.map(Math.cos);

/** Characters '0' (48) to 'Z' (90): a three-character code in this range has a slot in FeatureEncoder's table. */
const CODE_CHAR_MIN = 48;
const CODE_CHARS = 43;

/** The table slot of a three-character code, or -1 when a character is outside '0'..'Z'. */
function codeSlot(code: string): number {
  const a = code.charCodeAt(0) - CODE_CHAR_MIN;
  const b = code.charCodeAt(1) - CODE_CHAR_MIN;
  const c = code.charCodeAt(2) - CODE_CHAR_MIN;
  // Unsigned: a character below '0' wraps to a large number.
  if (a >>> 0 >= CODE_CHARS || b >>> 0 >= CODE_CHARS || c >>> 0 >= CODE_CHARS) return -1;
  return (a * CODE_CHARS + b) * CODE_CHARS + c;
}

export class FeatureEncoder {
  /** Every code of the vocabularies and the packed tables, looked up once per airport of a flight. */
  private readonly airports: Map<string, AirportIndices>;
  /**
   * The same entries for three-character codes (IATA's, which is all of the vocabularies), by codeSlot: three
   * character reads instead of hashing a string that was just cut from a request or a CSV line. Built with the
   * paged tables (see encodeRows).
   */
  private threeCharacter: Uint16Array | undefined;
  /** What threeCharacter's numbers point at (0: no airport). */
  private readonly entries: AirportIndices[] = [UNKNOWN_AIRPORT];
  /** Feature set 3: the packed tables in column order. */
  private readonly packed: readonly (readonly [RateTableName, PackedRateTable])[];
  /** The same tables paged, built by the first batch of PAGED_MIN_ROWS rows or more (see encodeRows). */
  private paged: readonly PagedRateTable[] | undefined;
  private readonly codeCount: number;
  /** Feature set 2: the JSON tables in column order (every key holds a "|", so none is an Object.prototype name). */
  private readonly json: readonly (readonly [RateTableName, Readonly<Record<string, number>>])[];
  /** Column of the holiday feature in the numeric row, or -1 when the set has none. */
  private readonly holidayColumn: number;
  /** Established route x slot keys (packedKey "route_slot"), ascending, when the model reads established slots. */
  private readonly schedule: Int32Array | undefined;
  /** Numeric columns that go through the hidden layers (all but the month columns). */
  readonly deepFeatures: number;

  /**
   * `packed`: the tables of rates.bin, for metadata with `packedRates` (feature set 3); feature set 2 carries
   * its tables in the metadata itself. `schedule`: the established slots, when they are not the route_slot keys
   * of `packed` (training's out-of-fold tables place flights on the slots of all training days, like serving).
   */
  constructor(
    readonly metadata: FeatureMetadata,
    packed?: PackedRates,
    schedule?: Int32Array,
  ) {
    const names = metadata.numericFeatures;
    if (!FEATURE_SETS.some((set) => set.join(",") === names.join(","))) {
      throw new Error(
        "Feature metadata lists other numeric features than this code builds: retrain the model (npm run train -w model-container)",
      );
    }
    const tables = RATE_TABLES.filter((t) => names.includes(rateColumn(t)));
    const codes = metadata.packedRates?.codes ?? [];
    this.codeCount = codes.length;
    const missing = (t: RateTableName) =>
      new Error(`Feature metadata lists ${rateColumn(t)} but has no ${t} rate table`);
    this.packed = metadata.packedRates
      ? tables.map((t) => {
          const table = packed?.[t];
          if (!table) throw missing(t);
          return [t, table] as const;
        })
      : [];
    this.json = metadata.packedRates
      ? []
      : tables.map((t) => {
          const table = metadata.rates?.[t];
          if (!table) throw missing(t);
          return [t, table] as const;
        });
    this.holidayColumn = names.indexOf(HOLIDAY_COLUMN);
    if (metadata.schedule) {
      this.schedule = schedule ?? packed?.route_slot?.keys;
      if (!this.schedule || !metadata.packedRates) {
        throw new Error("Feature metadata reads established slots but has no packed route_slot table");
      }
    }
    this.deepFeatures = metadata.numericFeatures.length - MONTH_FEATURES;
    const airports = new Map<string, { origin: number; destination: number; code: number }>();
    const entry = (code: string) => {
      let found = airports.get(code);
      if (!found) {
        found = { ...UNKNOWN_AIRPORT };
        airports.set(code, found);
      }
      return found;
    };
    // "<OOV>" is the bucket's name, not an airport: a code spelled so stays in the bucket.
    metadata.originVocabulary.forEach((code, i) => {
      if (code !== "<OOV>") entry(code).origin = i;
    });
    metadata.destinationVocabulary.forEach((code, i) => {
      if (code !== "<OOV>") entry(code).destination = i;
    });
    codes.forEach((code, i) => {
      entry(code).code = i;
    });
    this.airports = airports;
  }

  private airport(code: string): AirportIndices {
    if (this.threeCharacter !== undefined && code.length === 3) {
      const slot = codeSlot(code);
      if (slot >= 0) return this.entries[this.threeCharacter[slot] as number] as AirportIndices;
    }
    return this.airports.get(code) ?? UNKNOWN_AIRPORT;
  }

  originIndex(code: string): number {
    return this.airport(code).origin;
  }

  destinationIndex(code: string): number {
    return this.airport(code).destination;
  }

  /**
   * The departure every feature reads: for a model with a schedule, the date with the start of the route's
   * established slot nearest the departure's half-hour (the earlier on a tie), so neither the minute nor a slot
   * no schedule flies reaches the model; the departure's own half-hour when the route has no established slot
   * (its route_slot rate then reads 0). Models without a schedule read the departure as sent.
   */
  departureOf(flight: FlightInput): LocalDateTime {
    return this.departureAt(flight, this.airport(flight.origin).code, this.airport(flight.destination).code);
  }

  private departureAt(flight: FlightInput, o: number, d: number): LocalDateTime {
    const t = flight.departure;
    if (!this.schedule) return t;
    const slot = slotOf(t);
    const first = o < 0 || d < 0 ? -1 : (o * this.codeCount + d) * SLOTS;
    const key = first < 0 ? -1 : nearestKey(this.schedule, first, first + SLOTS - 1, first + slot);
    return { year: t.year, month: t.month, day: t.day, ...slotStart(key < 0 ? slot : key - first) };
  }

  /** Writes one flight into row `row` of `batch` (whose numeric row must be zero-filled). */
  encodeInto(flight: FlightInput, batch: EncodedBatch, row: number): void {
    const positions = this.positionsFor(1);
    this.writeRow(flight, batch, row, positions, 0, undefined);
    this.gatherRates(batch, row, row + 1, positions, 0, undefined);
  }

  /**
   * Writes flights[i] into row i of `batch` (zero-filled), skipping undefined entries (their rows stay as they
   * are). Every row is written first with the packed rates' positions noted, then the rates are read in one tight
   * loop per table: the tables are larger than a core's cache, and independent reads in a short loop overlap
   * their cache misses where reads spread through the row's other work wait one by one (the read was most of
   * encoding's time in the batch worker's profile).
   */
  encodeRows(flights: readonly (FlightInput | undefined)[], batch: EncodedBatch): void {
    const positions = this.positionsFor(flights.length);
    const tables = this.packed.length;
    // Paging the tables costs a few milliseconds, once: worth it for the batch worker's and large requests' many
    // lookups, not for the first small request of a cold start.
    const paged = flights.length >= PAGED_MIN_ROWS ? this.pagedTables() : this.paged;
    for (let i = 0; i < flights.length; i++) {
      const flight = flights[i];
      if (flight) this.writeRow(flight, batch, i, positions, i * tables, paged);
      else positions.fill(-1, i * tables, (i + 1) * tables);
    }
    this.gatherRates(batch, 0, flights.length, positions, 0, paged);
  }

  /** The lookup structures for bulk work: the paged rate tables and the three-character airport table. */
  private pagedTables(): readonly PagedRateTable[] {
    if (this.threeCharacter === undefined) {
      const table = new Uint16Array(CODE_CHARS ** 3);
      for (const [code, indices] of this.airports) {
        const slot = code.length === 3 ? codeSlot(code) : -1;
        if (slot < 0) continue;
        if (this.entries.length > 0xffff) throw new Error("more than 65,535 airport codes");
        table[slot] = this.entries.length;
        this.entries.push(indices);
      }
      this.threeCharacter = table;
    }
    this.paged ??= this.packed.map(([name, table]) => pageRateTable(table, keySpace(name, this.codeCount)));
    return this.paged;
  }

  /** Scratch for the packed rates' positions of `rows` rows (the encoder runs one batch at a time). */
  private positions = new Int32Array(0);

  private positionsFor(rows: number): Int32Array {
    const needed = rows * this.packed.length;
    if (this.positions.length < needed) this.positions = new Int32Array(needed);
    return this.positions;
  }

  /**
   * Every column of row `row` except the packed rates, whose positions in their tables' values (-1: not held)
   * go to positions[at + j] for table j.
   */
  private writeRow(
    flight: FlightInput,
    batch: EncodedBatch,
    row: number,
    positions: Int32Array,
    at: number,
    paged: readonly PagedRateTable[] | undefined,
  ): void {
    const origin = this.airport(flight.origin);
    const destination = this.airport(flight.destination);
    batch.originIndex[row] = origin.origin;
    batch.destinationIndex[row] = destination.destination;
    const base = row * this.deepFeatures;
    const t = this.departureAt(flight, origin.code, destination.code);
    const calendar = calendarOf(t.year);
    const dayOfYear =
      t.month >= 1 && t.month <= 12
        ? (DAYS_BEFORE_MONTH[t.month - 1] as number) + (t.month > 2 && calendar.leap ? 1 : 0) + t.day - 1
        : -1;
    // A day the year does not have (2001-02-30 from a caller that skipped the check) takes the definitions.
    const inYear = dayOfYear >= 0 && dayOfYear < calendar.proximity.length;
    batch.numeric[base + t.hour] = 1;
    batch.numeric[base + HOURS + (inYear ? (calendar.firstWeekday + dayOfYear) % 7 : weekdayOf(t))] = 1;
    const month = t.month - 1;
    batch.month[row * MONTH_FEATURES] = MONTH_SIN[month] ?? Math.sin((2 * Math.PI * month) / 12);
    batch.month[row * MONTH_FEATURES + 1] = MONTH_COS[month] ?? Math.cos((2 * Math.PI * month) / 12);
    const { mean, std } = this.metadata.logDistance;
    batch.numeric[base + DISTANCE_OFFSET] = (logDistance(flight.distance) - mean) / std;
    for (let j = 0; j < this.packed.length; j++) {
      const [name, table] = this.packed[j] as readonly [RateTableName, PackedRateTable];
      const key = packedKey(name, origin.code, destination.code, t, this.codeCount);
      positions[at + j] = paged ? pagedPosition(paged[j] as PagedRateTable, key) : packedIndex(table, key);
    }
    for (let j = 0; j < this.json.length; j++) {
      const [name, table] = this.json[j] as readonly [RateTableName, Readonly<Record<string, number>>];
      batch.numeric[base + RATES_OFFSET + j] = table[rateKey(name, flight)] ?? 0;
    }
    if (this.holidayColumn >= 0) {
      let proximity = inYear ? (calendar.proximity[dayOfYear] as number) : Number.NaN;
      if (Number.isNaN(proximity)) {
        proximity = holidayProximity(t);
        if (inYear) calendar.proximity[dayOfYear] = proximity;
      }
      batch.numeric[base + this.holidayColumn] = proximity;
    }
  }

  /** Rows [from, to) of `batch` get the packed rates whose positions writeRow noted from positions[at]. */
  private gatherRates(
    batch: EncodedBatch,
    from: number,
    to: number,
    positions: Int32Array,
    at: number,
    paged: readonly PagedRateTable[] | undefined,
  ): void {
    const tables = this.packed.length;
    for (let j = 0; j < tables; j++) {
      const { values } = paged
        ? (paged[j] as PagedRateTable)
        : (this.packed[j] as readonly [RateTableName, PackedRateTable])[1];
      let column = from * this.deepFeatures + RATES_OFFSET + j;
      let p = at + j;
      for (let row = from; row < to; row++) {
        const position = positions[p] as number;
        // Not held: the row's zero already reads as the average flight.
        if (position >= 0) batch.numeric[column] = values[position] as number;
        column += this.deepFeatures;
        p += tables;
      }
    }
  }

  /** A zero-filled batch of `size` rows laid out for this model's feature set. */
  allocate(size: number): EncodedBatch {
    return allocateBatch(size, this.deepFeatures);
  }

  encode(flights: readonly FlightInput[]): EncodedBatch {
    const batch = this.allocate(flights.length);
    this.encodeRows(flights, batch);
    return batch;
  }
}

export function allocateBatch(size: number, deepFeatures: number = DEEP_NUMERIC_FEATURES): EncodedBatch {
  return {
    size,
    originIndex: new Int32Array(size),
    destinationIndex: new Int32Array(size),
    deepFeatures,
    numeric: new Float32Array(size * deepFeatures),
    month: new Float32Array(size * MONTH_FEATURES),
  };
}
