import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  buildVocabulary,
  DEEP_NUMERIC_FEATURES,
  dayNumber,
  daysToHoliday,
  FEATURE_SET_1,
  FEATURE_SET_2,
  FeatureEncoder,
  type FeatureMetadata,
  type FlightInput,
  federalHolidays,
  fitLogDistance,
  fitRateTable,
  greatCircleMiles,
  HOLIDAY_COLUMN,
  HOURS,
  holidayProximity,
  localDateTimeFromTimestamp,
  NUMERIC_FEATURE_NAMES,
  NUMERIC_FEATURES,
  nearestKey,
  OOV_INDEX,
  packedKey,
  packedRate,
  packRateTables,
  parseLocalDateTime,
  RATE_TABLES,
  SLOTS,
  slotOf,
  unpackRateTables,
  weekdayOf,
} from "../../src/features";
import { ModelFeaturesFileSchema } from "../../src/model";
import { MODEL_FILES } from "../../src/model-spec";
import { workspaceModelDir } from "../support/registry";

const metadata: FeatureMetadata = {
  originVocabulary: ["<OOV>", "ATL", "ORD", "SEA"],
  destinationVocabulary: ["<OOV>", "SFO", "LAX"],
  logDistance: { mean: 6.5, std: 0.75 },
  numericFeatures: [...NUMERIC_FEATURE_NAMES],
  threshold: 0.3,
  rates: {
    origin_hour: { "SEA|17": 0.25 },
    destination_hour: { "LAX|17": -0.5 },
    route: { "SEA|LAX": 0.125 },
    route_slot: { "SEA|LAX|35": 0.75 },
  },
};
const RATE_COLUMN = NUMERIC_FEATURE_NAMES.indexOf("origin_hour_rate");
const HOLIDAY = NUMERIC_FEATURE_NAMES.indexOf(HOLIDAY_COLUMN);
const date = (year: number, month: number, day: number) => ({ year, month, day, hour: 0, minute: 0 });
/** SEA -> LAX on Friday 2001-04-06 at 17:30 (half-hour slot 35), log distance 7.25. */
const seaToLax = {
  origin: "SEA",
  destination: "LAX",
  departure: { year: 2001, month: 4, day: 6, hour: 17, minute: 30 },
  distance: Math.exp(7.25),
};

describe("parseLocalDateTime", () => {
  it("reads an ISO local date-time with or without seconds", () => {
    expect(parseLocalDateTime("2001-01-13T14:56:00")).toEqual({
      year: 2001,
      month: 1,
      day: 13,
      hour: 14,
      minute: 56,
    });
    expect(parseLocalDateTime("2001-06-30 23:05")).toEqual({
      year: 2001,
      month: 6,
      day: 30,
      hour: 23,
      minute: 5,
    });
    expect(parseLocalDateTime("2001-06-30T23:05:59.123")).toEqual({
      year: 2001,
      month: 6,
      day: 30,
      hour: 23,
      minute: 5,
    });
  });

  it.each([
    "2001-02-30T10:00:00",
    "2001-13-01T10:00:00",
    "2001-01-01T24:00:00",
    "2001-01-01T10:60:00",
    "2001-01-01T10:59:60",
    "2001-01-00T10:00:00",
    "2001-04-31T10:00:00",
    "1900-02-29T10:00:00",
    "2001-01-13T14:56:00Z",
    "2001-01-13T14:56:00+02:00",
    "2001-01-13",
    "13/01/2001 14:56",
    "",
  ])("rejects %j", (value) => {
    expect(parseLocalDateTime(value)).toBeUndefined();
  });

  it("accepts February 29 only in leap years", () => {
    expect(parseLocalDateTime("2000-02-29T10:00")).toEqual({
      year: 2000,
      month: 2,
      day: 29,
      hour: 10,
      minute: 0,
    });
    expect(parseLocalDateTime("2004-02-29T10:00")).toBeDefined();
    expect(parseLocalDateTime("2001-02-29T10:00")).toBeUndefined();
  });

  it("reads the data set's timestamps as the same wall-clock time", () => {
    expect(localDateTimeFromTimestamp(Date.parse("2001-03-04T05:06:00Z"))).toEqual(
      parseLocalDateTime("2001-03-04T05:06:00"),
    );
  });
});

