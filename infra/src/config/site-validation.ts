import { ConfigError } from "@sml/contracts/env";
import type { DatabaseWindows, SiteConfig } from "./site";

const WHERE = "infra/src/config/site.ts";

/**
 * Account ids AWS uses in its documentation (IAM user guide, "AWS account identifiers" and policy examples) and
 * ids made of one digit: no real account has them, so a config that still holds one was never filled in.
 */
const DOCUMENTATION_ACCOUNT_IDS = new Set(["123456789012", "111122223333", "444455556666", "777788889999"]);
const isPlaceholderAccount = (id: string) => DOCUMENTATION_ACCOUNT_IDS.has(id) || /^(\d)\1{11}$/.test(id);
/** Words a template puts where a fork's own name belongs. */
const PLACEHOLDER_WORDS =
  /(^|[^a-z])(your-org|your-name|example|changeme|change-me|placeholder|todo)([^a-z]|$)/i;

/** RDS window syntax (CreateDBCluster, PreferredBackupWindow / PreferredMaintenanceWindow), times in UTC. */
const DAILY_WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const WEEKLY_WINDOW =
  /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;
/** Both windows must last at least 30 minutes (RDS API reference, CreateDBCluster). */
export const MINIMUM_WINDOW_MINUTES = 30;

interface Interval {
  readonly start: number;
  readonly minutes: number;
}

/** Minutes of the week a window covers, or a problem; a window may wrap past midnight (or Sunday). */
function parseWindow(value: string, weekly: boolean): Interval | string {
  const hm = (h: string, m: string) => Number(h) * 60 + Number(m);
  if (weekly) {
    const m = WEEKLY_WINDOW.exec(value.toLowerCase());
    if (!m) return "must be ddd:hh24:mi-ddd:hh24:mi in UTC (e.g. sun:03:30-sun:04:30)";
    const [, d1, h1, m1, d2, h2, m2] = m as unknown as string[];
    const start = DAYS.indexOf(d1 as string) * DAY_MINUTES + hm(h1 as string, m1 as string);
    const end = DAYS.indexOf(d2 as string) * DAY_MINUTES + hm(h2 as string, m2 as string);
    return { start, minutes: (end - start + WEEK_MINUTES) % WEEK_MINUTES };
  }
  const m = DAILY_WINDOW.exec(value);
  if (!m) return "must be hh24:mi-hh24:mi in UTC (e.g. 02:00-03:00)";
  const [, h1, m1, h2, m2] = m as unknown as string[];
  const start = hm(h1 as string, m1 as string);
  return { start, minutes: (hm(h2 as string, m2 as string) - start + DAY_MINUTES) % DAY_MINUTES };
}

/** Whether two intervals on a cycle of `cycle` minutes share a minute. */
function overlaps(a: Interval, b: Interval, cycle: number): boolean {
  const inside = (x: number, i: Interval) => (x - i.start + cycle) % cycle < i.minutes;
  return inside(a.start, b) || inside(b.start, a);
}

function windowProblems(env: string, windows: DatabaseWindows): string[] {
  const problems: string[] = [];
  const backup = parseWindow(windows.backup, false);
  const maintenance = parseWindow(windows.maintenance, true);
  const setting = (name: string) => `databaseWindows.${env}.${name}`;
  for (const [name, parsed, value] of [
    ["backup", backup, windows.backup],
    ["maintenance", maintenance, windows.maintenance],
  ] as const) {
    if (typeof parsed === "string") problems.push(`${setting(name)} "${value}" ${parsed}`);
    else if (parsed.minutes < MINIMUM_WINDOW_MINUTES)
      problems.push(`${setting(name)} "${value}" must last at least ${MINIMUM_WINDOW_MINUTES} minutes`);
  }
  if (typeof backup !== "string" && typeof maintenance !== "string") {
    // The backup window repeats daily: it must miss the maintenance window on every day of the week.
    const clash = DAYS.some((_, day) =>
      overlaps(
        { start: day * DAY_MINUTES + backup.start, minutes: backup.minutes },
        maintenance,
        WEEK_MINUTES,
      ),
    );
    if (clash)
      problems.push(
        `${setting("backup")} "${windows.backup}" overlaps ${setting("maintenance")} "${windows.maintenance}" (RDS refuses a backup window that conflicts with the maintenance window)`,
      );
  }
  return problems;
}

export interface SiteValidationOptions {
  /**
   * Accept the shipped placeholders (exploring the template: `npm run synth`, `cost`, `bench`, which report them
   * as one warning instead): everything else is still checked.
   */
  readonly allowPlaceholders?: boolean;
}

/** What is wrong with a site: values no deploy may use yet (placeholders) and values that are malformed. */
export interface SiteProblems {
  /** Each placeholder setting, its value and what to put there. */
  readonly placeholders: readonly string[];
  /** Malformed or contradictory settings: refused whatever the mode. */
  readonly errors: readonly string[];
}

