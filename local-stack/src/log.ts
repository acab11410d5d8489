import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The local stack's own log lines: the same one-JSON-object-per-line shape the functions' Powertools loggers
 * write, on the same stdout, so one `| jq` reads both.
 */
export const log = new Logger({ serviceName: "local-stack" });
