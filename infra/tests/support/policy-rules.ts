/**
 * Policy rules over synthesized Terraform JSON. Each rule returns the violations it finds, each naming the
 * offending resource by its Terraform address, so a failing test says exactly what to fix.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENV, PG_CONNECT_TIMEOUT_MS } from "@sml/contracts/env";
import {
  FUNCTIONS,
  ROLLED_OUT_FUNCTION_NAMES,
  type RolledOutFunctionName,
  STATEMENT_TIMEOUT_HEADROOM_MS,
} from "@sml/contracts/functions";
import { ENVIRONMENTS, getEnvironmentConfig, SHARED_CONFIG } from "../../src/config";
import { ALARM_RULES, auroraMaxConnections, guardsRollout } from "../../src/config/slo";
import { boundaryPolicyName, ENVIRONMENT_TAG_KEY } from "../../src/constructs/environment-access";
import { LAMBDA_SERVICE_SIDE_ACTIONS, WILDCARD_RESOURCE_ACTIONS } from "../../src/constructs/iam";
import { LIVE_ALIAS } from "../../src/constructs/service-function";
import { stateKey } from "../../src/stacks/base";
import {
  GITHUB_ROLE_MANAGED_POLICIES,
  PEOPLE_READONLY_DENIED_DATA_READS,
  PEOPLE_ROLE_MANAGED_POLICIES,
  type PeopleRoleKind,
  PLAN_ROLE_DENIED_DATA_READS,
} from "../../src/stacks/bootstrap-stack";
import { REPO_ROOT } from "./paths";
import { REPLACEMENT_TABLE } from "./replacement-table";
import { SITE_POLICY_RULES } from "./site-policy-rules";
import { resourcesOf, type SynthesizedStack, type TfJson } from "./synth";

export interface Violation {
  readonly resource: string;
  readonly problem: string;
}

export interface PolicyRule {
  readonly id: string;
  readonly description: string;
  check(stack: Pick<SynthesizedStack, "id" | "json">): Violation[];
}

interface Reference {
  readonly kind: "resource" | "data";
  readonly type: string;
  readonly name: string;
  readonly attr: string;
  readonly address: string;
}

const REFERENCE = /\$\{(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)/g;

/** Every `${type.name.attr...}` reference inside a value. */
export function referencesIn(value: unknown): Reference[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return [...text.matchAll(REFERENCE)].map(([, data, type, name, attr]) => ({
    kind: data ? "data" : "resource",
    type: type as string,
    name: name as string,
    attr: attr as string,
    address: `${data ? "data." : ""}${type}.${name}`,
  }));
}

/** The single reference a value consists of, if it is a plain reference. */
function referenceOf(value: unknown, type?: string): Reference | undefined {
  const found = referencesIn(value).filter((r) => !type || r.type === type);
  return found[0];
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const block = (value: unknown): TfJson | undefined =>
  Array.isArray(value) ? value[0] : (value as TfJson | undefined);

function all(json: TfJson, type: string): { address: string; name: string; body: TfJson }[] {
  return resourcesOf(json, type).map(([name, body]) => ({
    address: `${type}.${name}`,
    name,
    body,
  }));
}

function lookup(json: TfJson, r: Reference | undefined): TfJson | undefined {
  if (!r) return undefined;
  return (r.kind === "data" ? json.data : json.resource)?.[r.type]?.[r.name];
}

interface Statement {
  effect: string;
  actions: string[];
  resources: string[];
  notResources: string[];
  principals: { type: string; identifiers: string[] }[];
  conditions: { test: string; variable: string; values: string[] }[];
  sid: string | undefined;
}

/** Statements of a policy value: an `aws_iam_policy_document` reference, or a literal JSON policy. */
function statementsOf(
  json: TfJson,
  policy: unknown,
): { statements: Statement[]; source: string } | undefined {
  const docRef = referenceOf(policy, "aws_iam_policy_document");
  if (docRef) {
    const doc = lookup(json, docRef);
    if (!doc) return undefined;
    return {
      source: docRef.address,
      statements: list(doc.statement as TfJson[]).map((s) => ({
        effect: s.effect ?? "Allow",
        actions: list(s.actions),
        resources: list(s.resources),
        notResources: list(s.not_resources),
        principals: list(s.principals as TfJson[]).map((p) => ({
          type: p.type,
          identifiers: list(p.identifiers),
        })),
        conditions: list(s.condition as TfJson[]).map((c) => ({
          test: c.test,
          variable: c.variable,
          values: list(c.values),
        })),
        sid: s.sid,
      })),
    };
  }
  if (typeof policy !== "string") return undefined;
  try {
    const parsed = JSON.parse(policy) as TfJson;
    return {
      source: "inline JSON",
      statements: list(parsed.Statement as TfJson[]).map((s) => ({
        effect: s.Effect ?? "Allow",
        actions: list(s.Action),
        resources: list(s.Resource),
        notResources: list(s.NotResource),
        principals:
          s.Principal === "*"
            ? [{ type: "*", identifiers: ["*"] }]
            : Object.entries((s.Principal ?? {}) as Record<string, string | string[]>).map(([type, ids]) => ({
                type,
                identifiers: list(ids),
              })),
        conditions: Object.entries(
          (s.Condition ?? {}) as Record<string, Record<string, string | string[]>>,
        ).flatMap(([test, vars]) =>
          Object.entries(vars).map(([variable, values]) => ({ test, variable, values: list(values) })),
        ),
        sid: s.Sid,
      })),
    };
  } catch {
    return undefined;
  }
}

/** Every place a policy is attached: [consumer address, policy kind, policy value]. */
function policiesIn(
  json: TfJson,
): { consumer: string; kind: "identity" | "trust" | "resource" | "key"; policy: unknown }[] {
  const found: { consumer: string; kind: "identity" | "trust" | "resource" | "key"; policy: unknown }[] = [];
  const add = (type: string, attr: string, kind: "identity" | "trust" | "resource" | "key") => {
    for (const r of all(json, type))
      if (r.body[attr] !== undefined) found.push({ consumer: r.address, kind, policy: r.body[attr] });
  };
  add("aws_iam_role_policy", "policy", "identity");
  add("aws_iam_policy", "policy", "identity");
  add("aws_iam_user_policy", "policy", "identity");
  add("aws_iam_group_policy", "policy", "identity");
  add("aws_iam_role", "assume_role_policy", "trust");
  for (const role of all(json, "aws_iam_role"))
    for (const inline of list(role.body.inline_policy as TfJson[]))
      found.push({ consumer: role.address, kind: "identity", policy: inline.policy });
  add("aws_sqs_queue_policy", "policy", "resource");
  add("aws_sns_topic_policy", "policy", "resource");
  add("aws_s3_bucket_policy", "policy", "resource");
  add("aws_ecr_repository_policy", "policy", "resource");
  add("aws_kms_key", "policy", "key");
  return found;
}

const isWildcardAction = (action: string) => action === "*" || action.endsWith(":*");
const isAccountRoot = (id: string) => /^arn:aws:iam::(\$\{[^}]+\}|\d{12}):root$/.test(id);

const iamNoWildcards: PolicyRule = {
  id: "iam-no-wildcards",
  description: `no Allow statement with a * action, and no * resource except for ${WILDCARD_RESOURCE_ACTIONS.join(", ")}`,
  check({ json }) {
    const violations: Violation[] = [];
    for (const { consumer, kind, policy } of policiesIn(json)) {
      if (kind === "trust") continue;
      const parsed = statementsOf(json, policy);
      if (!parsed) {
        violations.push({
          resource: consumer,
          problem: "policy is neither an aws_iam_policy_document nor JSON",
        });
        continue;
      }
      for (const s of parsed.statements) {
        if (s.effect !== "Allow") continue;
        const label = `${consumer} (${parsed.source}${s.sid ? `, ${s.sid}` : ""})`;
        // In a key policy, "*" is the key itself; kms:* for the account root is AWS's default key policy.
        const rootAdmin =
          kind === "key" && s.principals.every((p) => p.type === "AWS" && p.identifiers.every(isAccountRoot));
        const wildcardActions = s.actions.filter(isWildcardAction);
        if (wildcardActions.length > 0 && !rootAdmin)
          violations.push({ resource: label, problem: `wildcard action ${wildcardActions.join(", ")}` });
        if (kind !== "key" && s.resources.includes("*")) {
          const notAllowed = s.actions.filter((a) => !WILDCARD_RESOURCE_ACTIONS.includes(a));
          if (notAllowed.length > 0)
            violations.push({ resource: label, problem: `Resource "*" for ${notAllowed.join(", ")}` });
        }
      }
    }
    return violations;
  },
};

const managedPoliciesAllowListed: PolicyRule = {
  id: "iam-managed-policies-allow-listed",
  description:
    "AWS-managed policies are attached only to the GitHub roles and the roles for people, and only those in the allow-list",
  check({ json }) {
    const allowed = Object.values(GITHUB_ROLE_MANAGED_POLICIES) as string[];
    const violations: Violation[] = [];
    for (const a of all(json, "aws_iam_role_policy_attachment")) {
      const role = lookup(json, referenceOf(a.body.role, "aws_iam_role"));
      const roleName = String(role?.name ?? "");
      // people-<project>-<kind>-<env> carries exactly its kind's policy.
      const peopleKind = /^people-[a-z0-9]+-(readonly|operator)-/.exec(roleName)?.[1] as
        | PeopleRoleKind
        | undefined;
      const fits = peopleKind
        ? a.body.policy_arn === PEOPLE_ROLE_MANAGED_POLICIES[peopleKind]
        : allowed.includes(a.body.policy_arn) && roleName.startsWith("github-");
      if (!fits)
        violations.push({
          resource: a.address,
          problem: `attaches ${a.body.policy_arn} to ${roleName || a.body.role}`,
        });
    }
    for (const r of all(json, "aws_iam_role"))
      if (list(r.body.managed_policy_arns).length > 0)
        violations.push({
          resource: r.address,
          problem: "managed_policy_arns on the role (use the allow-listed attachment)",
        });
    return violations;
  },
};

/** The environment a stack belongs to: its provider's `Environment` default tag. */
function environmentOf(json: TfJson): string | undefined {
  const tags = block(block(json.provider?.aws)?.default_tags)?.tags as Record<string, string> | undefined;
  return tags?.[ENVIRONMENT_TAG_KEY];
}

const ACCOUNT = String.raw`(\$\{[^}]+\}|\d{12})`;

const rolesCarryBoundary: PolicyRule = {
  id: "iam-roles-carry-environment-boundary",
  description:
    "every IAM role carries its environment's permissions boundary (sml-<env>-boundary); only the bootstrap stack's GitHub roles and roles for people, made by an administrator, have none",
  check({ id, json }) {
    const env = environmentOf(json);
    const boundary = env
      ? new RegExp(
          `^arn:aws:iam::${ACCOUNT}:policy/${boundaryPolicyName(getEnvironmentConfig(env).namePrefix)}$`,
        )
      : undefined;
    const violations: Violation[] = [];
    for (const r of all(json, "aws_iam_role")) {
      const name = String(r.body.name ?? "");
      if (!env && id.endsWith("-bootstrap") && (name.startsWith("github-") || name.startsWith("people-")))
        continue;
      const actual = String(r.body.permissions_boundary ?? "");
      if (!boundary)
        violations.push({
          resource: r.address,
          problem: `role outside an environment stack (no ${ENVIRONMENT_TAG_KEY} default tag), so no environment boundary applies`,
        });
      else if (!boundary.test(actual))
        violations.push({
          resource: r.address,
          problem: `permissions_boundary is ${actual || "missing"}, not ${boundary.source}`,
        });
    }
    return violations;
  },
};

const dataStoresEncrypted: PolicyRule = {
  id: "data-stores-encrypted",
  description:
    "every S3 bucket, SQS queue, SNS topic, Aurora/RDS store and ECR repository is encrypted at rest",
  check({ json }) {
    const violations: Violation[] = [];
    const encryptedBuckets = new Set(
      all(json, "aws_s3_bucket_server_side_encryption_configuration").flatMap((c) =>
        referencesIn(c.body.bucket).map((r) => r.address),
      ),
    );
    for (const b of all(json, "aws_s3_bucket"))
      if (!encryptedBuckets.has(b.address))
        violations.push({
          resource: b.address,
          problem: "no aws_s3_bucket_server_side_encryption_configuration",
        });
    for (const q of all(json, "aws_sqs_queue"))
      if (q.body.sqs_managed_sse_enabled !== true && !q.body.kms_master_key_id)
        violations.push({
          resource: q.address,
          problem: "neither sqs_managed_sse_enabled nor kms_master_key_id",
        });
    for (const t of all(json, "aws_sns_topic"))
      if (!t.body.kms_master_key_id)
        violations.push({ resource: t.address, problem: "no kms_master_key_id" });
    for (const type of ["aws_rds_cluster", "aws_db_instance"])
      for (const d of all(json, type))
        if (d.body.storage_encrypted !== true)
          violations.push({ resource: d.address, problem: "storage_encrypted is not true" });
    for (const e of all(json, "aws_ecr_repository"))
      if (!block(e.body.encryption_configuration)?.encryption_type)
        violations.push({ resource: e.address, problem: "no encryption_configuration" });
    return violations;
  },
};

