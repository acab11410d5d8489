import { actualDeparture, type FlightTable, scheduledMinuteOfDay } from "../../src/data";
import {
  establishedFlightAt,
  establishedKeys,
  slotKeyAt,
  sparseCellEnrichment,
} from "../../src/established-slots";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const APRIL_6 = Date.parse("2001-04-06T00:00:00Z");

/** A FlightTable of SEA -> LAX flights at the given scheduled minutes of 2001-04-06, each with its delay. */
function tableOf(flights: readonly { minute: number; delay: number }[]): FlightTable {
  const size = flights.length;
  const scheduledMs = Float64Array.from(flights, (f) => APRIL_6 + f.minute * MINUTE_MS);
  return {
    size,
    departureMs: scheduledMs.slice(),
    scheduledMs,
    delayMinutes: Int32Array.from(flights, (f) => f.delay),
    distance: new Float64Array(size).fill(954),
    origin: new Uint16Array(size),
    destination: new Uint16Array(size).fill(1),
    codes: ["SEA", "LAX"],
  };
}

describe("scheduledMinuteOfDay", () => {
  it("takes the positive part of the arrival delay off the actual minute, on the 5-minute grid", () => {
    expect(scheduledMinuteOfDay(17 * 60 + 42, 30)).toBe(17 * 60 + 10);
    expect(scheduledMinuteOfDay(17 * 60 + 42, -8)).toBe(17 * 60 + 40);
  });

  it("wraps a flight that left after midnight back to the evening of its scheduled date", () => {
    expect(scheduledMinuteOfDay(20, 30)).toBe(23 * 60 + 50);
  });

  it("keeps a time that rounds up to 24:00 at 23:55 of its date, never 00:00 of the same date", () => {
    expect(scheduledMinuteOfDay(1438, 0)).toBe(1435);
    expect(scheduledMinuteOfDay(1440, 0)).toBe(1435);
    expect(scheduledMinuteOfDay(1440, 45)).toBe(1440 - 45);
  });
});

describe("actualDeparture", () => {
  it("reads a 00:00 record (BTS 2400, stored as the next day) as minute 1440 of the day before", () => {
    expect(actualDeparture(APRIL_6)).toEqual({ day: APRIL_6 - DAY_MS, minute: 1440 });
    expect(actualDeparture(APRIL_6 + MINUTE_MS)).toEqual({ day: APRIL_6, minute: 1 });
  });
});

describe("established slots", () => {
  // SEA -> LAX: 3 flights in 07:00-07:29 (slot 14), 2 in 17:30-17:59 (slot 35), one stray at 12:40 (slot 25).
  const table = tableOf([
    { minute: 7 * 60, delay: 0 },
    { minute: 7 * 60 + 5, delay: 0 },
    { minute: 7 * 60 + 10, delay: 20 },
    { minute: 17 * 60 + 30, delay: 0 },
    { minute: 17 * 60 + 35, delay: 40 },
    { minute: 12 * 60 + 40, delay: 90 },
  ]);
  const all = Uint32Array.from({ length: table.size }, (_, i) => i);

  it("are the route's half-hours with at least the bar's flights", () => {
    const first = slotKeyAt(table, 0, 0);
    expect(Array.from(establishedKeys(table, all, 2))).toEqual([first + 14, first + 35]);
    expect(Array.from(establishedKeys(table, all, 3))).toEqual([first + 14]);
  });

  it("move a flight out of a sparse half-hour to the route's nearest established one, keeping its minute", () => {
    const established = establishedKeys(table, all, 2);
    // 12:40 is 11 slots from 07:00 and 10 from 17:30.
    expect(establishedFlightAt(table, 5, established).departure).toMatchObject({ hour: 17, minute: 40 });
    expect(establishedFlightAt(table, 2, established).departure).toMatchObject({ hour: 7, minute: 10 });
    // No established slot on the route: the flight stays where it is.
    expect(establishedFlightAt(table, 5, new Int32Array()).departure).toMatchObject({ hour: 12, minute: 40 });
  });
});

describe("sparseCellEnrichment", () => {
  it("measures the delayed share of the least-flown cells holding the given share of the flights", () => {
    // Cell a: 8 flights, 1 delayed; cell b: 2 flights, both delayed. The least-flown tenth is cell b.
    const keys = ["a", "a", "a", "a", "a", "a", "a", "a", "b", "b"];
    const labels = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    expect(sparseCellEnrichment(keys, labels, 0.1)).toEqual({
      sparseDelayedShare: 1,
      overallDelayedShare: 0.3,
      flights: 2,
    });
    expect(sparseCellEnrichment(keys, labels, 0.5).sparseDelayedShare).toBeCloseTo(0.3, 10);
  });
});
