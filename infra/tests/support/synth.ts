import {
  type App,
  type TerraformDataSource,
  type TerraformResource,
  type TerraformStack,
  Testing,
} from "cdktf";
import { type EnvironmentConfig, SHARED_CONFIG, validateConfig } from "../../src/config";
import { readMigrationSet } from "../../src/constructs/migrations";
import { type DefineStacksOptions, defineStacks, type Stacks } from "../../src/stacks";
import { EnvironmentStack } from "../../src/stacks/environment-stack";
import { REPO_ROOT, testBundleRoot } from "./paths";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is walked dynamically.
export type TfJson = Record<string, any>;

export interface SynthesizedStack {
  readonly id: string;
  readonly stack: TerraformStack;
  /** Terraform JSON as `cdktf synth` writes it to cdk.tf.json. */
  readonly text: string;
  readonly json: TfJson;
}

export function synthStack(stack: TerraformStack): SynthesizedStack {
  const text = Testing.synth(stack);
  return { id: stack.node.id, stack, text, json: JSON.parse(text) };
}

/** Every stack of the real app (bootstrap, registry, dev, prd, and a preview if asked), built from the test bundles. */
export function synthAllStacks(options: DefineStacksOptions = {}): {
  stacks: Stacks;
  synthesized: SynthesizedStack[];
} {
  const stacks = defineTestStacks(options);
  const all: TerraformStack[] = [
    stacks.bootstrap,
    stacks.registry,
    ...Object.values(stacks.environments),
    ...(stacks.preview ? [stacks.preview] : []),
  ];
  return { stacks, synthesized: all.map(synthStack) };
}

/** A pull request number for the preview stack the tests synthesize (`sml-pr-4242`). */
export const TEST_PULL_REQUEST = 4242;

/** The real app's stacks, not yet synthesized (tests may alter them first). */
export function defineTestStacks(options: DefineStacksOptions = {}): Stacks {
  // The test site (support/test-site.ts) is filled in: the stacks are built as a deploy builds them.
  return defineStacks(Testing.app(), { bundleRoot: testBundleRoot(), ...options });
}

/** One environment stack from a (possibly modified) config, e.g. to exercise a switch. */
export function synthEnvironment(config: EnvironmentConfig): SynthesizedStack & { env: EnvironmentStack } {
  const app: App = Testing.app();
  const env = new EnvironmentStack(app, `sml-${config.name}`, {
    config: validateConfig(config),
    shared: SHARED_CONFIG,
    bundleRoot: testBundleRoot(),
    migrations: readMigrationSet(REPO_ROOT),
  });
  return { ...synthStack(env), env };
}

/** `type.name` pairs of one resource type (`data.` types for data sources: pass `data.aws_x`). */
export function resourcesOf(json: TfJson, type: string): [string, TfJson][] {
  const [group, name] = type.startsWith("data.") ? ["data", type.slice(5)] : ["resource", type];
  return Object.entries((json[group]?.[name] ?? {}) as Record<string, TfJson>);
}

/** The only resource of a type; throws when there is not exactly one. */
export function single(json: TfJson, type: string): TfJson {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return (all[0] as [string, TfJson])[1];
}

/** Terraform address of a construct in its stack, as the policy rules report it. */
export function addressOf(element: TerraformResource | TerraformDataSource): string {
  const prefix = "dataSource" in element || element.constructor.name.startsWith("DataAws") ? "data." : "";
  return `${prefix}${element.terraformResourceType}.${element.friendlyUniqueId}`;
}

/** `${aws_x.name.attr}` for a resource, as it appears in synthesized references. */
export const ref = (type: string, name: string, attr: string): string => `\${${type}.${name}.${attr}}`;

/** The synthesized body of one resource or data source of a stack. */
export function bodyOf(json: TfJson, element: TerraformResource | TerraformDataSource): TfJson {
  const address = addressOf(element);
  const [group, type, name] = address.startsWith("data.")
    ? ["data", ...address.slice(5).split(".")]
    : ["resource", ...address.split(".")];
  const body = json[group]?.[type as string]?.[name as string];
  if (!body) throw new Error(`${address} is not in the synthesized stack`);
  return body;
}

/** Statements of the aws_iam_policy_document a policy attribute references. */
export function statementsOf(json: TfJson, policy: string): TfJson[] {
  const match = /\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}/.exec(policy);
  if (!match) throw new Error(`not a policy document reference: ${policy}`);
  return json.data.aws_iam_policy_document[match[1] as string].statement;
}
