/**
 * Issue 25 review: the record limit (MAX_RECORD_BYTES, 1 MiB) holds for records that end inside a chunk, not
 * only for the unfinished remainder of each chunk. Before, a record of the limit plus up to one chunk passed.
 */
import { FileFormatError } from "../../src/batch/errors";
import { MAX_RECORD_BYTES, scanRecords } from "../../src/batch/records";

/** `text` in chunks of `size` bytes, as S3 streams a body. */
async function* chunks(text: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
}

async function scan(text: Buffer, chunkBytes: number, quoted = false) {
  const records: { line: number; length: number }[] = [];
  for await (const group of scanRecords(chunks(text, chunkBytes), { quoted, firstLine: 1, firstOffset: 0 })) {
    for (const r of group) records.push({ line: r.line, length: r.text.length });
  }
  return records;
}

const record = (bytes: number) => "x".repeat(bytes);
const file = (...lines: string[]) => Buffer.from(`${lines.join("\n")}\n`);

describe.each([
  ["in one chunk", 4 * 1024 * 1024],
  ["across 64 KiB chunks", 64 * 1024],
])("a record %s", (_how, chunkBytes) => {
  test.each([false, true])(
    "of MAX_RECORD_BYTES + 1 bytes fails the batch, naming its line (quoted %s)",
    async (quoted) => {
      const text = file("a,b", record(MAX_RECORD_BYTES + 1), "c,d");
      const failure = await scan(text, chunkBytes, quoted).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(FileFormatError);
      expect((failure as Error).message).toBe(`line 2 holds a record longer than ${MAX_RECORD_BYTES} bytes`);
    },
  );

  test("of exactly MAX_RECORD_BYTES bytes is read", async () => {
    const records = await scan(file("a,b", record(MAX_RECORD_BYTES), "c,d"), chunkBytes);
    expect(records).toEqual([
      { line: 1, length: 3 },
      { line: 2, length: MAX_RECORD_BYTES },
      { line: 3, length: 3 },
    ]);
  });
});
