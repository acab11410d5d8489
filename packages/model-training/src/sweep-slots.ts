/**
 * `npm run sweep-slots -w @sml/model-training`: how training's slotMinCount (the bar that makes a route's half-hour
 * an established slot) was chosen, rerunnable. For each bar it fits the route x half-hour delay rate (flights placed
 * on their route's nearest established slot, the cell's rate shrunk towards its route's) on the training days and
 * prints its validation ROC AUC as it is and with the snapping probe (established-slots.ts); the bar with the best
 * AUC under the probe wins. It reads only the training and validation days: the test days are not touched.
 * Also prints the delayed share of the training days' route x half-hour cells by their size, the measurement the
 * probe's own bar (PROBE_ESTABLISHED_FLIGHTS) comes from.
 */
import { type FlightInput, nearestKey, SLOTS, slotOf } from "@sml/flight-model/features";
import { flightAt, isDelayed, loadFlights } from "./data";
import {
  establishedFlightAt,
  establishedKeys,
  PROBE_ESTABLISHED_FLIGHTS,
  slotKeyAt,
} from "./established-slots";
import { rocAuc } from "./metrics";
import { splitRows } from "./split";

export const SWEEP_BARS = [5, 20, 30, 40, 50, 60, 80] as const;
const ROUTE_SMOOTHING = 100;
const CELL_SMOOTHING = 10;

const logit = (p: number) => Math.log(p / (1 - p));

/** Counts and delays per key. */
function tally(keys: ArrayLike<number>, labels: ArrayLike<number>): Map<number, [number, number]> {
  const cells = new Map<number, [number, number]>();
  for (let i = 0; i < keys.length; i++) {
    const cell = cells.get(keys[i] as number);
    if (cell) {
      cell[0]++;
      cell[1] += labels[i] as number;
    } else cells.set(keys[i] as number, [1, labels[i] as number]);
  }
  return cells;
}

async function main(): Promise<void> {
  const table = await loadFlights();
  const rows = splitRows(table);
  const trainLabels = Uint8Array.from(rows.train, (row) => isDelayed(table, row));
  const validationLabels = Uint8Array.from(rows.validation, (row) => isDelayed(table, row));
  const base = trainLabels.reduce((n, y) => n + y, 0) / trainLabels.length;
  const routeOf = (row: number) => Math.floor(slotKeyAt(table, row, 0) / SLOTS);
  const routes = tally(Uint32Array.from(rows.train, routeOf), trainLabels);
  const routeRate = (row: number) => {
    const [n, d] = routes.get(routeOf(row)) ?? [0, 0];
    return (d + ROUTE_SMOOTHING * base) / (n + ROUTE_SMOOTHING);
  };
  const raw = tally(
    Uint32Array.from(rows.train, (row) => slotKeyAt(table, row, slotOf(flightAt(table, row).departure))),
    trainLabels,
  );
  console.log("route x half-hour cells of the training days by training flights: delayed share");
  const sizes = [1, 5, 10, 20, 30, 40, 60, 80, 100, 150, Number.POSITIVE_INFINITY];
  for (let b = 0; b < sizes.length - 1; b++) {
    let flights = 0;
    let delayed = 0;
    for (const [n, d] of raw.values()) {
      if (n >= (sizes[b] as number) && n < (sizes[b + 1] as number)) {
        flights += n;
        delayed += d;
      }
    }
    console.log(
      `  ${sizes[b]}-${(sizes[b + 1] as number) - 1}: ${flights} flights, ${(delayed / flights).toFixed(3)}`,
    );
  }
  console.log(`  all: ${(100 * base).toFixed(1)}% delayed`);

  const probeKeys = establishedKeys(table, rows.train, PROBE_ESTABLISHED_FLIGHTS);
  for (const bar of SWEEP_BARS) {
    const established = establishedKeys(table, rows.train, bar);
    // The flight's key once placed on its route's nearest established slot, as the model places it.
    const placedKey = (row: number, flight: FlightInput): number => {
      const first = slotKeyAt(table, row, 0);
      const own = first + slotOf(flight.departure);
      const key = nearestKey(established, first, first + SLOTS - 1, own);
      return key < 0 ? own : key;
    };
    const cells = tally(
      Uint32Array.from(rows.train, (row) => placedKey(row, flightAt(table, row))),
      trainLabels,
    );
    const score = (row: number, flight: FlightInput): number => {
      const [n, d] = cells.get(placedKey(row, flight)) ?? [0, 0];
      const prior = routeRate(row);
      return n < bar ? logit(prior) : logit((d + CELL_SMOOTHING * prior) / (n + CELL_SMOOTHING));
    };
    const plain = rocAuc(
      validationLabels,
      Float64Array.from(rows.validation, (row) => score(row, flightAt(table, row))),
    );
    // Under the probe the flights arrive already moved out of sparse cells.
    const probed = rocAuc(
      validationLabels,
      Float64Array.from(rows.validation, (row) => score(row, establishedFlightAt(table, row, probeKeys))),
    );
    console.log(
      `bar ${String(bar).padStart(2)}: ${established.length} established slots; validation AUC ${plain.toFixed(4)}, with the probe ${probed.toFixed(4)}`,
    );
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
