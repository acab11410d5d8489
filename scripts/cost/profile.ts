/**
 * The traffic profile a stack is priced at besides idle: how many API requests a month, how they split over the
 * routes, and the per-request figures no Terraform file holds (durations, payload and log sizes). Every figure
 * is an assumption, printed in docs/cost.md and overridable with flags (`npm run cost -- --help`).
 */
export interface TrafficProfile {
  /** API requests a month. */
  readonly requestsPerMonth: number;
  /** Share of the requests per route key (`POST /users`); the shares add up to 1. */
  readonly routeMix: Readonly<Record<string, number>>;
  /** Routes whose every request publishes one SNS message (and so one message through the queue). */
  readonly publishingRoutes: readonly string[];
  /** Billed duration per invocation, by function role (the function name after the environment prefix). */
  readonly durationMs: Readonly<Record<string, number>>;
  /** Batch files scored a month (POST /batches, a presigned PUT, the worker), and rows per file. */
  readonly batchFilesPerMonth: number;
  readonly batchRowsPerFile: number;
  /** Bytes per row of a batch file, and of its result (the row plus `delayProbability` and `delayed`). */
  readonly batchInputBytesPerRow: number;
  readonly batchOutputBytesPerRow: number;
  /** GET /batches/{id} calls per batch (polling until it finishes). */
  readonly batchPollsPerFile: number;
  /** Function log written per invocation, KB. */
  readonly functionLogKbPerInvocation: number;
  /** API access log per request, KB. */
  readonly accessLogKbPerRequest: number;
  /** Response body per request leaving AWS, KB. */
  readonly responseKbPerRequest: number;
  /** Data API calls per invocation of a function that uses the Data API (a statement, or begin/statement/commit). */
  readonly dataApiCallsPerInvocation: number;
  /** Aurora I/O requests per database call. */
  readonly auroraIoPerCall: number;
  /** Aurora capacity while serving this traffic (ACU); the cluster's minimum if that is higher. */
  readonly activeAcu: number;
  /** Aurora cluster volume, GB (billed idle as well). */
  readonly auroraStorageGb: number;
  /** Secrets Manager reads a month by functions or the Data API (cold starts, token refresh). */
  readonly secretReadsPerMonth: number;
  /** GB a month that VPC functions send to AWS APIs through a NAT gateway or an interface endpoint. */
  readonly vpcApiTrafficGb: number;
  /** VPC flow log volume a month, GB. */
  readonly flowLogGb: number;
  /** Custom metrics each function publishes through Powertools (EMF). */
  readonly customMetricsPerFunction: number;
  /** Visits of the site a month (each a first load: the entry page, its script and style sheet). */
  readonly siteVisitsPerMonth: number;
  /** Bytes of a first load, KB (site/build.ts reports it; about 15 KB). */
  readonly siteFirstLoadKb: number;
  /** The site's files in its bucket, MB (every build adds its hashed assets; about 2 MB with Swagger UI). */
  readonly siteStorageMb: number;
  /** CloudFront access log per request, KB. */
  readonly cdnLogKbPerRequest: number;
  /** Monthly active users of a Cognito user pool. */
  readonly monthlyActiveUsers: number;
  /** Images kept in the registry, GB after layer deduplication (billed idle as well). */
  readonly registryStorageGb: number;
  /** Terraform state held in the state bucket, GB, and state reads/writes a month (plans and applies). */
  readonly stateStorageGb: number;
  readonly stateRequestsPerMonth: number;
  /** Alarm e-mails a month. */
  readonly alarmEmailsPerMonth: number;
}

export const DEFAULT_PROFILE: TrafficProfile = Object.freeze({
  requestsPerMonth: 1_000_000,
  routeMix: Object.freeze({
    "GET /users": 0.3,
    "GET /users/{id}": 0.2,
    "POST /users": 0.25,
    "POST /predict": 0.2,
    "GET /health": 0.05,
  }),
  publishingRoutes: Object.freeze(["POST /users"]),
  // batches: one insert or read and a locally signed URL. worker: the average of a planning invocation (a HEAD,
  // a few ms) and one range of 100,000 rows at ~50,000 rows/s (the local worker scored 128,000 rows/s on one
  // core of this machine, docs/batches.md; Lambda's arm64 core is assumed slower).
  durationMs: Object.freeze({
    api: 50,
    subscriber: 50,
    prediction: 30,
    migrate: 2000,
    batches: 50,
    worker: 1000,
  }),
  batchFilesPerMonth: 100,
  batchRowsPerFile: 100_000,
  batchInputBytesPerRow: 45,
  batchOutputBytesPerRow: 65,
  batchPollsPerFile: 10,
  functionLogKbPerInvocation: 1,
  accessLogKbPerRequest: 0.5,
  responseKbPerRequest: 1,
  dataApiCallsPerInvocation: 2,
  auroraIoPerCall: 2,
  activeAcu: 0.5,
  auroraStorageGb: 1,
  secretReadsPerMonth: 20_000,
  vpcApiTrafficGb: 1,
  flowLogGb: 2,
  customMetricsPerFunction: 5,
  siteVisitsPerMonth: 10_000,
  siteFirstLoadKb: 20,
  siteStorageMb: 20,
  cdnLogKbPerRequest: 0.5,
  monthlyActiveUsers: 100,
  registryStorageGb: 1,
  stateStorageGb: 0.01,
  stateRequestsPerMonth: 10_000,
  alarmEmailsPerMonth: 50,
});

/** Thrown for a flag or profile that cannot be priced. */
export class ProfileError extends Error {
  override readonly name = "ProfileError";
}

/** Checks what the type cannot: positive figures and a route mix adding up to 1. */
export function validateProfile(profile: TrafficProfile): TrafficProfile {
  const shares = Object.values(profile.routeMix);
  const sum = shares.reduce((a, b) => a + b, 0);
  if (shares.some((s) => !(s >= 0)) || Math.abs(sum - 1) > 1e-9)
    throw new ProfileError(
      `the route mix must be shares >= 0 adding up to 1 (got ${sum}): e.g. --mix "GET /users=0.5,POST /users=0.5"`,
    );
  for (const [key, value] of Object.entries(profile))
    if (typeof value === "number" && !(value >= 0))
      throw new ProfileError(`profile ${key} must be a number >= 0 (got ${value})`);
  return profile;
}

/** `"GET /users=0.5,POST /users=0.5"` -> a route mix. */
export function parseMix(text: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const part of text.split(",")) {
    const at = part.lastIndexOf("=");
    const route = part.slice(0, at).trim();
    const share = Number(part.slice(at + 1));
    if (at < 0 || route === "" || !Number.isFinite(share))
      throw new ProfileError(`--mix entry "${part}" is not ROUTE=SHARE (e.g. "POST /users=0.25")`);
    mix[route] = share;
  }
  return mix;
}
