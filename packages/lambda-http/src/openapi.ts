/**
 * The API's OpenAPI 3.1 document, derived from the route table (@sml/contracts/routes): each entry's zod schemas
 * (the very objects its handler validates with and answers with) become JSON Schema draft 2020-12, OpenAPI 3.1's
 * dialect, through zod's own z.toJSONSchema; every error status comes from this package's ERROR_TABLE. Served by
 * the api function at GET /openapi.json and committed as docs/openapi.json (`npm run generate`: scripts/generate/openapi.ts).
 */
import {
  ForbiddenError,
  MAX_ERROR_DETAILS,
  PayloadTooLargeError,
  UnauthenticatedError,
  ValidationError,
} from "@sml/contracts/errors";
import { ROUTES, type Route, type RouteDefinition, routeKey } from "@sml/contracts/routes";
import * as z from "zod";
import {
  ERROR_STATUSES,
  type ErrorClass,
  type HttpStatus,
  httpStatusOfClass,
  INTERNAL_ERROR,
  InvalidJsonError,
  MethodNotAllowedError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
} from "./errors";

/** The contract's version: bump the major on a change that breaks a client. */
export const API_VERSION = "1.0.0";

/** The API's error body, as toHttpResponse writes it. */
export const ErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ description: "Stable, machine-readable." }),
      message: z.string().meta({ description: "For people; names every offending field." }),
      details: z
        .array(
          z.strictObject({
            field: z.string().optional().meta({ description: "Dotted path, e.g. `instances.3.origin`." }),
            message: z.string(),
          }),
        )
        .max(MAX_ERROR_DETAILS + 1)
        .optional()
        .meta({
          description: `One per offending field, at most ${MAX_ERROR_DETAILS}; then one saying how many more there were.`,
        }),
    }),
  })
  .meta({ title: "Error" });

/** What API Gateway itself answers with, where no function runs (authorizer, throttling, integration timeout). */
export const GatewayErrorSchema = z.strictObject({ message: z.string() }).meta({ title: "GatewayError" });

type JsonSchema = Record<string, unknown>;

/** zod -> JSON Schema 2020-12 (OpenAPI 3.1's default dialect), `input` for what clients send. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The error body with `code` narrowed to the codes one status can carry on one route. */
function errorContent(codes: readonly string[], gateway: boolean): JsonSchema {
  const api = {
    allOf: [ref("Error"), { properties: { error: { properties: { code: { enum: [...codes] } } } } }],
  };
  const schema =
    codes.length === 0 ? ref("GatewayError") : gateway ? { anyOf: [api, ref("GatewayError")] } : api;
  return { "application/json": { schema } };
}

/** The domain errors a route can raise: those its `query` and `body` imply, and its own `errors`. */
export function routeErrors(route: RouteDefinition): ErrorClass[] {
  const errors: ErrorClass[] = [];
  if (route.query) errors.push(ValidationError);
  if (route.body)
    errors.push(ValidationError, InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError);
  errors.push(...(route.errors ?? []));
  // The dispatcher's group check (checkRouteGroup).
  if (route.group !== undefined) errors.push(ForbiddenError);
  return errors;
}

/** Status -> codes a route can answer with (its handler's errors through ERROR_TABLE, and 500). */
export function routeErrorStatuses(route: RouteDefinition): Map<number, string[]> {
  const statuses = new Map<number, string[]>();
  const add = ({ statusCode, code }: HttpStatus) => {
    const codes = statuses.get(statusCode) ?? [];
    if (!codes.includes(code)) codes.push(code);
    statuses.set(statusCode, codes);
  };
  for (const error of routeErrors(route)) {
    const status = httpStatusOfClass(error);
    if (!status)
      throw new Error(`${routeKey(route)}: ${error.name} is not in ERROR_TABLE (it would answer 500)`);
    add(status);
  }
  add(INTERNAL_ERROR);
  return new Map([...statuses].sort(([a], [b]) => a - b));
}

const REASONS: Record<number, string> = {
  400: "Bad request: the message and details name each offending field.",
  401: "No valid JWT (a Cognito access or ID token of the pool, `Authorization: Bearer <token>`). Answered by API Gateway.",
  403: "Signed in, but the caller's groups do not allow this.",
  404: "Not found.",
  413: "Request body too large.",
  415: "Content-Type is not application/json in UTF-8.",
  429: "Throttled by API Gateway (the stage's rate and burst limits), or (code QUOTA_EXCEEDED) over a per-user limit the message names.",
  500: "Unexpected error (nothing internal is revealed); API Gateway answers it too when the function fails.",
  503: "A dependency did not answer, or API Gateway gave up on the function (30 s); nothing was done, retry later.",
};