/** Subnets whose route tables send 0.0.0.0/0 to an internet gateway, or that hand out public IPs. */
function publicSubnets(json: TfJson): Set<string> {
  const igwRouteTables = new Set<string>();
  for (const r of all(json, "aws_route"))
    if (referenceOf(r.body.gateway_id, "aws_internet_gateway"))
      for (const t of referencesIn(r.body.route_table_id)) igwRouteTables.add(t.address);
  for (const t of all(json, "aws_route_table"))
    if (list(t.body.route as TfJson[]).some((route) => referenceOf(route.gateway_id, "aws_internet_gateway")))
      igwRouteTables.add(t.address);
  const result = new Set<string>();
  for (const a of all(json, "aws_route_table_association")) {
    const subnet = referenceOf(a.body.subnet_id, "aws_subnet");
    if (subnet && referencesIn(a.body.route_table_id).some((t) => igwRouteTables.has(t.address)))
      result.add(subnet.address);
  }
  for (const s of all(json, "aws_subnet")) if (s.body.map_public_ip_on_launch === true) result.add(s.address);
  return result;
}

/** Is every subnet reference a subnet of this stack that is associated with a route table and not public? */
function nonPrivateSubnets(json: TfJson, subnetIds: unknown): string[] {
  const publics = publicSubnets(json);
  const associated = new Set(
    all(json, "aws_route_table_association").flatMap((a) =>
      referencesIn(a.body.subnet_id).map((r) => r.address),
    ),
  );
  return list(subnetIds as string[]).filter((id) => {
    // Another environment's subnets, looked up by the Tier tag its Network gives only its private subnets (whose
    // privacy this rule proves in that environment's own stack).
    const lookup = referencesIn(id).find((r) => r.kind === "data" && r.type === "aws_subnets");
    if (lookup) return json.data?.aws_subnets?.[lookup.name]?.tags?.Tier !== "private";
    const r = referenceOf(id, "aws_subnet");
    return !r || publics.has(r.address) || !associated.has(r.address);
  });
}

const databasesNotPublic: PolicyRule = {
  id: "databases-not-public",
  description: "no database instance is publicly accessible or placed in a public subnet",
  check({ json }) {
    const violations: Violation[] = [];
    for (const type of ["aws_rds_cluster_instance", "aws_db_instance"])
      for (const d of all(json, type))
        if (d.body.publicly_accessible === true)
          violations.push({ resource: d.address, problem: "publicly_accessible = true" });
    for (const g of all(json, "aws_db_subnet_group")) {
      const bad = nonPrivateSubnets(json, g.body.subnet_ids);
      if (bad.length > 0)
        violations.push({ resource: g.address, problem: `non-private subnets ${bad.join(", ")}` });
    }
    return violations;
  },
};

interface IngressRule {
  readonly address: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly protocol: string;
  readonly cidrs: string[];
  readonly sourceGroups: string[];
}

/** Ingress rules in every form Terraform offers (inline, aws_security_group_rule, aws_vpc_security_group_ingress_rule). */
function ingressRules(json: TfJson): IngressRule[] {
  const rules: IngressRule[] = [];
  for (const type of ["aws_security_group", "aws_default_security_group"])
    for (const sg of all(json, type))
      for (const i of list(sg.body.ingress as TfJson[]))
        rules.push({
          address: sg.address,
          fromPort: Number(i.from_port ?? 0),
          toPort: Number(i.to_port ?? 65535),
          protocol: String(i.protocol ?? "-1"),
          cidrs: [...list(i.cidr_blocks), ...list(i.ipv6_cidr_blocks)],
          sourceGroups: list(i.security_groups),
        });
  for (const r of all(json, "aws_security_group_rule"))
    if (r.body.type === "ingress")
      rules.push({
        address: r.address,
        fromPort: Number(r.body.from_port ?? 0),
        toPort: Number(r.body.to_port ?? 65535),
        protocol: String(r.body.protocol ?? "-1"),
        cidrs: [...list(r.body.cidr_blocks), ...list(r.body.ipv6_cidr_blocks)],
        sourceGroups: list(r.body.source_security_group_id),
      });
  for (const r of all(json, "aws_vpc_security_group_ingress_rule"))
    rules.push({
      address: r.address,
      fromPort: Number(r.body.from_port ?? 0),
      toPort: Number(r.body.to_port ?? 65535),
      protocol: String(r.body.ip_protocol ?? "-1"),
      cidrs: [...list(r.body.cidr_ipv4), ...list(r.body.cidr_ipv6)],
      sourceGroups: list(r.body.referenced_security_group_id),
    });
  return rules;
}

