/**
 * The site config (infra/src/config/site.ts): the one file a fork edits. Every setting is checked at synth, a
 * placeholder is refused with the setting's name, and the stacks take region, accounts and windows from it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { ConfigError, SHARED_CONFIG, SITE, type SiteConfig, siteProblems, validateSite } from "../src/config";
import { SITE as REPOSITORY_SITE } from "../src/config/site";
import { loadSiteFile } from "../src/config/site-source";
import { MINIMUM_WINDOW_MINUTES } from "../src/config/site-validation";
import { defineStacks, notReadyWarning } from "../src/stacks";
import { REPO_ROOT, testBundleRoot } from "./support/paths";
import { SITE as PLACEHOLDER_SITE } from "./support/placeholder-site";
import { synthAllStacks } from "./support/synth";
import { SITE as TEST_SITE } from "./support/test-site";
import { PLACEHOLDER_SITE_FILE, TEST_SITE_FILE } from "./support/use-test-site";

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

  it("runs every test on the fixed test site, not on the repository's site.ts (SML_SITE_FILE)", () => {
    expect(process.env.SML_SITE_FILE).toBe(TEST_SITE_FILE);
    expect(SITE).toBe(TEST_SITE);
    expect(SHARED_CONFIG.state.bucket).toBe(TEST_SITE.state.bucket);
    expect(validateSite(TEST_SITE)).toBe(TEST_SITE);
  });

  it("keeps the repository's own site (what a fork edits) well-formed: placeholders aside, validateSite accepts it", () => {
    expect(validateSite(REPOSITORY_SITE, { allowPlaceholders: true })).toBe(REPOSITORY_SITE);
  });

  it("refuses a site module that exports no SITE, naming the variable", () => {
    expect(() => loadSiteFile(join(__dirname, "support", "paths.ts"))).toThrow(
      /SML_SITE_FILE=.*paths\.ts exports no SITE/,
    );
    expect(() => loadSiteFile("no/such/site.ts")).toThrow(/SML_SITE_FILE=no\/such\/site\.ts: cannot load/);
  });

  it("refuses the shipped template, naming every placeholder setting", () => {
    const message = problemsOf(PLACEHOLDER_SITE);
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

  describe("deploy and explore (SML_SITE_CHECK)", () => {
    const SETTINGS = [
      "accounts.dev",
      "accounts.prd",
      "state.bucket",
      "githubRepository",
      "people.dev.readOnly[0]",
      "people.prd.operator[0]",
    ];
    const withoutAlarmEmails = <T>(run: () => T): T => {
      const saved = process.env.SML_ALARM_EMAIL_PRD;
      delete process.env.SML_ALARM_EMAIL_PRD;
      try {
        // The environment configs read the variable at load: a fresh module registry sees it unset.
        let result: T | undefined;
        jest.isolateModules(() => {
          result = run();
        });
        return result as T;
      } finally {
        process.env.SML_ALARM_EMAIL_PRD = saved;
      }
    };

    it("refuses placeholders and a missing alarm e-mail for a deploy, naming each and where to fix it", () => {
      withoutAlarmEmails(() => {
        const stacks = require("../src/stacks") as typeof import("../src/stacks");
        let message = "";
        try {
          stacks.defineStacks(Testing.app(), { bundleRoot: testBundleRoot(), site: PLACEHOLDER_SITE });
        } catch (err) {
          message = (err as Error).message;
        }
        for (const setting of SETTINGS) expect(message).toContain(`- ${setting} "`);
        expect(message).toContain("- SML_ALARM_EMAIL_PRD is not set");
        expect(message).not.toContain("SML_ALARM_EMAIL_DEV");
        expect(message).toContain("infra/src/config/site.ts");
        expect(message).toMatch(/^Not ready to deploy:/);
      });
    });

    it("synthesizes them for exploring, listing each once, without an e-mail subscription where no address is set", () => {
      withoutAlarmEmails(() => {
        const stacks = require("../src/stacks") as typeof import("../src/stacks");
        const explored = stacks.defineStacks(Testing.app(), {
          bundleRoot: testBundleRoot(),
          site: PLACEHOLDER_SITE,
          siteCheck: "explore",
        });
        expect(explored.notReady).toEqual([
          ...siteProblems(PLACEHOLDER_SITE).placeholders,
          expect.stringMatching(/^SML_ALARM_EMAIL_PRD is not set/),
        ]);
        const warning = notReadyWarning(explored.notReady) ?? "";
        expect(warning.match(/^Warning/gm)).toHaveLength(1);
        for (const setting of SETTINGS) expect(warning).toContain(`- ${setting} "`);
        expect(warning).toContain("- SML_ALARM_EMAIL_PRD is not set");
        const subscriptions = (env: "dev" | "prd") =>
          Object.values(
            JSON.parse(Testing.synth(explored.environments[env] as never)).resource
              .aws_sns_topic_subscription as Record<string, { protocol: string }>,
          ).filter((s) => s.protocol === "email");
        expect(subscriptions("prd")).toEqual([]);
        expect(subscriptions("dev")).toHaveLength(1);
      });
    });

    it("reports nothing for a filled-in site with its alarm e-mail set", () => {
      const ready = defineStacks(Testing.app(), { bundleRoot: testBundleRoot(), siteCheck: "explore" });
      expect(ready.notReady).toEqual([]);
      expect(notReadyWarning(ready.notReady)).toBeUndefined();
    });

    // The app as `npm run synth` runs it (cdktf.json's `app`), in a process of its own with nothing set: what a
    // fresh clone of the template gets (its site.ts holds the placeholders; here the frozen copy of them).
    const runApp = (env: Record<string, string>) => {
      const outdir = mkdtempSync(join(tmpdir(), "sml-site-synth-"));
      const [, ...args] = (
        JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")).app as string
      ).split(" ");
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith("SML_ALARM_EMAIL_")),
      );
      try {
        const run = spawnSync(process.execPath, args, {
          cwd: REPO_ROOT,
          env: {
            ...clean,
            SML_SITE_FILE: PLACEHOLDER_SITE_FILE,
            SML_ENVIRONMENTS: "dev",
            CDKTF_OUTDIR: outdir,
            SML_BUNDLE_ROOT: testBundleRoot(),
            CHECKPOINT_DISABLE: "1",
            ...env,
          },
          encoding: "utf8",
        });
        const manifest = join(outdir, "manifest.json");
        return {
          status: run.status,
          stderr: run.stderr,
          stacks: existsSync(manifest) ? Object.keys(JSON.parse(readFileSync(manifest, "utf8")).stacks) : [],
        };
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    };

    it("lets the app synthesize a fresh clone with nothing set, and refuses it under SML_SITE_CHECK=deploy", () => {
      const refused = runApp({ SML_SITE_CHECK: "deploy" });
      expect(refused.status).not.toBe(0);
      for (const setting of SETTINGS) expect(refused.stderr).toContain(`- ${setting} "`);
      expect(refused.stderr).toContain("- SML_ALARM_EMAIL_DEV is not set");
      expect(refused.stacks).toEqual([]);
      expect(runApp({ SML_SITE_CHECK: "deploy-ish" }).stderr).toContain('SML_SITE_CHECK="deploy-ish"');

      const explored = runApp({});
      expect([explored.status, explored.stacks.sort()]).toEqual([
        0,
        ["sml-bootstrap", "sml-dev", "sml-registry"],
      ]);
      expect(explored.stderr.match(/Warning: synthesized for exploring/g)).toHaveLength(1);
      for (const setting of SETTINGS) expect(explored.stderr).toContain(`- ${setting} "`);
      expect(explored.stderr).toContain("- SML_ALARM_EMAIL_DEV is not set");
    }, 60_000);

    it("refuses malformed values whatever the mode", () => {
      expect(() => validateSite({ ...SITE, region: "Ireland" }, { allowPlaceholders: true })).toThrow(
        /region "Ireland"/,
      );
      expect(() =>
        defineStacks(Testing.app(), {
          bundleRoot: testBundleRoot(),
          site: { ...PLACEHOLDER_SITE, region: "Ireland" },
          siteCheck: "explore",
        }),
      ).toThrow(/region "Ireland"/);
    });
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
