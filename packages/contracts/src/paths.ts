/** Paths that code without zod needs too (the site's browser bundle): kept apart from the route table's schemas. */

/** Where the API serves its OpenAPI document. */
export const OPENAPI_PATH = "/openapi.json";
