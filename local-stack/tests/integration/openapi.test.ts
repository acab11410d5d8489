/**
 * The API's contract, end to end: the real `npm start` process (PostgreSQL scratch database) serves the OpenAPI
 * document generated from the route table; every route of the table is in it and nothing else; each operation's
 * example request, built from the document alone, gets the documented success status and a body the document's
 * schema accepts (Ajv 2020). The docs page is the site's now (workbench.test.ts opens it in Chromium).
 * And, over the whole table, who may do what: a signed-in analyst is refused 403 on every route reserved for a
 * group (the users directory), and every other authorized route is one the test names as scoped to the caller.
 */
import { OPENAPI_PATH, ROUTES, type Route, type RouteKey, routeKey } from "@sml/contracts/routes";
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import { type OpenApiDocument, openApiDocument } from "@sml/lambda-http";
import { type ContractChecker, createContractChecker } from "@sml/lambda-http/testing";
import { Client } from "pg";
import {
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(120_000);

type Json = Record<string, unknown>;
interface Parameter {
  readonly name: string;
  readonly in: "path" | "query";
  readonly required?: boolean;
  readonly example?: string;
}
interface Operation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: {
    readonly content: Record<string, { readonly schema: Json; readonly example?: unknown }>;
  };
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema: Json }> }>;
}

let db: ScratchDatabase;
let localDir: string;
let stack: StackProcess | undefined;
let served: OpenApiDocument;
let checker: ContractChecker;
const api = () => (stack as StackProcess).stack.apiUrl;
/** Every example is sent as one signed-in analyst (open routes ignore the token)... */
const auth = () => (stack as StackProcess).auth();
/** ...except on a route reserved for a group, sent as a member of that group. */
const authFor = (route: Pick<Route, "method" | "path">) => {
  const group = (route as { group?: string }).group;
  return group === undefined ? auth() : (stack as StackProcess).auth("tester-admin", [group]);
};
const routeOf = (key: string) => ROUTES.find((r) => routeKey(r) === key) as Route;
/** That analyst's `sub`, the owner of the batch the GET /batches/{id} example reads. */
const callerSub = () =>
  JSON.parse(Buffer.from(auth().authorization.split(".")[1] as string, "base64url").toString("utf8"))
    .sub as string;

/** Data an example needs before it can get its documented success (the route's own data, not a shortcut). */
const SEEDS: Partial<Record<RouteKey, (example: { params: Record<string, string> }) => Promise<void>>> = {
  "GET /users/{id}": async ({ params }) => {
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query(
        `INSERT INTO users (id, name, email, last_published_at, last_message_id)
         VALUES ($1, 'Grace Hopper', 'grace@example.com', now(), 'seed') ON CONFLICT DO NOTHING`,
        [params.id],
      );
    } finally {
      await sql.end();
    }
  },
  // A pending batch of the caller's, as POST /batches leaves it before the upload.
  "GET /batches/{id}": async ({ params }) => {
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query(
        `INSERT INTO batches (id, format, status, model_name, model_version, owner)
         VALUES ($1, 'csv', 'pending', 'flight-delay', 'seed', $2) ON CONFLICT DO NOTHING`,
        [params.id, callerSub()],
      );
    } finally {
      await sql.end();
    }
  },
};

beforeAll(async () => {
  db = await createScratchDatabase("openapi");
  localDir = freshLocalDir("openapi");
  stack = await startStackProcess({ port: await freePort(), localDir, env: { DATABASE_URL: db.url } });
  served = (await (await fetch(`${api()}${OPENAPI_PATH}`)).json()) as OpenApiDocument;
  checker = createContractChecker(served);
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  await db?.drop();
  if (localDir) removeLocalDir(localDir);
});

const operations = (doc: OpenApiDocument): Map<string, Operation> =>
  new Map(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => [
        `${method.toUpperCase()} ${path}`,
        op as unknown as Operation,
      ]),
    ),
  );