describe("weekdayOf", () => {
  it("numbers days from Monday", () => {
    // 2001-01-01 was a Monday, 2001-01-07 a Sunday.
    expect(weekdayOf({ year: 2001, month: 1, day: 1, hour: 0, minute: 0 })).toBe(0);
    expect(weekdayOf({ year: 2001, month: 1, day: 7, hour: 0, minute: 0 })).toBe(6);
    expect(weekdayOf({ year: 2001, month: 6, day: 15, hour: 0, minute: 0 })).toBe(4);
  });

  it("agrees with the calendar for every day from 1999 to 2004", () => {
    for (let ms = Date.UTC(1999, 0, 1); ms < Date.UTC(2005, 0, 1); ms += 86_400_000) {
      const date = new Date(ms);
      expect(weekdayOf(localDateTimeFromTimestamp(ms))).toBe((date.getUTCDay() + 6) % 7);
    }
  });
});

describe("greatCircleMiles", () => {
  it("matches the distances BTS reports for known routes within 1%", () => {
    const SEA = { latitude: 47.44898194, longitude: -122.3093131 };
    const SFO = { latitude: 37.61900194, longitude: -122.3748433 };
    const JFK = { latitude: 40.63975111, longitude: -73.77892556 };
    const LAX = { latitude: 33.94253611, longitude: -118.4080744 };
    expect(greatCircleMiles(SEA, SFO)).toBeCloseTo(679, -1);
    expect(Math.abs(greatCircleMiles(JFK, LAX) / 2475 - 1)).toBeLessThan(0.01);
    expect(greatCircleMiles(SEA, SEA)).toBe(0);
  });
});

describe("buildVocabulary", () => {
  it("keeps codes seen at least minCount times, most frequent first, behind the OOV bucket", () => {
    const codes = ["ORD", "ATL", "ORD", "SEA", "ATL", "ORD", "BOS", "SEA"];
    expect(buildVocabulary(codes, 2)).toEqual(["<OOV>", "ORD", "ATL", "SEA"]);
    expect(buildVocabulary(codes, 4)).toEqual(["<OOV>"]);
  });
});

describe("fitLogDistance", () => {
  it("returns the mean and standard deviation of the log distances", () => {
    const { mean, std } = fitLogDistance([Math.E, Math.E ** 3]);
    expect(mean).toBeCloseTo(2, 10);
    expect(std).toBeCloseTo(1, 10);
  });
});

