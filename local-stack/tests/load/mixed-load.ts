/**
 * The mixed load of issue 25 against a running stack: for `durationMs`, POST /users, GET /users/{id} of users
 * known to exist, and batch uploads (POST /batches + PUT to the presigned URL) all at once; then it waits for
 * every accepted user to become a row and every batch to reach a final status, and counts what went wrong.
 *
 * As a script (bounded: a few concurrent loops, 127.0.0.1 only by default):
 *   npx tsx local-stack/tests/load/mixed-load.ts [apiUrl=http://127.0.0.1:3000] [seconds=10]
 * (its token is signed with the key of the local folder, LOCAL_DIR, as `npm run token` does)
 * It prints the counts as one JSON object and exits 1 when any is not zero.
 */

import { loadConfig } from "../../src/config";
import { localToken } from "../../src/token";

export interface MixedLoadOptions {
  readonly apiUrl: string;
  /** `Authorization` header value (`Bearer …`): every route but GET /health needs one. */
  readonly authorization: string;
  readonly durationMs?: number;
  /** Concurrent loops of each kind. */
  readonly writers?: number;
  readonly readers?: number;
  readonly batchers?: number;
  /** How long to wait after the load for queued users and batches to settle. */
  readonly settleMs?: number;
}

export interface MixedLoadCounts {
  readonly posts: number;
  readonly accepted: number;
  /** Answered 202 and never a row after the settle time. */
  readonly lostUsers: number;
  readonly reads: number;
  /** GET /users/{id} of a user that exists, answered 404. */
  readonly wrong404s: number;
  readonly batches: number;
  readonly batchesSucceeded: number;
  readonly batchesFailed: number;
  /** Still pending or running after the settle time. */
  readonly batchesNotFinal: number;
  /**
   * POST /batches answered 429 QUOTA_EXCEEDED: the load is one user, held to the per-owner limit on open batches
   * (docs/batches.md, "Limits and fairness"); the batcher waits a moment and tries again.
   */
  readonly batchesRefusedByQuota: number;
  /** Any 5xx on any request, by "METHOD route status". */
  readonly serverErrors: number;
  readonly serverErrorsBy: Record<string, number>;
  /** Anything else unexpected (4xx on a valid request, a refused upload, a network error), by kind. */
  readonly unexpected: Record<string, number>;
  readonly durationMs: number;
}

