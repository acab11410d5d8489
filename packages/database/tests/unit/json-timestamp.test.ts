import { jsonTimestampToIsoMicros } from "../../src/user-repository";

describe("jsonTimestampToIsoMicros", () => {
  it.each([
    ['"2026-11-23T01:08:54.47997"', "2026-11-23T01:08:54.479970Z"],
    ['"2026-11-23T01:08:54.123456"', "2026-11-23T01:08:54.123456Z"],
    ['"2026-01-01T00:00:00.1"', "2026-01-01T00:00:00.100000Z"],
    ['"2026-01-01T00:00:00"', "2026-01-01T00:00:00.000000Z"],
  ])("turns PostgreSQL's JSON timestamp %s into %s", (json, iso) => {
    expect(jsonTimestampToIsoMicros(json)).toBe(iso);
  });

  it("refuses anything else instead of returning a wrong time", () => {
    expect(() => jsonTimestampToIsoMicros("2026-01-01 00:00:00")).toThrow(/Unexpected timestamp/);
    expect(() => jsonTimestampToIsoMicros('"infinity"')).toThrow(/Unexpected timestamp/);
  });
});
