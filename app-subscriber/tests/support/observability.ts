import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * A real Powertools Logger and Metrics whose JSON output is captured instead of printed. Relies on
 * POWERTOOLS_DEV (set in tests/setup-env.ts), under which Powertools writes through the global console.
 */
export function capturedObservability() {
  const lines: Record<string, unknown>[] = [];
  const capture = (...args: unknown[]) => {
    for (const arg of args) {
      if (typeof arg !== "string") continue;
      try {
        lines.push(JSON.parse(arg) as Record<string, unknown>);
      } catch {
        // Non-JSON console output (warnings of other libraries) is not ours to check.
      }
    }
  };
  for (const method of ["info", "warn", "error", "debug", "log"] as const) {
    jest.spyOn(console, method).mockImplementation(capture);
  }
  const logger = new Logger({ serviceName: "users-subscriber", logLevel: "INFO" });
  const metrics = new Metrics({ namespace: "sml-test", serviceName: "users-subscriber" });
  /** Sum of one EMF metric over every flushed line. */
  const metricTotal = (name: string): number =>
    lines.reduce((sum, line) => sum + (typeof line[name] === "number" ? (line[name] as number) : 0), 0);
  return { logger, metrics, lines, metricTotal };
}
