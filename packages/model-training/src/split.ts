/**
 * The date split, by scheduled date: train on the earlier days (2001-01-01 to 05-26), choose on the next three
 * weeks (05-27 to 06-16: early stopping, calibration, threshold, champion), test on the last two weeks (06-17 to
 * 06-30), scored once per model. Three weeks rather than the six days used before issue 26: a day's delayed share
 * swings with the weather (0.11 to 0.38 in June), and a calibration fitted on six stormy days (27% delayed)
 * would shift every probability up; three weeks average over several weather systems. Shared by training, the
 * baseline, compare and the tests, so all see exactly the same rows.
 */
import type { FlightTable } from "./data";

/** Exclusive upper bounds, as local dates (the data's timestamps are local wall-clock times stored as UTC). */
export const SPLIT = {
  trainUntil: "2001-05-27",
  validationUntil: "2001-06-17",
} as const;

export type SplitName = "train" | "validation" | "evaluation";

const TRAIN_END = Date.parse(`${SPLIT.trainUntil}T00:00:00Z`);
const VALIDATION_END = Date.parse(`${SPLIT.validationUntil}T00:00:00Z`);

export function splitOf(scheduledMs: number): SplitName {
  if (scheduledMs < TRAIN_END) return "train";
  if (scheduledMs < VALIDATION_END) return "validation";
  return "evaluation";
}

/** Row indices of each split, in file order. */
export function splitRows(table: FlightTable): Record<SplitName, Uint32Array> {
  const lists: Record<SplitName, number[]> = { train: [], validation: [], evaluation: [] };
  for (let row = 0; row < table.size; row++) lists[splitOf(table.scheduledMs[row] as number)].push(row);
  return {
    train: Uint32Array.from(lists.train),
    validation: Uint32Array.from(lists.validation),
    evaluation: Uint32Array.from(lists.evaluation),
  };
}
