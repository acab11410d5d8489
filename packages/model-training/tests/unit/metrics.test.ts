/**
 * rocAuc against its definition (Mann-Whitney): the share of (positive, negative) pairs where the positive scores
 * higher, ties counting 1/2, counted pair by pair. Issue 29 replaced the index sort behind it with two typed-array
 * sorts and a merge; the value must not move, ties included.
 */
import { rocAuc } from "../../src/metrics";

function pairwiseAuc(labels: readonly number[], scores: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] === 1) continue;
      pairs++;
      const [p, q] = [scores[i] as number, scores[j] as number];
      wins += p > q ? 1 : p === q ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("rocAuc", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "equals the pairwise count on 400 scored rows with many ties (seed %i)",
    (seed) => {
      const next = random(seed);
      const labels = Array.from({ length: 400 }, () => (next() < 0.25 ? 1 : 0));
      // Scores rounded to 1/20 so most values are shared by several rows, of both labels.
      const scores = labels.map((y) => Math.round((next() + 0.3 * y) * 20) / 20);
      expect(rocAuc(labels, Float32Array.from(scores))).toBe(
        pairwiseAuc(labels, Array.from(Float32Array.from(scores))),
      );
    },
  );

  it("is 1 for a perfect ranking, 0 for a reversed one, 1/2 when every score is equal", () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it("is NaN with only one class (no pair to compare)", () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.3])).toBeNaN();
  });
});
