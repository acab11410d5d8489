/**
 * The site: everything that differs between this repository and a fork deploying to its own AWS account. A fork
 * edits this one file (docs/deploy.md, "Fork it", step 2); the environments, the stacks, the workflows (through
 * `npx tsx infra/src/site-facts.ts`, which prints it as JSON or, with `--github-env`, as the stack names) and the
 * scripts read it from here. The tests do not: they run on a fixed test site (infra/tests/support/test-site.ts).
 *
 * The values below are placeholders (AWS's documentation account ids, `your-org`): `npm run synth`, `cost` and
 * `bench` report them as one warning, and `validateSite` refuses each one for a plan, an apply, the bootstrap and
 * the deploy workflows (`SML_SITE_CHECK=deploy`), naming the setting, so nothing reaches an AWS account until they
 * are replaced.
 */
import type { SiteEnvironmentName } from "./types";

/** A preferred window of RDS: daily `hh24:mi-hh24:mi` (backups) or weekly `ddd:hh24:mi-ddd:hh24:mi` (maintenance), UTC. */
export interface DatabaseWindows {
  /** Daily automated-backup window, UTC, at least 30 minutes (`02:00-03:00`). */
  readonly backup: string;
  /** Weekly maintenance window, UTC, at least 30 minutes, not overlapping the backup window (`sun:03:30-sun:04:30`). */
  readonly maintenance: string;
}

/** Who may assume an environment's roles for people (bootstrap stack). */
export interface PeopleAccess {
  /**
   * Principals of the read-only role `people-<project>-readonly-<env>` (plan, logs, metrics, DLQ peek), as ARN
   * patterns matched with `ArnLike` on `aws:PrincipalArn`: an IAM Identity Center permission set's roles
   * (`arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/*\/AWSReservedSSO_<PermissionSet>_*`), an IAM
   * role or user. Empty: nobody. The role trusts the accounts these ARNs belong to, and only these ARNs in them.
   */
  readonly readOnly: readonly string[];
  /** Principals of the operator role `people-<project>-operator-<env>` (deploy, redrive, rotate, roll back). */
  readonly operator: readonly string[];
}

export interface SiteConfig {
  /** Short project name: prefix of stack ids (`sml-dev`), resource names and role names. */
  readonly project: string;
  /** AWS region of every stack (and of the state bucket). */
  readonly region: string;
  /**
   * The AWS account id of each environment: the AWS provider of every stack gets it as `allowed_account_ids`, so a
   * plan or apply with credentials for another account stops before it reads anything. Every environment, the
   * bootstrap and the registry live in one account (docs/deploy.md, "One account, by choice").
   */
  readonly accounts: Readonly<Record<SiteEnvironmentName, string>>;
  /** Terraform state: the bucket the bootstrap stack creates (globally unique) and the key prefix of every stack. */
  readonly state: { readonly bucket: string; readonly keyPrefix: string };
  /** `owner/name` of the GitHub repository whose workflows may assume the deploy and plan roles. */
  readonly githubRepository: string;
  /**
   * ARN of the account's existing GitHub OIDC provider (`token.actions.githubusercontent.com`), when another
   * project created it already (an account holds one per URL); `undefined`: the bootstrap stack creates it.
   */
  readonly githubOidcProviderArn: string | undefined;
  /** Roles for people, per environment. */
  readonly people: Readonly<Record<SiteEnvironmentName, PeopleAccess>>;
  /** Backup and maintenance windows of each environment's Aurora cluster. */
  readonly databaseWindows: Readonly<Record<SiteEnvironmentName, DatabaseWindows>>;
}

const ACCOUNT = "123456789012";

/** This repository's site. A fork replaces every value marked as a placeholder (all of them, as shipped). */
export const SITE: SiteConfig = Object.freeze({
  project: "sml",
  region: "eu-west-1",
  accounts: Object.freeze({ dev: ACCOUNT, prd: ACCOUNT }),
  state: Object.freeze({ bucket: "your-org-serverless-ml-api-tfstate", keyPrefix: "serverless-ml-api" }),
  githubRepository: "your-org/serverless-ml-api",
  githubOidcProviderArn: undefined,
  people: Object.freeze({
    dev: {
      readOnly: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlReadOnly_*`,
      ],
      operator: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlOperator_*`,
      ],
    },
    prd: {
      readOnly: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlReadOnly_*`,
      ],
      operator: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlOperator_*`,
      ],
    },
  }),
  databaseWindows: Object.freeze({
    dev: { backup: "02:00-03:00", maintenance: "sun:03:30-sun:04:30" },
    prd: { backup: "02:00-03:00", maintenance: "sun:03:30-sun:04:30" },
  }),
});
