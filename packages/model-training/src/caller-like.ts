/**
 * Caller-like inputs (issue 26, second review). Training and the test figures place each flight on its route's
 * nearest established half-hour from the RECONSTRUCTED time (actual departure - max(0, arrival delay)), which keeps
 * a late flight's en-route gain or loss: where a flight lands depends on its label (on the training days flights
 * already in an established slot are 16.2% delayed, flights moved one slot later 44.9%). A caller sends the
 * schedule's slot, which does not depend on the outcome.
 *
 * The data hold no scheduled time, so a label-blind stand-in: on a test route-day whose flight count equals the
 * route's number of established slots, the i-th flight in order of actual departure gets the route's i-th
 * established slot (a schedule flying every slot once that day). Scoring the same flights both ways measures how
 * much a model's figures owe to the label-dependent placement.
 */
import { type FlightInput, SLOTS } from "@sml/flight-model/features";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { type FlightTable, flightAt, isDelayed, predictTable } from "./data";
import { establishedFlightAt, slotKeyAt } from "./established-slots";
import { logLoss, rocAuc } from "./metrics";

const DAY_MS = 86_400_000;

/** The order-matched rows (ascending) and, per row, the established slot (0-47) a schedule would give it. */
export interface OrderMatched {
  readonly rows: Uint32Array;
  readonly slots: Map<number, number>;
}

/**
 * Rows of `rows` on route-days (route x reconstructed scheduled date) with exactly as many flights as the route has
 * established slots (`established`, ascending keys as establishedKeys gives them), each given the slot of its rank
 * in actual departure order (ties by row). The label never enters: the date is the record's own, the order the
 * actual departures'.
 */
export function orderMatchedSlots(
  table: FlightTable,
  rows: Uint32Array,
  established: Int32Array,
): OrderMatched {
  const slotsOfRoute = new Map<number, number[]>();
  for (const key of established) {
    const route = Math.floor(key / SLOTS);
    const list = slotsOfRoute.get(route);
    if (list) list.push(key % SLOTS);
    else slotsOfRoute.set(route, [key % SLOTS]);
  }
  const routeDays = new Map<string, number[]>();
  for (const row of rows) {
    const route = slotKeyAt(table, row, 0) / SLOTS;
    if (!slotsOfRoute.has(route)) continue;
    const id = `${route}|${Math.floor((table.scheduledMs[row] as number) / DAY_MS)}`;
    const list = routeDays.get(id);
    if (list) list.push(row);
    else routeDays.set(id, [row]);
  }
  const slots = new Map<number, number>();
  for (const flights of routeDays.values()) {
    const route = slotKeyAt(table, flights[0] as number, 0) / SLOTS;
    const schedule = slotsOfRoute.get(route) as number[];
    if (flights.length !== schedule.length) continue;
    flights.sort((a, b) => (table.departureMs[a] as number) - (table.departureMs[b] as number) || a - b);
    for (const [i, row] of flights.entries()) slots.set(row, schedule[i] as number);
  }
  return { rows: Uint32Array.from([...slots.keys()].sort((a, b) => a - b)), slots };
}

/** Row `row` departing at the start of `slot` on its scheduled date (the model reads no minute). */
export function flightInSlot(table: FlightTable, row: number, slot: number): FlightInput {
  const flight = flightAt(table, row);
  return { ...flight, departure: { ...flight.departure, hour: slot >> 1, minute: (slot & 1) * 30 } };
}

export interface CallerLikeScores {
  /** Test flights on order-matched route-days. */
  readonly flights: number;
  /** Share of them whose order-matched slot differs from the slot placement gives their reconstructed time. */
  readonly placedElsewhere: number;
  /** On those flights, placed from the reconstructed time (as the test figures are). */
  readonly reconstructed: { readonly rocAuc: number; readonly logLoss: number };
  /** On those flights, sent the order-matched slot (label-blind, as a caller would). */
  readonly orderMatched: { readonly rocAuc: number; readonly logLoss: number };
}

/** A model's figures on the order-matched flights, both ways (see the file comment). */
export function callerLikeScores(
  model: FlightDelayModel,
  table: FlightTable,
  matched: OrderMatched,
  established: Int32Array,
): CallerLikeScores {
  const { rows, slots } = matched;
  const labels = Uint8Array.from(rows, (row) => isDelayed(table, row));
  const reconstructed = predictTable(model, table, rows);
  const orderMatched = predictTable(model, table, rows, (t, row) =>
    flightInSlot(t, row, slots.get(row) as number),
  );
  let elsewhere = 0;
  for (const row of rows) {
    const placed = establishedFlightAt(table, row, established).departure;
    if (placed.hour * 2 + (placed.minute >= 30 ? 1 : 0) !== slots.get(row)) elsewhere++;
  }
  return {
    flights: rows.length,
    placedElsewhere: elsewhere / rows.length,
    reconstructed: { rocAuc: rocAuc(labels, reconstructed), logLoss: logLoss(labels, reconstructed) },
    orderMatched: { rocAuc: rocAuc(labels, orderMatched), logLoss: logLoss(labels, orderMatched) },
  };
}

