/**
 * AWS Signature Version 4 as S3 checks it, for the local S3 front (s3-front.ts): presigned URLs (query
 * parameters, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)" in the S3 API reference)
 * and signed requests (the Authorization header, "Authenticating Requests: Using the Authorization Header"). The
 * canonical request, string to sign and signing key follow the IAM user guide, "Create a signed AWS API request".
 *
 * What is checked: the algorithm, a known access key, the credential scope (date, region, `s3`), the signature over
 * method, path, query and signed headers (`host` must be one), the expiry of a presigned URL (X-Amz-Date +
 * X-Amz-Expires, at most 7 days), and the clock skew of a signed request (15 minutes). Not checked: the payload
 * hash of a header-signed request against its body (the hash itself is signed), and presigned POST policies
 * (a form upload; see the front for where it would plug in).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
/** S3: "X-Amz-Expires ... minimum 1, maximum 604800 (seven days)". */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;
/** S3 refuses a signed request whose X-Amz-Date is more than 15 minutes from its clock (RequestTimeTooSkewed). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SigV4Request {
  readonly method: string;
  /** Path and query exactly as received (`req.url`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** An S3 error answer: status, code and message as S3 sends them. */
export interface S3Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export type SigV4Result =
  | { readonly ok: true; readonly accessKeyId: string }
  | ({ readonly ok: false } & S3Refusal);

const refuse = (status: number, code: string, message: string): SigV4Result => ({
  ok: false,
  status,
  code,
  message,
});

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, uppercase hex. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

/** `20261205T061500Z` -> epoch ms, or NaN. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function headerValue(headers: SigV4Request["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The query's parameters decoded, in order (a name without `=` has the empty value). */
function queryParams(search: string): [string, string][] {
  if (search === "") return [];
  return search.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    return eq === -1 ? [decode(pair), ""] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

function canonicalRequest(
  req: SigV4Request,
  path: string,
  params: [string, string][],
  signedHeaders: string[],
  payloadHash: string,
): string {
  const query = params
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = signedHeaders
    .map((name) => `${name}:${(headerValue(req.headers, name) ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  // S3 signs the path as sent (each segment encoded once), not normalised.
  return [req.method, path, query, headers, signedHeaders.join(";"), payloadHash].join("\n");
}

interface Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

function parseCredential(value: string): Credential | undefined {
  const parts = value.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request") return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return { accessKeyId, date, region, service };
}

export interface SigV4Options {
  /** Access key id -> secret. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly region: string;
  readonly now?: () => number;
}

/** Checks a request's SigV4 signature as S3 would; anonymous requests are refused (the bucket is private). */
export function verifySigV4(req: SigV4Request, options: SigV4Options): SigV4Result {
  const now = options.now?.() ?? Date.now();
  const queryStart = req.url.indexOf("?");
  const path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  const params = queryParams(queryStart === -1 ? "" : req.url.slice(queryStart + 1));
  const param = (name: string) => params.find(([k]) => k === name)?.[1];
  const authorization = headerValue(req.headers, "authorization");

  let credential: Credential | undefined;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let signedParams: [string, string][];
  if (param("X-Amz-Signature") !== undefined) {
    if (param("X-Amz-Algorithm") !== SIGV4_ALGORITHM)
      return refuse(
        400,
        "AuthorizationQueryParametersError",
        `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`,
      );
    credential = parseCredential(param("X-Amz-Credential") ?? "");
    amzDate = param("X-Amz-Date") ?? "";
    const expires = Number(param("X-Amz-Expires"));
    if (!credential || Number.isNaN(parseAmzDate(amzDate)) || !param("X-Amz-SignedHeaders"))
      return refuse(
        400,
        "AuthorizationQueryParametersError",
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_EXPIRES_SECONDS)
      return refuse(
        400,
        "AuthorizationQueryParametersError",
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
      );
    if (now > parseAmzDate(amzDate) + expires * 1000)
      return refuse(403, "AccessDenied", "Request has expired");
    if (parseAmzDate(amzDate) - now > MAX_CLOCK_SKEW_MS)
      return refuse(403, "AccessDenied", "Request is not valid yet");
    signedHeaders = (param("X-Amz-SignedHeaders") ?? "").split(";");
    signature = param("X-Amz-Signature") ?? "";
    payloadHash = param("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
    signedParams = params.filter(([k]) => k !== "X-Amz-Signature");
  } else if (authorization?.startsWith(`${SIGV4_ALGORITHM} `)) {
    const fields = Object.fromEntries(
      authorization
        .slice(SIGV4_ALGORITHM.length + 1)
        .split(",")
        .map((f) => f.trim().split("=", 2) as [string, string]),
    );
    credential = parseCredential(fields.Credential ?? "");
    signedHeaders = (fields.SignedHeaders ?? "").split(";");
    signature = fields.Signature ?? "";
    amzDate = headerValue(req.headers, "x-amz-date") ?? "";
    payloadHash = headerValue(req.headers, "x-amz-content-sha256") ?? "";
    if (!credential || !signature || Number.isNaN(parseAmzDate(amzDate)) || !payloadHash)
      return refuse(400, "AuthorizationHeaderMalformed", "The authorization header is malformed");
    if (Math.abs(parseAmzDate(amzDate) - now) > MAX_CLOCK_SKEW_MS)
      return refuse(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
      );
    signedParams = params;
  } else {
    return refuse(403, "AccessDenied", "Access Denied");
  }

  const secret = options.secrets[credential.accessKeyId];
  if (secret === undefined)
    return refuse(
      403,
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
    );
  if (
    credential.service !== "s3" ||
    credential.region !== options.region ||
    credential.date !== amzDate.slice(0, 8)
  )
    return refuse(
      400,
      "AuthorizationHeaderMalformed",
      `The credential scope must be <date>/${options.region}/s3/aws4_request`,
    );
  if (!signedHeaders.includes("host"))
    return refuse(400, "AuthorizationQueryParametersError", "Host must be signed (X-Amz-SignedHeaders)");

  const scope = `${credential.date}/${credential.region}/${credential.service}/aws4_request`;
  const stringToSign = [
    SIGV4_ALGORITHM,
    amzDate,
    scope,
    sha256Hex(canonicalRequest(req, path, signedParams, signedHeaders, payloadHash)),
  ].join("\n");
  const expected = createHmac("sha256", signingKey(secret, credential.date, credential.region, "s3"))
    .update(stringToSign, "utf8")
    .digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
  return { ok: true, accessKeyId: credential.accessKeyId };
}