describe("FeatureEncoder", () => {
  const encoder = new FeatureEncoder(metadata);

  it("encodes airports, one-hot hour and weekday, month angle and scaled log distance", () => {
    const batch = encoder.encode([seaToLax]);
    expect(batch.size).toBe(1);
    expect(batch.originIndex[0]).toBe(3);
    expect(batch.destinationIndex[0]).toBe(2);
    // Numeric columns then month columns: together the NUMERIC_FEATURE_NAMES the metadata lists.
    const row = [...Array.from(batch.numeric), ...Array.from(batch.month)];
    expect(batch.numeric).toHaveLength(DEEP_NUMERIC_FEATURES);
    expect(row).toHaveLength(NUMERIC_FEATURES);
    expect(row.slice(0, HOURS).indexOf(1)).toBe(17);
    expect(row.slice(0, HOURS).reduce((a, b) => a + b)).toBe(1);
    // 2001-04-06 was a Friday.
    expect(row.slice(HOURS, HOURS + 7)).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(row[HOURS + 7]).toBeCloseTo(1, 5);
    // The pairs' delay rates, looked up in the tables fitted on the training days.
    // 17:30 is half-hour slot 35 of the day.
    expect(row.slice(RATE_COLUMN, RATE_COLUMN + 4)).toEqual([0.25, -0.5, 0.125, 0.75]);
    // 2001-04-06 is 33 days after Washington's Birthday and 52 before Memorial Day: no holiday nearby.
    expect(row[HOLIDAY]).toBe(0);
    // Month last (April: a quarter turn), the columns the network adds to its output directly.
    expect(row[DEEP_NUMERIC_FEATURES]).toBeCloseTo(Math.sin(Math.PI / 2), 6);
    expect(row[DEEP_NUMERIC_FEATURES + 1]).toBeCloseTo(Math.cos(Math.PI / 2), 6);
  });

  it("sends unknown airports to the OOV bucket", () => {
    const batch = encoder.encode([
      {
        origin: "ZZZ",
        destination: "SEA",
        departure: { year: 2001, month: 1, day: 1, hour: 0, minute: 0 },
        distance: 100,
      },
    ]);
    expect(batch.originIndex[0]).toBe(OOV_INDEX);
    // SEA is an origin in the vocabulary, but not a destination.
    expect(batch.destinationIndex[0]).toBe(OOV_INDEX);
  });

  it("never maps a code literally named <OOV> to a real index", () => {
    expect(encoder.originIndex("<OOV>")).toBe(OOV_INDEX);
  });

  it("clamps distances under a mile so the log stays finite", () => {
    const batch = encoder.encode([
      {
        origin: "ATL",
        destination: "SFO",
        departure: { year: 2001, month: 1, day: 1, hour: 0, minute: 0 },
        distance: 0,
      },
    ]);
    expect(batch.numeric[HOURS + 7]).toBeCloseTo((0 - 6.5) / 0.75, 5);
  });

  it("reads 0 (the average flight) for pairs the rate tables do not hold", () => {
    const batch = encoder.encode([
      {
        origin: "SEA",
        destination: "LAX",
        departure: { year: 2001, month: 4, day: 6, hour: 3, minute: 0 },
        distance: 1000,
      },
    ]);
    expect(Array.from(batch.numeric.slice(RATE_COLUMN, RATE_COLUMN + 4))).toEqual([0, 0, 0.125, 0]);
  });

  it("still encodes feature set 2 (three rate tables, no slot or holiday) for the model trained with it", () => {
    const { route_slot: _, ...threeTables } = metadata.rates ?? {};
    const set2 = new FeatureEncoder({ ...metadata, rates: threeTables, numericFeatures: [...FEATURE_SET_2] });
    expect(set2.deepFeatures).toBe(FEATURE_SET_2.length - 2);
    const batch = set2.encode([seaToLax]);
    expect(Array.from(batch.numeric.slice(RATE_COLUMN, RATE_COLUMN + 3))).toEqual([0.25, -0.5, 0.125]);
    expect(batch.numeric).toHaveLength(RATE_COLUMN + 3);
  });

  it("writes the holiday column: 1 on Thanksgiving 2001, 0 a week or more away", () => {
    const on = (day: number) =>
      encoder.encode([
        {
          origin: "SEA",
          destination: "LAX",
          departure: { year: 2001, month: 11, day, hour: 9, minute: 0 },
          distance: 1000,
        },
      ]).numeric[HOLIDAY];
    expect(on(22)).toBe(1);
    expect(on(25)).toBeCloseTo(1 - 3 / 7, 6);
    expect(on(1)).toBe(0);
  });

  it("refuses a listed rate column whose table is missing, naming the table", () => {
    const { route_slot: _, ...threeTables } = metadata.rates ?? {};
    expect(() => new FeatureEncoder({ ...metadata, rates: threeTables })).toThrow(/route_slot/);
  });

  it("still encodes feature set 1 (no rate columns) for models trained before the rate tables", () => {
    const { rates: _, ...withoutRates } = metadata;
    const old = new FeatureEncoder({ ...withoutRates, numericFeatures: [...FEATURE_SET_1] });
    expect(old.deepFeatures).toBe(FEATURE_SET_1.length - 2);
    const batch = old.encode([seaToLax]);
    expect(batch.numeric).toHaveLength(old.deepFeatures);
    expect(batch.numeric[HOURS + 7]).toBeCloseTo(1, 5);
  });

  it("refuses rate columns without rate tables", () => {
    const { rates: _, ...withoutRates } = metadata;
    expect(() => new FeatureEncoder(withoutRates)).toThrow(/no origin_hour rate table/);
  });

  it("refuses metadata whose numeric features differ from the code's", () => {
    expect(() => new FeatureEncoder({ ...metadata, numericFeatures: ["hour"] })).toThrow(/retrain the model/);
  });
});