/** Delayed shares by where placement puts a flight (training days): what the established cells' share is judged by. */
export interface PlacementShares {
  readonly flights: number;
  readonly overall: number;
  /** Flights whose reconstructed half-hour is itself established (placement leaves them). */
  readonly inPlace: { readonly flights: number; readonly delayedShare: number };
  /** Flights placement moves to another slot, and of those the ones moved one slot later. */
  readonly moved: { readonly flights: number; readonly delayedShare: number };
  readonly movedOneLater: { readonly flights: number; readonly delayedShare: number };
  /**
   * Flights reconstructed before 05:00 that placement moves to 05:00 or later: nearestKey searches within the
   * day and does not wrap around midnight, so a route's 23:30 slot is never nearest to 00:10.
   */
  readonly beforeFiveMovedLater: { readonly flights: number; readonly delayedShare: number };
  /**
   * Established cells beside a cell of the same route with at least 3 x their flights: the late shoulder of a
   * busy slot, where delayed flights of the neighbour land.
   */
  readonly shoulderCells: { readonly cells: number; readonly flights: number; readonly delayedShare: number };
  /** The established cells with the fewest flights (minFlights to minFlights + 19), counted in place. */
  readonly smallestCells: {
    readonly minFlights: number;
    readonly cells: number;
    readonly flights: number;
    readonly delayedShare: number;
  };
}

export function placementShares(
  table: FlightTable,
  rows: Uint32Array,
  established: Int32Array,
  minFlights: number,
): PlacementShares {
  const tally = () => ({ flights: 0, delayed: 0 });
  const all = tally();
  const inPlace = tally();
  const moved = tally();
  const oneLater = tally();
  const earlyMoved = tally();
  const cells = new Map<number, { flights: number; delayed: number }>();
  for (const row of rows) {
    const y = isDelayed(table, row);
    const own = flightAt(table, row).departure;
    const ownSlot = own.hour * 2 + (own.minute >= 30 ? 1 : 0);
    const placed = establishedFlightAt(table, row, established).departure;
    const placedSlot = placed.hour * 2 + (placed.minute >= 30 ? 1 : 0);
    all.flights++;
    all.delayed += y;
    const ownKey = slotKeyAt(table, row, ownSlot);
    const cell = cells.get(ownKey) ?? tally();
    cell.flights++;
    cell.delayed += y;
    cells.set(ownKey, cell);
    // A route with no established slot leaves every flight where it is, in no established cell: neither group.
    if (placedSlot === ownSlot) {
      if (hasKey(established, ownKey)) {
        inPlace.flights++;
        inPlace.delayed += y;
      }
    } else {
      moved.flights++;
      moved.delayed += y;
      if (placedSlot === ownSlot + 1) {
        oneLater.flights++;
        oneLater.delayed += y;
      }
      if (ownSlot < 10 && placedSlot >= 10) {
        earlyMoved.flights++;
        earlyMoved.delayed += y;
      }
    }
  }
  const small = tally();
  let smallCells = 0;
  const shoulder = tally();
  let shoulderCells = 0;
  for (const [key, { flights, delayed }] of cells) {
    if (flights < minFlights) continue;
    const slot = key % SLOTS;
    const before = slot > 0 ? (cells.get(key - 1)?.flights ?? 0) : 0;
    const after = slot < SLOTS - 1 ? (cells.get(key + 1)?.flights ?? 0) : 0;
    if (Math.max(before, after) >= 3 * flights) {
      shoulderCells++;
      shoulder.flights += flights;
      shoulder.delayed += delayed;
    }
    if (flights >= minFlights + 20) continue;
    smallCells++;
    small.flights += flights;
    small.delayed += delayed;
  }
  const share = (t: { flights: number; delayed: number }) => ({
    flights: t.flights,
    delayedShare: t.delayed / t.flights,
  });
  return {
    flights: all.flights,
    overall: all.delayed / all.flights,
    inPlace: share(inPlace),
    moved: share(moved),
    movedOneLater: share(oneLater),
    beforeFiveMovedLater: share(earlyMoved),
    shoulderCells: { cells: shoulderCells, ...share(shoulder) },
    smallestCells: { minFlights, cells: smallCells, ...share(small) },
  };
}

function hasKey(keys: Int32Array, key: number): boolean {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < key) lo = mid + 1;
    else hi = mid;
  }
  return keys[lo] === key;
}
