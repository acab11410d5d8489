import { InstanceSchema } from "@sml/contracts/predict";
import { initBackend } from "@sml/flight-model/backend";
import { FlightDelayModel } from "@sml/flight-model/model";
import { isValidInstance, predictFlights } from "@sml/flight-model/predict-flights";
import fc from "fast-check";
import { FileFormatError } from "../../src/batch/errors";
import { neutralizeCsvRecord } from "../../src/batch/formats";
import { planRanges } from "../../src/batch/plan";
import { scoreRange } from "../../src/batch/score-range";
import { chunked, type Flight, memorySink, realFlights } from "../support/batch-files";
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

/** Runs a whole file through planRanges and scoreRange per range, as the worker does, in memory. */
async function scoreSplit(format: "csv" | "jsonl", file: Buffer, rangeBytes: number, chunkSize: number) {
  const plan = await planRanges({
    format,
    size: file.length,
    read: () => chunked(file, chunkSize),
    rangeBytes,
  });
  const outcomes = [];
  const parts: Buffer[] = [];
  for (const range of plan.ranges) {
    const sink = memorySink();
    outcomes.push(
      await scoreRange(
        {
          model,
          format,
          source: chunked(file.subarray(range.start, range.end), chunkSize),
          start: range.start,
          firstLine: range.firstLine,
          ...(range.index > 0 && plan.header !== undefined ? { header: plan.header } : {}),
        },
        sink,
      ),
    );
    parts.push(sink.bytes());
  }
  return {
    ranges: plan.ranges.length,
    read: outcomes.reduce((n, o) => n + o.read, 0),
    scored: outcomes.reduce((n, o) => n + o.scored, 0),
    rejected: outcomes.reduce((n, o) => n + o.rejected, 0),
    errors: outcomes.flatMap((o) => o.errors),
    out: Buffer.concat(parts),
  };
}