const noOpenIngress: PolicyRule = {
  id: "no-open-ingress",
  description: "no security-group ingress from 0.0.0.0/0 or ::/0",
  check({ json }) {
    return ingressRules(json)
      .filter((r) => r.cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0"))
      .map((r) => ({ resource: r.address, problem: `ingress from ${r.cidrs.join(", ")}` }));
  },
};

/** Security groups attached to Lambda functions. */
function functionSecurityGroups(json: TfJson): Set<string> {
  return new Set(
    all(json, "aws_lambda_function").flatMap((f) =>
      referencesIn(block(f.body.vpc_config)?.security_group_ids).map((r) => r.address),
    ),
  );
}

const postgresOnlyFromFunctions: PolicyRule = {
  id: "postgres-only-from-functions",
  description: "ingress that covers 5432 comes only from security groups of Lambda functions",
  check({ json }) {
    const fnGroups = functionSecurityGroups(json);
    return ingressRules(json)
      .filter(
        (r) =>
          (r.protocol === "-1" || r.protocol === "tcp" || r.protocol === "6") &&
          r.fromPort <= 5432 &&
          5432 <= r.toPort,
      )
      .filter(
        (r) =>
          r.cidrs.length > 0 ||
          r.sourceGroups.length === 0 ||
          r.sourceGroups.some((g) => !referencesIn(g).some((ref) => fnGroups.has(ref.address))),
      )
      .map((r) => ({
        resource: r.address,
        problem: "5432 reachable from something other than a function security group",
      }));
  },
};

interface EgressRule {
  readonly address: string;
  /** Address of the security group the rule belongs to. */
  readonly group: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly protocol: string;
  readonly cidrs: string[];
  readonly targetGroups: string[];
}

/** Egress rules in every form Terraform offers, each with the security group it belongs to. */
function egressRules(json: TfJson): EgressRule[] {
  const rules: EgressRule[] = [];
  const groupOf = (value: unknown) => referenceOf(value)?.address ?? String(value);
  for (const sg of all(json, "aws_security_group"))
    for (const e of list(sg.body.egress as TfJson[]))
      rules.push({
        address: sg.address,
        group: sg.address,
        fromPort: Number(e.from_port ?? 0),
        toPort: Number(e.to_port ?? 65535),
        protocol: String(e.protocol ?? "-1"),
        cidrs: [...list(e.cidr_blocks), ...list(e.ipv6_cidr_blocks)],
        targetGroups: list(e.security_groups),
      });
  for (const r of all(json, "aws_security_group_rule"))
    if (r.body.type === "egress")
      rules.push({
        address: r.address,
        group: groupOf(r.body.security_group_id),
        fromPort: Number(r.body.from_port ?? 0),
        toPort: Number(r.body.to_port ?? 65535),
        protocol: String(r.body.protocol ?? "-1"),
        cidrs: [...list(r.body.cidr_blocks), ...list(r.body.ipv6_cidr_blocks)],
        targetGroups: list(r.body.source_security_group_id),
      });
  for (const r of all(json, "aws_vpc_security_group_egress_rule"))
    rules.push({
      address: r.address,
      group: groupOf(r.body.security_group_id),
      fromPort: Number(r.body.from_port ?? 0),
      toPort: Number(r.body.to_port ?? 65535),
      protocol: String(r.body.ip_protocol ?? "-1"),
      cidrs: [...list(r.body.cidr_ipv4), ...list(r.body.cidr_ipv6)],
      targetGroups: list(r.body.referenced_security_group_id),
    });
  return rules;
}

const functionsReachDatabase: PolicyRule = {
  id: "functions-reach-database",
  description:
    "every function given a database host has egress on the cluster's port to the cluster's security group",
  check({ json }) {
    const egress = egressRules(json);
    const violations: Violation[] = [];
    for (const f of all(json, "aws_lambda_function")) {
      const env = (block(f.body.environment)?.variables ?? {}) as TfJson;
      const cluster = referenceOf(env.DB_HOST, "aws_rds_cluster");
      const clusterBody = lookup(json, cluster);
      if (!cluster || !clusterBody) continue;
      const port = Number(clusterBody.port ?? 5432);
      const clusterGroups = new Set(referencesIn(clusterBody.vpc_security_group_ids).map((r) => r.address));
      const fnGroups = referencesIn(block(f.body.vpc_config)?.security_group_ids).map((r) => r.address);
      if (fnGroups.length === 0) continue;
      const reaches = egress.some(
        (e) =>
          fnGroups.includes(e.group) &&
          (e.protocol === "-1" || e.protocol === "tcp" || e.protocol === "6") &&
          e.fromPort <= port &&
          port <= e.toPort &&
          (e.cidrs.length > 0 ||
            e.targetGroups.some((g) => referencesIn(g).some((r) => clusterGroups.has(r.address)))),
      );
      if (!reaches)
        violations.push({
          resource: f.address,
          problem: `no egress on ${port} from its security groups to ${cluster.address}'s security groups`,
        });
    }
    return violations;
  },
};

function redrivePolicyOf(queue: TfJson): TfJson | undefined {
  if (typeof queue.redrive_policy !== "string") return undefined;
  try {
    return JSON.parse(queue.redrive_policy) as TfJson;
  } catch {
    return undefined;
  }
}

const sqsSourceQueuesHaveDlq: PolicyRule = {
  id: "sqs-source-queues-have-dlq",
  description: "every SQS queue that is not itself a dead-letter queue redrives to one",
  check({ json }) {
    const queues = all(json, "aws_sqs_queue");
    const redrives = new Map<string, TfJson>();
    for (const q of queues) {
      const policy = redrivePolicyOf(q.body);
      if (policy) redrives.set(q.address, policy);
    }
    for (const r of all(json, "aws_sqs_queue_redrive_policy")) {
      const target = referenceOf(r.body.queue_url, "aws_sqs_queue");
      try {
        if (target) redrives.set(target.address, JSON.parse(r.body.redrive_policy));
      } catch {
        // an unparsable policy counts as none
      }
    }
    const deadLetterQueues = new Set(
      [...redrives.values()].flatMap((p) => referencesIn(p.deadLetterTargetArn).map((r) => r.address)),
    );
    const violations: Violation[] = [];
    for (const q of queues) {
      if (deadLetterQueues.has(q.address)) continue;
      const policy = redrives.get(q.address);
      const target = referenceOf(policy?.deadLetterTargetArn, "aws_sqs_queue");
      if (!policy || !target || !(Number(policy.maxReceiveCount) >= 1))
        violations.push({ resource: q.address, problem: "no redrive policy to a dead-letter queue" });
    }
    return violations;
  },
};

/**
 * The function a value invokes: a reference to the function itself, or to one of its aliases (whose
 * `function_name` references the function). Undefined for anything else.
 */
function functionBehind(json: TfJson, value: unknown): Reference | undefined {
  const direct = referenceOf(value, "aws_lambda_function");
  if (direct) return direct;
  const alias = lookup(json, referenceOf(value, "aws_lambda_alias"));
  return alias ? referenceOf(alias.function_name, "aws_lambda_function") : undefined;
}

/** SQS event source mappings with their queue and function (reached through its alias, if any). */
function sqsMappings(json: TfJson) {
  return all(json, "aws_lambda_event_source_mapping")
    .map((m) => ({
      ...m,
      queue: lookup(json, referenceOf(m.body.event_source_arn, "aws_sqs_queue")),
      fn: lookup(json, functionBehind(json, m.body.function_name)),
    }))
    .filter((m) => m.queue || String(m.body.event_source_arn).includes(":sqs:"));
}

const esmReportsFailures: PolicyRule = {
  id: "sqs-mappings-report-batch-item-failures",
  description: "every SQS event source mapping reports batch item failures and bounds its concurrency",
  check({ json }) {
    const violations: Violation[] = [];
    for (const m of sqsMappings(json)) {
      if (!list(m.body.function_response_types).includes("ReportBatchItemFailures"))
        violations.push({
          resource: m.address,
          problem: "function_response_types lacks ReportBatchItemFailures",
        });
      if (!(Number(block(m.body.scaling_config)?.maximum_concurrency) >= 2))
        violations.push({
          resource: m.address,
          problem: "no scaling_config.maximum_concurrency (unbounded connections)",
        });
    }
    return violations;
  },
};

const esmVisibilityTimeout: PolicyRule = {
  id: "sqs-visibility-timeout-6x-function-timeout",
  description: "every SQS source queue's visibility timeout is at least 6x its function's timeout",
  check({ json }) {
    const violations: Violation[] = [];
    for (const m of sqsMappings(json)) {
      if (!m.queue || !m.fn) {
        violations.push({
          resource: m.address,
          problem: "queue or function is not a resource of this stack",
        });
        continue;
      }
      const visibility = Number(m.queue.visibility_timeout_seconds ?? 30);
      const timeout = Number(m.fn.timeout ?? 3);
      if (visibility < 6 * timeout)
        violations.push({
          resource: m.address,
          problem: `visibility ${visibility}s < 6 x function timeout ${timeout}s`,
        });
    }
    return violations;
  },
};

/**
 * How many instances of a VPC function can run at once, read from the stack: its reserved concurrency; else,
 * for a function only an SQS event source mapping invokes, the mappings' `maximum_concurrency`; else, for a
 * function only Terraform invokes (`aws_lambda_invocation`, one run per apply), 1. Anything else is unbounded.
 */
function concurrencyBound(json: TfJson, fn: { address: string; body: TfJson }): number | undefined {
  const targets = (value: unknown) =>
    value === fn.body.function_name ||
    referencesIn(value).some((r) => r.address === fn.address) ||
    functionBehind(json, value)?.address === fn.address;
  const reserved = fn.body.reserved_concurrent_executions;
  if (typeof reserved === "number" && reserved >= 0) return reserved;
  if (all(json, "aws_lambda_permission").some((p) => targets(p.body.function_name))) return undefined;
  const mappings = all(json, "aws_lambda_event_source_mapping").filter((m) => targets(m.body.function_name));
  const invoked = all(json, "aws_lambda_invocation").some((i) => targets(i.body.function_name));
  if (mappings.length > 0 && !invoked) {
    const maxima = mappings.map((m) => Number(block(m.body.scaling_config)?.maximum_concurrency));
    return maxima.every((n) => n >= 2) ? maxima.reduce((a, b) => a + b, 0) : undefined;
  }
  return mappings.length === 0 && invoked ? 1 : undefined;
}

const databaseConnectionsBounded: PolicyRule = {
  id: "database-connections-bounded",
  description:
    "every VPC function's concurrency is bounded, and their sum (one connection per instance) stays below each Aurora cluster's max_connections for its capacity range (AWS's documented Serverless v2 rule)",
  check({ json }) {
    const clusters = all(json, "aws_rds_cluster");
    if (clusters.length === 0) return [];
    const violations: Violation[] = [];
    const parts: string[] = [];
    let total = 0;
    for (const fn of all(json, "aws_lambda_function")) {
      if (!block(fn.body.vpc_config)) continue;
      const bound = concurrencyBound(json, fn);
      if (bound === undefined) {
        violations.push({
          resource: fn.address,
          problem:
            "unbounded concurrency (no reserved_concurrent_executions, no SQS maximum_concurrency, not invoked only by Terraform): its database connections are unbounded",
        });
        continue;
      }
      total += bound;
      parts.push(`${fn.address} ${bound}`);
    }
    for (const c of clusters) {
      const scaling = block(c.body.serverlessv2_scaling_configuration);
      const maxAcu = Number(scaling?.max_capacity);
      const minAcu = Number(scaling?.min_capacity);
      if (!(maxAcu > 0) || !(minAcu >= 0)) {
        violations.push({
          resource: c.address,
          problem: "no serverlessv2 min_capacity/max_capacity: max_connections unknown",
        });
        continue;
      }
      const limit = auroraMaxConnections({ minAcu, maxAcu });
      if (total >= limit)
        violations.push({
          resource: c.address,
          problem: `functions may hold ${total} connections (${parts.join(" + ")}), not below max_connections ${limit} at ${minAcu}..${maxAcu} ACU`,
        });
    }
    return violations;
  },
};

const functionsLogRetention: PolicyRule = {
  id: "functions-have-log-group-with-retention",
  description: "every Lambda function logs to its own log group that has a retention",
  check({ json }) {
    const violations: Violation[] = [];
    const groups = all(json, "aws_cloudwatch_log_group");
    for (const f of all(json, "aws_lambda_function")) {
      // Lambda writes to logging_config.log_group when set, else to /aws/lambda/<function name>.
      const target = block(f.body.logging_config)?.log_group;
      const group =
        target === undefined
          ? groups.find((g) => g.body.name === `/aws/lambda/${f.body.function_name}`)?.body
          : (lookup(json, referenceOf(target, "aws_cloudwatch_log_group")) ??
            groups.find((g) => g.body.name === target)?.body);
      if (!group) violations.push({ resource: f.address, problem: "no log group of its own" });
      else if (!(Number(group.retention_in_days) > 0))
        violations.push({
          resource: f.address,
          problem: "its log group keeps logs forever (no retention_in_days)",
        });
    }
    return violations;
  },
};

const functionsActiveTracing: PolicyRule = {
  id: "functions-active-tracing",
  description: "every Lambda function has X-Ray active tracing",
  check({ json }) {
    return all(json, "aws_lambda_function")
      .filter((f) => block(f.body.tracing_config)?.mode !== "Active")
      .map((f) => ({ resource: f.address, problem: "tracing_config.mode is not Active" }));
  },
};

const vpcFunctionsPrivateSubnets: PolicyRule = {
  id: "vpc-functions-in-private-subnets",
  description: "functions in a VPC use private subnets only (no route to an internet gateway, no public IPs)",
  check({ json }) {
    const violations: Violation[] = [];
    for (const f of all(json, "aws_lambda_function")) {
      const vpc = block(f.body.vpc_config);
      if (!vpc) continue;
      const bad = nonPrivateSubnets(json, vpc.subnet_ids);
      if (bad.length > 0)
        violations.push({ resource: f.address, problem: `non-private subnets ${bad.join(", ")}` });
    }
    return violations;
  },
};

const queuePolicyScopedToTopic: PolicyRule = {
  id: "queue-policy-scoped-to-topic",
  description:
    "SQS queue policies allow only SNS or S3, only for a topic or bucket ARN of this stack; subscribed queues have one",
  check({ json }) {
    const violations: Violation[] = [];
    const withPolicy = new Set<string>();
    for (const p of all(json, "aws_sqs_queue_policy")) {
      for (const q of referencesIn(p.body.queue_url)) withPolicy.add(q.address);
      const parsed = statementsOf(json, p.body.policy);
      if (!parsed) {
        violations.push({ resource: p.address, problem: "policy cannot be read" });
        continue;
      }
      for (const s of parsed.statements.filter((st) => st.effect === "Allow")) {
        // A service may send only for a source of this stack: SNS for a topic, S3 (event notifications, Amazon
        // S3 user guide "Granting permissions to publish event notification messages to a destination") for a
        // bucket.
        const scopedTo = (service: string, sourceType: string) =>
          s.principals.length > 0 &&
          s.principals.every((pr) => pr.type === "Service" && pr.identifiers.every((i) => i === service)) &&
          s.conditions.some(
            (c) =>
              /^Arn(Equals|Like)$/.test(c.test) &&
              c.variable.toLowerCase() === "aws:sourcearn" &&
              c.values.length > 0 &&
              c.values.every((v) => referenceOf(v, sourceType)?.attr === "arn"),
          );
        if (!scopedTo("sns.amazonaws.com", "aws_sns_topic") && !scopedTo("s3.amazonaws.com", "aws_s3_bucket"))
          violations.push({
            resource: p.address,
            problem: `statement ${s.sid ?? ""} is not limited to sns.amazonaws.com with aws:SourceArn = a topic ARN, or s3.amazonaws.com with aws:SourceArn = a bucket ARN`,
          });
      }
    }
    for (const sub of all(json, "aws_sns_topic_subscription")) {
      if (sub.body.protocol !== "sqs") continue;
      const queue = referenceOf(sub.body.endpoint, "aws_sqs_queue");
      if (!queue || !withPolicy.has(queue.address))
        violations.push({ resource: sub.address, problem: "subscribed queue has no queue policy" });
    }
    return violations;
  },
};

const apiStageThrottlesAndLogs: PolicyRule = {
  id: "api-stage-throttles-and-logs",
  description: "every API Gateway stage throttles and writes JSON access logs to a log group",
  check({ json }) {
    const violations: Violation[] = [];
    for (const s of all(json, "aws_apigatewayv2_stage")) {
      const settings = block(s.body.default_route_settings);
      if (!(Number(settings?.throttling_rate_limit) > 0) || !(Number(settings?.throttling_burst_limit) > 0))
        violations.push({ resource: s.address, problem: "no default throttling (rate and burst)" });
      const logs = block(s.body.access_log_settings);
      let format: TfJson | undefined;
      try {
        format = JSON.parse(String(logs?.format)) as TfJson;
      } catch {
        format = undefined;
      }
      if (!referenceOf(logs?.destination_arn, "aws_cloudwatch_log_group") || !format?.requestId)
        violations.push({
          resource: s.address,
          problem: "no JSON access log (with requestId) to a log group",
        });
    }
    return violations;
  },
};

const ecrScanImmutable: PolicyRule = {
  id: "ecr-scan-on-push-immutable",
  description: "every ECR repository scans on push, has immutable tags and a lifecycle policy",
  check({ json }) {
    const withLifecycle = new Set(
      all(json, "aws_ecr_lifecycle_policy").flatMap((p) =>
        referencesIn(p.body.repository).map((r) => r.address),
      ),
    );
    const violations: Violation[] = [];
    for (const r of all(json, "aws_ecr_repository")) {
      if (block(r.body.image_scanning_configuration)?.scan_on_push !== true)
        violations.push({ resource: r.address, problem: "scan_on_push is not true" });
      if (r.body.image_tag_mutability !== "IMMUTABLE")
        violations.push({ resource: r.address, problem: "image_tag_mutability is not IMMUTABLE" });
      if (!withLifecycle.has(r.address))
        violations.push({ resource: r.address, problem: "no lifecycle policy" });
    }
    return violations;
  },
};

const prdDatabaseProtection: PolicyRule = {
  id: "prd-database-protected",
  description:
    "in -prd stacks, databases have deletion protection, >= 7 days of backups and a final snapshot",
  check({ id, json }) {
    if (!id.endsWith("-prd")) return [];
    const violations: Violation[] = [];
    for (const type of ["aws_rds_cluster", "aws_db_instance"])
      for (const c of all(json, type)) {
        if (c.body.deletion_protection !== true)
          violations.push({ resource: c.address, problem: "no deletion_protection" });
        if (!(Number(c.body.backup_retention_period) >= 7))
          violations.push({
            resource: c.address,
            problem: `backup_retention_period ${c.body.backup_retention_period} < 7`,
          });
        if (c.body.skip_final_snapshot !== false || !c.body.final_snapshot_identifier)
          violations.push({
            resource: c.address,
            problem: "no final snapshot (skip_final_snapshot or no identifier)",
          });
      }
    return violations;
  },
};

const prdUserPoolProtection: PolicyRule = {
  id: "prd-user-pools-protected",
  description: "in -prd stacks, every Cognito user pool has deletion protection",
  check({ id, json }) {
    if (!id.endsWith("-prd")) return [];
    return all(json, "aws_cognito_user_pool")
      .filter((p) => p.body.deletion_protection !== "ACTIVE")
      .map((p) => ({ resource: p.address, problem: `deletion_protection is ${p.body.deletion_protection}` }));
  },
};

/**
 * A user pool behind a JWT authorizer lets in whoever holds its tokens. Without `admin_create_user_config`
 * Cognito allows self-registration (`AllowAdminCreateUserOnly` defaults to false: Cognito API reference,
 * "AdminCreateUserConfigType"), and with e-mail auto-verification anyone can sign up and call the authorized
 * routes. Every pool is invite-only, in every environment.
 */
const userPoolsInviteOnly: PolicyRule = {
  id: "user-pools-invite-only",
  description: "every Cognito user pool sets admin_create_user_config.allow_admin_create_user_only = true",
  check({ json }) {
    return all(json, "aws_cognito_user_pool")
      .filter((p) => block(p.body.admin_create_user_config)?.allow_admin_create_user_only !== true)
      .map((p) => ({ resource: p.address, problem: "anyone may sign up (self-registration is on)" }));
  },
};

/**
 * What an anonymous upload can cost: a presigned PUT stores up to 5 GB (S3 user guide, "Uploading objects"), and
 * whoever created a batch holds its URL. The upload prefix of every bucket that notifies a queue of uploads (the
 * batch bucket's `inputs/`) must expire within a day (S3's shortest lifecycle expiration) and abort incomplete
 * multipart uploads within a day; the size bound itself is the signed Content-Length (model-container tests).
 */
const uploadsExpireWithinADay: PolicyRule = {
  id: "uploads-expire-within-a-day",
  description:
    "every prefix a bucket notifies a queue of (uploads) has a lifecycle rule expiring its objects and incomplete uploads within 1 day",
  check({ json }) {
    const violations: Violation[] = [];
    for (const n of all(json, "aws_s3_bucket_notification")) {
      const bucket = referenceOf(n.body.bucket, "aws_s3_bucket")?.address;
      const rules = all(json, "aws_s3_bucket_lifecycle_configuration")
        .filter((l) => referenceOf(l.body.bucket, "aws_s3_bucket")?.address === bucket)
        .flatMap((l) => list(l.body.rule as TfJson[]));
      for (const target of list(n.body.queue as TfJson[])) {
        const prefix = String(target.filter_prefix ?? "");
        const covering = rules.filter(
          (r) => r.status === "Enabled" && prefix.startsWith(String(block(r.filter)?.prefix ?? "")),
        );
        const expires = covering.some((r) => Number(block(r.expiration)?.days) <= 1);
        const aborts = covering.some(
          (r) => Number(block(r.abort_incomplete_multipart_upload)?.days_after_initiation) <= 1,
        );
        if (!expires || !aborts)
          violations.push({
            resource: n.address,
            problem: `uploads under "${prefix}" of ${bucket} are kept longer than a day${aborts ? "" : " (incomplete multipart uploads too)"}`,
          });
      }
    }
    return violations;
  },
};

const SECRET_KEY = /(password|passwd|secret|token|private_key|api_key|access_key)/i;
const NOT_A_SECRET_KEY =
  /(_arn|_id|_ids|_name|arn|id|name|_kms_key_id|_enabled|_length|_validity|_units|_mode|_arns|Ids)$/i;
const SECRET_VALUE = [
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bghp_[A-Za-z0-9]{36}\b/,
  /\bxox[abp]-[A-Za-z0-9-]+/,
];

const noLiteralSecrets: PolicyRule = {
  id: "no-literal-secrets",
  description: "no literal password, key or token anywhere in the stack (only references to managed secrets)",
  check({ json }) {
    const violations: Violation[] = [];
    const visit = (value: unknown, key: string, where: string) => {
      if (typeof value === "string") {
        const literal = value.replace(/\$\{[^}]*\}/g, "").trim() !== "";
        if (SECRET_KEY.test(key) && !NOT_A_SECRET_KEY.test(key) && literal)
          violations.push({ resource: where, problem: `literal value for ${key}` });
        if (SECRET_VALUE.some((re) => re.test(value)))
          violations.push({ resource: where, problem: `secret-looking value in ${key}` });
      } else if (Array.isArray(value)) {
        for (const v of value) visit(v, key, where);
      } else if (value && typeof value === "object") {
        // A Cognito client's `token_validity_units` maps token kinds to time units (`id_token: "minutes"`).
        if (/_units$/.test(key)) return;
        for (const [k, v] of Object.entries(value as TfJson)) if (k !== "//") visit(v, k, where);
      }
    };
    for (const group of ["resource", "data"] as const)
      for (const [type, byName] of Object.entries((json[group] ?? {}) as Record<string, TfJson>))
        for (const [name, body] of Object.entries(byName))
          visit(body, "", `${group === "data" ? "data." : ""}${type}.${name}`);
    for (const [name, body] of Object.entries((json.variable ?? {}) as TfJson))
      if (SECRET_KEY.test(name) && body.default !== undefined)
        violations.push({ resource: `var.${name}`, problem: "default for a secret variable" });
    visit(json.terraform, "", "terraform");
    visit(json.provider, "", "provider");
    return violations;
  },
};

