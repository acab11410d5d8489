export { parseWith } from "@sml/contracts/errors";
export * from "./caller";
export * from "./dispatch";
export * from "./errors";
export * from "./openapi";
export * from "./request";
export * from "./responses";
