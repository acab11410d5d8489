/**
 * The zips `npm run build` writes and the stacks upload (`bundleFunction` from scripts/bundling/bundle.ts, the
 * same call as the build): reproducible to the byte, so identical builds give the same asset path and
 * source_code_hash and the plan stays empty.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipBundleDir, zipBundleFile } from "@sml/contracts/functions";
import { unzipSync } from "fflate";
import { bundleFunction } from "../../scripts/bundling/bundle";
import { testBundleRoot } from "./support/paths";

jest.setTimeout(60_000);

interface CentralEntry {
  readonly name: string;
  readonly madeBy: number;
  readonly dosTime: number;
  readonly dosDate: number;
  readonly unixMode: number;
}

/** The central directory records of a zip (APPNOTE 4.3.12), read directly: what unzip tools and Lambda see. */
function centralDirectory(zip: Buffer): CentralEntry[] {
  const entries: CentralEntry[] = [];
  for (let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0 && at < zip.length; ) {
    if (zip.readUInt32LE(at) !== 0x02014b50) break;
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      madeBy: zip.readUInt16LE(at + 4) >> 8,
      dosTime: zip.readUInt16LE(at + 12),
      dosDate: zip.readUInt16LE(at + 14),
      unixMode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** MS-DOS date fields: years since 1980 (bits 9-15), month (5-8), day (0-4). */
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

let first: string;
let second: string;
const zipOf = (root: string) => readFileSync(join(root, zipBundleFile("migrate")));

beforeAll(async () => {
  first = mkdtempSync(join(tmpdir(), "sml-zip-a-"));
  second = mkdtempSync(join(tmpdir(), "sml-zip-b-"));
  await bundleFunction("migrate", first);
  await bundleFunction("migrate", second);
});

afterAll(() => {
  for (const dir of [first, second]) rmSync(dir, { recursive: true, force: true });
});

describe("function zips", () => {
  it("are byte-identical across two builds of the same sources", () => {
    expect(zipOf(first).equals(zipOf(second))).toBe(true);
    // The test run's own build (global setup), made earlier in another folder, too.
    expect(zipOf(first).equals(zipOf(testBundleRoot()))).toBe(true);
  });

  it("hold exactly the bundle folder's files, sorted, as readable Unix files dated 1980-01-01", () => {
    const entries = centralDirectory(zipOf(first));
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain("index.js");
    expect(names.some((n) => n.startsWith("migrations/") && n.endsWith(".sql"))).toBe(true);
    for (const entry of entries)
      expect(entry).toEqual({
        name: entry.name,
        madeBy: 3,
        dosTime: 0,
        dosDate: DOS_DATE_1980_01_01,
        unixMode: 0o100644,
      });
  });

  it("unpack to the same bytes as the bundle folder", () => {
    const unpacked = unzipSync(zipOf(first));
    const folder = join(first, zipBundleDir("migrate"));
    expect(Object.keys(unpacked).length).toBeGreaterThan(1);
    for (const [name, bytes] of Object.entries(unpacked))
      expect(Buffer.from(bytes).equals(readFileSync(join(folder, name)))).toBe(true);
  });
});
