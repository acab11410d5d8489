/**
 * The request that smoke-tests a new function version before any traffic reaches it (scripts/delivery/
 * pre-traffic-check.sh): an API Gateway payload-2.0 event, built as the local stack builds them, for the first
 * `GET` route without path parameters that the function serves (@sml/contracts/routes: `GET /health` for the
 * api, `GET /models` for prediction). Invoked on the version directly, it bypasses API Gateway and the `live`
 * alias, so a broken version fails here and is never shifted to.
 *
 * Usage: tsx scripts/delivery/pre-traffic-event.ts <function-name>     e.g. sml-prd-api
 * prints the event as JSON, or nothing for a function that serves no HTTP route (the subscriber).
 */
import { FUNCTIONS } from "@sml/contracts/functions";
import { ROUTES, type Route, routeKey } from "@sml/contracts/routes";
import { toApiGatewayEvent } from "@sml/local-stack/src/api-gateway";

/** The registry name a deployed function carries as its suffix (`sml-pr-42-api` -> `api`). */
export function registryNameOf(functionName: string): string | undefined {
  return Object.values(FUNCTIONS)
    .map((f) => f.name)
    .find((name) => functionName.endsWith(`-${name}`));
}

/** The route a pre-traffic check calls: a `GET` of the function without path parameters. */
export function preTrafficRoute(functionName: string): Route | undefined {
  const name = registryNameOf(functionName);
  return ROUTES.find((r) => r.target === name && r.method === "GET" && !r.path.includes("{"));
}

export function preTrafficEvent(functionName: string, now: Date = new Date()) {
  const route = preTrafficRoute(functionName);
  if (!route) return undefined;
  return toApiGatewayEvent({
    method: route.method,
    url: route.path,
    headers: { "user-agent": "sml-pre-traffic-check", accept: "application/json" },
    body: Buffer.alloc(0),
    sourceIp: "127.0.0.1",
    requestId: `pre-traffic-${now.getTime()}`,
    routeKey: routeKey(route),
    now,
  });
}

if (require.main === module) {
  const [functionName] = process.argv.slice(2);
  if (!functionName) {
    process.stderr.write("usage: tsx scripts/delivery/pre-traffic-event.ts <function-name>\n");
    process.exit(2);
  }
  const event = preTrafficEvent(functionName);
  if (event) process.stdout.write(`${JSON.stringify(event)}\n`);
}