describe("fitRateTable", () => {
  const keys = [...Array(300).fill("A"), ...Array(100).fill("B"), "C"];
  // A: 150 of 300 delayed; B: none of 100; C: one flight, delayed. Overall 151 / 401.
  const labels = [...Array(150).fill(1), ...Array(150).fill(0), ...Array(100).fill(0), 1];
  const table = fitRateTable(keys, labels, 100, 30);
  const prior = 151 / 401;
  const logit = (p: number) => Math.log(p / (1 - p));

  it("gives each key its smoothed log-odds relative to the overall rate", () => {
    expect(table.A).toBeCloseTo(logit((150 + 100 * prior) / 400) - logit(prior), 4);
    expect(table.B).toBeCloseTo(logit((100 * prior) / 200) - logit(prior), 4);
    expect(table.A as number).toBeGreaterThan(0);
    expect(table.B as number).toBeLessThan(0);
  });

  it("leaves out keys with fewer flights than the minimum, so they read as average", () => {
    expect(Object.keys(table)).toEqual(["A", "B"]);
  });
});

describe("slotOf", () => {
  it("numbers the half-hours of the day from 0 to 47", () => {
    expect(slotOf({ hour: 0, minute: 0 })).toBe(0);
    expect(slotOf({ hour: 0, minute: 29 })).toBe(0);
    expect(slotOf({ hour: 0, minute: 30 })).toBe(1);
    expect(slotOf({ hour: 23, minute: 59 })).toBe(47);
  });
});

