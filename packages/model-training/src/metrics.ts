/** Binary-classification metrics for the model card and the evaluation test. */

/**
 * ROC AUC as the Mann-Whitney statistic: over every (positive, negative) pair, 1 when the positive scores higher,
 * 1/2 on a tie, divided by the number of pairs. The positives' and the negatives' scores are sorted apart with the
 * typed arrays' native numeric sort and counted in one merge walk: the same value as the rank-sum formula (every
 * partial sum is a multiple of 1/2 far below 2^53, so both are exact), without sorting an index array through a
 * JS comparator, which took ~2 s of every training run's evaluation on 600,000 flights (issue 29).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i] as number;
    else neg[q++] = scores[i] as number;
  }
  pos.sort();
  neg.sort();
  // For each run of equal positive scores: the negatives strictly below count 1 each, the equal ones 1/2.
  let u = 0;
  let below = 0;
  for (let i = 0; i < positives; ) {
    const score = pos[i] as number;
    let j = i;
    while (j < positives && pos[j] === score) j++;
    while (below < negatives && (neg[below] as number) < score) below++;
    let equal = 0;
    while (below + equal < negatives && neg[below + equal] === score) equal++;
    u += (j - i) * (below + equal / 2);
    i = j;
  }
  return u / (positives * negatives);
}

/** Mean binary cross-entropy (natural log), probabilities clipped to [1e-7, 1 - 1e-7] like Keras. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

export interface ThresholdMetrics {
  readonly threshold: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function atThreshold(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold: number,
): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = (probabilities[i] as number) >= threshold;
    if (labels[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    threshold,
    accuracy: (tp + tn) / labels.length,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
}

/**
 * The threshold (on a 0.01 grid) with the best F1 on the given rows. F1 rather than accuracy: with ~20% of
 * flights delayed, the accuracy-optimal cut flags almost nothing, which makes `delayed` useless to a caller.
 */
export function bestF1Threshold(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let best = { threshold: 0.5, f1: -1 };
  for (let t = 1; t < 100; t++) {
    const threshold = t / 100;
    const { f1 } = atThreshold(labels, probabilities, threshold);
    if (f1 > best.f1) best = { threshold, f1 };
  }
  return best.threshold;
}

const logit = (p: number): number => {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * Platt scaling: the slope and intercept of a logistic regression of the labels on the model's logit, fitted by
 * Newton's method (two parameters, convex). P = sigmoid(slope * logit(p) + intercept).
 */
export function fitPlatt(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
): { slope: number; intercept: number } {
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    // Gradient and Hessian of the mean log loss in (a, b).
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < labels.length; i++) {
      const z = logit(probabilities[i] as number);
      const p = sigmoid(a * z + b);
      const r = p - (labels[i] as number);
      const w = p * (1 - p);
      ga += r * z;
      gb += r;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (det <= 0) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  return { slope: a, intercept: b };
}

export const applyPlatt = (p: number, platt: { slope: number; intercept: number }): number =>
  sigmoid(platt.slope * logit(p) + platt.intercept);

/** One bin of a reliability table: flights, mean predicted probability and observed delayed share. */
export interface ReliabilityBin {
  readonly from: number;
  readonly to: number;
  readonly flights: number;
  readonly meanPredicted: number;
  readonly observed: number;
}

/**
 * Reliability table over deciles of the predicted probability (equal-count bins, so each holds a tenth of the
 * flights), and the expected calibration error over them: the flight-weighted mean of |predicted - observed|.
 */
export function reliability(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  bins = 10,
): { bins: ReliabilityBin[]; expectedCalibrationError: number } {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (probabilities[x] as number) - (probabilities[y] as number),
  );
  const out: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const start = Math.floor((b * n) / bins);
    const end = Math.floor(((b + 1) * n) / bins);
    if (end <= start) continue;
    let sumP = 0;
    let sumY = 0;
    for (let k = start; k < end; k++) {
      sumP += probabilities[order[k] as number] as number;
      sumY += labels[order[k] as number] as number;
    }
    const count = end - start;
    const bin = {
      from: probabilities[order[start] as number] as number,
      to: probabilities[order[end - 1] as number] as number,
      flights: count,
      meanPredicted: sumP / count,
      observed: sumY / count,
    };
    out.push(bin);
    ece += (count / n) * Math.abs(bin.meanPredicted - bin.observed);
  }
  return { bins: out, expectedCalibrationError: ece };
}
