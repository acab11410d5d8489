/**
 * The local S3 front's signature check (issue 25 item 8) against requests signed by the real AWS SDK: URLs from
 * @aws-sdk/s3-request-presigner (what the batches function hands out) and header-signed requests from
 * @aws-sdk/client-s3 (what the worker sends), with the clock injected. S3's rules: a presigned URL is valid from
 * X-Amz-Date for X-Amz-Expires seconds and covers method, path, query and the signed headers; an unsigned request
 * to a private bucket is AccessDenied (S3 API reference, "Authenticating Requests: Using Query Parameters (AWS
 * Signature Version 4)"). Before the front, fauxqs accepted every one of these requests.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { verifySigV4 } from "../../src/s3-sigv4";

const endpoint = "http://127.0.0.1:45678";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const region = "us-east-1";
const options = (now: number) => ({ secrets: { local: "local" }, region, now: () => now });
const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });

/** The presigned URL as the front receives it: method, path and query, with the host it was signed for. */
async function presigned(command: PutObjectCommand | GetObjectCommand, expiresIn: number) {
  const signedAt = Date.now();
  const url = new URL(await getSignedUrl(client, command, { expiresIn }));
  return {
    signedAt,
    url,
    request: (method: string, path = url.pathname + url.search) => ({
      method,
      url: path,
      headers: { host: url.host },
    }),
  };
}

afterAll(() => client.destroy());

test("accepts a presigned PUT within its expiry and refuses it after, as S3 does", async () => {
  const { signedAt, request } = await presigned(
    new PutObjectCommand({ Bucket: "sml-batches-local", Key: "inputs/a b+c.csv", ContentType: "text/csv" }),
    900,
  );
  expect(verifySigV4(request("PUT"), options(signedAt + 1_000))).toEqual({ ok: true, accessKeyId: "local" });
  expect(verifySigV4(request("PUT"), options(signedAt + 899_000))).toMatchObject({ ok: true });
  expect(verifySigV4(request("PUT"), options(signedAt + 902_000))).toMatchObject({
    ok: false,
    status: 403,
    code: "AccessDenied",
    message: "Request has expired",
  });
});

test("refuses a presigned URL used for another method, key or host, or signed with another secret", async () => {
  const { signedAt, url, request } = await presigned(
    new PutObjectCommand({ Bucket: "sml-batches-local", Key: "inputs/x.csv" }),
    900,
  );
  const at = options(signedAt + 1_000);
  expect(verifySigV4(request("GET"), at)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  expect(
    verifySigV4(request("PUT", url.pathname.replace("inputs", "results") + url.search), at),
  ).toMatchObject({
    ok: false,
    code: "SignatureDoesNotMatch",
  });
  expect(verifySigV4({ ...request("PUT"), headers: { host: "127.0.0.1:1" } }, at)).toMatchObject({
    ok: false,
    code: "SignatureDoesNotMatch",
  });
  expect(verifySigV4(request("PUT"), { ...at, secrets: { local: "other" } })).toMatchObject({
    ok: false,
    code: "SignatureDoesNotMatch",
  });
  expect(verifySigV4(request("PUT"), { ...at, secrets: { someone: "local" } })).toMatchObject({
    ok: false,
    code: "InvalidAccessKeyId",
  });
  // X-Amz-Expires is itself signed: lengthening it breaks the signature.
  expect(
    verifySigV4(
      request("PUT", url.pathname + url.search.replace("X-Amz-Expires=900", "X-Amz-Expires=3600")),
      at,
    ),
  ).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
});

test("refuses anonymous requests, listing included", () => {
  for (const url of ["/sml-batches-local?list-type=2", "/sml-batches-local/inputs/x.csv", "/"]) {
    expect(
      verifySigV4({ method: "GET", url, headers: { host: "127.0.0.1:45678" } }, options(Date.now())),
    ).toEqual({
      ok: false,
      status: 403,
      code: "AccessDenied",
      message: "Access Denied",
    });
  }
});

test("accepts requests the SDK signs in the Authorization header, and refuses them when skewed or altered", async () => {
  const captured: { method: string; url: string; headers: Record<string, string> }[] = [];
  const capturing = new S3Client({
    endpoint,
    region,
    credentials,
    forcePathStyle: true,
    requestHandler: {
      handle: async (req: {
        method: string;
        path: string;
        query?: Record<string, string | string[] | null>;
        headers: Record<string, string>;
      }) => {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(req.query ?? {})) query.append(k, v === null ? "" : String(v));
        const search = query.toString().replace(/\+/g, "%20");
        captured.push({
          method: req.method,
          url: `${req.path}${search ? `?${search}` : ""}`,
          headers: req.headers,
        });
        throw new Error("captured");
      },
    } as never,
  });
  const sentAt = Date.now();
  await capturing
    .send(new ListObjectsV2Command({ Bucket: "sml-batches-local", Prefix: "inputs/" }))
    .catch(() => {});
  await capturing
    .send(new GetObjectCommand({ Bucket: "sml-batches-local", Key: "inputs/x.csv", Range: "bytes=0-99" }))
    .catch(() => {});
  capturing.destroy();
  expect(captured).toHaveLength(2);
  for (const signed of captured) {
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const req = { method: signed.method, url: signed.url, headers };
    expect(verifySigV4(req, options(sentAt + 5_000))).toEqual({ ok: true, accessKeyId: "local" });
    // S3 refuses a signed request more than 15 minutes from its clock (RequestTimeTooSkewed).
    expect(verifySigV4(req, options(sentAt + 16 * 60_000))).toMatchObject({
      ok: false,
      code: "RequestTimeTooSkewed",
    });
    expect(verifySigV4({ ...req, method: "DELETE" }, options(sentAt + 5_000))).toMatchObject({
      ok: false,
      code: "SignatureDoesNotMatch",
    });
  }
});
