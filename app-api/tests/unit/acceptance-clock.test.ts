import { ACCEPTED_AT_PATTERN } from "@sml/contracts/users";
import { createAcceptanceClock } from "../../src/core/acceptance-clock";

describe("createAcceptanceClock", () => {
  it("follows the wall clock at millisecond resolution in the microsecond format", () => {
    const clock = createAcceptanceClock(() => Date.parse("2026-11-27T15:48:00.123Z"));
    const key = clock();
    expect(key).toMatch(ACCEPTED_AT_PATTERN);
    expect(key).toBe("2026-11-27T15:48:00.123000Z");
  });

  it("never repeats or goes back when the wall clock steps back", () => {
    let now = Date.parse("2026-11-27T15:48:00.500Z");
    const clock = createAcceptanceClock(() => now);
    const first = clock();
    now -= 200;
    const second = clock();
    expect(second > first).toBe(true);
    now += 1000;
    expect(clock()).toBe("2026-11-27T15:48:01.300000Z");
  });
});
