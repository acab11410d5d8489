import { initBackend } from "@sml/flight-model/backend";
import { FlightDelayModel } from "@sml/flight-model/model";
import { predictFlights } from "@sml/flight-model/predict-flights";
import { FileFormatError } from "../../src/batch/errors";
import { scoreRange } from "../../src/batch/score-range";
import { chunked, memorySink, realFlights } from "../support/batch-files";
import { workspaceModelDir } from "../support/events";

let model: FlightDelayModel;
beforeAll(async () => {
  await initBackend(["wasm", "cpu"]);
  model = FlightDelayModel.load(workspaceModelDir);
});

const score = async (format: "csv" | "jsonl", text: string, chunkSize = 7) => {
  const sink = memorySink();
  const outcome = await scoreRange(
    { model, format, source: chunked(text, chunkSize), start: 0, firstLine: 1 },
    sink,
  );
  return { outcome, out: sink.text() };
};

describe("scoreRange on CSV", () => {
  test("scores every row as POST /predict scores the same instances, columns in any order, carried over", async () => {
    const flights = realFlights(2500);
    const csv = [
      "id,departure,note,destination,origin,distance",
      ...flights.map(
        (f, i) =>
          `row-${i},${f.departure},"said ""hi"", then left",${f.destination},${f.origin},${f.distance}`,
      ),
    ].join("\n");
    const { outcome, out } = await score("csv", csv, 4096);
    expect(outcome).toEqual({ read: 2500, scored: 2500, rejected: 0, errors: [] });
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe("id,departure,note,destination,origin,distance,delayProbability,delayed");
    // /predict in its own chunks of 1000 (its limit), the same model.
    const expected = [0, 1000, 2000].flatMap(
      (from) => predictFlights(model, { instances: flights.slice(from, from + 1000) }).predictions,
    );
    lines.slice(1).forEach((line, i) => {
      const f = flights[i];
      const p = expected[i];
      expect(line).toBe(
        `row-${i},${f?.departure},"said ""hi"", then left",${f?.destination},${f?.origin},${f?.distance},${p?.delayProbability},${p?.delayed}`,
      );
    });
  });

  test("rejects bad rows on their own, with 1-based line numbers (the header is line 1), and scores the rest", async () => {
    const csv = [
      "origin,destination,departure,distance,ref",
      "SEA,SFO,2001-01-13T14:56:00,679,a", // line 2
      "SEA,SFO,2001-02-30T10:00:00,679,b", // 3: no such day
      "SE,SFO,2001-01-13T14:56:00,679,c", // 4: bad code
      "SEA,SFO,2001-01-13T14:56:00,far,d", // 5: distance not a number
      "", // 6: blank, skipped
      "SEA,SFO,2001-01-13T14:56:00,679", // 7: a field short
      "SEA,SEA,2001-01-13T14:56:00,,e", // 8: same airports
      '"JFK","LAX","2001-01-13T08:00:00",,"multi', // 9..10: quoted newline, scored
      'line"',
      "ZZZ,QQQ,2001-01-13T14:56:00,,g", // 11: unknown airports, no distance
    ].join("\r\n");
    const { outcome, out } = await score("csv", csv);
    expect(outcome.read).toBe(8);
    expect(outcome.scored).toBe(2);
    expect(outcome.rejected).toBe(6);
    expect(outcome.errors.map((e) => e.line)).toEqual([3, 4, 5, 7, 8, 11]);
    expect(outcome.errors.find((e) => e.line === 3)?.message).toMatch(/^departure: is not a real date/);
    expect(outcome.errors.find((e) => e.line === 4)?.message).toMatch(/^origin: /);
    expect(outcome.errors.find((e) => e.line === 5)?.message).toMatch(/^distance: must be a number/);
    expect(outcome.errors.find((e) => e.line === 7)?.message).toBe("has 4 fields; the header has 5");
    expect(outcome.errors.find((e) => e.line === 8)?.message).toMatch(/^destination: must differ/);
    expect(outcome.errors.find((e) => e.line === 11)?.message).toMatch(
      /^distance: is required because airport ZZZ and QQQ/,
    );
    // The quoted field's newline (CRLF, as written) stays inside its record.
    expect(out).toMatch(
      /^origin,destination,departure,distance,ref,delayProbability,delayed\nSEA,SFO,2001-01-13T14:56:00,679,a,0\.\d+,(true|false)\n"JFK","LAX","2001-01-13T08:00:00",,"multi\r\nline",0\.\d+,(true|false)\n$/,
    );
  });

  test.each([
    ["an empty file", "", /the file is empty/],
    ["a header without rows", "origin,destination,departure\n", /a header but no rows/],
    [
      "a header without the model's columns",
      "from,to,when\nSEA,SFO,2001-01-13T14:56:00\n",
      /lacks origin, destination, departure/,
    ],
    ["JSON Lines declared as CSV", '{"origin":"SEA"}\n', /JSON object, not a CSV header.*"format": "jsonl"/],
    ["a column named twice", "origin,origin,destination,departure\n", /names column "origin" twice/],
    ["a header with a result column", "origin,destination,departure,delayed\n", /already has delayed/],
    [
      "a quote that never closes",
      'origin,destination,departure\n"SEA,SFO,2001-01-13T14:56:00\n',
      /never closes/,
    ],
  ])("fails the file for %s", async (_what, text, message) => {
    const run = score("csv", text);
    await expect(run).rejects.toThrow(FileFormatError);
    await expect(run).rejects.toThrow(message);
  });
});

describe("scoreRange on JSON Lines", () => {
  test("adds the prediction to each object, keeping every other field, and rejects bad lines by number", async () => {
    const flights = realFlights(3);
    const jsonl = [
      JSON.stringify({ myId: 7, ...flights[0], tags: ["a"] }),
      "not json",
      JSON.stringify({ ...flights[1], distance: "679" }),
      "[1,2]",
      JSON.stringify({ ...flights[2], nested: { keep: true } }),
    ].join("\n");
    const { outcome, out } = await score("jsonl", `${jsonl}\n`);
    expect(outcome).toMatchObject({ read: 5, scored: 2, rejected: 3 });
    expect(outcome.errors).toEqual([
      { line: 2, message: "is not valid JSON" },
      { line: 3, message: expect.stringMatching(/^distance: /) },
      { line: 4, message: "must be a JSON object" },
    ]);
    const expected = predictFlights(model, { instances: [flights[0], flights[2]] }).predictions;
    expect(
      out
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { myId: 7, ...flights[0], tags: ["a"], ...expected[0] },
      { ...flights[2], nested: { keep: true }, ...expected[1] },
    ]);
  });

  test("fails a file whose first line is not a JSON object", async () => {
    await expect(score("jsonl", "origin,destination,departure\nSEA,SFO,x\n")).rejects.toThrow(
      /line 1 is not valid JSON, so the file is not JSON Lines; for CSV create the batch with "format": "csv"/,
    );
  });
});
