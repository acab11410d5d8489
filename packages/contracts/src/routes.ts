/**
 * The HTTP API's route table: the one source of truth for API Gateway routes (infra), request dispatch
 * (handlers), the local HTTP server (local-stack) and the API's OpenAPI document (GET /openapi.json,
 * docs/openapi.json, built by @sml/lambda-http's openApiDocument). Paths use API Gateway's `{param}` syntax.
 *
 * Adding a route: one entry below, its handler, its tests. Every entry carries the zod schemas its handler
 * validates with and answers with (define them in @sml/contracts beside users.ts / predict.ts, and validate with
 * the same objects), so the document cannot drift from the code:
 * - `method`, `path`, `target` (the function of the registry that serves it), `authorized` (API Gateway's JWT
 *   authorizer, in every environment and on the local stack; `false` only for health checks and the document);
 * - `group`: the Cognito group a caller must be in (`admins` for a route that reads or changes other people's data,
 *   such as the users directory). The dispatcher refuses anyone else 403 before the handler runs; a route without
 *   it serves every signed-in caller and must itself scope what it does to the caller (batches: by owner);
 * - `summary`: one line for the docs page;
 * - `params`: a z.object with one string schema per `{param}` of the path (required when the path has any);
 * - `query`: a z.object of the query parameters (API Gateway passes strings); omit when the route reads none;
 * - `body`: `{ schema, maxBytes }` of a JSON body read with readJsonBody(event, maxBytes); this alone documents
 *   400 (invalid JSON, validation), 413 (over maxBytes) and 415 (not application/json);
 * - `response`: `{ status, description, schema }` of the success answer;
 * - `errors`: the domain errors (classes of ./errors) the handler raises besides those `query`/`body` imply,
 *   e.g. `[NotFoundError]`, `[DependencyUnavailableError]`; @sml/lambda-http's ERROR_TABLE gives each its
 *   status and code. Every route may also answer 500;
 * - `example`: one request the route accepts (`params`, `query`, `body`), sent by the contract test, which
 *   expects `response.status` and a body matching `response.schema` (local-stack/tests/integration/openapi.test.ts;
 *   a route whose example needs data first gets a seed there).
 */
import * as z from "zod";
import { ADMIN_GROUP, type UserGroup } from "./auth";
import {
  BATCH_CREATE_MAX_BODY_BYTES,
  BATCH_OWNER_MAX_OPEN_BATCHES,
  BATCH_OWNER_MAX_OPEN_BYTES,
  BatchPageSchema,
  BatchResponseSchema,
  CreateBatchRequestSchema,
  CreateBatchResponseSchema,
  ListBatchesQuerySchema,
} from "./batches";
import {
  DependencyUnavailableError,
  type DomainError,
  ForbiddenError,
  NotFoundError,
  QuotaExceededError,
  ValidationError,
} from "./errors";
import type { HttpFunctionName } from "./functions";
import { OPENAPI_PATH } from "./paths";
import {
  ModelsResponseSchema,
  PREDICT_MAX_BODY_BYTES,
  PredictBodySchema,
  PredictResponseSchema,
} from "./predict";
import {
  ListUsersQuerySchema,
  NEW_USER_MAX_BODY_BYTES,
  NewUserSchema,
  UserAcceptedSchema,
  UserDeletionAcceptedSchema,
  UserPageSchema,
  UserSchema,
} from "./users";

export type HttpMethod = "GET" | "POST" | "DELETE";

/** Which Lambda function serves a route: a function of the registry that API Gateway invokes. */
export type RouteTarget = HttpFunctionName;

/** A domain error class a handler may raise (its HTTP status and code come from @sml/lambda-http's table). */
export type DomainErrorClass = abstract new (...args: never[]) => DomainError;

export interface RouteExample {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly target: RouteTarget;
  /** `false` keeps the route open (health checks, the OpenAPI document); every other route needs a token. */
  readonly authorized: boolean;
  /** Only callers in this group (403 for anyone else, before the handler runs); needs `authorized`. */
  readonly group?: UserGroup;
  readonly summary: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly maxBytes: number };
  readonly response: {
    readonly status: 200 | 201 | 202;
    readonly description: string;
    readonly schema: z.ZodType;
  };
  readonly errors?: readonly DomainErrorClass[];
  readonly example: RouteExample;
}

