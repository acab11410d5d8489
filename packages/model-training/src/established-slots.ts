/**
 * Established slots: the half-hours of a route that a schedule flies, read off the training days. The data hold no
 * scheduled time; the reconstruction (data.ts) leaves a delayed flight's en-route gain in its time, so delayed
 * flights scatter into route x half-hour cells no schedule has. Measured on the training days (2001-01-01..05-26):
 * cells with 1-4 flights are 78% delayed, 5-9 63%, 20-29 35%, 40-59 22%, 60-79 19.9%. A rate keyed on those sparse
 * cells reads the label. The placement below still does (second review): it starts from the reconstructed time,
 * so flights it leaves in place are 16.2% delayed and flights it moves 34.6% (caller-like.ts measures the cost).
 *
 * Training places every flight on its route's nearest established slot before any rate is fitted (serving does the
 * same from the route_slot table's keys, FeatureEncoder.departureOf); the trees baseline reads the same slot; and
 * the snapping probe (issue 26 review) moves held-back flights out of sparse cells the same way, to measure how
 * much a model's score depends on them (for a model placed with the probe's own bar it changes nothing).
 */
import { type FlightInput, nearestKey, SLOTS, slotOf } from "@sml/flight-model/features";
import { type FlightTable, flightAt } from "./data";

/**
 * The probe's bar: a route's half-hour with at least this many training flights is where a schedule flies (the
 * count from which cells have the overall delayed share, see above). Fixed from the training data alone, apart
 * from any model's setting.
 */
export const PROBE_ESTABLISHED_FLIGHTS = 60;

/** A row's route x half-hour key over the table's airport indices: (origin * C + destination) * SLOTS + slot. */
export function slotKeyAt(table: FlightTable, row: number, slot: number): number {
  return (
    ((table.origin[row] as number) * table.codes.length + (table.destination[row] as number)) * SLOTS + slot
  );
}

/** Ascending route x half-hour keys (slotKeyAt) holding at least `minFlights` of `rows` (the training rows). */
export function establishedKeys(table: FlightTable, rows: Uint32Array, minFlights: number): Int32Array {
  const counts = new Map<number, number>();
  for (const row of rows) {
    const key = slotKeyAt(table, row, slotOf(flightAt(table, row).departure));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Int32Array.from([...counts].filter(([, n]) => n >= minFlights).map(([key]) => key)).sort();
}

/**
 * Row `row` as flightAt gives it, moved to its route's nearest established slot (the earlier on a tie; its minute
 * within the half-hour kept) when its own half-hour is not established; unchanged on a route with none.
 */
export function establishedFlightAt(table: FlightTable, row: number, established: Int32Array): FlightInput {
  const flight = flightAt(table, row);
  const slot = slotOf(flight.departure);
  const first = slotKeyAt(table, row, 0);
  const key = nearestKey(established, first, first + SLOTS - 1, first + slot);
  if (key < 0 || key === first + slot) return flight;
  const moved = key - first;
  return {
    ...flight,
    departure: {
      ...flight.departure,
      hour: moved >> 1,
      minute: (moved & 1) * 30 + (flight.departure.minute % 30),
    },
  };
}

/**
 * Sparse-cell enrichment: the delayed share of the flights in the least-flown cells that hold `share` of all
 * flights (cells by ascending size, whole cells), against the overall delayed share. Near 1 when the cells are
 * schedules; far above 1 when small cells collect delayed flights (the leak the reviewer found).
 */
export function sparseCellEnrichment(
  keys: ArrayLike<number | string>,
  labels: ArrayLike<number>,
  share = 0.1,
): { readonly sparseDelayedShare: number; readonly overallDelayedShare: number; readonly flights: number } {
  const cells = new Map<number | string, [number, number]>();
  let delayed = 0;
  for (let i = 0; i < keys.length; i++) {
    const y = labels[i] as number;
    delayed += y;
    const cell = cells.get(keys[i] as number | string);
    if (cell) {
      cell[0]++;
      cell[1] += y;
    } else cells.set(keys[i] as number | string, [1, y]);
  }
  const bySize = [...cells.values()].sort((a, b) => a[0] - b[0]);
  let flights = 0;
  let sparseDelayed = 0;
  for (const [n, d] of bySize) {
    if (flights >= share * keys.length) break;
    flights += n;
    sparseDelayed += d;
  }
  return {
    sparseDelayedShare: sparseDelayed / flights,
    overallDelayedShare: delayed / keys.length,
    flights,
  };
}