/**
 * The route part of an execute-api ARN (`<api>/<stage>/<route>`): one method and path, or the `$default`
 * catch-all route (which has neither). `*` or `ANY` as the method would grant every route.
 */
const API_GATEWAY_ROUTE_ARN = /\/[^/]+\/(\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\/.*)$/;

const lambdaPermissionsScoped: PolicyRule = {
  id: "lambda-permissions-scoped",
  description:
    "every Lambda permission for a service names the source ARN it is granted to; API Gateway's name one route",
  check({ json }) {
    const violations: Violation[] = [];
    for (const p of all(json, "aws_lambda_permission")) {
      if (!String(p.body.principal).endsWith(".amazonaws.com")) continue;
      const sourceArn = p.body.source_arn ? String(p.body.source_arn) : "";
      if (!sourceArn || sourceArn === "*")
        violations.push({ resource: p.address, problem: `${p.body.principal} may invoke from any source` });
      else if (p.body.principal === "apigateway.amazonaws.com" && !API_GATEWAY_ROUTE_ARN.test(sourceArn))
        violations.push({
          resource: p.address,
          problem: `API Gateway may invoke from more than one route (${sourceArn})`,
        });
    }
    return violations;
  },
};

const stateBackend: PolicyRule = {
  id: "state-in-encrypted-locked-s3",
  description: "the stack keeps its state in S3, encrypted, with S3-native locking",
  check({ id, json }) {
    const s3 = json.terraform?.backend?.s3;
    if (!s3) return [{ resource: `${id} (terraform.backend)`, problem: "no S3 backend" }];
    const problems = [
      s3.encrypt !== true && "encrypt is not true",
      s3.use_lockfile !== true && "use_lockfile is not true",
      !String(s3.key ?? "").includes(id) && "state key does not contain the stack id",
    ].filter(Boolean);
    return problems.map((problem) => ({
      resource: `${id} (terraform.backend.s3)`,
      problem: String(problem),
    }));
  },
};

const bucketsPrivate: PolicyRule = {
  id: "s3-buckets-block-public-access",
  description: "every S3 bucket has all four public access blocks",
  check({ json }) {
    const blocked = new Set(
      all(json, "aws_s3_bucket_public_access_block")
        .filter((b) =>
          ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every(
            (k) => b.body[k] === true,
          ),
        )
        .flatMap((b) => referencesIn(b.body.bucket).map((r) => r.address)),
    );
    return all(json, "aws_s3_bucket")
      .filter((b) => !blocked.has(b.address))
      .map((b) => ({ resource: b.address, problem: "public access not fully blocked" }));
  },
};

const noDependencyCycles: PolicyRule = {
  id: "no-dependency-cycles",
  description: "references and depends_on form no cycle (terraform validate would reject it)",
  check({ json }) {
    const edges = dependencyGraph(json);
    const state = new Map<string, "visiting" | "done">();
    const violations: Violation[] = [];
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === "done") return;
      if (state.get(node) === "visiting") {
        const cycle = path.slice(path.indexOf(node));
        violations.push({ resource: node, problem: `cycle ${[...cycle, node].join(" -> ")}` });
        return;
      }
      state.set(node, "visiting");
      for (const next of edges.get(node) ?? []) if (edges.has(next)) visit(next, [...path, node]);
      state.set(node, "done");
    };
    for (const node of edges.keys()) visit(node, []);
    return violations;
  },
};

/** `type.name` -> the addresses it references or depends on (`depends_on`), for ordering questions. */
function dependencyGraph(json: TfJson): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const group of ["resource", "data"] as const)
    for (const [type, byName] of Object.entries((json[group] ?? {}) as Record<string, TfJson>))
      for (const [name, body] of Object.entries(byName)) {
        const from = `${group === "data" ? "data." : ""}${type}.${name}`;
        const { "//": _meta, ...rest } = body;
        const targets = new Set(referencesIn(rest).map((r) => r.address));
        for (const dep of list(body.depends_on as string[])) targets.add(dep);
        edges.set(from, targets);
      }
  return edges;
}

/** Everything `from` waits for in an apply (references and depends_on, followed transitively). */
function upstreamOf(edges: Map<string, Set<string>>, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(edges.get(from) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(edges.get(next) ?? []));
  }
  return seen;
}

/**
 * Terraform orders a resource after what it references; a literal function name carries no reference. The AWS
 * provider then may create the permission before the function exists (it retries a missing function for about
 * 5 minutes, then fails the apply) and does not replace it with a replaced function (Terraform docs, "Resource
 * dependencies"; hashicorp/terraform-provider-aws, resource aws_lambda_permission).
 */
const lambdaPermissionsReferenceFunction: PolicyRule = {
  id: "lambda-permissions-reference-function",
  description:
    "every Lambda permission names its function (and alias qualifier) by reference to a function or alias of the stack, never by a literal name",
  check({ json }) {
    const violations: Violation[] = [];
    for (const p of all(json, "aws_lambda_permission")) {
      const value = p.body.function_name;
      const fn = referenceOf(value);
      const isTarget =
        fn &&
        ((fn.type === "aws_lambda_function" && ["function_name", "arn"].includes(fn.attr)) ||
          (fn.type === "aws_lambda_alias" && fn.attr === "arn")) &&
        lookup(json, fn) !== undefined &&
        value === `\${${fn.address}.${fn.attr}}`;
      if (!isTarget)
        violations.push({
          resource: p.address,
          problem: `function_name ${JSON.stringify(value)} is not a reference to a function or alias of this stack`,
        });
      const qualifier = p.body.qualifier;
      if (qualifier === undefined) continue;
      const alias = referenceOf(qualifier, "aws_lambda_alias");
      const aliasBody = lookup(json, alias);
      const sameFunction =
        aliasBody && fn && referencesIn(aliasBody.function_name).some((r) => r.address === fn.address);
      if (alias?.attr !== "name" || !sameFunction)
        violations.push({
          resource: p.address,
          problem: `qualifier ${JSON.stringify(qualifier)} is not a reference to an alias of the permission's function`,
        });
    }
    return violations;
  },
};

/** Functions handed an Aurora cluster (`DB_HOST` / `DB_CLUSTER_ARN`), with the cluster's address. */
function databaseFunctions(json: TfJson): { address: string; cluster: string }[] {
  return all(json, "aws_lambda_function").flatMap((f) => {
    const env = (block(f.body.environment)?.variables ?? {}) as TfJson;
    const cluster =
      referenceOf(env.DB_HOST, "aws_rds_cluster") ?? referenceOf(env.DB_CLUSTER_ARN, "aws_rds_cluster");
    return cluster ? [{ address: f.address, cluster: cluster.address }] : [];
  });
}

/**
 * A function's new code goes live when Terraform updates it; a migration runs when Terraform invokes the
 * migration function (aws_lambda_invocation). Unless the database's users wait for that invocation, new code can
 * meet the old schema, and a new event source mapping starts polling at once.
 */
const databaseCodeAfterMigrations: PolicyRule = {
  id: "database-code-after-migrations",
  description:
    "every function using an Aurora cluster (other than the migration function), and every event source mapping of one, waits for that cluster's migration invocation",
  check({ json }) {
    const edges = dependencyGraph(json);
    const users = databaseFunctions(json);
    const invocations = all(json, "aws_lambda_invocation").flatMap((i) => {
      const target = referenceOf(i.body.function_name, "aws_lambda_function");
      const cluster = users.find((u) => u.address === target?.address)?.cluster;
      return target && cluster ? [{ address: i.address, fn: target.address, cluster }] : [];
    });
    const migrationFunctions = new Set(invocations.map((i) => i.fn));
    const violations: Violation[] = [];
    const check = (address: string, cluster: string, what: string) => {
      const migrations = invocations.filter((i) => i.cluster === cluster).map((i) => i.address);
      const upstream = upstreamOf(edges, address);
      if (migrations.length === 0)
        violations.push({ resource: address, problem: `${what}: no migration invocation for ${cluster}` });
      else if (!migrations.some((m) => upstream.has(m)))
        violations.push({
          resource: address,
          problem: `${what} may go live before ${migrations.join(", ")} ran (no reference or depends_on path)`,
        });
    };
    for (const user of users) {
      if (migrationFunctions.has(user.address)) continue;
      check(user.address, user.cluster, "uses the database");
      for (const m of all(json, "aws_lambda_event_source_mapping"))
        if (functionBehind(json, m.body.function_name)?.address === user.address)
          check(m.address, user.cluster, `invokes ${user.address}`);
    }
    return violations;
  },
};

/** Allow statements of the identity policies attached to a role (inline role policies of the stack). */
function roleAllows(json: TfJson, roleAddress: string): Statement[] {
  const found: Statement[] = [];
  for (const p of all(json, "aws_iam_role_policy")) {
    if (!referencesIn(p.body.role).some((r) => r.address === roleAddress)) continue;
    for (const s of statementsOf(json, p.body.policy)?.statements ?? [])
      if (s.effect === "Allow") found.push(s);
  }
  return found;
}

/** The IAM service prefix of an endpoint's AWS service (`com.amazonaws.<region>.ecr.dkr` -> `ecr`). */
const ENDPOINT_IAM_PREFIX: Readonly<Record<string, string>> = { "ecr.api": "ecr", "ecr.dkr": "ecr" };

/**
 * A VPC endpoint carries only traffic that starts inside the VPC. Of a function's permissions, those the Lambda
 * service uses on its behalf (logs, SQS polling, ENIs: LAMBDA_SERVICE_SIDE_ACTIONS) leave from outside the VPC
 * (AWS Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC", "Using Lambda
 * with Amazon SQS"); a function outside the VPC uses no endpoint at all. An endpoint no in-VPC code can call is
 * ~$7.30 per AZ-month for nothing.
 */
const vpcEndpointsHaveCallers: PolicyRule = {
  id: "vpc-endpoints-have-callers",
  description:
    "every VPC endpoint's service is one that the code of some in-VPC function may call (a permission of its role beyond what the Lambda service itself uses)",
  check({ json }) {
    const callable = new Set<string>();
    for (const f of all(json, "aws_lambda_function")) {
      if (!block(f.body.vpc_config)) continue;
      const role = referenceOf(f.body.role, "aws_iam_role");
      if (!role) continue;
      for (const s of roleAllows(json, role.address))
        for (const action of s.actions)
          if (!LAMBDA_SERVICE_SIDE_ACTIONS.includes(action)) callable.add(action.split(":")[0] as string);
    }
    const violations: Violation[] = [];
    for (const e of all(json, "aws_vpc_endpoint")) {
      const service = String(e.body.service_name).replace(/^com\.amazonaws\.[^.]+\./, "");
      const prefix = ENDPOINT_IAM_PREFIX[service] ?? service;
      if (!callable.has(prefix))
        violations.push({
          resource: e.address,
          problem: `no function in the VPC may call ${prefix} from its code (callable: ${[...callable].sort().join(", ") || "none"})`,
        });
    }
    return violations;
  },
};

/**
 * The RDS Data API is an HTTPS path to SQL on the cluster (Aurora user guide, "Using the Amazon RDS Data API");
 * it is callable only with `enable_http_endpoint`, and only by principals allowed `rds-data:*` on the cluster.
 * On without such a role, it is unused attack surface; a role without the flag cannot use it.
 */
