/**
 * Policy rules of the entry point (issue 28): the CloudFront distribution in front of the site and the API, and the
 * Cognito pool behind the sign-in. Each cites the AWS page it follows; policy.test.ts runs them over every stack
 * and proves each on a broken one (SITE_BAD_CASES).
 */
import type { PolicyRule, Violation } from "./policy-rules";
import { resourcesOf, type TfJson } from "./synth";

// policy-rules.ts spreads these rules into its list, so this file takes nothing from it at run time.
const REFERENCE = /\$\{(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)/g;
function referencesIn(value: unknown): { type: string; name: string; attr: string; address: string }[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return [...text.matchAll(REFERENCE)].map(([, data, type, name, attr]) => ({
    type: type as string,
    name: name as string,
    attr: attr as string,
    address: `${data ? "data." : ""}${type}.${name}`,
  }));
}

const all = (json: TfJson, type: string) =>
  resourcesOf(json, type).map(([name, body]) => ({ address: `${type}.${name}`, name, body }));
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const block = (value: unknown): TfJson | undefined =>
  Array.isArray(value) ? value[0] : (value as TfJson | undefined);
const resource = (json: TfJson, address: string): TfJson | undefined => {
  const [type, name] = address.split(".");
  return json.resource?.[type as string]?.[name as string];
};

/**
 * CloudFront developer guide, "Restrict access to an Amazon S3 origin": an S3 origin is read through an origin
 * access control (SigV4, always signing), and the bucket policy lets `cloudfront.amazonaws.com` read only when
 * `AWS:SourceArn` is this distribution; no legacy origin access identity, no public bucket.
 */
const originAccessControl: PolicyRule = {
  id: "cdn-s3-origins-use-oac",
  description:
    "every S3 origin of a distribution reads through an OAC, and its bucket lets only that distribution in",
  check({ json }) {
    const violations: Violation[] = [];
    for (const d of all(json, "aws_cloudfront_distribution")) {
      for (const origin of list(d.body.origin as TfJson[])) {
        const bucketRef = referencesIn(origin.domain_name).find((r) => r.type === "aws_s3_bucket");
        if (!bucketRef) continue;
        const where = `${d.address} (origin ${origin.origin_id})`;
        if (origin.s3_origin_config !== undefined)
          violations.push({
            resource: where,
            problem: "uses an origin access identity (legacy), not an OAC",
          });
        const oacRef = referencesIn(origin.origin_access_control_id).find(
          (r) => r.type === "aws_cloudfront_origin_access_control",
        );
        const oac = oacRef ? resource(json, oacRef.address) : undefined;
        if (oac?.signing_behavior !== "always" || oac.origin_access_control_origin_type !== "s3")
          violations.push({
            resource: where,
            problem: "no origin access control signing every request (always, s3)",
          });
        const policies = all(json, "aws_s3_bucket_policy").filter((p) =>
          referencesIn(p.body.bucket).some((r) => r.address === bucketRef.address),
        );
        const statements = policies.flatMap((p) => {
          const doc = referencesIn(p.body.policy).find((r) => r.type === "aws_iam_policy_document");
          return list(
            (doc ? json.data?.aws_iam_policy_document?.[doc.name]?.statement : undefined) as
              | TfJson[]
              | undefined,
          );
        });
        const reads = statements.filter(
          (s) =>
            s.effect === "Allow" &&
            list(s.principals as TfJson[]).some((p) =>
              list(p.identifiers as string[]).includes("cloudfront.amazonaws.com"),
            ),
        );
        const scoped = reads.filter((s) =>
          list(s.condition as TfJson[]).some(
            (c) =>
              c.variable === "AWS:SourceArn" &&
              c.test === "StringEquals" &&
              list(c.values as string[]).every((v) =>
                referencesIn(v).some((r) => r.address === d.address && r.attr === "arn"),
              ),
          ),
        );
        if (reads.length === 0 || scoped.length !== reads.length)
          violations.push({
            resource: bucketRef.address,
            problem: `its policy does not limit CloudFront's reads to ${d.address} (AWS:SourceArn)`,
          });
        const other = statements.filter((s) => s.effect === "Allow" && !reads.includes(s));
        if (other.length > 0)
          violations.push({ resource: bucketRef.address, problem: "its policy allows others too" });
      }
    }
    return violations;
  },
};

/** Viewer TLS policies CloudFront offers that admit only TLS 1.2 or later (CloudFront developer guide, "Supported protocols and ciphers between viewers and CloudFront"). */
export const MODERN_VIEWER_PROTOCOLS = [
  "TLSv1.2_2018",
  "TLSv1.2_2019",
  "TLSv1.2_2021",
  "TLSv1.2_2025",
  "TLSv1.3_2025",
];

/**
 * HTTPS only: viewers are redirected to (or must use) HTTPS on every behaviour; custom origins are reached over
 * HTTPS with TLS 1.2; a certificate of the site's own accepts TLS 1.2 or later only. (With CloudFront's default
 * certificate the minimum cannot be set: CloudFront negotiates TLSv1 at least, a documented limit; a domain of
 * one's own lifts it.)
 */
const distributionTls: PolicyRule = {
  id: "cdn-https-only-tls12",
  description:
    "distributions serve HTTPS only, reach origins over TLS 1.2, and a custom certificate's minimum is TLS 1.2",
  check({ json }) {
    const violations: Violation[] = [];
    for (const d of all(json, "aws_cloudfront_distribution")) {
      const behaviours = [
        block(d.body.default_cache_behavior),
        ...list(d.body.ordered_cache_behavior as TfJson[]),
      ];
      for (const b of behaviours)
        if (!["redirect-to-https", "https-only"].includes(String(b?.viewer_protocol_policy)))
          violations.push({
            resource: d.address,
            problem: `behaviour ${b?.path_pattern ?? "default"} allows plain HTTP`,
          });
      for (const origin of list(d.body.origin as TfJson[])) {
        const custom = block(origin.custom_origin_config);
        if (!custom) continue;
        if (
          custom.origin_protocol_policy !== "https-only" ||
          list(custom.origin_ssl_protocols as string[]).join() !== "TLSv1.2"
        )
          violations.push({
            resource: d.address,
            problem: `origin ${origin.origin_id} is not HTTPS with TLS 1.2 only`,
          });
      }
      const cert = block(d.body.viewer_certificate);
      if (
        cert?.acm_certificate_arn !== undefined &&
        !MODERN_VIEWER_PROTOCOLS.includes(String(cert.minimum_protocol_version))
      )
        violations.push({
          resource: d.address,
          problem: `minimum viewer protocol ${cert.minimum_protocol_version}`,
        });
    }
    return violations;
  },
};

/**
 * Every request is logged (CloudFront standard logs) into a bucket that accepts them: ACLs enabled
 * (BucketOwnerPreferred, CloudFront developer guide, "Configure standard logging (legacy)"), all public access
 * blocked, and a lifecycle rule so logs expire.
 */
const distributionLogs: PolicyRule = {
  id: "cdn-access-logs",
  description:
    "distributions log every request to a private bucket that accepts CloudFront's logs and expires them",
  check({ json }) {
    const violations: Violation[] = [];
    for (const d of all(json, "aws_cloudfront_distribution")) {
      const bucketRef = referencesIn(block(d.body.logging_config)?.bucket).find(
        (r) => r.type === "aws_s3_bucket",
      );
      if (!bucketRef) {
        violations.push({ resource: d.address, problem: "no access logging" });
        continue;
      }
      const on = (type: string) =>
        all(json, type).filter((x) =>
          referencesIn(x.body.bucket).some((r) => r.address === bucketRef.address),
        );
      if (
        !on("aws_s3_bucket_ownership_controls").some(
          (o) => block(o.body.rule)?.object_ownership === "BucketOwnerPreferred",
        )
      )
        violations.push({
          resource: bucketRef.address,
          problem: "ACLs disabled: CloudFront cannot deliver its logs",
        });
      if (
        !on("aws_s3_bucket_lifecycle_configuration").some((l) =>
          list(l.body.rule as TfJson[]).some((r) => r.expiration),
        )
      )
        violations.push({ resource: bucketRef.address, problem: "logs never expire" });
    }
    return violations;
  },
};

/** Security headers on every answer of the distribution: CSP with frame-ancestors 'none', HSTS, nosniff. */
const distributionHeaders: PolicyRule = {
  id: "cdn-security-headers",
  description: "every behaviour of a distribution adds CSP (frame-ancestors 'none'), HSTS and nosniff",
  check({ json }) {
    const violations: Violation[] = [];
    for (const d of all(json, "aws_cloudfront_distribution")) {
      const behaviours = [
        block(d.body.default_cache_behavior),
        ...list(d.body.ordered_cache_behavior as TfJson[]),
      ];
      for (const b of behaviours) {
        const ref = referencesIn(b?.response_headers_policy_id).find(
          (r) => r.type === "aws_cloudfront_response_headers_policy",
        );
        const headers = block(ref ? resource(json, ref.address)?.security_headers_config : undefined);
        const csp = String(block(headers?.content_security_policy)?.content_security_policy ?? "");
        const hsts = block(headers?.strict_transport_security);
        if (
          !csp.includes("frame-ancestors 'none'") ||
          !hsts ||
          Number(hsts.access_control_max_age_sec) < 31_536_000 ||
          !headers?.content_type_options
        )
          violations.push({
            resource: d.address,
            problem: `behaviour ${b?.path_pattern ?? "default"} lacks the security headers`,
          });
      }
    }
    return violations;
  },
};

/** Cognito developer guide: a pool lets anyone sign up unless AllowAdminCreateUserOnly is set. */
const invitedOnly: PolicyRule = {
  id: "user-pools-invite-only",
  description:
    "every Cognito user pool is invite-only (admin_create_user_config.allow_admin_create_user_only)",
  check({ json }) {
    return all(json, "aws_cognito_user_pool")
      .filter((p) => block(p.body.admin_create_user_config)?.allow_admin_create_user_only !== true)
      .map((p) => ({ resource: p.address, problem: "anyone can sign up" }));
  },
};

const MINUTES: Record<string, number> = { seconds: 1 / 60, minutes: 1, hours: 60, days: 1440 };
/** Longest lifetimes a client may give: access and ID tokens an hour (Cognito's default), refresh a day. */
export const MAX_TOKEN_MINUTES = { access: 60, id: 60, refresh: 24 * 60 };

/**
 * Every app client states its token lifetimes (Cognito's refresh default is 30 days) within MAX_TOKEN_MINUTES, and a
 * client of the OAuth endpoints uses the authorization code grant only, with HTTPS callbacks.
 */
const clientTokens: PolicyRule = {
  id: "user-pool-clients-short-lived",
  description:
    "app clients set token lifetimes (access/ID <= 1 h, refresh <= 1 day); OAuth clients: code grant, HTTPS callbacks",
  check({ json }) {
    const violations: Violation[] = [];
    for (const c of all(json, "aws_cognito_user_pool_client")) {
      const units = block(c.body.token_validity_units) ?? {};
      for (const kind of ["access", "id", "refresh"] as const) {
        const value = c.body[`${kind}_token_validity`];
        const unit = String(units[`${kind}_token`] ?? (kind === "refresh" ? "days" : "hours"));
        const minutes = typeof value === "number" ? value * (MINUTES[unit] ?? Number.NaN) : Number.NaN;
        if (!(minutes <= MAX_TOKEN_MINUTES[kind]))
          violations.push({
            resource: c.address,
            problem: `${kind} token lifetime ${value ?? "default"} ${unit}`,
          });
      }
      if (c.body.allowed_oauth_flows_user_pool_client === true) {
        if (list(c.body.allowed_oauth_flows as string[]).join() !== "code")
          violations.push({
            resource: c.address,
            problem: "an OAuth flow other than the authorization code grant",
          });
        if (c.body.generate_secret === true)
          violations.push({ resource: c.address, problem: "a browser client cannot keep a secret" });
        for (const url of [
          ...list(c.body.callback_urls as string[]),
          ...list(c.body.logout_urls as string[]),
        ])
          if (!url.startsWith("https://"))
            violations.push({ resource: c.address, problem: `callback ${url} is not HTTPS` });
      }
    }
    return violations;
  },
};

/**
 * The password flow (USER_PASSWORD_AUTH: the password itself goes to Cognito, with no SRP proof) stays on one
 * client per pool, the command line's, which is no browser (OAuth) client; the admin password flow (it needs IAM
 * credentials) stays off the browser client too. The site signs in with the code grant only.
 */
const passwordFlow: PolicyRule = {
  id: "user-pool-password-flow-cli-only",
  description:
    "at most one app client per pool allows USER_PASSWORD_AUTH, and no OAuth (browser) client allows a password flow",
  check({ json }) {
    const violations: Violation[] = [];
    const byPool = new Map<string, string[]>();
    for (const c of all(json, "aws_cognito_user_pool_client")) {
      const flows = list(c.body.explicit_auth_flows as string[]);
      const oauth = c.body.allowed_oauth_flows_user_pool_client === true;
      if (oauth && flows.some((f) => /PASSWORD|SRP|CUSTOM_AUTH/.test(f)))
        violations.push({ resource: c.address, problem: `the browser client allows ${flows.join(", ")}` });
      if (flows.includes("ALLOW_USER_PASSWORD_AUTH")) {
        const pool = String(c.body.user_pool_id);
        byPool.set(pool, [...(byPool.get(pool) ?? []), c.address]);
      }
    }
    for (const clients of byPool.values())
      if (clients.length > 1)
        for (const address of clients)
          violations.push({
            resource: address,
            problem: `one of ${clients.length} clients allowing USER_PASSWORD_AUTH`,
          });
    return violations;
  },
};

export const SITE_POLICY_RULES: readonly PolicyRule[] = [
  passwordFlow,
  originAccessControl,
  distributionTls,
  distributionLogs,
  distributionHeaders,
  invitedOnly,
  clientTokens,
];
