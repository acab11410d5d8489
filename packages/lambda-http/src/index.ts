export { parseWith } from "@sml/contracts/errors";
export * from "./dispatch";
export * from "./errors";
export * from "./request";
export * from "./responses";
