/**
 * The date split: train on the earlier days (2001-01-01 to 06-10), choose the threshold on the next six days,
 * evaluate on the last two weeks (06-17 to 06-30). Every evaluation month also appears in training: with the whole
 * of June held out, the month feature had to extrapolate to a month it never saw, and both learned models lost
 * to the base rate on log loss. Shared by training and the evaluation test so both see exactly the same rows.
 */
import type { FlightTable } from "./data";

/** Exclusive upper bounds, as local dates (the data's timestamps are local wall-clock times stored as UTC). */
export const SPLIT = {
  trainUntil: "2001-06-11",
  validationUntil: "2001-06-17",
} as const;

export type SplitName = "train" | "validation" | "evaluation";

const TRAIN_END = Date.parse(`${SPLIT.trainUntil}T00:00:00Z`);
const VALIDATION_END = Date.parse(`${SPLIT.validationUntil}T00:00:00Z`);

export function splitOf(departureMs: number): SplitName {
  if (departureMs < TRAIN_END) return "train";
  if (departureMs < VALIDATION_END) return "validation";
  return "evaluation";
}

/** Row indices of each split, in file order. */
export function splitRows(table: FlightTable): Record<SplitName, Uint32Array> {
  const lists: Record<SplitName, number[]> = { train: [], validation: [], evaluation: [] };
  for (let row = 0; row < table.size; row++) lists[splitOf(table.departureMs[row] as number)].push(row);
  return {
    train: Uint32Array.from(lists.train),
    validation: Uint32Array.from(lists.validation),
    evaluation: Uint32Array.from(lists.evaluation),
  };
}