function parameters(route: RouteDefinition): JsonSchema[] {
  const out: JsonSchema[] = [];
  const place = (
    where: "path" | "query",
    schema: z.ZodObject | undefined,
    example: Record<string, string> = {},
  ) => {
    if (!schema) return;
    const object = jsonSchema(schema, "input") as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...propertySchema } = property;
      out.push({
        name,
        in: where,
        required: where === "path" || (object.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: propertySchema,
        ...(example[name] !== undefined ? { example: example[name] } : {}),
      });
    }
  };
  place("path", route.params, route.example.params);
  place("query", route.query, route.example.query);
  return out;
}

function operation(route: RouteDefinition): JsonSchema {
  const responses: Record<string, JsonSchema> = {
    [String(route.response.status)]: {
      description: route.response.description,
      content: { "application/json": { schema: jsonSchema(route.response.schema, "output") } },
    },
  };
  const errors = routeErrorStatuses(route);
  // API Gateway's authorizer answers 401 itself; the function answers it too for an event without claims.
  if (route.authorized) errors.set(401, [httpStatusOfClass(UnauthenticatedError)?.code ?? "UNAUTHORIZED"]);
  // Every route is behind the stage's throttling and the integration's timeout, which API Gateway answers itself.
  if (!errors.has(429)) errors.set(429, []);
  if (!errors.has(503)) errors.set(503, []);
  const gatewayToo = new Set([401, 429, 500, 503]);
  for (const [status, codes] of [...errors].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: REASONS[status] ?? "Error.",
      content: errorContent(codes, gatewayToo.has(status)),
    };
  }
  const maxBytes = route.body?.maxBytes;
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.target],
    ...(route.group === undefined
      ? {}
      : {
          description: `Only for callers in the \`${route.group}\` group (the token's \`cognito:groups\`); anyone else is answered 403 FORBIDDEN.`,
          "x-required-group": route.group,
        }),
    ...(route.authorized ? { security: [{ cognitoJwt: [] }] } : { security: [] }),
    ...(route.params || route.query ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            description: `JSON in UTF-8, at most ${maxBytes} bytes (larger: 413).`,
            "x-max-body-bytes": maxBytes,
            content: {
              "application/json": {
                schema: jsonSchema(route.body.schema, "input"),
                example: route.example.body,
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/** `GET /users/{id}` -> `getUsersById`. */
export function operationId(route: Pick<RouteDefinition, "method" | "path">): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((part) => (part.startsWith("{") ? `by-${part.slice(1, -1)}` : part))
    .join("-")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [route.method.toLowerCase(), ...words.map((w) => w[0]?.toUpperCase() + w.slice(1))].join("");
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: JsonSchema;
  readonly paths: Record<string, Record<string, JsonSchema>>;
  readonly components: JsonSchema;
  readonly [key: string]: unknown;
}

const UNMATCHED = [RouteNotFoundError, MethodNotAllowedError].map((e) => httpStatusOfClass(e) as HttpStatus);
const UNMATCHED_NAMES = ["RouteNotFound", "MethodNotAllowed"] as const;

/** Status -> response of a request no route matches (`$default`): components.responses of the document. */
export function unmatchedResponses(document: OpenApiDocument): Record<string, JsonSchema> {
  const responses = (document.components.responses ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(
    UNMATCHED.map((status, i) => [String(status.statusCode), responses[UNMATCHED_NAMES[i] as string] ?? {}]),
  );
}

/** The OpenAPI 3.1 document of `routes` (default: the whole table). Deterministic: same table, same bytes. */
export function openApiDocument(routes: readonly Route[] = ROUTES): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "serverless-ml-api",
      version: API_VERSION,
      description: [
        "Users (stored asynchronously through SNS/SQS) and flight-delay predictions.",
        `A request no route matches is answered ${UNMATCHED.map((s) => `${s.statusCode} ${s.code}`).join(" or ")} (with \`Allow\`) in the error format below.`,
        "Generated from the route table and the handlers' zod schemas (packages/contracts/src/routes.ts).",
      ].join(" "),
    },
    paths,
    components: {
      schemas: {
        Error: {
          ...jsonSchema(ErrorBodySchema, "output"),
          description: `Every error the functions answer; codes: ${[...ERROR_STATUSES, INTERNAL_ERROR]
            .map((s) => `${s.code} (${s.statusCode})`)
            .join(", ")}.`,
        },
        GatewayError: jsonSchema(GatewayErrorSchema, "output"),
      },
      // Not tied to an operation: API Gateway's `$default` route sends every unmatched request to the api function.
      responses: Object.fromEntries(
        UNMATCHED.map((status, i) => [
          UNMATCHED_NAMES[i],
          {
            description:
              status.statusCode === 405
                ? "A known path with another method (the `Allow` header lists the methods)."
                : "No route has this path.",
            content: errorContent([status.code], false),
          },
        ]),
      ),
      securitySchemes: {
        cognitoJwt: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "A Cognito access (or ID) token of the environment's pool: the site signs in with authorization code + PKCE, and `npm run token -- <user>` prints one for the local stack. Every environment requires it.",
        },
      },
    },
  };
}
