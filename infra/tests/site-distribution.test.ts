/**
 * The entry point as synthesized for dev and prd (issue 28): one distribution whose default behaviour reads the
 * private site bucket through an origin access control and whose other behaviours forward exactly the route table's
 * paths to the HTTP API, uncached with every viewer header but Host (AWS re:Post, "How can I configure CloudFront
 * to forward the Authorization header to the origin?": with caching off, AllViewerExceptHostHeader forwards it);
 * a CSP that lets the page reach the sign-in's token endpoint and the batch bucket and nothing else; an invite-only
 * pool whose site client calls back to the distribution only; and CORS on the batch bucket for that origin only.
 */
import { ROUTES } from "@sml/contracts/routes";
import { apiPathPatterns, matchesPathPattern } from "@sml/contracts/site";
import { getEnvironmentConfig } from "../src/config";
import { MANAGED_POLICIES } from "../src/constructs/site-distribution";
import { addressOf, bodyOf, ref, synthEnvironment } from "./support/synth";

const stacks = {
  dev: synthEnvironment(getEnvironmentConfig("dev")),
  prd: synthEnvironment(getEnvironmentConfig("prd")),
};

describe.each(Object.entries(stacks))("%s", (_name, { env, json }) => {
  const site = env.site;
  const distribution = bodyOf(json, site.distribution);
  const dataName = (type: string, id: string) => json.data[type][id.split(".")[2] as string]?.name;

  it("serves the site from its private bucket through the origin access control, index.html at /", () => {
    const origin = distribution.origin.find(
      (o: { origin_id: string }) => o.origin_id === distribution.default_cache_behavior.target_origin_id,
    );
    expect(origin.domain_name).toBe(
      ref("aws_s3_bucket", site.bucket.friendlyUniqueId, "bucket_regional_domain_name"),
    );
    expect(origin.origin_access_control_id).toBe(
      ref("aws_cloudfront_origin_access_control", site.originAccessControl.friendlyUniqueId, "id"),
    );
    expect(bodyOf(json, site.originAccessControl)).toMatchObject({
      signing_behavior: "always",
      origin_access_control_origin_type: "s3",
    });
    expect(distribution.default_root_object).toBe("index.html");
    const block = Object.values(
      json.resource.aws_s3_bucket_public_access_block as Record<string, { bucket: string }>,
    ).find((b) => b.bucket === ref("aws_s3_bucket", site.bucket.friendlyUniqueId, "id"));
    expect(block).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("forwards exactly the route table's paths to the API, uncached, with Authorization", () => {
    const behaviours = distribution.ordered_cache_behavior as {
      path_pattern: string;
      target_origin_id: string;
      cache_policy_id: string;
      origin_request_policy_id: string;
      allowed_methods: string[];
    }[];
    expect(behaviours.map((b) => b.path_pattern).sort()).toEqual(apiPathPatterns(ROUTES).sort());
    // Every route's path, with its parameters filled in, reaches the API and nothing but those paths does.
    for (const route of ROUTES) {
      const path = route.path.replace(/\{[^}]+\}/g, "x");
      expect([route.path, behaviours.some((b) => matchesPathPattern(b.path_pattern, path))]).toEqual([
        route.path,
        true,
      ]);
    }
    expect(behaviours.some((b) => matchesPathPattern(b.path_pattern, "/index.html"))).toBe(false);
    const api = distribution.origin.find(
      (o: { origin_id: string }) => o.origin_id === behaviours[0]?.target_origin_id,
    );
    expect(api.domain_name).toBe(
      `${ref("aws_apigatewayv2_api", env.api.api.friendlyUniqueId, "id")}.execute-api.${env.config.region}.amazonaws.com`,
    );
    for (const b of behaviours) {
      expect(b.allowed_methods).toEqual(expect.arrayContaining(["GET", "POST"]));
      expect(dataName("aws_cloudfront_cache_policy", b.cache_policy_id.slice(2, -4))).toBe(
        MANAGED_POLICIES.api,
      );
      expect(dataName("aws_cloudfront_origin_request_policy", b.origin_request_policy_id.slice(2, -4))).toBe(
        MANAGED_POLICIES.apiOriginRequest,
      );
    }
    expect(
      dataName(
        "aws_cloudfront_cache_policy",
        distribution.default_cache_behavior.cache_policy_id.slice(2, -4),
      ),
    ).toBe(MANAGED_POLICIES.assets);
  });

  it("lets the page connect to its sign-in's token endpoint and the batch bucket only", () => {
    const csp = bodyOf(json, site.headersPolicy).security_headers_config.content_security_policy
      .content_security_policy as string;
    const connect = (/connect-src ([^;]+)/.exec(csp)?.[1] ?? "").split(" ");
    const domain = bodyOf(json, env.signIn.domain).domain as string;
    expect(connect).toEqual([
      "'self'",
      `https://${domain}.auth.${env.config.region}.amazoncognito.com`,
      `https://${ref("aws_s3_bucket", env.batches.bucket.friendlyUniqueId, "bucket_regional_domain_name")}`,
    ]);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self';");
  });

  it("has an invite-only pool with the two groups, and a site client that calls back to the distribution only", () => {
    const pool = env.api.userPool;
    if (!pool) throw new Error("no pool");
    expect(bodyOf(json, pool).admin_create_user_config).toEqual({ allow_admin_create_user_only: true });
    expect(
      Object.values(env.signIn.groups)
        .map((g) => bodyOf(json, g).name)
        .sort(),
    ).toEqual(["admins", "analysts"]);
    const client = bodyOf(json, env.signIn.siteClient);
    const home = `https://${ref("aws_cloudfront_distribution", site.distribution.friendlyUniqueId, "domain_name")}/`;
    expect(client).toMatchObject({
      generate_secret: false,
      allowed_oauth_flows: ["code"],
      allowed_oauth_flows_user_pool_client: true,
      callback_urls: [home],
      logout_urls: [home],
    });
    expect(json.output.site_url.value).toBe(home.slice(0, -1));
  });

  it("allows the site's origin, and only it, to upload to and read from the batch bucket", () => {
    const cors = Object.values(
      json.resource.aws_s3_bucket_cors_configuration as Record<
        string,
        { bucket: string; cors_rule: { allowed_origins: string[]; allowed_methods: string[] }[] }
      >,
    );
    expect(cors).toHaveLength(1);
    expect(cors[0]?.bucket).toBe(ref("aws_s3_bucket", env.batches.bucket.friendlyUniqueId, "id"));
    expect(cors[0]?.cors_rule[0]?.allowed_origins).toEqual([json.output.site_url.value]);
    expect(addressOf(env.batches.bucket)).toContain("aws_s3_bucket.");
  });
});
