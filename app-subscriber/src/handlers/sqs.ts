/** Lambda entry point of the subscriber: config is parsed at init; the handler is built once per instance. */
import { loadConfig } from "../config";
import { createSubscriberFunction } from "../subscriber-function";

export const handler = createSubscriberFunction(loadConfig());
