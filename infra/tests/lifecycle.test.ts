import { getEnvironmentConfig } from "../src/config";
import { postgresMajor } from "../src/constructs/database";
import { bodyOf, ref, resourcesOf, synthAllStacks, synthEnvironment, type TfJson } from "./support/synth";

/**
 * A second `terraform plan` after apply is clean, and no code change silently replaces what holds data
 * (docs/operations.md, "Replacing what holds data"). The policy rules of the safe-to-change family check every
 * stack; these tests pin each case to its source.
 */
const { synthesized } = synthAllStacks();
const stack = (id: string) => {
  const s = synthesized.find((x) => x.id === id);
  if (!s) throw new Error(`no stack ${id}`);
  return s;
};
const lifecycle = (body: TfJson): TfJson => body.lifecycle ?? {};
const guarded = (json: TfJson) =>
  Object.entries(json.resource as Record<string, Record<string, TfJson>>).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, body]) => lifecycle(body).prevent_destroy === true)
      .map(([name]) => `${type}.${name}`),
  );

describe("plan stays clean after apply", () => {
  it("states the state bucket's blocked encryption types with a value S3 accepts (#47320)", () => {
    // S3 API reference, BlockedEncryptionTypes: valid values NONE | SSE-C; NONE means nothing is blocked.
    const [[, sse]] = resourcesOf(
      stack("sml-bootstrap").json,
      "aws_s3_bucket_server_side_encryption_configuration",
    ) as [[string, TfJson]];
    const types: string[] = sse.rule[0].blocked_encryption_types;
    expect(types.length).toBeGreaterThan(0);
    for (const t of types) expect(["NONE", "SSE-C"]).toContain(t);
    // "NONE" cannot be combined with a blocked type.
    expect(types.includes("NONE") && types.length > 1).toBe(false);
  });

  it("blocks SSE-C only where no stack's backend writes state with a customer key", () => {
    const [[, sse]] = resourcesOf(
      stack("sml-bootstrap").json,
      "aws_s3_bucket_server_side_encryption_configuration",
    ) as [[string, TfJson]];
    if (!sse.rule[0].blocked_encryption_types.includes("SSE-C")) return;
    for (const s of synthesized) expect(s.json.terraform.backend?.s3?.sse_customer_key).toBeUndefined();
  });

  // Dev has no NAT gateway (natMode "none"); the network tests cover the single-gateway layout.
  it.each(["sml-prd"])(
    "ignores only regional_nat_gateway_address on %s's zonal NAT gateways (#46242)",
    (id) => {
      const nats = resourcesOf(stack(id).json, "aws_nat_gateway");
      expect(nats.length).toBeGreaterThan(0);
      for (const [, nat] of nats) {
        expect(nat.availability_mode).toBeUndefined();
        expect(lifecycle(nat).ignore_changes).toEqual(["regional_nat_gateway_address"]);
      }
    },
  );

  it.each(["dev", "prd"] as const)(
    "lets AWS apply Aurora minor upgrades in %s without a downgrade in the next plan",
    (env) => {
      const s = synthEnvironment(getEnvironmentConfig(env));
      const cluster = bodyOf(s.json, s.env.database.cluster);
      expect(lifecycle(cluster).ignore_changes).toEqual(["engine_version"]);
      expect(cluster.allow_major_version_upgrade).toBe(false);
      for (const [, instance] of resourcesOf(s.json, "aws_rds_cluster_instance"))
        expect(instance.auto_minor_version_upgrade).toBe(true);
    },
  );

  it("hands engine_version back to Terraform, major upgrade allowed, only with upgradeEngine", () => {
    const prd = getEnvironmentConfig("prd");
    const s = synthEnvironment({ ...prd, database: { ...prd.database, upgradeEngine: true } });
    const cluster = bodyOf(s.json, s.env.database.cluster);
    expect(lifecycle(cluster).ignore_changes ?? []).not.toContain("engine_version");
    expect(cluster.allow_major_version_upgrade).toBe(true);
    expect(lifecycle(cluster).prevent_destroy).toBe(true);
  });
});

describe("no code change silently replaces what holds data", () => {
  it("guards the state bucket, the GitHub identity provider and the image registry", () => {
    expect(guarded(stack("sml-bootstrap").json).sort()).toEqual(
      ["aws_iam_openid_connect_provider.github", "aws_s3_bucket.state"].sort(),
    );
    expect(guarded(stack("sml-registry").json).sort()).toEqual([
      "aws_ecr_repository.prediction",
      "aws_ecr_repository.preview",
    ]);
  });

  it("guards prd's cluster, user pool, keys, queues, the batch bucket, the site's distribution and its logs", () => {
    const types = guarded(stack("sml-prd").json).map((a) => a.split(".")[0]);
    expect(types.sort()).toEqual(
      [
        "aws_cognito_user_pool",
        "aws_kms_key",
        "aws_kms_key",
        "aws_rds_cluster",
        // The users queue and its DLQ, the batch worker's queue and its DLQ.
        "aws_sqs_queue",
        "aws_sqs_queue",
        "aws_sqs_queue",
        "aws_sqs_queue",
        "aws_s3_bucket",
        // A replaced distribution is a new domain (bookmarks, the sign-in's callback); its buckets like every other.
        "aws_cloudfront_distribution",
        "aws_s3_bucket",
        "aws_s3_bucket",
      ].sort(),
    );
  });

  it("keeps dev (and any copy of its config) destroyable", () => {
    expect(getEnvironmentConfig("dev").preventDestroy).toBe(false);
    expect(guarded(stack("sml-dev").json)).toEqual([]);
  });

  it("creates a new parameter group for a new PostgreSQL major before it leaves the old one", () => {
    const prd = getEnvironmentConfig("prd");
    const next = synthEnvironment({
      ...prd,
      database: { ...prd.database, engineVersion: "17.6", upgradeEngine: true },
    });
    const group = bodyOf(next.json, next.env.database.parameterGroup);
    expect(group.family).toBe(`aurora-postgresql${postgresMajor("17.6")}`);
    expect(group.name).toBeUndefined();
    expect(group.name_prefix).toMatch(/-pg17-$/);
    expect(lifecycle(group).create_before_destroy).toBe(true);
    expect(bodyOf(next.json, next.env.database.cluster).db_cluster_parameter_group_name).toBe(
      ref("aws_rds_cluster_parameter_group", next.env.database.parameterGroup.friendlyUniqueId, "name"),
    );
  });

  it.each(["sml-dev", "sml-prd", "sml-bootstrap"])(
    "never replaces a security group or boundary policy in %s for its description",
    (id) => {
      const json = stack(id).json;
      const held = [...resourcesOf(json, "aws_security_group"), ...resourcesOf(json, "aws_iam_policy")];
      expect(held.length).toBeGreaterThan(0);
      for (const [, body] of held) {
        expect(lifecycle(body).ignore_changes).toContain("description");
        // Frozen short: the rules and docs say what a group admits, not its description.
        expect(String(body.description).length).toBeLessThanOrEqual(40);
      }
    },
  );

  it.each(["dev", "prd"] as const)("runs the migrations again on a new cluster in %s", (env) => {
    const s = synthEnvironment(getEnvironmentConfig(env));
    const invocation = bodyOf(s.json, s.env.functions.migrationInvocation);
    // A replaced cluster keeps its identifier but gets a new resource id (DbClusterResourceId).
    expect(invocation.triggers.clusterResourceId).toBe(
      ref("aws_rds_cluster", s.env.database.cluster.friendlyUniqueId, "cluster_resource_id"),
    );
    expect(invocation.triggers.migrationSetHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