/** Where the site's problems are fixed, for every message that lists them. */
export const SITE_FIX = `edit ${WHERE} (docs/deploy.md, "Fork it", step 2, says what each setting is)`;

/**
 * Checks the site config; returns it unchanged or throws one ConfigError listing every problem, each naming its
 * setting. A placeholder (a documentation account id, `your-org`, `example`) is a problem unless allowed.
 */
export function validateSite(site: SiteConfig, options: SiteValidationOptions = {}): SiteConfig {
  const { placeholders, errors } = siteProblems(site);
  const problems = options.allowPlaceholders ? errors : [...errors, ...placeholders];
  if (problems.length > 0)
    throw new ConfigError(
      `Invalid site config in ${WHERE}:\n- ${problems.join("\n- ")}\n(docs/deploy.md, "Fork it", says what each setting is.)`,
    );
  return site;
}

/** Every problem of the site, placeholders apart from malformed values, each naming its setting. */
export function siteProblems(site: SiteConfig): SiteProblems {
  const problems: string[] = [];
  const placeholders: string[] = [];
  const placeholder = (setting: string, value: string, fix: string) => {
    placeholders.push(`${setting} "${value}" is a placeholder: ${fix}`);
  };

  if (!/^[a-z][a-z0-9]{1,9}$/.test(site.project))
    problems.push(
      `project "${site.project}" must be 2-10 lowercase letters or digits, starting with a letter`,
    );
  if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(site.region))
    problems.push(`region "${site.region}" is not an AWS region name (e.g. eu-west-1)`);

  const environments = Object.keys(site.accounts);
  for (const [env, id] of Object.entries(site.accounts)) {
    if (!/^\d{12}$/.test(id)) problems.push(`accounts.${env} "${id}" must be a 12-digit AWS account id`);
    else if (isPlaceholderAccount(id))
      placeholder(`accounts.${env}`, id, `set the id of ${env}'s AWS account (aws sts get-caller-identity)`);
  }
  const distinct = new Set(Object.values(site.accounts));
  if (distinct.size > 1)
    problems.push(
      `accounts: ${environments.map((e) => `${e} ${site.accounts[e as keyof typeof site.accounts]}`).join(", ")} differ, but the bootstrap stack, the state bucket and the image registry live in one account: every environment needs the same account id (docs/deploy.md, "One account, by choice")`,
    );

  const { bucket, keyPrefix } = site.state;
  // S3 general purpose bucket naming rules (S3 user guide, "Bucket naming rules").
  if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    bucket.includes("..") ||
    /^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  )
    problems.push(
      `state.bucket "${bucket}" breaks S3's bucket naming rules (3-63 lowercase letters, digits, dots, hyphens)`,
    );
  else if (PLACEHOLDER_WORDS.test(bucket))
    placeholder("state.bucket", bucket, "choose a globally unique bucket name of your own");
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]$/.test(keyPrefix) || keyPrefix.includes("//"))
    problems.push(`state.keyPrefix "${keyPrefix}" must be a relative S3 key prefix without a trailing slash`);

  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(site.githubRepository))
    problems.push(`githubRepository "${site.githubRepository}" must be owner/name`);
  else if (PLACEHOLDER_WORDS.test(site.githubRepository))
    placeholder("githubRepository", site.githubRepository, "set owner/name of your GitHub repository");

  const oidc = site.githubOidcProviderArn;
  if (oidc !== undefined) {
    const m = /^arn:aws:iam::(\d{12}):oidc-provider\/token\.actions\.githubusercontent\.com$/.exec(oidc);
    if (!m)
      problems.push(
        `githubOidcProviderArn "${oidc}" must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com, or undefined to create it`,
      );
    else if (!distinct.has(m[1] as string))
      problems.push(`githubOidcProviderArn "${oidc}" is in account ${m[1]}, not the site's account`);
    else if (isPlaceholderAccount(m[1] as string))
      placeholder("githubOidcProviderArn", oidc, "set the ARN of your account's provider, or undefined");
  }

  for (const [env, access] of Object.entries(site.people))
    for (const kind of ["readOnly", "operator"] as const)
      access[kind].forEach((arn, i) => {
        const setting = `people.${env}.${kind}[${i}]`;
        const m = /^arn:aws:iam::(\d{12}):(root|role\/\S+|user\/\S+)$/.exec(arn);
        if (!m)
          problems.push(
            `${setting} "${arn}" must be an IAM principal ARN (pattern): arn:aws:iam::<account>:root, :role/<path/name> or :user/<name>`,
          );
        else if (isPlaceholderAccount(m[1] as string) || PLACEHOLDER_WORDS.test(arn))
          placeholder(setting, arn, "name your IAM Identity Center permission set's roles, or an IAM role");
      });

  for (const [env, windows] of Object.entries(site.databaseWindows))
    problems.push(...windowProblems(env, windows));

  return { placeholders, errors: problems };
}
