/**
 * Checks HTTP responses against the OpenAPI document with Ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect) and
 * ajv-formats: the status must be one the operation documents and the body must match that status's schema. For
 * tests only (ajv is a dev dependency): the handler suites run every response they produce through it
 * (`observeContract`), and the local stack's contract test checks live answers with it.
 */
import { DEFAULT_ROUTE, matchRoute, ROUTES, type RouteTarget, routeKey } from "@sml/contracts/routes";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { requestPath } from "./dispatch";
import { type OpenApiDocument, openApiDocument, unmatchedResponses } from "./openapi";

export interface CheckedResponse {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly body?: string;
}

export class ContractViolationError extends Error {}

type Json = Record<string, unknown>;

export interface ContractChecker {
  readonly document: OpenApiDocument;
  /**
   * Checks one answer of the operation `METHOD /path-template` (or, with `undefined`, of a request no route
   * matched: the documented 404/405). Throws ContractViolationError naming the operation, status and mismatch.
   */
  check(operation: string | undefined, response: CheckedResponse): void;
  /** The operation a request reaches on `target`'s function, as the dispatcher resolves it; undefined if none. */
  operationOf(target: RouteTarget, event: APIGatewayProxyEventV2): string | undefined;
}

export function createContractChecker(document: OpenApiDocument = openApiDocument()): ContractChecker {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  // Response schemas refer to #/components/schemas/...: each is compiled inside a copy of the components.
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: Json): ValidateFunction => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ ...schema, components: document.components });
      validators.set(key, validate);
    }
    return validate;
  };

  const responsesOf = (operation: string | undefined): Record<string, Json> => {
    if (operation === undefined) return unmatchedResponses(document);
    const [method = "", path = ""] = operation.split(" ");
    const op = document.paths[path]?.[method.toLowerCase()] as
      | { responses?: Record<string, Json> }
      | undefined;
    if (!op?.responses) throw new ContractViolationError(`${operation} is not in the OpenAPI document`);
    return op.responses;
  };

  return {
    document,
    check(operation, response) {
      const name = operation ?? "a request no route matches";
      const documented = responsesOf(operation)[String(response.statusCode)];
      if (!documented) {
        throw new ContractViolationError(
          `${name} answered ${response.statusCode}, which the OpenAPI document does not list (body: ${response.body?.slice(0, 300)})`,
        );
      }
      const content = documented.content as Record<string, { schema: Json }> | undefined;
      if (!content) return;
      const headers = Object.fromEntries(
        Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const mediaType = headers["content-type"]?.split(";")[0]?.trim() ?? "";
      const media = content[mediaType];
      if (!media) {
        throw new ContractViolationError(
          `${name} answered ${response.statusCode} as ${JSON.stringify(mediaType)}; documented: ${Object.keys(content).join(", ")}`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(response.body ?? "");
      } catch {
        throw new ContractViolationError(
          `${name} answered ${response.statusCode} with a body that is not JSON`,
        );
      }
      const validate = validatorFor(`${name} ${response.statusCode} ${mediaType}`, media.schema);
      if (!validate(body)) {
        throw new ContractViolationError(
          `${name} answered ${response.statusCode} with a body the OpenAPI document rejects: ${ajv.errorsText(validate.errors)} (body: ${response.body?.slice(0, 300)})`,
        );
      }
    },
    operationOf(target, event) {
      const key = event.routeKey ?? event.requestContext?.routeKey;
      if (key === DEFAULT_ROUTE.routeKey) return undefined;
      const byKey = ROUTES.find((r) => routeKey(r) === key);
      if (byKey) return byKey.target === target ? key : undefined;
      const method = event.requestContext?.http?.method ?? "";
      const match = matchRoute(method, requestPath(event));
      // A key outside the table is never served; only a direct invocation (no key) is matched by path.
      return key === undefined && match.kind === "found" && match.route.target === target
        ? routeKey(match.route)
        : undefined;
    },
  };
}

let shared: ContractChecker | undefined;

/**
 * Wraps a handler so that every response it resolves with is checked against the document (a violation rejects
 * the call, so the test that made it fails). Nothing is replaced: the handler answers as before.
 */
export function observeContract<
  E extends APIGatewayProxyEventV2,
  R extends CheckedResponse,
  A extends unknown[],
>(target: RouteTarget, handler: (event: E, ...rest: A) => Promise<R>): (event: E, ...rest: A) => Promise<R> {
  shared ??= createContractChecker();
  const checker = shared;
  return async (event, ...rest) => {
    const response = await handler(event, ...rest);
    const operation = checker.operationOf(target, event);
    checker.check(operation, response);
    return response;
  };
}
