import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { SharedConfig, StateBackendConfig } from "../config";

export interface BaseStackProps {
  readonly region: string;
  /** The only AWS accounts the provider may act in (site config): other credentials stop the plan at once. */
  readonly allowedAccountIds: readonly string[];
  readonly state: StateBackendConfig;
  /** Tags on every resource (provider default_tags). */
  readonly tags: Record<string, string>;
  /** Keeps state in this local file instead of S3 (only the bootstrap stack's very first apply needs it). */
  readonly localStatePath?: string;
}

/** Stack ids: `sml-bootstrap`, `sml-registry`, `sml-<env>`; apply them in this order (infra/README.md). */
export const stackId = (shared: SharedConfig, name: string): string => `${shared.project}-${name}`;

/** The account(s) of the site's environments: the bootstrap and registry stacks live in that one account. */
export const siteAccounts = (shared: SharedConfig): string[] => [...new Set(Object.values(shared.accounts))];

/** Where a stack keeps its state in the bucket. */
export const stateKey = (state: StateBackendConfig, stackId: string): string =>
  `${state.keyPrefix}/${stackId}/terraform.tfstate`;

/**
 * A stack with the AWS provider and an S3 backend: encrypted state, one key per stack, and S3-native locking
 * (`use_lockfile`, added by override because cdktf 0.21's S3Backend lacks the field).
 */
export class BaseStack extends TerraformStack {
  readonly provider: AwsProvider;
  readonly backend: S3Backend | LocalBackend;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id);
    this.provider = new AwsProvider(this, "aws", {
      region: props.region,
      allowedAccountIds: [...props.allowedAccountIds],
      defaultTags: [{ tags: { ...props.tags, ManagedBy: "cdktf", Stack: id } }],
    });
    if (props.localStatePath) {
      this.backend = new LocalBackend(this, { path: props.localStatePath });
    } else {
      this.backend = new S3Backend(this, {
        bucket: props.state.bucket,
        key: stateKey(props.state, id),
        region: props.state.region,
        encrypt: true,
      });
      this.backend.addOverride("use_lockfile", true);
    }
  }
}