describe("calendar", () => {
  it("numbers days like the calendar (dayNumber against Date.UTC, 1914 to 2101)", () => {
    for (let ms = Date.UTC(1914, 0, 1); ms < Date.UTC(2101, 0, 1); ms += 86_400_000 * 13) {
      const d = new Date(ms);
      expect(dayNumber(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(ms / 86_400_000);
    }
  });

  // 5 U.S.C. 6103(a) (https://www.law.cornell.edu/uscode/text/5/6103): the fixed dates and the weekday rules.
  it.each([1999, 2001, 2004, 2024, 2100])("places the federal holidays of %i by 5 U.S.C. 6103", (year) => {
    const holidays = federalHolidays(year).map((n) => new Date(n * 86_400_000));
    const md = holidays.map((d) => [d.getUTCMonth() + 1, d.getUTCDate(), (d.getUTCDay() + 6) % 7]);
    expect(holidays.every((d) => d.getUTCFullYear() === year)).toBe(true);
    const [
      newYear,
      mlk,
      washington,
      memorial,
      independence,
      labor,
      columbus,
      veterans,
      thanksgiving,
      christmas,
    ] = md as [number, number, number][];
    expect(newYear.slice(0, 2)).toEqual([1, 1]);
    expect(independence.slice(0, 2)).toEqual([7, 4]);
    expect(veterans.slice(0, 2)).toEqual([11, 11]);
    expect(christmas.slice(0, 2)).toEqual([12, 25]);
    // Mondays: third of January and February, last of May, first of September, second of October.
    for (const [holiday, month, from, to] of [
      [mlk, 1, 15, 21],
      [washington, 2, 15, 21],
      [memorial, 5, 25, 31],
      [labor, 9, 1, 7],
      [columbus, 10, 8, 14],
    ] as const) {
      expect(holiday[0]).toBe(month);
      expect(holiday[2]).toBe(0);
      expect(holiday[1]).toBeGreaterThanOrEqual(from);
      expect(holiday[1]).toBeLessThanOrEqual(to);
    }
    // Thanksgiving: the fourth Thursday of November.
    expect(thanksgiving[0]).toBe(11);
    expect(thanksgiving[2]).toBe(3);
    expect(thanksgiving[1]).toBeGreaterThanOrEqual(22);
    expect(thanksgiving[1]).toBeLessThanOrEqual(28);
  });

  it("measures the days to the nearest holiday across the turn of the year", () => {
    expect(daysToHoliday(date(2001, 12, 29))).toBe(3);
    expect(daysToHoliday(date(2002, 1, 1))).toBe(0);
    expect(daysToHoliday(date(2001, 12, 31))).toBe(1);
    expect(holidayProximity(date(2001, 5, 28))).toBe(1);
    expect(holidayProximity(date(2001, 6, 20))).toBe(0);
  });
});

describe("packed rate tables (rates.bin)", () => {
  const flights = ["SEA", "ATL", "ORD", "ZZZ"].flatMap((origin) =>
    ["LAX", "SFO", "SEA"].flatMap((destination) =>
      [0, 3, 17].map((hour) => ({
        origin,
        destination,
        departure: { year: 2001, month: 4, day: 6, hour, minute: 30 },
        distance: 900,
      })),
    ),
  );
  const rates = {
    origin_hour: { "SEA|17": 0.25, "ATL|3": -0.125, "ORD|0": 0.5 },
    destination_hour: { "LAX|17": -0.5, "SFO|0": 0.375 },
    route: { "SEA|LAX": 0.125, "ORD|SFO": -0.25 },
    route_slot: { "SEA|LAX|35": 0.75, "ATL|SFO|7": -0.0625, "ORD|SEA|1": 1.5 },
  };

  it("encode exactly like the string-keyed tables they were packed from", () => {
    const json = new FeatureEncoder({ ...metadata, rates });
    const packed = packRateTables(rates);
    const viaBytes = unpackRateTables(packed.metadata, packed.bytes);
    const binary = new FeatureEncoder(
      { ...metadata, rates: undefined, packedRates: packed.metadata },
      viaBytes,
    );
    expect(binary.encode(flights).numeric).toEqual(json.encode(flights).numeric);
    // Some looked-up rates are not 0, so the comparison covers hits as well as misses.
    expect(
      Array.from(binary.encode(flights).numeric).filter(
        (x, i) => x !== 0 && i % DEEP_NUMERIC_FEATURES >= RATE_COLUMN,
      ),
    ).not.toEqual([]);
  });

  it("number the airports their keys mention, sorted, and store each table's keys ascending", () => {
    const { metadata: m, tables } = packRateTables(rates);
    expect(m.codes).toEqual(["ATL", "LAX", "ORD", "SEA", "SFO"]);
    expect(m.tables.map((t) => [t.name, t.keys])).toEqual([
      ["origin_hour", 3],
      ["destination_hour", 2],
      ["route", 2],
      ["route_slot", 3],
    ]);
    for (const table of Object.values(tables)) {
      const keys = Array.from(table.keys);
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
    }
  });

  it("refuse a rates.bin whose size disagrees with features.json", () => {
    const packed = packRateTables(rates);
    expect(() => unpackRateTables(packed.metadata, packed.bytes.subarray(4))).toThrow(/rates\.bin has/);
  });

  it("refuse packed metadata without the tables", () => {
    const packed = packRateTables(rates);
    expect(() => new FeatureEncoder({ ...metadata, rates: undefined, packedRates: packed.metadata })).toThrow(
      /no origin_hour rate table/,
    );
  });
});

describe("nearestKey", () => {
  const keys = [10, 12, 20, 45, 47, 60];

  it("finds the key nearest the target within the range, the lower one on a tie", () => {
    expect(nearestKey(keys, 0, 47, 12)).toBe(12);
    expect(nearestKey(keys, 0, 47, 13)).toBe(12);
    expect(nearestKey(keys, 0, 47, 16)).toBe(12);
    expect(nearestKey(keys, 0, 47, 11)).toBe(10);
    expect(nearestKey(keys, 0, 47, 17)).toBe(20);
    expect(nearestKey(keys, 0, 47, 0)).toBe(10);
    expect(nearestKey(keys, 0, 47, 47)).toBe(47);
  });

  it("ignores keys outside the range (another route's) and answers -1 when the range holds none", () => {
    expect(nearestKey(keys, 48, 95, 50)).toBe(60);
    expect(nearestKey(keys, 13, 19, 16)).toBe(-1);
    expect(nearestKey(keys, 0, 11, 11)).toBe(10);
    expect(nearestKey([], 0, 47, 3)).toBe(-1);
  });
});

describe("established slots (issue 26 review)", () => {
  // SEA -> LAX flies at 07:00 (slot 14) and 17:30 (slot 35); ATL -> SFO has no established slot.
  const rates = {
    origin_hour: { "SEA|7": -0.25, "SEA|17": 0.25, "ATL|9": 0.5 },
    destination_hour: { "LAX|17": -0.5 },
    route: { "SEA|LAX": 0.125 },
    route_slot: { "SEA|LAX|14": -0.375, "SEA|LAX|35": 0.75 },
  };
  const packed = packRateTables(rates);
  const encoder = new FeatureEncoder(
    { ...metadata, rates: undefined, packedRates: packed.metadata, schedule: { minFlights: 60 } },
    packed.tables,
  );
  const at = (origin: string, destination: string, hour: number, minute: number) => ({
    origin,
    destination,
    departure: { year: 2001, month: 4, day: 6, hour, minute },
    distance: 900,
  });

  it("places a departure on its route's nearest established slot", () => {
    const slotOfDeparture = (hour: number, minute: number) =>
      slotOf(encoder.departureOf(at("SEA", "LAX", hour, minute)));
    expect(slotOfDeparture(17, 40)).toBe(35);
    expect(slotOfDeparture(18, 55)).toBe(35);
    expect(slotOfDeparture(7, 20)).toBe(14);
    expect(slotOfDeparture(3, 0)).toBe(14);
    // 12:15 (slot 24) is 10 slots from 07:00 and 11 from 17:30.
    expect(slotOfDeparture(12, 15)).toBe(14);
    // 12:30 (slot 25) is 11 slots from 07:00 and 10 from 17:30.
    expect(slotOfDeparture(12, 30)).toBe(35);
    expect(encoder.departureOf(at("SEA", "LAX", 18, 55))).toEqual({
      year: 2001,
      month: 4,
      day: 6,
      hour: 17,
      minute: 30,
    });
  });

  it("feeds every time feature from the established slot, so a phantom half-hour reads like the schedule", () => {
    const schedule = encoder.encode([at("SEA", "LAX", 17, 30)]);
    const drifted = encoder.encode([at("SEA", "LAX", 18, 10)]);
    expect(drifted.numeric).toEqual(schedule.numeric);
    expect(Array.from(schedule.numeric.slice(RATE_COLUMN, RATE_COLUMN + 4))).toEqual([
      0.25, -0.5, 0.125, 0.75,
    ]);
  });

  it("never reads the minute: every minute of the day encodes like the start of the slot it is placed on", () => {
    for (const [origin, destination] of [
      ["SEA", "LAX"],
      ["ATL", "SFO"],
      ["ZZZ", "LAX"],
    ] as const) {
      for (let minute = 0; minute < 1440; minute++) {
        const flight = at(origin, destination, Math.floor(minute / 60), minute % 60);
        const placed = encoder.departureOf(flight);
        expect(placed.minute % 30).toBe(0);
        expect(encoder.encode([flight]).numeric).toEqual(
          encoder.encode([{ ...flight, departure: placed }]).numeric,
        );
      }
    }
  });

  it("keeps the departure's own half-hour on a route without established slots", () => {
    expect(encoder.departureOf(at("ATL", "SFO", 9, 40))).toEqual({
      year: 2001,
      month: 4,
      day: 6,
      hour: 9,
      minute: 30,
    });
    const batch = encoder.encode([at("ATL", "SFO", 9, 40)]);
    expect(Array.from(batch.numeric.slice(RATE_COLUMN, RATE_COLUMN + 4))).toEqual([0.5, 0, 0, 0]);
  });

  it("leaves departures as sent for models without a schedule", () => {
    const unplaced = new FeatureEncoder(
      { ...metadata, rates: undefined, packedRates: packed.metadata },
      packed.tables,
    );
    expect(unplaced.departureOf(at("SEA", "LAX", 18, 55)).hour).toBe(18);
  });

  it("refuses a schedule without a packed route_slot table", () => {
    expect(() => new FeatureEncoder({ ...metadata, schedule: { minFlights: 60 } })).toThrow(/route_slot/);
  });
});

describe("FeatureEncoder on the committed champion", () => {
  const features = ModelFeaturesFileSchema.parse(
    JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.features), "utf8")),
  );
  const packedMetadata = features.packedRates;
  if (!packedMetadata) throw new Error("the champion is expected to carry rates.bin (feature set 3)");
  const tables = unpackRateTables(packedMetadata, readFileSync(join(workspaceModelDir, MODEL_FILES.rates)));
  const encoder = new FeatureEncoder(features, tables);
  const { codes } = packedMetadata;
  const vocabularyIndex = (vocabulary: readonly string[], code: string) =>
    code === "<OOV>" ? OOV_INDEX : Math.max(OOV_INDEX, vocabulary.indexOf(code));

  /** Every column from the definitions: vocabularies by indexOf, rates by binary search, calendar by Date. */
  function reference(flight: FlightInput): number[] {
    // The placement on established slots has tests of its own ("established slots" above).
    const t = encoder.departureOf(flight);
    const row = new Array<number>(encoder.deepFeatures).fill(0);
    row[t.hour] = 1;
    const weekday = (new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay() + 6) % 7;
    row[HOURS + weekday] = 1;
    row[HOURS + 7] =
      (Math.log(Math.max(1, flight.distance)) - features.logDistance.mean) / features.logDistance.std;
    const o = codes.indexOf(flight.origin);
    const d = codes.indexOf(flight.destination);
    packedMetadata?.tables.forEach(({ name }, j) => {
      const table = tables[name];
      if (!table) throw new Error(`no ${name} table`);
      row[RATE_COLUMN + j] = packedRate(table, packedKey(name, o, d, t, codes.length));
    });
    row[HOLIDAY] = holidayProximity(t);
    const angle = (2 * Math.PI * (t.month - 1)) / 12;
    return [...row, Math.sin(angle), Math.cos(angle)].map(Math.fround);
  }

  const code = fc.oneof(
    fc.constantFrom(...codes, ...features.originVocabulary, ...features.destinationVocabulary),
    fc.stringMatching(/^[0-9A-Za-z]{3,4}$/),
    fc.constantFrom("<OOV>", "0:Z", "@@@", "ZZZ", "A"),
  );
  const anyFlight: fc.Arbitrary<FlightInput> = fc.record({
    origin: code,
    destination: code,
    departure: fc
      .date({
        min: new Date(Date.UTC(1914, 0, 1)),
        max: new Date(Date.UTC(2100, 11, 31, 23, 59)),
        noInvalidDate: true,
      })
      .map((date) => localDateTimeFromTimestamp(date.getTime())),
    distance: fc.double({ min: 0, max: 13_000, noNaN: true }),
  });
  /** A flight on a route and half-hour the route_slot table holds, so every table has hits to compare. */
  const routeSlot = tables.route_slot;
  if (!routeSlot) throw new Error("the champion is expected to have a route_slot table");
  const tableFlight: fc.Arbitrary<FlightInput> = fc
    .tuple(fc.integer({ min: 0, max: routeSlot.keys.length - 1 }), fc.integer({ min: 0, max: 29 }), anyFlight)
    .map(([i, minute, f]) => {
      const key = routeSlot.keys[i] as number;
      const route = Math.floor(key / SLOTS);
      const slot = key % SLOTS;
      return {
        ...f,
        origin: codes[Math.floor(route / codes.length)] as string,
        destination: codes[route % codes.length] as string,
        departure: { ...f.departure, hour: slot >> 1, minute: (slot & 1) * 30 + minute },
      };
    });
  const flight = fc.oneof(anyFlight, tableFlight);

  it("writes every column as the definitions give it (vocabularies, rate tables, calendar, month)", () => {
    // Fixed seed: the same 2,000 flights every run, hits and misses of every table among them.
    // Days no calendar has (a caller that skipped the check) are encoded by the same definitions.
    const offCalendar = [
      { year: 2001, month: 2, day: 30 },
      { year: 2004, month: 2, day: 30 },
      { year: 2001, month: 12, day: 32 },
    ].map((d) => ({ ...seaToLax, departure: { ...d, hour: 9, minute: 45 } }));
    const sample = [...fc.sample(flight, { numRuns: 2_000, seed: 29 }), ...offCalendar];
    const batch = encoder.encode(sample);
    const rateHits = RATE_TABLES.map(() => 0);
    const wrong = sample.flatMap((f, i) => {
      const row = [
        batch.originIndex[i],
        batch.destinationIndex[i],
        ...batch.numeric.subarray(i * encoder.deepFeatures, (i + 1) * encoder.deepFeatures),
        ...batch.month.subarray(i * 2, i * 2 + 2),
      ];
      const want = [
        vocabularyIndex(features.originVocabulary, f.origin),
        vocabularyIndex(features.destinationVocabulary, f.destination),
        ...reference(f),
      ];
      for (let j = 0; j < RATE_TABLES.length; j++) if (row[2 + RATE_COLUMN + j] !== 0) rateHits[j]++;
      return row.every((x, k) => Object.is(x, want[k])) ? [] : [{ flight: f, row, want }];
    });
    expect(wrong.slice(0, 3)).toEqual([]);
    // Row by row (training's way) and with rows skipped (the batch worker's rejected rows) write the same.
    const byRow = encoder.allocate(sample.length);
    sample.forEach((f, i) => {
      encoder.encodeInto(f, byRow, i);
    });
    expect(byRow).toEqual(batch);
    const skipped = encoder.allocate(sample.length);
    encoder.encodeRows(
      sample.map((f, i) => (i % 3 === 0 ? undefined : f)),
      skipped,
    );
    const kept = (x: Float32Array, row: number) =>
      Array.from(x.subarray(row * encoder.deepFeatures, (row + 1) * encoder.deepFeatures));
    for (let i = 0; i < 60; i++) {
      expect(kept(skipped.numeric, i)).toEqual(
        i % 3 === 0 ? new Array(encoder.deepFeatures).fill(0) : kept(batch.numeric, i),
      );
    }
    // The sample reaches into the tables, not only past them.
    for (const hits of rateHits) expect(hits).toBeGreaterThan(200);
  });
});