const dataApiOnlyWhereUsed: PolicyRule = {
  id: "data-api-only-where-used",
  description:
    "a cluster enables the Data API (enable_http_endpoint) exactly when a role of the stack may call rds-data on it",
  check({ json }) {
    const usedOn = new Set<string>();
    for (const { kind, policy } of policiesIn(json)) {
      if (kind !== "identity") continue;
      for (const s of statementsOf(json, policy)?.statements ?? [])
        if (s.effect === "Allow" && s.actions.some((a) => a.startsWith("rds-data:")))
          for (const r of referencesIn(s.resources)) if (r.type === "aws_rds_cluster") usedOn.add(r.address);
    }
    const violations: Violation[] = [];
    for (const c of all(json, "aws_rds_cluster")) {
      const enabled = c.body.enable_http_endpoint === true;
      if (enabled && !usedOn.has(c.address))
        violations.push({
          resource: c.address,
          problem: "Data API enabled, but no role may call rds-data on it",
        });
      if (!enabled && usedOn.has(c.address))
        violations.push({
          resource: c.address,
          problem: "a role may call rds-data on it, but the Data API is off",
        });
    }
    return violations;
  },
};

/** Does an action pattern of a statement (`logs:Get*`) cover an action (`logs:GetLogEvents`)? */
const covers = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action);

/**
 * ReadOnlyAccess lets `terraform plan` refresh every resource, but it also reads data: every S3 object, log
 * event, queue message and secret value in the account. Each role carrying it must deny those data reads
 * explicitly (an explicit Deny wins over any Allow: IAM user guide, "Policy evaluation logic"), S3 objects
 * outside the Terraform state bucket included.
 */
