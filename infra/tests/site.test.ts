/**
 * The site config (infra/src/config/site.ts): the one file a fork edits. Every setting is checked at synth, a
 * placeholder is refused with the setting's name, and the stacks take region, accounts and windows from it.
 */
import { Testing } from "cdktf";
import { ConfigError, SHARED_CONFIG, SITE, type SiteConfig, validateSite } from "../src/config";
import { MINIMUM_WINDOW_MINUTES } from "../src/config/site-validation";
import { defineStacks } from "../src/stacks";
import { testBundleRoot } from "./support/paths";
import { synthAllStacks } from "./support/synth";

/** A filled-in site, as a fork would write it (account ids not from AWS's documentation). */
const FORK: SiteConfig = {
  ...SITE,
  region: "us-east-2",
  accounts: { dev: "210987654321", prd: "210987654321" },
  state: { bucket: "acme-ml-api-tfstate", keyPrefix: "ml-api" },
  githubRepository: "acme/ml-api",
  people: {
    dev: { readOnly: ["arn:aws:iam::210987654321:role/Engineers"], operator: [] },
    prd: {
      readOnly: ["arn:aws:iam::210987654321:role/Engineers"],
      operator: ["arn:aws:iam::210987654321:role/Oncall"],
    },
  },
};
const fork = (change: Partial<SiteConfig>): SiteConfig => ({ ...FORK, ...change });
const problemsOf = (site: SiteConfig): string => {
  try {
    validateSite(site);
    return "";
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe("site config", () => {
  it("accepts a filled-in fork", () => {
    expect(validateSite(FORK)).toBe(FORK);
  });

  it("refuses the shipped template, naming every placeholder setting", () => {
    const message = problemsOf(SITE);
    for (const setting of [
      "accounts.dev",
      "accounts.prd",
      "state.bucket",
      "githubRepository",
      "people.dev.readOnly[0]",
      "people.prd.operator[0]",
    ])
      expect(message).toContain(`${setting} "`);
    expect(message).toMatch(/is a placeholder/);
    expect(message).toContain("infra/src/config/site.ts");
  });

  it("refuses to synthesize the template's placeholders unless told to (the template's own CI only)", () => {
    expect(() => defineStacks(Testing.app(), { bundleRoot: testBundleRoot() })).toThrow(/accounts\.dev/);
    expect(() =>
      defineStacks(Testing.app(), { bundleRoot: testBundleRoot(), allowSitePlaceholders: true }),
    ).not.toThrow();
  });

  it("still refuses malformed values when placeholders are allowed", () => {
    expect(() => validateSite({ ...SITE, region: "Ireland" }, { allowPlaceholders: true })).toThrow(
      /region "Ireland"/,
    );
  });

  it.each([
    [
      "an account id of 11 digits",
      { accounts: { dev: "21098765432", prd: "210987654321" } },
      /accounts\.dev "21098765432" must be a 12-digit/,
    ],
    [
      "an account id of one digit repeated",
      { accounts: { dev: "000000000000", prd: "000000000000" } },
      /accounts\.dev "000000000000" is a placeholder/,
    ],
    [
      "environments in different accounts",
      { accounts: { dev: "210987654321", prd: "310987654321" } },
      /differ.*One account, by choice/,
    ],
    [
      "a bucket name with capitals",
      { state: { bucket: "Acme-State", keyPrefix: "x" } },
      /state\.bucket "Acme-State" breaks S3's bucket naming rules/,
    ],
    [
      "a bucket name with example",
      { state: { bucket: "example-tfstate", keyPrefix: "x" } },
      /state\.bucket "example-tfstate" is a placeholder/,
    ],
    [
      "a repository without owner",
      { githubRepository: "ml-api" },
      /githubRepository "ml-api" must be owner\/name/,
    ],
    [
      "a repository of your-org",
      { githubRepository: "your-org/ml-api" },
      /githubRepository "your-org\/ml-api" is a placeholder/,
    ],
    [
      "an OIDC provider of another URL",
      { githubOidcProviderArn: "arn:aws:iam::210987654321:oidc-provider/gitlab.com" },
      /githubOidcProviderArn .* must be/,
    ],
    [
      "an OIDC provider in another account",
      {
        githubOidcProviderArn: "arn:aws:iam::310987654321:oidc-provider/token.actions.githubusercontent.com",
      },
      /not the site's account/,
    ],
    [
      "a person principal that is no ARN",
      { people: { ...FORK.people, dev: { readOnly: ["alice"], operator: [] } } },
      /people\.dev\.readOnly\[0\] "alice" must be an IAM principal ARN/,
    ],
    ["a region that is no region", { region: "eu-west" }, /region "eu-west"/],
  ] as const)("refuses %s, naming the setting", (_what, change, message) => {
    expect(problemsOf(fork(change as Partial<SiteConfig>))).toMatch(message);
  });

  it("accepts an existing OIDC provider in the site's account", () => {
    const arn = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com";
    expect(() => validateSite(fork({ githubOidcProviderArn: arn }))).not.toThrow();
  });

  // RDS API reference, CreateDBCluster: PreferredBackupWindow "hh24:mi-hh24:mi ... UTC ... must not conflict with
  // the preferred maintenance window ... at least 30 minutes"; PreferredMaintenanceWindow
  // "ddd:hh24:mi-ddd:hh24:mi ... Minimum 30-minute window".
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
  describe("database windows (RDS rules)", () => {
    const windows = (backup: string, maintenance: string) =>
      fork({ databaseWindows: { ...FORK.databaseWindows, prd: { backup, maintenance } } });
    it.each([
      [
        "a backup window of 29 minutes",
        "02:00-02:29",
        "sun:04:00-sun:05:00",
        /databaseWindows\.prd\.backup "02:00-02:29" must last at least 30/,
      ],
      [
        "a maintenance window of 20 minutes",
        "02:00-03:00",
        "sun:04:00-sun:04:20",
        /databaseWindows\.prd\.maintenance .* at least 30/,
      ],
      [
        "a backup window overlapping maintenance",
        "03:00-04:00",
        "sun:03:30-sun:04:30",
        /backup "03:00-04:00" overlaps databaseWindows\.prd\.maintenance/,
      ],
      ["overlap across midnight, on another weekday", "23:30-00:30", "wed:00:00-wed:00:45", /overlaps/],
      [
        "a window with a 24:00",
        "24:00-01:00",
        "sun:03:30-sun:04:30",
        /databaseWindows\.prd\.backup "24:00-01:00" must be hh24:mi-hh24:mi/,
      ],
      [
        "a maintenance window without days",
        "02:00-03:00",
        "03:30-04:30",
        /maintenance "03:30-04:30" must be ddd:hh24:mi/,
      ],
    ])("refuses %s", (_what, backup, maintenance, message) => {
      expect(problemsOf(windows(backup, maintenance))).toMatch(message);
    });

    it("accepts windows that touch without sharing a minute, also across Sunday midnight", () => {
      expect(problemsOf(windows("02:00-02:30", "sun:02:30-sun:03:00"))).toBe("");
      expect(problemsOf(windows("01:00-01:30", "sun:23:30-mon:00:30"))).toBe("");
      expect(MINIMUM_WINDOW_MINUTES).toBe(30);
    });
  });

  describe("what the stacks take from it", () => {
    const { stacks, synthesized } = synthAllStacks();
    it("gives every stack the site's region and pins its provider to the site's accounts", () => {
      for (const s of synthesized) {
        const [provider] = s.json.provider.aws;
        expect([s.id, provider.region]).toEqual([s.id, SITE.region]);
        expect(
          provider.allowed_account_ids.every((id: string) => Object.values(SITE.accounts).includes(id)),
        ).toBe(true);
      }
    });

    it("gives each environment's Aurora cluster its windows from the site", () => {
      for (const [env, stack] of Object.entries(stacks.environments)) {
        const cluster = synthesized.find((s) => s.id === stack.node.id)?.json.resource.aws_rds_cluster;
        const [body] = Object.values(
          cluster as Record<
            string,
            { preferred_backup_window: string; preferred_maintenance_window: string }
          >,
        );
        const windows = SITE.databaseWindows[env as keyof typeof SITE.databaseWindows];
        expect(body).toMatchObject({
          preferred_backup_window: windows.backup,
          preferred_maintenance_window: windows.maintenance,
        });
      }
    });

    it("trusts an existing GitHub OIDC provider instead of creating a second one when the site names it", () => {
      const arn = `arn:aws:iam::${SITE.accounts.dev}:oidc-provider/token.actions.githubusercontent.com`;
      const shared = { ...SHARED_CONFIG, githubOidcProviderArn: arn };
      const reused = defineStacks(Testing.app(), {
        bundleRoot: testBundleRoot(),
        allowSitePlaceholders: true,
        site: { ...SITE, githubOidcProviderArn: arn },
        shared,
        environments: [],
      });
      const json = JSON.parse(Testing.synth(reused.bootstrap));
      expect(json.resource.aws_iam_openid_connect_provider).toBeUndefined();
      const trusts = Object.values(
        json.data.aws_iam_policy_document as Record<
          string,
          { statement: { principals?: { type: string; identifiers: string[] }[] }[] }
        >,
      )
        .flatMap((d) => d.statement)
        .flatMap((st) => st.principals ?? [])
        .filter((p) => p.type === "Federated");
      expect(trusts.length).toBeGreaterThan(0);
      expect(trusts.every((p) => p.identifiers.includes(arn))).toBe(true);
    });
  });
});