const BATCH_CSV = `id,origin,destination,departure\n${Array.from(
  { length: 40 },
  (_, i) => `${i + 1},SEA,SFO,2001-01-${String((i % 28) + 1).padStart(2, "0")}T14:56:00`,
).join("\n")}\n`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runMixedLoad(options: MixedLoadOptions): Promise<MixedLoadCounts> {
  const api = options.apiUrl.replace(/\/$/, "");
  const durationMs = options.durationMs ?? 10_000;
  const settleMs = options.settleMs ?? 90_000;
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const serverErrorsBy: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  const bump = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const call = async (label: string, url: string, init?: RequestInit): Promise<Response | undefined> => {
    try {
      // The presigned upload URL carries its own signature: the API's bearer token goes to the API only.
      const toApi = url.startsWith(`${api}/`);
      const headers = toApi ? { ...init?.headers, authorization: options.authorization } : init?.headers;
      const res = await fetch(url, { ...init, headers });
      if (res.status >= 500) bump(serverErrorsBy, `${label} ${res.status}`);
      return res;
    } catch (err) {
      bump(unexpected, `${label} network error: ${(err as Error).message}`);
      return undefined;
    }
  };
  const postUser = (email: string) =>
    call("POST /users", `${api}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `Load ${email}`, email }),
    });

  const listAll = async (): Promise<Map<string, string>> => {
    const byEmail = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const res = await call(
        "GET /users",
        `${api}/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      if (!res?.ok) throw new Error(`GET /users answered ${res?.status}`);
      const page = (await res.json()) as {
        items: { id: string; email: string }[];
        nextCursor: string | null;
      };
      for (const u of page.items) byEmail.set(u.email, u.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return byEmail;
  };

  // Users that exist before the load starts: the readers ask for them.
  const seedEmails = Array.from({ length: 10 }, (_, i) => `seed-${run}-${i}@example.com`);
  for (const email of seedEmails) await postUser(email);
  let seeded: string[] = [];
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    const all = await listAll();
    seeded = seedEmails.flatMap((e) => (all.has(e) ? [all.get(e) as string] : []));
    if (seeded.length === seedEmails.length) break;
  }
  if (seeded.length !== seedEmails.length)
    throw new Error("the seed users never appeared: the stack is not working");

  let posts = 0;
  let reads = 0;
  let wrong404s = 0;
  const accepted: string[] = [];
  const batchIds: string[] = [];
  const started = Date.now();
  const until = started + durationMs;

  const writer = async (w: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const email = `load-${run}-${w}-${i}@example.com`;
      posts++;
      const res = await postUser(email);
      if (res?.status === 202) accepted.push(email);
      else if (res && res.status < 500) bump(unexpected, `POST /users ${res.status}`);
      await res?.arrayBuffer();
    }
  };
  const reader = async (r: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const id = seeded[(r + i) % seeded.length];
      reads++;
      const res = await call("GET /users/{id}", `${api}/users/${id}`);
      if (res?.status === 404) wrong404s++;
      else if (res && res.status !== 200 && res.status < 500)
        bump(unexpected, `GET /users/{id} ${res.status}`);
      await res?.arrayBuffer();
    }
  };
  let refusedByQuota = 0;
  const batcher = async () => {
    while (Date.now() < until) {
      const res = await call("POST /batches", `${api}/batches`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // bytes is required: it is signed into the upload URL as its content-length.
        body: JSON.stringify({ format: "csv", bytes: Buffer.byteLength(BATCH_CSV) }),
      });
      if (res?.status === 429) {
        const body = (await res.json()) as { error?: { code?: string } };
        if (body.error?.code === "QUOTA_EXCEEDED") refusedByQuota++;
        else bump(unexpected, "POST /batches 429 without QUOTA_EXCEEDED");
        await sleep(200);
        continue;
      }
      if (res?.status !== 201) {
        if (res && res.status < 500) bump(unexpected, `POST /batches ${res.status}`);
        await res?.arrayBuffer();
        continue;
      }
      const batch = (await res.json()) as {
        id: string;
        upload: { url: string; headers: Record<string, string> };
      };
      batchIds.push(batch.id);
      const put = await call("PUT upload", batch.upload.url, {
        method: "PUT",
        headers: batch.upload.headers,
        body: BATCH_CSV,
      });
      if (put && put.status !== 200 && put.status < 500) bump(unexpected, `PUT upload ${put.status}`);
      await put?.arrayBuffer();
    }
  };

  await Promise.all([
    ...Array.from({ length: options.writers ?? 6 }, (_, w) => writer(w)),
    ...Array.from({ length: options.readers ?? 3 }, (_, r) => reader(r)),
    ...Array.from({ length: options.batchers ?? 2 }, () => batcher()),
  ]);
  const loadMs = Date.now() - started;

  // Settle: accepted users become rows and batches finish (or the deadline passes and they count as lost/stuck).
  let missing = accepted.length;
  const statuses = new Map<string, string>();
  for (const deadline = Date.now() + settleMs; Date.now() < deadline; await sleep(1_000)) {
    const all = await listAll();
    missing = accepted.filter((e) => !all.has(e)).length;
    for (const id of batchIds) {
      const known = statuses.get(id);
      if (known === "succeeded" || known === "failed") continue;
      const res = await call("GET /batches/{id}", `${api}/batches/${id}`);
      if (res?.ok) statuses.set(id, ((await res.json()) as { status: string }).status);
      else await res?.arrayBuffer();
    }
    const settled = [...statuses.values()].filter((s) => s === "succeeded" || s === "failed").length;
    if (missing === 0 && settled === batchIds.length) break;
  }
  const count = (status: string) => [...statuses.values()].filter((s) => s === status).length;
  return {
    posts,
    accepted: accepted.length,
    lostUsers: missing,
    reads,
    wrong404s,
    batches: batchIds.length,
    batchesSucceeded: count("succeeded"),
    batchesFailed: count("failed"),
    batchesNotFinal: batchIds.length - count("succeeded") - count("failed"),
    batchesRefusedByQuota: refusedByQuota,
    serverErrors: Object.values(serverErrorsBy).reduce((a, b) => a + b, 0),
    serverErrorsBy,
    unexpected,
    durationMs: loadMs,
  };
}

if (require.main === module) {
  const apiUrl = process.argv[2] ?? "http://127.0.0.1:3000";
  const seconds = Number(process.argv[3] ?? 10);
  // A token for the stack that runs from this checkout's local folder (LOCAL_DIR), as `npm run token` makes.
  const authorization = `Bearer ${localToken(loadConfig().localDir, "mixed-load", ["admins"])}`;
  runMixedLoad({ apiUrl, authorization, durationMs: seconds * 1_000 }).then(
    (counts) => {
      console.log(JSON.stringify(counts, null, 2));
      const clean =
        counts.lostUsers === 0 &&
        counts.wrong404s === 0 &&
        counts.serverErrors === 0 &&
        counts.batchesNotFinal === 0 &&
        Object.keys(counts.unexpected).length === 0;
      process.exitCode = clean ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