/** The request an operation's examples describe: path parameters filled in, query string, JSON body. */
function exampleRequest(key: string, op: Operation) {
  const [method = "", template = ""] = key.split(" ");
  const params: Record<string, string> = {};
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.example === undefined) {
      if (p.required) throw new Error(`${key}: required parameter ${p.name} has no example`);
      continue;
    }
    if (p.in === "path") params[p.name] = p.example;
    else query.set(p.name, p.example);
  }
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${key}: path parameter ${name} has no example`);
    return encodeURIComponent(value);
  });
  const json = op.requestBody?.content["application/json"];
  if (op.requestBody && json?.example === undefined)
    throw new Error(`${key}: the request body has no example`);
  return {
    method,
    params,
    url: `${path}${query.size > 0 ? `?${query}` : ""}`,
    ...(json ? { body: JSON.stringify(json.example) } : {}),
  };
}

async function send(
  method: string,
  url: string,
  body?: string,
  contentType = "application/json",
  authorization: { authorization: string } = auth(),
) {
  const res = await fetch(`${api()}${url}`, {
    method,
    headers: { ...authorization, ...(body !== undefined ? { "content-type": contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

describe("GET /openapi.json on the local stack", () => {
  it("is the document generated from the route table", () => {
    expect(served).toEqual(openApiDocument());
    expect(served.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("has an operation for every route of the table, and no other", () => {
    expect([...operations(served).keys()].sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it("describes each operation fully: a request body where a POST takes one, parameters for every {param}, a success schema", () => {
    for (const [key, op] of operations(served)) {
      const [method = "", path = ""] = key.split(" ");
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith("2"));
      expect([key, success.length]).toEqual([key, 1]);
      const schema = success[0]?.[1].content?.["application/json"]?.schema ?? {};
      // A schema that admits anything (z.unknown(), z.any()) documents nothing.
      expect([key, Object.keys(schema).length > 0]).toEqual([key, true]);
      if (method === "POST")
        expect([key, op.requestBody?.content["application/json"]?.schema]).toEqual([key, expect.any(Object)]);
      const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect([key, declared.sort()]).toEqual([key, inPath.sort()]);
      expect([key, Object.keys(op.responses)]).toEqual([key, expect.arrayContaining(["500"])]);
    }
  });

  it.each(ROUTES.map(routeKey))(
    "%s: the document's example request gets the documented success",
    async (key) => {
      const op = operations(served).get(key);
      if (!op) throw new Error(`${key} is not in the document`);
      const request = exampleRequest(key, op);
      await SEEDS[key as RouteKey]?.({ params: request.params });
      const response = await send(
        request.method,
        request.url,
        request.body,
        undefined,
        authFor(routeOf(key)),
      );
      const documented = Object.keys(op.responses).find((s) => s.startsWith("2"));
      expect([key, response.statusCode, response.body.slice(0, 300)]).toEqual([
        key,
        Number(documented),
        expect.any(String),
      ]);
      checker.check(key, response);
    },
  );

  it("answers a body route's wrong media type, and an unmatched request, as documented", async () => {
    for (const [key, op] of operations(served)) {
      if (!op.requestBody) continue;
      const request = exampleRequest(key, op);
      const response = await send(
        request.method,
        request.url,
        request.body,
        "text/plain",
        authFor(routeOf(key)),
      );
      expect([key, response.statusCode]).toEqual([key, 415]);
      checker.check(key, response);
    }
    const unknown = await send("GET", "/users/no/such/route");
    expect(unknown.statusCode).toBe(404);
    checker.check(undefined, unknown);
    const wrongMethod = await send("DELETE", "/users");
    expect(wrongMethod.statusCode).toBe(405);
    checker.check(undefined, wrongMethod);
  });
});

/**
 * The authorized routes that serve every signed-in caller, each with why that is safe: what it reads or changes
 * is the caller's own, or nobody's. A new authorized route must either carry a `group` or be named here.
 */
const SCOPED_TO_CALLER: Partial<Record<RouteKey, string>> = {
  "POST /predict": "scores the request's own instances; no stored data",
  "GET /models": "the models the image carries; no user data",
  "POST /batches": "creates a batch owned by the caller",
  "GET /batches": "the caller's own batches; scope=all is refused outside admins (checked below)",
  "GET /batches/{id}": "another user's batch answers 404 (checked below)",
};

describe("who may call what, over the whole route table", () => {
  it("names every authorized route without a group as scoped to the caller", () => {
    const unnamed = ROUTES.filter(
      (r) => r.authorized && (r as { group?: string }).group === undefined && !SCOPED_TO_CALLER[routeKey(r)],
    ).map(routeKey);
    expect(unnamed).toEqual([]);
  });

  it.each(ROUTES.filter((r) => (r as { group?: string }).group !== undefined).map(routeKey))(
    "%s refuses a signed-in analyst 403 FORBIDDEN, as documented, and changes nothing",
    async (key) => {
      const op = operations(served).get(key) as Operation;
      const request = exampleRequest(key, op);
      // What the request would change if it got through: a user of its own (POST), the seeded user (DELETE).
      const seeded = "3f0e1b9c-8a2d-4c5e-9f71-2b6d8e4a1c07";
      await SEEDS["GET /users/{id}"]?.({ params: { id: seeded } });
      const email = `refused-${Date.now()}@example.com`;
      const url = request.method === "DELETE" ? request.url.replace(/[^/]+$/, seeded) : request.url;
      const body = request.method === "POST" ? JSON.stringify({ name: "Refused", email }) : request.body;
      const response = await send(request.method, url, body);
      expect([key, response.statusCode, JSON.parse(response.body).error?.code]).toEqual([
        key,
        403,
        "FORBIDDEN",
      ]);
      checker.check(key, response);
      // Given the subscriber a moment: a published change would show by now.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const rows = (await usersTable()) as { id: string; email: string }[];
      expect(rows.some((r) => r.email === email)).toBe(false);
      expect(rows.some((r) => r.id === seeded)).toBe(true);
    },
  );

  it("answers an analyst asking for everyone's batches 403, and another user's batch 404", async () => {
    const everyone = await send("GET", "/batches?scope=all");
    expect([everyone.statusCode, JSON.parse(everyone.body).error?.code]).toEqual([403, "FORBIDDEN"]);
    checker.check("GET /batches", everyone);
    const created = await send(
      "POST",
      "/batches",
      JSON.stringify({ format: "csv", bytes: 10 }),
      undefined,
      (stack as StackProcess).auth("someone-else"),
    );
    expect(created.statusCode).toBe(201);
    const other = await send("GET", `/batches/${JSON.parse(created.body).id}`);
    expect(other.statusCode).toBe(404);
  });
});

async function usersTable(): Promise<unknown[]> {
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  try {
    return (await sql.query("SELECT id, name, email FROM users ORDER BY id")).rows;
  } finally {
    await sql.end();
  }
}
