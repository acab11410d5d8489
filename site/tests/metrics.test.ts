/**
 * The comparison's numbers against their definitions: AUC is the probability that a random delayed flight is
 * ranked above a random on-time one, ties counting half (Hanley & McNeil 1982; scikit-learn's roc_auc_score gives
 * the same), checked against that pairwise count on random data; calibration bins and log loss by hand.
 */
import fc from "fast-check";
import { auc, calibration, logLoss, type Scored } from "../src/metrics";
import { columnsOf, formatOfName, parseCsv, scoredRows } from "../src/records";

function pairwiseAuc(rows: readonly Scored[]): number {
  const pos = rows.filter((r) => r.delayed);
  const neg = rows.filter((r) => !r.delayed);
  let wins = 0;
  for (const p of pos)
    for (const n of neg)
      wins += p.probability > n.probability ? 1 : p.probability === n.probability ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe("auc", () => {
  it("equals the pairwise definition, ties counting half", () => {
    const row = fc.record({ probability: fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9, 1), delayed: fc.boolean() });
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 60 }), (rows) => {
        fc.pre(rows.some((r) => r.delayed) && rows.some((r) => !r.delayed));
        expect(auc(rows)).toBeCloseTo(pairwiseAuc(rows), 12);
      }),
    );
  });

  it("is 1 for a perfect ranking, 0.5 for a constant score, NaN with one class", () => {
    expect(
      auc([
        { probability: 0.9, delayed: true },
        { probability: 0.1, delayed: false },
      ]),
    ).toBe(1);
    expect(
      auc([
        { probability: 0.3, delayed: true },
        { probability: 0.3, delayed: false },
      ]),
    ).toBe(0.5);
    expect(auc([{ probability: 0.3, delayed: true }])).toBeNaN();
  });
});

describe("calibration and log loss", () => {
  it("bins by predicted probability and reports each bin's mean prediction and observed rate", () => {
    const rows = [
      { probability: 0.05, delayed: false },
      { probability: 0.15, delayed: true },
      { probability: 0.12, delayed: false },
      { probability: 1, delayed: true },
    ];
    expect(calibration(rows)).toEqual([
      { from: 0, to: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 },
      { from: 0.1, to: 0.2, count: 2, meanPredicted: expect.closeTo(0.135, 12), observedRate: 0.5 },
      { from: 0.9, to: 1, count: 1, meanPredicted: 1, observedRate: 1 },
    ]);
  });

  it("computes the mean negative log likelihood", () => {
    expect(logLoss([{ probability: 0.5, delayed: true }])).toBeCloseTo(Math.log(2), 12);
    expect(
      logLoss([
        { probability: 0.2, delayed: false },
        { probability: 0.8, delayed: true },
      ]),
    ).toBeCloseTo(-Math.log(0.8), 12);
  });
});

describe("records", () => {
  it("reads quoted CSV fields and finds the delay column of either format", () => {
    expect(parseCsv('a,"b,""c"""\r\n1,2\n')).toEqual([
      ["a", 'b,"c"'],
      ["1", "2"],
    ]);
    expect(columnsOf("ref,origin,delay", "csv")).toContain("delay");
    expect(columnsOf('{"origin":"SEA","delay":3}', "jsonl")).toContain("delay");
    expect(formatOfName("Flights.NDJSON")).toBe("jsonl");
    expect(formatOfName("flights.xlsx")).toBeUndefined();
  });

  it("labels a flight delayed above 15 minutes and leaves rows without a delay out", () => {
    const csv = "ref,delay,delayProbability,delayed\na,16,0.7,true\nb,15,0.2,false\nc,,0.4,false\n";
    expect(scoredRows(csv, "csv")).toEqual([
      { probability: 0.7, delayed: true },
      { probability: 0.2, delayed: false },
    ]);
    const jsonl = '{"delay":-3,"delayProbability":0.1}\n{"delay":40,"delayProbability":0.9}\n';
    expect(scoredRows(jsonl, "jsonl").map((r) => r.delayed)).toEqual([false, true]);
  });
});
