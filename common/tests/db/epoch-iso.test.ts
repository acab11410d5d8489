import { epochToIsoMicros } from "../../src/db/user-repository";

describe("epochToIsoMicros", () => {
  it.each([
    ["1795395475.686543", "2026-11-23T00:57:55.686543Z"],
    ["1767225600.000000", "2026-01-01T00:00:00.000000Z"],
    ["1767225600.1", "2026-01-01T00:00:00.100000Z"],
    ["1767225600", "2026-01-01T00:00:00.000000Z"],
    ["-0.000999", "1969-12-31T23:59:59.999001Z"],
    ["-2203613632.999991", "1900-03-04T05:06:07.000009Z"],
  ])("formats %s as PostgreSQL's to_char(..., 'US') would: %s", (epoch, iso) => {
    expect(epochToIsoMicros(epoch)).toBe(iso);
  });
});
