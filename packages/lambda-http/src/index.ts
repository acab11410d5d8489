export * from "./errors";
export * from "./request";
export * from "./responses";
