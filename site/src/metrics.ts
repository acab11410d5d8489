/**
 * How well a model's probabilities match what happened, on a file with a `delay` column (arrival delay in
 * minutes; delayed = more than 15 minutes late, the label the model was trained on: model-container/README.md).
 */

/** The label the models predict: arrived more than 15 minutes late. */
export const DELAYED_AFTER_MINUTES = 15;

export interface Scored {
  readonly probability: number;
  readonly delayed: boolean;
}

/**
 * Area under the ROC curve: the chance that a delayed flight gets a higher probability than an on-time one (ties
 * count half), computed from ranks (Mann-Whitney U) in O(n log n). NaN without both classes.
 */
export function auc(rows: readonly Scored[]): number {
  const sorted = [...rows].sort((a, b) => a.probability - b.probability);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]?.probability === sorted[i]?.probability) j++;
    // Tied probabilities share the mean of ranks i+1..j.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (sorted[k]?.delayed) {
        positives++;
        rankSum += rank;
      }
    }
    i = j;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface CalibrationBin {
  /** [from, to) of the predicted probability (the last bin includes 1). */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/** Reliability diagram data: `bins` equal-width bins of the predicted probability; empty bins are left out. */
export function calibration(rows: readonly Scored[], bins = 10): CalibrationBin[] {
  const sums = Array.from({ length: bins }, () => ({ count: 0, predicted: 0, delayed: 0 }));
  for (const row of rows) {
    const index = Math.min(bins - 1, Math.max(0, Math.floor(row.probability * bins)));
    const bin = sums[index] as { count: number; predicted: number; delayed: number };
    bin.count++;
    bin.predicted += row.probability;
    bin.delayed += row.delayed ? 1 : 0;
  }
  return sums.flatMap((s, i) =>
    s.count === 0
      ? []
      : [
          {
            from: i / bins,
            to: (i + 1) / bins,
            count: s.count,
            meanPredicted: s.predicted / s.count,
            observedRate: s.delayed / s.count,
          },
        ],
  );
}

/** Mean log loss (natural log), probabilities clipped to [1e-15, 1 - 1e-15] as scikit-learn does. */
export function logLoss(rows: readonly Scored[]): number {
  if (rows.length === 0) return Number.NaN;
  let total = 0;
  for (const { probability, delayed } of rows) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probability));
    total -= delayed ? Math.log(p) : Math.log(1 - p);
  }
  return total / rows.length;
}