const readOnlyRolesDenyDataReads: PolicyRule = {
  id: "read-only-roles-deny-data-reads",
  description: `every role with ReadOnlyAccess explicitly denies the data reads ${PLAN_ROLE_DENIED_DATA_READS.join(", ")} (S3 objects outside the state bucket)`,
  check({ json }) {
    const violations: Violation[] = [];
    const stateBuckets = new Set(
      all(json, "aws_s3_bucket")
        .filter((b) => b.body.bucket === SHARED_CONFIG.state.bucket)
        .map((b) => b.address),
    );
    for (const a of all(json, "aws_iam_role_policy_attachment")) {
      if (a.body.policy_arn !== GITHUB_ROLE_MANAGED_POLICIES.plan) continue;
      const role = referenceOf(a.body.role, "aws_iam_role");
      if (!role) continue;
      const denies = all(json, "aws_iam_role_policy")
        .filter((p) => referencesIn(p.body.role).some((r) => r.address === role.address))
        .flatMap((p) => statementsOf(json, p.body.policy)?.statements ?? [])
        .filter((s) => s.effect === "Deny" && s.conditions.length === 0);
      // A person on duty reads their environment's logs and peeks at its dead letters (never the live queue).
      const forPeople = String(lookup(json, role)?.name ?? "").startsWith("people-");
      if (
        forPeople &&
        !denies.some(
          (d) =>
            d.actions.some((p) => covers(p, "sqs:ReceiveMessage")) &&
            d.notResources.length > 0 &&
            d.notResources.every((r) => r.endsWith("-dlq")),
        )
      )
        violations.push({
          resource: role.address,
          problem: "receives from queues other than dead-letter queues",
        });
      const required = forPeople ? PEOPLE_READONLY_DENIED_DATA_READS : PLAN_ROLE_DENIED_DATA_READS;
      for (const action of required) {
        const deny = denies.find((d) => d.actions.some((p) => covers(p, action)));
        const everywhere =
          deny &&
          (deny.resources.includes("*") ||
            (action.startsWith("s3:") &&
              deny.notResources.length > 0 &&
              deny.notResources.every(
                (r) => r.endsWith("/*") && referencesIn(r).some((ref) => stateBuckets.has(ref.address)),
              )));
        if (!everywhere)
          violations.push({
            resource: role.address,
            problem: `ReadOnlyAccess without an explicit Deny of ${action}${action.startsWith("s3:") ? " outside the state bucket" : ""}`,
          });
      }
    }
    return violations;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// "Safe to change": a second plan is clean, and no code change silently replaces what holds data
// (replacement-table.ts lists, per resource type, what forces a replacement and what a replacement loses).

const lifecycleOf = (body: TfJson): TfJson => block(body.lifecycle) ?? {};
const ignored = (body: TfJson): string[] => {
  const value = lifecycleOf(body).ignore_changes;
  return value === "all" ? ["all"] : list(value as string[]);
};
const ignores = (body: TfJson, attribute: string): boolean =>
  ignored(body).some((a) => a === "all" || a === attribute);

/**
 * Stacks whose data must survive any code change: the bootstrap and registry stacks (one per account, no
 * environment tag), every -prd stack, and any environment whose config asks for `preventDestroy`. dev and a
 * per-pull-request copy of it stay destroyable.
 */
function isProtectedStack(id: string, json: TfJson): boolean {
  const env = environmentOf(json);
  if (!env) return true;
  return id.endsWith("-prd") || getEnvironmentConfig(env).preventDestroy;
}

function everyResource(json: TfJson): { type: string; address: string; body: TfJson }[] {
  return Object.entries((json.resource ?? {}) as Record<string, Record<string, TfJson>>).flatMap(
    ([type, byName]) =>
      Object.entries(byName).map(([name, body]) => ({ type, address: `${type}.${name}`, body })),
  );
}

const replacementTableCoversTypes: PolicyRule = {
  id: "safe-to-change-types-documented",
  description:
    "every resource type has a row in tests/support/replacement-table.ts (what forces its replacement, what that loses)",
  check({ json }) {
    const seen = new Set<string>();
    return everyResource(json)
      .filter((r) => !REPLACEMENT_TABLE[r.type] && !seen.has(r.type) && seen.add(r.type))
      .map((r) => ({
        resource: r.address,
        problem: `${r.type} has no row in REPLACEMENT_TABLE: add its ForceNew arguments (provider schema) and what it holds`,
      }));
  },
};

const statefulGuarded: PolicyRule = {
  id: "safe-to-change-stateful-guarded",
  description:
    "in protected stacks (bootstrap, registry, prd), what holds data or trust has prevent_destroy, so no change to a replacing argument can destroy it",
  check({ id, json }) {
    if (!isProtectedStack(id, json)) return [];
    const violations: Violation[] = [];
    for (const r of everyResource(json)) {
      const row = REPLACEMENT_TABLE[r.type];
      if (!row || (row.holds !== "data" && row.holds !== "trust")) continue;
      // create_before_destroy is no guard here: the new cluster, bucket or key would start empty.
      if (lifecycleOf(r.body).prevent_destroy !== true)
        violations.push({
          resource: r.address,
          problem: `holds ${row.holds} and has no prevent_destroy: a change to ${row.forceNew.join(", ")} would replace it`,
        });
    }
    return violations;
  },
};

const inUseReplaceable: PolicyRule = {
  id: "safe-to-change-in-use-replaceable",
  description:
    "what other resources hold is never replaced for a description, and where a replacement is expected it is created first under a generated name",
  check({ json }) {
    const violations: Violation[] = [];
    for (const r of everyResource(json)) {
      const row = REPLACEMENT_TABLE[r.type];
      if (row?.holds !== "in-use") continue;
      const cbd = lifecycleOf(r.body).create_before_destroy === true;
      if (
        row.forceNew.includes("description") &&
        r.body.description !== undefined &&
        !ignores(r.body, "description") &&
        !cbd
      )
        violations.push({
          resource: r.address,
          problem:
            "a new description would replace it while in use: ignore_changes it, or create_before_destroy with name_prefix",
        });
      if (row.replacementExpected && !cbd)
        violations.push({
          resource: r.address,
          problem: "replaced in normal operation but not create_before_destroy",
        });
      if (cbd && row.uniqueName && r.body.name !== undefined)
        violations.push({
          resource: r.address,
          problem:
            "create_before_destroy with a fixed name: the new one collides with the old (use name_prefix)",
        });
    }
    return violations;
  },
};

const planCleanKnownDiffs: PolicyRule = {
  id: "plan-clean-known-diffs",
  description:
    "the provider's known perpetual diffs are handled at their source (S3 blocked_encryption_types, NAT regional_nat_gateway_address, Aurora engine_version)",
  check({ json }) {
    const violations: Violation[] = [];
    // hashicorp/terraform-provider-aws#47320: unset, S3's reported value is planned away on every run.
    for (const c of all(json, "aws_s3_bucket_server_side_encryption_configuration"))
      for (const rule of list(c.body.rule as TfJson[]))
        if (list(rule.blocked_encryption_types).length === 0)
          violations.push({
            resource: c.address,
            problem: 'rule without blocked_encryption_types (["SSE-C"], or ["NONE"] for none blocked)',
          });
    // hashicorp/terraform-provider-aws#46242: `+ regional_nat_gateway_address = (known after apply)` on zonal gateways.
    for (const n of all(json, "aws_nat_gateway"))
      if (n.body.availability_mode !== "regional" && !ignores(n.body, "regional_nat_gateway_address"))
        violations.push({
          resource: n.address,
          problem: "regional_nat_gateway_address is not in ignore_changes",
        });
    // An AWS-applied minor upgrade (auto or forced at end of support) makes a pinned version plan a downgrade.
    for (const c of all(json, "aws_rds_cluster")) {
      const upgrading = c.body.allow_major_version_upgrade === true;
      if (c.body.engine_version !== undefined && !ignores(c.body, "engine_version") && !upgrading)
        violations.push({
          resource: c.address,
          problem: "engine_version is pinned and not ignored: an AWS minor upgrade would plan a downgrade",
        });
    }
    return violations;
  },
};

const migrationsFollowCluster: PolicyRule = {
  id: "migrations-rerun-on-new-cluster",
  description:
    "a Lambda invocation that runs against the cluster is triggered by the cluster's resource id, so a new cluster gets its schema",
  check({ json }) {
    const clusters = all(json, "aws_rds_cluster");
    if (clusters.length === 0) return [];
    const violations: Violation[] = [];
    for (const inv of all(json, "aws_lambda_invocation")) {
      // Only invocations of functions that talk to a cluster (their environment references it).
      const fn = lookup(json, referenceOf(inv.body.function_name, "aws_lambda_function"));
      const usesCluster = referencesIn(block(fn?.environment)?.variables).filter(
        (r) => r.type === "aws_rds_cluster",
      );
      for (const c of new Set(usesCluster.map((r) => r.address))) {
        const triggered = referencesIn(inv.body.triggers).some(
          (r) => r.address === c && r.attr === "cluster_resource_id",
        );
        if (!triggered)
          violations.push({
            resource: inv.address,
            problem: `triggers do not include ${c}.cluster_resource_id: a replaced cluster keeps an empty schema`,
          });
      }
    }
    return violations;
  },
};

/**
 * A database function's statement timeout ends a stuck query while the function can still answer: below its own
 * timeout by STATEMENT_TIMEOUT_HEADROOM_MS. Otherwise Lambda stops the function first and API Gateway answers
 * its bare 503 (HTTP APIs: "If the integration times out, API Gateway returns 503", API Gateway developer guide,
 * "Working with AWS Lambda proxy integrations for HTTP APIs"). Lambda's timeout defaults to 3 s when unset
 * (Lambda developer guide, "Configure Lambda function timeout").
 */
const statementTimeoutBelowFunctionTimeout: PolicyRule = {
  id: "statement-timeout-below-function-timeout",
  description: "every database function has DB_STATEMENT_TIMEOUT_MS below its timeout, with headroom",
  check({ json }) {
    const violations: Violation[] = [];
    for (const fn of all(json, "aws_lambda_function")) {
      const variables = (block(fn.body.environment)?.variables ?? {}) as Record<string, unknown>;
      if (variables[ENV.dbDriver] === undefined) continue;
      const timeoutMs = Number(fn.body.timeout ?? 3) * 1000;
      const raw = variables[ENV.dbStatementTimeoutMs];
      const statementMs = Number(raw);
      if (raw === undefined || !Number.isInteger(statementMs) || statementMs <= 0) {
        violations.push({
          resource: fn.address,
          problem: `uses the database but ${ENV.dbStatementTimeoutMs} is ${JSON.stringify(raw)}, not a number of ms`,
        });
      } else if (statementMs + STATEMENT_TIMEOUT_HEADROOM_MS > timeoutMs) {
        violations.push({
          resource: fn.address,
          problem: `${ENV.dbStatementTimeoutMs} ${statementMs} ms leaves less than ${STATEMENT_TIMEOUT_HEADROOM_MS} ms of its ${timeoutMs} ms timeout`,
        });
      }
    }
    return violations;
  },
};

/** Allow statements of every identity policy attached to the role a function runs as. */
function functionRoleStatements(json: TfJson, fn: { body: TfJson }): Statement[] {
  const role = referenceOf(fn.body.role, "aws_iam_role");
  if (!role) return [];
  const attachedTo = (value: unknown) => referencesIn(value).some((r) => r.address === role.address);
  const policies = [
    ...all(json, "aws_iam_role_policy")
      .filter((p) => attachedTo(p.body.role))
      .map((p) => p.body.policy),
    ...list(lookup(json, role)?.inline_policy as TfJson[]).map((p) => p.policy),
  ];
  return policies
    .flatMap((p) => statementsOf(json, p)?.statements ?? [])
    .filter((st) => st.effect === "Allow");
}

const grants = (st: Statement, action: string) =>
  st.actions.some(
    (a) => a === "*" || a === action || (a.endsWith(":*") && action.startsWith(a.slice(0, -1))),
  );

/**
 * `arn:aws:rds-db:<region>:<account>:dbuser:<DbClusterResourceId>/<db user>` (Aurora user guide, "Creating and
 * using an IAM policy for IAM database access"): the cluster by its resource id, never a wildcard, and the user.
 */
const DB_USER_ARN =
  /^arn:aws:rds-db:[a-z0-9-]+:(\$\{[^}]+\}|\d{12}):dbuser:\$\{aws_rds_cluster\.([A-Za-z0-9_-]+)\.cluster_resource_id\}\/(.+)$/;

const databaseUsersIamScoped: PolicyRule = {
  id: "database-users-iam-scoped",
  description:
    "only the migration function (invoked by Terraform) reads or is given a cluster's master secret, whatever the driver; a function with DB_USER may rds-db:connect as exactly that user on exactly the cluster it connects to, which has IAM database authentication on; no other function may rds-db:connect",
  check({ json }) {
    const violations: Violation[] = [];
    const invoked = new Set(
      all(json, "aws_lambda_invocation").flatMap((i) =>
        referencesIn(i.body.function_name).map((r) => r.address),
      ),
    );
    const readsMasterSecret = (statements: Statement[]) =>
      statements.some(
        (st) =>
          grants(st, "secretsmanager:GetSecretValue") &&
          st.resources.some((r) => r === "*" || /\.master_user_secret\b/.test(r)),
      );
    for (const fn of all(json, "aws_lambda_function")) {
      const variables = (block(fn.body.environment)?.variables ?? {}) as Record<string, unknown>;
      const user = variables[ENV.dbUser];
      const statements = functionRoleStatements(json, fn);
      // The Data API path is no exception: it logs in with the function's own user's secret (functions.ts).
      if (readsMasterSecret(statements) && !invoked.has(fn.address))
        violations.push({
          resource: fn.address,
          problem:
            "may read the master user's secret, but only the migration function may act as the master user; log in as a least-privilege user (IAM with DB_USER, or its own user's secret on the Data API)",
        });
      if (/\.master_user_secret\b/.test(String(variables[ENV.dbSecretArn] ?? "")) && !invoked.has(fn.address))
        violations.push({
          resource: fn.address,
          problem: `${ENV.dbSecretArn} is the master user's secret`,
        });
      // Each function reads at most the one secret it logs in with: never another function's user's.
      if (!invoked.has(fn.address)) {
        const readable = statements
          .filter((st) => grants(st, "secretsmanager:GetSecretValue"))
          .flatMap((st) => st.resources);
        const other = readable.filter((r) => r !== variables[ENV.dbSecretArn]);
        if (other.length > 0)
          violations.push({
            resource: fn.address,
            problem: `may read secrets other than its own ${ENV.dbSecretArn}: ${other.join(", ")}`,
          });
      }
      const connect = statements.filter((st) => grants(st, "rds-db:connect"));
      if (typeof user !== "string") {
        if (connect.length > 0)
          violations.push({
            resource: fn.address,
            problem: `may rds-db:connect (${connect.flatMap((c) => c.resources).join(", ")}) without a ${ENV.dbUser} to log in as`,
          });
        continue;
      }
      const clusterRef = referenceOf(variables[ENV.dbHost], "aws_rds_cluster");
      const cluster = lookup(json, clusterRef);
      if (!clusterRef || !cluster) {
        violations.push({
          resource: fn.address,
          problem: `${ENV.dbHost} does not reference an Aurora cluster`,
        });
        continue;
      }
      if (cluster.iam_database_authentication_enabled !== true)
        violations.push({
          resource: clusterRef.address,
          problem: `${fn.address} logs in as ${user} with IAM, but the cluster has iam_database_authentication_enabled off`,
        });
      const resources = connect.flatMap((c) => c.resources);
      const exact = resources.filter((r) => {
        const m = DB_USER_ARN.exec(r);
        return m?.[2] === clusterRef.name && m[3] === user;
      });
      if (exact.length === 0)
        violations.push({
          resource: fn.address,
          problem: `no rds-db:connect on its cluster's dbuser ARN for ${user} (${clusterRef.address}.cluster_resource_id)`,
        });
      const other = resources.filter((r) => !exact.includes(r));
      if (other.length > 0)
        violations.push({ resource: fn.address, problem: `may also rds-db:connect as ${other.join(", ")}` });
    }
    return violations;
  },
};

/** Aurora Serverless v2 resume from auto-pause: about 15 s, about 30 s after more than a day paused. */
const AURORA_RESUME_MS = 30_000;

const databaseConnectDeadline: PolicyRule = {
  id: "database-connect-deadline-below-timeout",
  description:
    "a function's database connect deadline plus one connect attempt ends before its timeout; a migration function (invoked by Terraform) of a cluster that auto-pauses waits at least the documented 30 s resume",
  check({ json }) {
    const violations: Violation[] = [];
    const invoked = new Set(
      all(json, "aws_lambda_invocation").flatMap((i) =>
        referencesIn(i.body.function_name).map((r) => r.address),
      ),
    );
    for (const fn of all(json, "aws_lambda_function")) {
      const variables = (block(fn.body.environment)?.variables ?? {}) as Record<string, unknown>;
      const raw = variables[ENV.dbConnectDeadlineMs];
      const deadline = raw === undefined ? 0 : Number(raw);
      const timeoutMs = Number(fn.body.timeout ?? 3) * 1000;
      if (raw !== undefined && !(deadline + PG_CONNECT_TIMEOUT_MS < timeoutMs))
        violations.push({
          resource: fn.address,
          problem: `${ENV.dbConnectDeadlineMs} ${deadline} + connect timeout ${PG_CONNECT_TIMEOUT_MS} ms does not end before the function's timeout ${timeoutMs} ms`,
        });
      const cluster = lookup(json, referenceOf(variables[ENV.dbHost], "aws_rds_cluster"));
      const pauses = block(cluster?.serverlessv2_scaling_configuration)?.min_capacity === 0;
      if (invoked.has(fn.address) && pauses && deadline < AURORA_RESUME_MS)
        violations.push({
          resource: fn.address,
          problem: `runs the migrations on a cluster that auto-pauses but waits ${deadline} ms for it (< ${AURORA_RESUME_MS} ms resume)`,
        });
    }
    return violations;
  },
};

/** Every rule; the policy tests run each one over every stack. */
/**
 * A function outside a VPC has no network path to a cluster in private subnets: it can reach Aurora only through
 * the RDS Data API, over HTTPS with IAM (Aurora user guide, "Using the Amazon RDS Data API"; Lambda developer
 * guide, "Giving Lambda functions access to resources in an Amazon VPC"). So every function given a database
 * cluster either runs in the VPC or uses the Data API driver with `rds-data` allowed on that cluster.
 */
const databaseFunctionsHaveAPath: PolicyRule = {
  id: "database-functions-have-a-path",
  description:
    "every function given a database cluster runs in the VPC, or uses the Data API driver and may call rds-data on that cluster",
  check({ json }) {
    const violations: Violation[] = [];
    for (const f of all(json, "aws_lambda_function")) {
      const env = (block(f.body.environment)?.variables ?? {}) as TfJson;
      const cluster =
        referenceOf(env.DB_CLUSTER_ARN, "aws_rds_cluster") ?? referenceOf(env.DB_HOST, "aws_rds_cluster");
      if (!cluster || block(f.body.vpc_config)) continue;
      if (env.DB_DRIVER !== "data-api") {
        violations.push({
          resource: f.address,
          problem: `outside the VPC with DB_DRIVER ${env.DB_DRIVER ?? "unset"}: no path to ${cluster.address}`,
        });
        continue;
      }
      const role = referenceOf(f.body.role, "aws_iam_role");
      const allowed =
        role !== undefined &&
        roleAllows(json, role.address).some(
          (s) =>
            s.actions.some((a) => a.startsWith("rds-data:")) &&
            referencesIn(s.resources).some((r) => r.address === cluster.address),
        );
      if (!allowed)
        violations.push({
          resource: f.address,
          problem: `uses the Data API outside the VPC, but its role may not call rds-data on ${cluster.address}`,
        });
    }
    return violations;
  },
};

// --- Safe deploys: functions served through `live`, aliases shifted by CodeDeploy, previews kept apart.

/** The `live` aliases of the stack, with the function each belongs to. */
function liveAliases(json: TfJson): { address: string; body: TfJson; fn: string | undefined }[] {
  return all(json, "aws_lambda_alias")
    .filter((a) => a.body.name === LIVE_ALIAS)
    .map((a) => ({ ...a, fn: referenceOf(a.body.function_name, "aws_lambda_function")?.address }));
}

/** A plain `${aws_lambda_alias.x.<attr>}` reference to a `live` alias of the stack. */
function liveAliasRef(json: TfJson, value: unknown, attr: string): Reference | undefined {
  const r = referenceOf(value, "aws_lambda_alias");
  const alias = lookup(json, r);
  return r && alias?.name === LIVE_ALIAS && r.attr === attr && value === `\${${r.address}.${attr}}`
    ? r
    : undefined;
}

/**
 * Whatever invokes a function must invoke its `live` alias, or CodeDeploy's shift (and its rollback) would not
 * change what callers run: API Gateway's Lambda integrations (`invoke_arn` of the alias), event source mappings
 * (the alias ARN), the permissions that let a service invoke it (qualifier = the alias), and provisioned concurrency
 * (which only an alias or version can carry). Lambda developer guide, "Lambda function aliases".
 */
const servedThroughLiveAlias: PolicyRule = {
  id: "served-through-live-alias",
  description:
    "every API integration, event source mapping, service permission and provisioned concurrency targets a function's live alias, and every aliased function publishes versions",
  check({ json }) {
    const violations: Violation[] = [];
    for (const i of all(json, "aws_apigatewayv2_integration"))
      if (
        i.body.integration_type === "AWS_PROXY" &&
        !liveAliasRef(json, i.body.integration_uri, "invoke_arn")
      )
        violations.push({
          resource: i.address,
          problem: `integration_uri ${JSON.stringify(i.body.integration_uri)} is not the invoke_arn of a live alias`,
        });
    for (const m of all(json, "aws_lambda_event_source_mapping"))
      if (!liveAliasRef(json, m.body.function_name, "arn"))
        violations.push({
          resource: m.address,
          problem: `function_name ${JSON.stringify(m.body.function_name)} is not the ARN of a live alias`,
        });
    for (const p of all(json, "aws_lambda_permission")) {
      const alias = liveAliasRef(json, p.body.qualifier, "name");
      const fn = functionBehind(json, p.body.function_name)?.address;
      if (!alias || referenceOf(lookup(json, alias)?.function_name, "aws_lambda_function")?.address !== fn)
        violations.push({
          resource: p.address,
          problem: `qualifier ${JSON.stringify(p.body.qualifier)} is not the live alias of the permission's function`,
        });
    }
    for (const c of all(json, "aws_lambda_provisioned_concurrency_config"))
      if (!liveAliasRef(json, c.body.qualifier, "name"))
        violations.push({
          resource: c.address,
          problem: `qualifier ${JSON.stringify(c.body.qualifier)} is not a live alias`,
        });
    for (const a of liveAliases(json)) {
      const fn = lookup(json, referenceOf(a.body.function_name, "aws_lambda_function"));
      if (fn?.publish !== true)
        violations.push({
          resource: a.address,
          problem: "its function does not publish a version per change",
        });
    }
    return violations;
  },
};

/**
 * Terraform publishes the version and leaves the alias to CodeDeploy: without `ignore_changes` on the alias's
 * version and weights, the next apply moves the alias itself (undoing a rollback, or cutting a canary short).
 * Every `live` alias therefore has a CodeDeploy deployment group (Lambda compute platform) named after its
 * function by reference, with traffic control (CodeDeploy API reference, DeploymentStyle: Lambda deployments are
 * BLUE_GREEN WITH_TRAFFIC_CONTROL).
 */
const aliasesLeftToCodeDeploy: PolicyRule = {
  id: "aliases-shifted-by-codedeploy",
  description:
    "every live alias ignores function_version and routing_config in Terraform and has a CodeDeploy (Lambda) deployment group for its function",
  check({ json }) {
    const violations: Violation[] = [];
    const groups = all(json, "aws_codedeploy_deployment_group");
    for (const a of liveAliases(json)) {
      for (const attribute of ["function_version", "routing_config"])
        if (!ignores(a.body, attribute))
          violations.push({
            resource: a.address,
            problem: `${attribute} is not in ignore_changes: the next apply would move the alias behind CodeDeploy's back`,
          });
      const group = groups.find(
        (g) => referenceOf(g.body.deployment_group_name, "aws_lambda_function")?.address === a.fn,
      );
      if (!group) {
        violations.push({ resource: a.address, problem: `no deployment group for ${a.fn}` });
        continue;
      }
      const app = lookup(json, referenceOf(group.body.app_name, "aws_codedeploy_app"));
      const style = block(group.body.deployment_style);
      if (app?.compute_platform !== "Lambda")
        violations.push({
          resource: group.address,
          problem: "its application is not on the Lambda compute platform",
        });
      if (style?.deployment_option !== "WITH_TRAFFIC_CONTROL" || style?.deployment_type !== "BLUE_GREEN")
        violations.push({
          resource: group.address,
          problem: "deployment_style is not BLUE_GREEN WITH_TRAFFIC_CONTROL",
        });
    }
    return violations;
  },
};

/** Dimension blocks of an alarm: its own and those of each metric in a metric-math query. */
function alarmDimensions(body: TfJson): TfJson[] {
  return [
    ...(body.dimensions ? [body.dimensions as TfJson] : []),
    ...list(body.metric_query as TfJson[]).flatMap((q) => {
      const metric = block(q.metric);
      return metric?.dimensions ? [metric.dimensions as TfJson] : [];
    }),
  ];
}

/** The functions (addresses) whose traffic an alarm watches, followed through the stack's references. */
function watchedFunctions(json: TfJson, alarm: TfJson): Set<string> {
  const watched = new Set<string>();
  const routes = all(json, "aws_apigatewayv2_route");
  const mappings = all(json, "aws_lambda_event_source_mapping");
  const consumerOf = (queue: string) =>
    mappings
      .filter((m) => referenceOf(m.body.event_source_arn, "aws_sqs_queue")?.address === queue)
      .map((m) => functionBehind(json, m.body.function_name)?.address);
  for (const d of alarmDimensions(alarm)) {
    const fn = referenceOf(d.FunctionName, "aws_lambda_function");
    if (fn) watched.add(fn.address);
    if (d.Method && d.Resource) {
      const route = routes.find((r) => r.body.route_key === `${d.Method} ${d.Resource}`);
      const integration = lookup(json, referenceOf(route?.body.target, "aws_apigatewayv2_integration"));
      const target = functionBehind(json, integration?.integration_uri);
      if (target) watched.add(target.address);
    }
    // By reference, or by the literal name (SQS metrics are dimensioned by queue name).
    const queue =
      referenceOf(d.QueueName, "aws_sqs_queue") ??
      all(json, "aws_sqs_queue").find((q) => d.QueueName !== undefined && q.body.name === d.QueueName);
    if (queue) {
      for (const f of consumerOf(queue.address)) if (f) watched.add(f);
      // A dead-letter queue: the functions consuming the queue that redrives into it.
      for (const source of all(json, "aws_sqs_queue"))
        if (referencesIn(source.body.redrive_policy).some((r) => r.address === queue.address))
          for (const f of consumerOf(source.address)) if (f) watched.add(f);
    }
  }
  return watched;
}

/** The registry key of a deployed function (`sml-prd-api` -> `api`), read from its name. */
function rolledOutKey(functionName: string): RolledOutFunctionName | undefined {
  return ROLLED_OUT_FUNCTION_NAMES.find((name) => functionName.endsWith(`-${FUNCTIONS[name].name}`));
}

/** The slo.ts rule an alarm was built from, by its name (`<prefix>-<rule key>[-<function>]`). */
function ruleOfAlarm(prefix: string, alarmName: string) {
  return ALARM_RULES.find(
    (r) => alarmName === `${prefix}-${r.key}` || alarmName.startsWith(`${prefix}-${r.key}-`),
  );
}

/**
 * A deployment group rolls back on failure and when an alarm fires (CodeDeploy API reference,
 * AutoRollbackConfiguration events DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM), and watches exactly the
 * alarms that guard its function: of the alarms that watch the function's traffic (its own metrics, its routes,
 * the queue it drains), those whose rule `guardsRollout` (infra/src/config/slo.ts) names, at most 10 (CodeDeploy
 * user guide, "CodeDeploy quotas": alarms per deployment group).
 */
const deploymentGroupsRollBack: PolicyRule = {
  id: "deployment-groups-roll-back-on-guarding-alarms",
  description:
    "every CodeDeploy deployment group rolls back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM, with exactly its function's guarding alarms (slo.ts), at most 10",
  check({ json }) {
    const violations: Violation[] = [];
    const alarms = all(json, "aws_cloudwatch_metric_alarm");
    for (const g of all(json, "aws_codedeploy_deployment_group")) {
      const rollback = block(g.body.auto_rollback_configuration);
      const events = list(rollback?.events as string[]);
      for (const event of ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
        if (rollback?.enabled !== true || !events.includes(event))
          violations.push({ resource: g.address, problem: `no automatic rollback on ${event}` });
      const fnRef = referenceOf(g.body.deployment_group_name, "aws_lambda_function");
      const fn = lookup(json, fnRef);
      const key = fn && rolledOutKey(String(fn.function_name));
      if (!fnRef || !fn || !key) {
        violations.push({
          resource: g.address,
          problem: "deployment_group_name does not reference a rolled-out function",
        });
        continue;
      }
      const prefix = String(fn.function_name).slice(0, -`-${key}`.length);
      const expected = alarms
        .filter((a) => watchedFunctions(json, a.body).has(fnRef.address))
        .filter((a) => {
          const rule = ruleOfAlarm(prefix, String(a.body.alarm_name));
          return rule !== undefined && guardsRollout(rule, key);
        })
        .map((a) => a.address)
        .sort();
      const config = block(g.body.alarm_configuration);
      const actual = list(config?.alarms as string[])
        .map((v) => referenceOf(v, "aws_cloudwatch_metric_alarm")?.address ?? `literal ${v}`)
        .sort();
      if (expected.length > 0 && config?.enabled !== true)
        violations.push({ resource: g.address, problem: "alarm_configuration is not enabled" });
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        violations.push({
          resource: g.address,
          problem: `alarms ${actual.join(", ") || "(none)"} are not the guarding alarms ${expected.join(", ") || "(none)"}`,
        });
      if (actual.length > 10)
        violations.push({
          resource: g.address,
          problem: `${actual.length} alarms; CodeDeploy takes at most 10`,
        });
    }
    return violations;
  },
};

/** `sml-dev` / `sml-prd` as a name segment (`sml-dev-api`, `/aws/lambda/sml-prd-x`), not `sml-development`. */
const nameSegment = (prefix: string) => new RegExp(`(^|[^A-Za-z0-9])${prefix}($|[^A-Za-z0-9])`);

/**
 * A preview stack (`sml-pr-<number>`, environment `preview`) is a copy of dev's lean profile that any pull request
 * can deploy, so nothing in it may reach dev or prd: its state key is its own (never a dev or prd key) and no value
 * in it names a dev or prd resource. Its roles carry the preview boundary, which allows only `sml-pr-*` resources
 * (rule iam-roles-carry-environment-boundary), and the preview deploy role is denied dev's and prd's names, tags
 * and state keys (environment-access.test.ts).
 */
const previewsIsolated: PolicyRule = {
  id: "previews-cannot-touch-dev-or-prd",
  description:
    "a preview stack (sml-pr-<number>) has its own state key, runs images of the previews' repository and names no dev or prd resource",
  check({ id, json }) {
    if (environmentOf(json) !== "preview") return [];
    const violations: Violation[] = [];
    const base = ENVIRONMENTS.preview.namePrefix;
    if (!new RegExp(`^${base}-[1-9][0-9]*$`).test(id))
      violations.push({ resource: id, problem: `a preview stack id must be ${base}-<pull request number>` });
    const key = String(json.terraform?.backend?.s3?.key ?? "");
    if (key !== stateKey(SHARED_CONFIG.state, id))
      violations.push({
        resource: `${id} (terraform.backend.s3)`,
        problem: `state key ${key} is not the stack's own`,
      });
    // Its image comes from the previews' repository: the preview role may not touch the one dev and prd run from.
    for (const r of all(json, "data.aws_ecr_repository"))
      if (r.body.name !== SHARED_CONFIG.previewRepositoryName)
        violations.push({
          resource: r.address,
          problem: `runs an image of ${r.body.name}, not of the previews' repository ${SHARED_CONFIG.previewRepositoryName}`,
        });
    const others = (["dev", "prd"] as const).map((e) => ENVIRONMENTS[e].namePrefix);
    for (const other of others) {
      if (key.startsWith(`${SHARED_CONFIG.state.keyPrefix}/${other}/`))
        violations.push({
          resource: `${id} (terraform.backend.s3)`,
          problem: `state key ${key} is ${other}'s`,
        });
      for (const r of everyResource(json)) {
        const { "//": _meta, ...body } = r.body;
        if (nameSegment(other).test(JSON.stringify(body)))
          violations.push({ resource: r.address, problem: `names a resource of ${other}` });
      }
    }
    return violations;
  },
};

/**
 * A destroy must finish. S3 `DeleteBucket` fails with `BucketNotEmpty` while any object (or version) is left
 * (S3 API reference, DeleteBucket: "All objects (including all object versions and delete markers) in the bucket
 * must be deleted before the bucket itself can be deleted"), and Terraform destroys a bucket's lifecycle
 * configuration before the bucket, so nothing expires the objects once the destroy has started. In a destroyable
 * stack (dev, a preview) every bucket sets `force_destroy` (the provider empties it first); in a protected stack
 * (bootstrap's state bucket, prd) no bucket may be emptied by a destroy: `prevent_destroy` and no `force_destroy`.
 */
const bucketsDestroyCleanly: PolicyRule = {
  id: "buckets-destroy-cleanly",
  description:
    "every bucket of a destroyable stack (dev, previews) has force_destroy; every bucket of a protected stack (bootstrap, registry, prd) has prevent_destroy and no force_destroy",
  check({ id, json }) {
    const protectedStack = isProtectedStack(id, json);
    const violations: Violation[] = [];
    for (const b of all(json, "aws_s3_bucket")) {
      const force = b.body.force_destroy === true;
      const guarded = lifecycleOf(b.body).prevent_destroy === true;
      if (!protectedStack && !force)
        violations.push({
          resource: b.address,
          problem:
            "no force_destroy in a destroyable stack: the destroy stops at BucketNotEmpty once the lifecycle rule is gone",
        });
      if (protectedStack && (force || !guarded))
        violations.push({
          resource: b.address,
          problem: `in a protected stack it needs prevent_destroy and no force_destroy (force_destroy ${force}, prevent_destroy ${guarded})`,
        });
    }
    return violations;
  },
};

/** Days the preview sweep lets a preview live without a deploy (preview.yml `PREVIEW_MAX_AGE_DAYS`). */
function previewSweepDays(): number {
  const workflow = readFileSync(join(REPO_ROOT, ".github", "workflows", "preview.yml"), "utf8");
  const days = /PREVIEW_MAX_AGE_DAYS:\s*"?(\d+)"?/.exec(workflow)?.[1];
  if (!days) throw new Error("preview.yml sets no PREVIEW_MAX_AGE_DAYS");
  return Number(days);
}

/**
 * No lifecycle rule may expire an image a deployed stack runs. An `imageCountMoreThan` rule with `tagStatus: any`
 * counts every image in the repository and ignores what a function runs (ECR user guide, "Lifecycle policy
 * parameters"), and Lambda then marks the function `ImageDeleted` (Lambda developer guide, "Create a Lambda
 * function using a container image"). So: no `any` rule; each long-lived environment's tag prefix
 * (SharedConfig.images) has a count rule keeping at least 2 (the running image and the one before it); prd's rule
 * has the lowest priority number of all tagged rules, because ECR never lets a lower-priority rule expire an image
 * a higher-priority rule's tags match (ECR user guide, "Lifecycle policy evaluation rules") and a promoted image
 * also carries its dev tag; previews expire by age, later than the sweep destroys an idle preview.
 */
const ecrLifecycleSparesDeployed: PolicyRule = {
  id: "ecr-lifecycle-spares-deployed-images",
  description:
    "no ECR lifecycle rule of the main repository counts every image (tagStatus any), the preview repository's last rule expires any tag by age; dev and prd images expire only by their own tag prefix, prd's rule first, previews by age beyond the sweep",
  check({ json }) {
    const violations: Violation[] = [];
    const { tagPrefixes } = SHARED_CONFIG.images;
    for (const p of all(json, "aws_ecr_lifecycle_policy")) {
      let rules: TfJson[];
      try {
        rules = JSON.parse(String(p.body.policy)).rules;
      } catch {
        violations.push({ resource: p.address, problem: "policy is not literal JSON the rule can read" });
        continue;
      }
      const bad = (problem: string) => violations.push({ resource: p.address, problem });
      const prefixesOf = (r: TfJson): string[] => list(r.selection?.tagPrefixList as string[]);
      const byPrefix = (prefix: string) =>
        rules.filter((r) => r.selection?.tagStatus === "tagged" && prefixesOf(r).includes(prefix));
      // The previews' own repository holds only pull request images: it must not name dev's or prd's prefixes.
      const isPreviewRepository = String(p.body.repository).includes("aws_ecr_repository.preview.");
      const last = Math.max(...rules.map((r) => Number(r.rulePriority)));
      for (const r of rules) {
        if (r.selection?.tagStatus === "any" && !isPreviewRepository)
          bad(
            `rule ${r.rulePriority} selects tagStatus any: it counts every push against the image prd runs`,
          );
        // ECR user guide, "Lifecycle policy properties": a tagStatus any rule must have the highest rulePriority.
        if (r.selection?.tagStatus === "any" && Number(r.rulePriority) !== last)
          bad(`rule ${r.rulePriority} selects tagStatus any but is not the last rule`);
        if (r.selection?.tagStatus === "tagged" && list(r.selection?.tagPatternList).length > 0)
          bad(`rule ${r.rulePriority} selects by tagPatternList; select by the environments' tag prefixes`);
        for (const prefix of prefixesOf(r))
          if (!Object.values(tagPrefixes).includes(prefix))
            bad(`rule ${r.rulePriority} expires tag prefix ${prefix}, which no environment deploys`);
      }
      if (isPreviewRepository) {
        for (const env of ["dev", "prd"] as const)
          if (byPrefix(tagPrefixes[env]).length > 0)
            bad(`the preview repository's policy names ${env}'s tag prefix ${tagPrefixes[env]}`);
        // The preview role pushes any tag (ECR has no tag condition key): each image must expire by age.
        const anyTag = rules.find((r) => r.selection?.tagStatus === "any");
        if (
          anyTag?.selection?.countType !== "sinceImagePushed" ||
          anyTag?.selection?.countUnit !== "days" ||
          Number(anyTag?.selection?.countNumber) <= previewSweepDays()
        )
          bad(
            `no last tagStatus any rule expiring every preview image by age after the sweep's ${previewSweepDays()} days: an image not tagged ${tagPrefixes.preview} never expires`,
          );
      }
      for (const env of isPreviewRepository ? [] : (["dev", "prd"] as const)) {
        const own = byPrefix(tagPrefixes[env]);
        if (own.length !== 1 || own[0]?.selection?.countType !== "imageCountMoreThan")
          bad(`no single imageCountMoreThan rule for ${env}'s tag prefix ${tagPrefixes[env]}`);
        else if (Number(own[0]?.selection?.countNumber) < 2)
          bad(`${env}'s rule keeps fewer than 2 images: no rollback image is left`);
      }
      const prd = byPrefix(tagPrefixes.prd)[0];
      for (const r of rules)
        if (prd && r !== prd && r.selection?.tagStatus === "tagged" && r.rulePriority <= prd.rulePriority)
          bad(
            `rule ${r.rulePriority} comes before prd's rule ${prd.rulePriority}: it can expire a promoted image by its other tag`,
          );
      const preview = byPrefix(tagPrefixes.preview);
      for (const r of preview)
        if (
          r.selection?.countType !== "sinceImagePushed" ||
          r.selection?.countUnit !== "days" ||
          Number(r.selection?.countNumber) <= previewSweepDays()
        )
          bad(
            `preview images must expire by age, after the sweep's ${previewSweepDays()} days (rule ${r.rulePriority})`,
          );
    }
    return violations;
  },
};

/** Namespaces an alarm reads: its own metric's and each metric of a metric-math query. */
function alarmNamespaces(body: TfJson): string[] {
  return [
    ...(body.namespace ? [String(body.namespace)] : []),
    ...list(body.metric_query as TfJson[]).flatMap((q) => {
      const metric = block(q.metric);
      return metric?.namespace ? [String(metric.namespace)] : [];
    }),
  ];
}

/**
 * CodeDeploy stops a deployment (and rolls it back) while any alarm of its group is in ALARM, including one that
 * was already firing when it started (CodeDeploy user guide, "Monitoring deployments with CloudWatch alarms in
 * CodeDeploy"). An alarm on the function's name alone counts the old version too, and a queue alarm (a message in
 * the DLQ, an old message) stays in ALARM until someone redrives: either blocks the deploy of the very fix. So a
 * group's alarms read only the new version's own metrics: every metric dimensioned by the group's function and
 * by the version Terraform published, as `ExecutedVersion` (invocations through the alias) or in `Resource`
 * (`<function>:<version>`) (Lambda developer guide, "Types of metrics for Lambda functions": dimensions
 * FunctionName, Resource, ExecutedVersion), and none from AWS/SQS.
 */
const rolloutAlarmsWatchNewVersion: PolicyRule = {
  id: "rollout-alarms-watch-the-new-version",
  description:
    "every alarm a CodeDeploy group lists reads only its function's newly published version (ExecutedVersion or Resource <fn>:<version>), never a whole function or a queue",
  check({ json }) {
    const violations: Violation[] = [];
    for (const g of all(json, "aws_codedeploy_deployment_group")) {
      const fnRef = referenceOf(g.body.deployment_group_name, "aws_lambda_function");
      const version = fnRef && `\${${fnRef.address}.version}`;
      const fnName = fnRef && `\${${fnRef.address}.function_name}`;
      for (const value of list(block(g.body.alarm_configuration)?.alarms as string[])) {
        const alarmRef = referenceOf(value, "aws_cloudwatch_metric_alarm");
        const alarm = lookup(json, alarmRef);
        const name = alarmRef?.address ?? `literal ${value}`;
        if (!alarm || !fnRef) {
          violations.push({ resource: g.address, problem: `alarm ${name} is not an alarm of this stack` });
          continue;
        }
        if (alarmNamespaces(alarm).includes("AWS/SQS"))
          violations.push({
            resource: g.address,
            problem: `${name} watches a queue: one message there would stop every rollout (let it page only)`,
          });
        const dimensions = alarmDimensions(alarm);
        const ofNewVersion = (d: TfJson) =>
          d.FunctionName === fnName &&
          (d.ExecutedVersion === version || d.Resource === `${fnName}:${version}`);
        if (dimensions.length === 0 || !dimensions.every(ofNewVersion))
          violations.push({
            resource: g.address,
            problem: `${name} is not dimensioned on ${fnRef.address}'s new version (FunctionName + ExecutedVersion or Resource <fn>:<version>): it also counts the version being replaced`,
          });
      }
    }
    return violations;
  },
};

/** Minutes of the bake of a CodeDeploy canary/linear Lambda configuration (0: all at once). */
function canaryWindowSeconds(config: string): number {
  const m = /(?:Canary|Linear)10Percent(?:Every)?(\d+)Minutes?$/.exec(config);
  return m ? Number(m[1]) * 60 : 0;
}

/** Seconds between runs of a `rate(N minutes|hours)` schedule. */
function ratePeriodSeconds(expression: unknown): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(String(expression));
  if (!m) return undefined;
  const unit = m[2]?.startsWith("minute") ? 60 : m[2]?.startsWith("hour") ? 3600 : 86400;
  return Number(m[1]) * unit;
}

/**
 * A guard that cannot fire guards nothing. For each deployment group, each guarding alarm's threshold must be
 * reachable by the function's maximum invocations in one alarm period. A schedule-driven function (an EventBridge
 * rate() rule targeting it, and no other trigger) runs at most once per schedule period, plus the target's retry
 * attempts (EventBridge user guide, "Event retry policy"); so over a period P it runs at most
 * ceil(P / schedule) x (1 + retries) times. A canary must also last at least one schedule period, or the new
 * version may never run before CodeDeploy shifts the rest (CodeDeploy user guide, "Deployment configurations on
 * an AWS Lambda compute platform").
 */
const rolloutGuardsReachable: PolicyRule = {
  id: "rollout-guards-reachable",
  description:
    "each guarding alarm's threshold is reachable by its function's maximum invocations per alarm period (schedule-driven functions: one run per schedule period), and a canary lasts at least one schedule period",
  check({ json }) {
    const violations: Violation[] = [];
    const targets = all(json, "aws_cloudwatch_event_target");
    for (const g of all(json, "aws_codedeploy_deployment_group")) {
      const fnRef = referenceOf(g.body.deployment_group_name, "aws_lambda_function");
      if (!fnRef) continue;
      const scheduled = targets.filter((t) => functionBehind(json, t.body.arn)?.address === fnRef.address);
      if (scheduled.length === 0) continue;
      let runsPerSecond = 0;
      let longestPeriod = 0;
      for (const t of scheduled) {
        const rule = lookup(json, referenceOf(t.body.rule, "aws_cloudwatch_event_rule"));
        const period = ratePeriodSeconds(rule?.schedule_expression);
        if (!period) {
          violations.push({
            resource: t.address,
            problem: "its rule is not a rate() schedule this rule can bound",
          });
          continue;
        }
        const retries = Number(block(t.body.retry_policy)?.maximum_retry_attempts ?? 185);
        runsPerSecond += (1 + retries) / period;
        longestPeriod = Math.max(longestPeriod, period);
      }
      const window = canaryWindowSeconds(String(g.body.deployment_config_name));
      if (window > 0 && window < longestPeriod)
        violations.push({
          resource: g.address,
          problem: `its canary lasts ${window} s, shorter than the ${longestPeriod} s between runs: the new version may never run under guard`,
        });
      for (const value of list(block(g.body.alarm_configuration)?.alarms as string[])) {
        const alarm = lookup(json, referenceOf(value, "aws_cloudwatch_metric_alarm"));
        if (!alarm) continue;
        const period = Number(alarm.period ?? 0);
        const maxRuns = Math.ceil(period * runsPerSecond - 1e-9);
        if (Number(alarm.threshold) > maxRuns)
          violations.push({
            resource: g.address,
            problem: `${String(alarm.alarm_name)} needs ${alarm.threshold} in ${period} s but ${fnRef.address} runs at most ${maxRuns} times then: it can never fire`,
          });
      }
    }
    return violations;
  },
};

/** Resource types that build or change a network: a stack sharing another's VPC creates none of them. */
const NETWORK_TYPES = [
  "aws_vpc",
  "aws_subnet",
  "aws_internet_gateway",
  "aws_nat_gateway",
  "aws_eip",
  "aws_route_table",
  "aws_route",
  "aws_route_table_association",
  "aws_vpc_endpoint",
  "aws_flow_log",
  "aws_security_group",
  "aws_default_security_group",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
];

/**
 * Previews build no network. A region holds 5 VPCs and 5 internet gateways by default, the default VPC included
 * (Amazon VPC user guide, "Amazon VPC quotas"), so with dev and prd in the account a VPC per preview fails the third
 * preview's apply half-way. A preview uses dev's VPC, found by data sources on dev's tags, and creates nothing in
 * it: the preview deploy role is denied every resource tagged `Environment=dev` (environment-access.ts), which
 * includes creating a security group in dev's VPC (EC2 authorizes CreateSecurityGroup on the VPC too). Its
 * database subnet group takes dev's private subnets from a lookup.
 */
const previewsShareDevNetwork: PolicyRule = {
  id: "previews-share-dev-network",
  description:
    "a preview stack creates no VPC, subnet, gateway, address, route, endpoint or security group: it finds dev's VPC and private subnets by their tags",
  check({ id, json }) {
    if (environmentOf(json) !== "preview") return [];
    const violations: Violation[] = [];
    for (const type of NETWORK_TYPES)
      for (const r of all(json, type))
        violations.push({
          resource: r.address,
          problem: `a preview creates no ${type}: it uses dev's network (VPC quota 5 per region)`,
        });
    const devPrefix = ENVIRONMENTS.dev.namePrefix;
    for (const [name, body] of resourcesOf(json, "data.aws_vpc"))
      if (body.tags?.Name !== `${devPrefix}-vpc` || body.tags?.[ENVIRONMENT_TAG_KEY] !== "dev")
        violations.push({
          resource: `data.aws_vpc.${name}`,
          problem: `looks up a VPC other than dev's (Name ${devPrefix}-vpc, ${ENVIRONMENT_TAG_KEY} dev)`,
        });
    if (resourcesOf(json, "data.aws_vpc").length !== 1)
      violations.push({ resource: id, problem: "does not look up dev's VPC (one data.aws_vpc)" });
    return violations;
  },
};

export const POLICY_RULES: readonly PolicyRule[] = [
  iamNoWildcards,
  managedPoliciesAllowListed,
  rolesCarryBoundary,
  dataStoresEncrypted,
  databasesNotPublic,
  noOpenIngress,
  postgresOnlyFromFunctions,
  functionsReachDatabase,
  sqsSourceQueuesHaveDlq,
  esmReportsFailures,
  esmVisibilityTimeout,
  databaseConnectionsBounded,
  functionsLogRetention,
  functionsActiveTracing,
  vpcFunctionsPrivateSubnets,
  queuePolicyScopedToTopic,
  apiStageThrottlesAndLogs,
  ecrScanImmutable,
  prdDatabaseProtection,
  prdUserPoolProtection,
  userPoolsInviteOnly,
  uploadsExpireWithinADay,
  noLiteralSecrets,
  lambdaPermissionsScoped,
  stateBackend,
  bucketsPrivate,
  noDependencyCycles,
  databaseUsersIamScoped,
  databaseConnectDeadline,
  statementTimeoutBelowFunctionTimeout,
  replacementTableCoversTypes,
  statefulGuarded,
  inUseReplaceable,
  planCleanKnownDiffs,
  migrationsFollowCluster,
  lambdaPermissionsReferenceFunction,
  databaseCodeAfterMigrations,
  vpcEndpointsHaveCallers,
  dataApiOnlyWhereUsed,
  readOnlyRolesDenyDataReads,
  databaseFunctionsHaveAPath,
  servedThroughLiveAlias,
  aliasesLeftToCodeDeploy,
  deploymentGroupsRollBack,
  previewsIsolated,
  bucketsDestroyCleanly,
  ecrLifecycleSparesDeployed,
  rolloutAlarmsWatchNewVersion,
  rolloutGuardsReachable,
  previewsShareDevNetwork,
  ...SITE_POLICY_RULES,
];

export const ruleById = (id: string): PolicyRule => {
  const rule = POLICY_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no policy rule ${id}`);
  return rule;
};