/** Where the API serves its OpenAPI document (the site's docs page, `docs.html`, loads it from there). */
export { OPENAPI_PATH };

/** GET /health. */
export const HealthSchema = z.strictObject({ status: z.literal("ok") }).meta({ title: "Health" });

/** GET /openapi.json: an OpenAPI 3.1 document (its shape is OpenAPI's, checked by the tests against the spec). */
export const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.looseObject({}),
    paths: z.looseObject({}),
  })
  .meta({ title: "OpenApiDocument" });

export const ROUTES = [
  {
    method: "GET",
    path: "/health",
    target: "api",
    authorized: false,
    summary: "Liveness and database reachability",
    response: { status: 200, description: "The API and its database answer.", schema: HealthSchema },
    errors: [DependencyUnavailableError],
    example: {},
  },
  {
    method: "GET",
    path: "/users",
    target: "api",
    authorized: true,
    group: ADMIN_GROUP,
    summary: "List users, oldest first (keyset pagination); admins only",
    query: ListUsersQuerySchema,
    response: { status: 200, description: "One page of users.", schema: UserPageSchema },
    errors: [DependencyUnavailableError],
    example: { query: { limit: "5" } },
  },
  {
    method: "GET",
    path: "/users/{id}",
    target: "api",
    authorized: true,
    group: ADMIN_GROUP,
    summary: "One user by id; admins only",
    params: z.strictObject({
      id: z.string().meta({ description: "The user's id (GET /users lists them)." }),
    }),
    response: { status: 200, description: "The user.", schema: UserSchema },
    errors: [NotFoundError, DependencyUnavailableError],
    example: { params: { id: "3f0e1b9c-8a2d-4c5e-9f71-2b6d8e4a1c07" } },
  },
  {
    method: "POST",
    path: "/users",
    target: "api",
    authorized: true,
    group: ADMIN_GROUP,
    summary: "Create or update a user (by email); stored asynchronously; admins only",
    body: { schema: NewUserSchema, maxBytes: NEW_USER_MAX_BODY_BYTES },
    response: {
      status: 202,
      description: "Accepted and published; the subscriber stores it a moment later (GET /users shows it).",
      schema: UserAcceptedSchema,
    },
    errors: [DependencyUnavailableError],
    example: { body: { name: "Ada Lovelace", email: "ada@example.com" } },
  },
  {
    method: "DELETE",
    path: "/users/{id}",
    target: "api",
    authorized: true,
    group: ADMIN_GROUP,
    summary: "Delete a user; applied asynchronously (newest write wins); admins only",
    params: z.strictObject({
      id: z.string().meta({ description: "The user's id (POST /users answers it, GET /users lists them)." }),
    }),
    response: {
      status: 202,
      description:
        "Accepted and published; the subscriber applies it a moment later (GET /users/{id} then answers 404). An id that names no user changes nothing.",
      schema: UserDeletionAcceptedSchema,
    },
    errors: [NotFoundError, DependencyUnavailableError],
    // No seeded user has this id: the contract test's deletion changes nothing the other examples read.
    example: { params: { id: "9b2c7e4a-1d3f-4a5b-8c6d-0e1f2a3b4c5d" } },
  },
  {
    method: "POST",
    path: "/predict",
    target: "prediction",
    authorized: true,
    summary: "Probability that each flight arrives more than 15 minutes late",
    body: { schema: PredictBodySchema, maxBytes: PREDICT_MAX_BODY_BYTES },
    response: { status: 200, description: "One prediction per instance.", schema: PredictResponseSchema },
    example: {
      body: { instances: [{ origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00" }] },
    },
  },
  // The models the prediction image carries (champion first-class, challengers by name@version).
  {
    method: "GET",
    path: "/models",
    target: "prediction",
    authorized: true,
    summary: "The models the prediction function serves",
    response: {
      status: 200,
      description: "The champion and every model by id.",
      schema: ModelsResponseSchema,
    },
    example: {},
  },
  {
    method: "GET",
    path: OPENAPI_PATH,
    target: "api",
    authorized: false,
    summary: "This document (OpenAPI 3.1)",
    response: { status: 200, description: "The API's OpenAPI 3.1 document.", schema: OpenApiDocumentSchema },
    example: {},
  },
  // Batch predictions (./batches.ts holds their bodies): a file in, a file out.
  {
    method: "POST",
    path: "/batches",
    target: "batches",
    authorized: true,
    summary: "Start a batch: returns a presigned S3 PUT for the CSV or JSON Lines file to score",
    body: { schema: CreateBatchRequestSchema, maxBytes: BATCH_CREATE_MAX_BODY_BYTES },
    response: {
      status: 201,
      description: `Created; PUT the file (exactly \`bytes\` long: the size is signed into the URL) to upload.url with upload.headers, then poll GET /batches/{id}. A caller with ${BATCH_OWNER_MAX_OPEN_BATCHES} open (pending or running) batches, or ${BATCH_OWNER_MAX_OPEN_BYTES} bytes declared in them, is answered 429 QUOTA_EXCEEDED until one ends.`,
      schema: CreateBatchResponseSchema,
    },
    errors: [QuotaExceededError, DependencyUnavailableError],
    example: { body: { format: "csv", bytes: 1024 } },
  },
  {
    method: "GET",
    path: "/batches",
    target: "batches",
    authorized: true,
    summary: "The caller's batches, newest first (keyset pagination); admins may ask for everyone's",
    query: ListBatchesQuerySchema,
    response: { status: 200, description: "One page of batches.", schema: BatchPageSchema },
    errors: [ForbiddenError, DependencyUnavailableError],
    example: { query: { limit: "5" } },
  },
  {
    method: "GET",
    path: "/batches/{id}",
    target: "batches",
    authorized: true,
    summary:
      "One of the caller's batches (another user's answers 404): status, row counts, first rejected rows and (when succeeded) a presigned result URL",
    params: z.strictObject({
      id: z.string().meta({ description: "The batch id POST /batches returned (a UUID)." }),
    }),
    response: { status: 200, description: "The batch.", schema: BatchResponseSchema },
    errors: [ValidationError, NotFoundError, DependencyUnavailableError],
    example: { params: { id: "6b1f0c7e-2d4a-4e8b-9c3f-5a7d1e2b8c90" } },
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof ROUTES)[number];

/**
 * `METHOD /path` of the routes that exist, optionally only those of one function (`RouteKey` below admits every
 * method/path pairing). Distributes over the union, so only the real pairs are keys.
 */
export type DefinedRouteKey<T extends RouteTarget = RouteTarget> =
  Extract<Route, { target: T }> extends infer R
    ? R extends { readonly method: infer M extends string; readonly path: infer P extends string }
      ? `${M} ${P}`
      : never
    : never;
export type RouteKey = `${Route["method"]} ${Route["path"]}`;

/** API Gateway's route key, e.g. `GET /users/{id}`. */
export function routeKey(route: Pick<RouteDefinition, "method" | "path">): RouteKey {
  return `${route.method} ${route.path}` as RouteKey;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly pathParameters: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowedMethods: readonly HttpMethod[] }
  | { readonly kind: "not-found" };

/** Malformed percent-encoding matches nothing (API Gateway answers 404), rather than throwing. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment) || undefined;
  } catch {
    return undefined;
  }
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateParts = template.split("/");
  const pathParts = path.split("/");
  if (templateParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < templateParts.length; i++) {
    const expected = templateParts[i] as string;
    const actual = pathParts[i] as string;
    if (expected.startsWith("{") && expected.endsWith("}")) {
      const decoded = safeDecode(actual);
      if (!decoded) return undefined;
      params[expected.slice(1, -1)] = decoded;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

/** Resolves a request the way API Gateway does; 405 for a known path with another method. */
export function matchRoute(method: string, path: string, routes: readonly Route[] = ROUTES): RouteMatch {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const allowedMethods: HttpMethod[] = [];
  for (const route of routes) {
    const pathParameters = matchPath(route.path, normalized);
    if (!pathParameters) continue;
    if (route.method === method.toUpperCase()) return { kind: "found", route, pathParameters };
    allowedMethods.push(route.method);
  }
  return allowedMethods.length > 0 ? { kind: "method-not-allowed", allowedMethods } : { kind: "not-found" };
}

/**
 * API Gateway's catch-all route and the function behind it. Requests that match no route of the table (an unknown
 * path, or a known path with another method) go there, and that function answers them 404 or 405 in the API's
 * error format; it never serves a table route for a `$default` event, which has no authorizer.
 */
export const DEFAULT_ROUTE = { routeKey: "$default", target: "api" } as const satisfies {
  readonly routeKey: string;
  readonly target: RouteTarget;
};