describe("CSV quoting (RFC 4180 section 2, quotes inside unquoted fields read as csv-parse's relax_quotes reads them)", () => {
  test("reads a stray quote in an unquoted field as a literal, so no following line is swallowed", async () => {
    const flights = realFlights(4);
    const csv = [
      "id,origin,destination,departure,distance,item",
      ...flights.map(
        (f, i) =>
          `${i},${f.origin},${f.destination},${f.departure},${f.distance},${i === 0 ? '5" screen' : "cable"}`,
      ),
    ].join("\n");
    const { outcome, out } = await score("csv", `${csv}\n`);
    expect(outcome).toEqual({ read: 4, scored: 4, rejected: 0, errors: [] });
    expect(out.split("\n")[1]).toMatch(/^0,.*,5" screen,0\.\d+,(true|false)$/);
  });

  test("rejects a quoted field followed by more than a comma on its own line, and scores the lines after it", async () => {
    const [a, b] = realFlights(2);
    const csv = [
      "origin,destination,departure,distance,note",
      `${a?.origin},${a?.destination},${a?.departure},${a?.distance},"closed"then more`, // line 2
      `${b?.origin},${b?.destination},${b?.departure},${b?.distance},fine`, // line 3
    ].join("\n");
    const { outcome } = await score("csv", csv);
    expect(outcome).toMatchObject({ read: 2, scored: 1, rejected: 1 });
    expect(outcome.errors).toEqual([
      { line: 2, message: 'not a CSV record: a quoted field is followed by "t", not a comma' },
    ]);
  });

  // A field: plain text that may hold stray quotes, or a quoted field with commas, "" and newlines.
  const plain = fc.stringMatching(/^[a-z0-9 "]{0,6}$/).filter((s) => !s.startsWith('"'));
  const quoted = fc
    .stringMatching(/^[a-z, "\n]{0,6}$/)
    .map((s) => `"${s.replaceAll('"', '""').replaceAll("\n", "\r\n")}"`);
  const junk = fc.constantFrom('"closed"x', "", "a,b"); // rejected: garbage after a quote; wrong field counts
  const flightPool = realFlights(50);

  test("reads every record exactly once, scored or rejected by its own line, wherever the ranges and chunks split the file", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            flight: fc.integer({ min: 0, max: flightPool.length - 1 }),
            note: fc.oneof(
              { weight: 3, arbitrary: plain },
              { weight: 2, arbitrary: quoted },
              { weight: 1, arbitrary: junk },
            ),
            badCode: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 16, max: 400 }),
        fc.integer({ min: 1, max: 97 }),
        fc.boolean(),
        async (rows, rangeBytes, chunkSize, crlf) => {
          const eol = crlf ? "\r\n" : "\n";
          const lines: string[] = ["line,origin,destination,departure,distance,note"];
          let line = 2;
          const starts: number[] = [];
          for (const row of rows) {
            const f = flightPool[row.flight] as Flight;
            const record = `${line},${row.badCode ? "X" : f.origin},${f.destination},${f.departure},${f.distance},${row.note}`;
            starts.push(line);
            lines.push(record);
            line += record.split("\n").length;
          }
          const file = Buffer.from(`${lines.join(eol)}${eol}`, "utf8");
          const result = await scoreSplit("csv", file, rangeBytes, chunkSize);
          expect(result.read).toBe(rows.length);
          expect(result.scored + result.rejected).toBe(rows.length);
          // Exactly the rows built to be refused are rejected, each by the line it starts on...
          const refused = rows.map((r) => r.badCode || r.note === '"closed"x' || r.note === "a,b");
          expect(result.errors.map((e) => e.line)).toEqual(starts.filter((_, i) => refused[i]));
          // ...and the result is every other record, in order, as written (a cell starting with CR neutralized:
          // formats.ts), with the two columns appended.
          const literal = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          const expected = [
            `${literal(lines[0] as string)},delayProbability,delayed\n`,
            ...lines
              .slice(1)
              .filter((_, i) => !refused[i])
              .map((l) => `${literal(neutralizeCsvRecord(l) ?? l)},0(\\.\\d+)?,(true|false)\n`),
          ];
          expect(result.out.toString("utf8")).toMatch(new RegExp(`^${expected.join("")}$`));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe("carried-over columns and fields come back byte for byte", () => {
  test("CSV: bytes that are not UTF-8 are written back unchanged", async () => {
    const [f] = realFlights(1);
    const head = Buffer.from("origin,destination,departure,distance,caf", "latin1");
    const header = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from("\n")]);
    const row = Buffer.concat([
      Buffer.from(`${f?.origin},${f?.destination},${f?.departure},${f?.distance},na`, "latin1"),
      Buffer.from([0xef, 0xbf]), // a truncated 3-byte sequence
      Buffer.from("ve caf", "latin1"),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    const sink = memorySink();
    const outcome = await scoreRange(
      { model, format: "csv", source: chunked(Buffer.concat([header, row]), 5), start: 0, firstLine: 1 },
      sink,
    );
    expect(outcome.scored).toBe(1);
    const expected = predictFlights(model, { instances: [f] }).predictions[0];
    expect(sink.bytes()).toEqual(
      Buffer.concat([
        header.subarray(0, header.length - 1),
        Buffer.from(",delayProbability,delayed\n"),
        row.subarray(0, row.length - 1),
        Buffer.from(`,${expected?.delayProbability},${expected?.delayed}\n`),
      ]),
    );
  });

  test("JSON Lines: numbers beyond float64, spacing and non-UTF-8 bytes are the input's own text", async () => {
    const [f] = realFlights(1);
    const fields = `"origin":"${f?.origin}","destination":"${f?.destination}","departure":"${f?.departure}","distance":${f?.distance}`;
    const lines = [
      Buffer.from(`{"big":9007199254740993,"huge":1e400, ${fields} , "x" : [ 1.50 ] }  `),
      Buffer.concat([Buffer.from(`{${fields},"name":"caf`), Buffer.from([0xe9]), Buffer.from('"}')]),
    ];
    const sink = memorySink();
    const outcome = await scoreRange(
      {
        model,
        format: "jsonl",
        source: chunked(Buffer.concat([lines[0] as Buffer, Buffer.from("\r\n"), lines[1] as Buffer]), 11),
        start: 0,
        firstLine: 1,
      },
      sink,
    );
    expect(outcome).toMatchObject({ read: 2, scored: 2, rejected: 0 });
    const p = predictFlights(model, { instances: [f] }).predictions[0];
    const added = `,"delayProbability":${p?.delayProbability},"delayed":${p?.delayed}}\n`;
    expect(sink.bytes()).toEqual(
      Buffer.concat([
        Buffer.from(`{"big":9007199254740993,"huge":1e400, ${fields} , "x" : [ 1.50 ] `),
        Buffer.from(added),
        (lines[1] as Buffer).subarray(0, (lines[1] as Buffer).length - 1),
        Buffer.from(added),
      ]),
    );
  });

  test("JSON Lines: an empty object gets the two fields without a leading comma", async () => {
    const { outcome } = await score("jsonl", "{}\n");
    // {} has no flight: rejected, so the rendering of an empty object is checked through a real flight below.
    expect(outcome.rejected).toBe(1);
    const [f] = realFlights(1);
    const { out } = await score("jsonl", `${JSON.stringify(f)}\n`);
    expect(JSON.parse(out)).toMatchObject({ ...f, delayed: expect.any(Boolean) });
  });
});

describe("the listed errors", () => {
  test("are the first 100 rejected lines in line order, whichever step rejected them", async () => {
    const flights = realFlights(400);
    const csv = [
      "origin,destination,departure,distance",
      // Lines 2-151 pass the row checks but /predict's resolve step refuses them (same airports) at chunk time;
      // lines 152-401 fail the CSV parse (a field short) as they are read, before that.
      ...flights.map((f, i) =>
        i < 150 ? `${f.origin},${f.origin},${f.departure},` : `${f.origin},${f.destination},${f.departure}`,
      ),
    ].join("\n");
    const { outcome } = await score("csv", csv, 4096);
    expect(outcome).toMatchObject({ read: 400, scored: 0, rejected: 400 });
    expect(outcome.errors.map((e) => e.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(outcome.errors[0]?.message).toMatch(/^destination: must differ/);
  });
});

describe("rejections", () => {
  test("word a row exactly as InstanceSchema does whenever the pre-check refuses it (the two agree)", () => {
    const code = fc.oneof(
      fc.constantFrom("SEA", "sfo", "KJFK", "X", "SEA1X", ""),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            origin: fc.oneof(code, fc.integer()),
            destination: code,
            departure: fc.oneof(
              fc.constantFrom("2001-01-13T14:56:00", "2001-02-30 10:00", "2001-01-13", "13/01/2001"),
              fc.string({ maxLength: 20 }),
            ),
            distance: fc.oneof(
              fc.double(),
              fc.constantFrom(0, -0, 13000, 13000.5, Number.NaN, Number.POSITIVE_INFINITY),
              fc.constant(undefined),
            ),
          },
          { requiredKeys: [] },
        ),
        (instance) => {
          expect(isValidInstance(instance)).toBe(InstanceSchema.safeParse(instance).success);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("let the event loop run while a range is scored, however fast its bytes arrive", async () => {
    const flights = realFlights(5000);
    const csv = Buffer.from(
      [
        "origin,destination,departure,distance",
        ...flights.map((f) => `${f.origin},${f.destination},${f.departure},x`),
      ].join("\n"),
    );
    // An in-memory source resolves every read at once; without a yield no timer could fire until the end.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksAtEnd: number;
    try {
      const outcome = await scoreRange(
        { model, format: "csv", source: chunked(csv), start: 0, firstLine: 1 },
        { write: async () => undefined },
      );
      ticksAtEnd = ticks;
      expect(outcome.rejected).toBe(5000);
    } finally {
      clearInterval(timer);
    }
    expect(ticksAtEnd).toBeGreaterThan(0);
  });
});
