/**
 * docs/deploy.md stays true: every command in its shell blocks (the fork walk-through, the laptop section, the
 * rollbacks) exists with the arguments the doc gives it. A repository script must exist, be executable and accept
 * the arguments by its own `Usage:` line (count of positionals, flags, literal choices such as plan|apply); a
 * stack or environment argument must be one the app defines (the site config, infra/src/site-facts.ts); an npm
 * script must be in package.json; anything else must be one of the external tools the doc lists as needed.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { siteFacts } from "@sml/infra/site-facts";
import { SNAPSHOT_DIR } from "../../generate/stack-snapshots";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const DOC = readFileSync(join(REPO_ROOT, "docs", "deploy.md"), "utf8");
const PACKAGE_SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(join(REPO_ROOT, "package.json"), "utf8"),
).scripts;
const FACTS = siteFacts();

/** Tools the doc names as prerequisites ("You need: ...") or that every shell has. */
const EXTERNAL_TOOLS = new Set(["aws", "docker", "gh", "git", "jq", "terraform", "cp", "rm", "cut", "date"]);
const TERRAFORM_SUBCOMMANDS = new Set(["init", "plan", "apply", "state", "output", "show", "force-unlock"]);

/** Splits a shell line into words: quotes and `$( ... )` kept whole, a trailing `# comment` dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      word += c;
      if (c === "(" && line[i - 1] === "$") depth++;
      else if (c === ")" && depth > 0) depth--;
      else if (c === quote && depth === 0) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word += c;
    } else if (c === "(" && line[i - 1] === "$") {
      depth++;
      word += c;
    } else if (c === ")" && depth > 0) {
      depth--;
      word += c;
    } else if (/\s/.test(c) && depth === 0) {
      if (word) words.push(word);
      word = "";
    } else if (c === "#" && depth === 0 && word === "") {
      break;
    } else word += c;
  }
  if (word) words.push(word);
  return words;
}

/** The shell blocks of the doc, as command lines (continuations joined). */
function docCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#")),
  );
}

interface Usage {
  readonly positionals: readonly {
    readonly name: string;
    readonly optional: boolean;
    readonly choices?: string[];
  }[];
  readonly flags: ReadonlyMap<string, boolean>;
}

/** The `Usage:` line of a script, after its path: `a|b <x> [<y>] [--flag <v>]`. */
export function parseUsage(text: string, path: string): Usage {
  const line = text.split("\n").find((l) => /Usage:/.test(l) && l.includes(path));
  if (!line) throw new Error(`${path} has no "Usage: ... ${path} ..." line`);
  const rest = (line.slice(line.indexOf(path) + path.length).split(/\s{2,}/)[0] as string).trim();
  const positionals: { name: string; optional: boolean; choices?: string[] }[] = [];
  const flags = new Map<string, boolean>();
  for (const token of rest.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (token.startsWith("[")) {
      const inner = token.slice(1, -1).trim().split(/\s+/);
      if (inner[0]?.startsWith("--")) flags.set(inner[0], inner.length > 1);
      else if (inner[0] !== "...") positionals.push({ name: inner[0] as string, optional: true });
    } else if (token.startsWith("<")) positionals.push({ name: token, optional: false });
    else positionals.push({ name: token, optional: false, choices: token.split("|") });
  }
  return { positionals, flags };
}

const isLiteral = (word: string) => !/[<$"'`]/.test(word);

/** Problems of calling a script with these arguments, by its usage line. */
function checkArguments(path: string, args: readonly string[], usage: Usage): string[] {
  const problems: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith("--")) {
      if (!usage.flags.has(arg)) problems.push(`${path}: unknown flag ${arg}`);
      else if (usage.flags.get(arg)) i++;
    } else positional.push(arg);
  }
  const required = usage.positionals.filter((p) => !p.optional).length;
  if (positional.length < required || positional.length > usage.positionals.length)
    problems.push(
      `${path}: ${positional.length} argument(s), its usage takes ${required}..${usage.positionals.length}`,
    );
  positional.forEach((value, i) => {
    const spec = usage.positionals[i];
    if (!spec || !isLiteral(value)) return;
    if (spec.choices && spec.choices.length > 1 && !spec.choices.includes(value))
      problems.push(`${path}: "${value}" is not one of ${spec.choices.join(", ")}`);
    if (/stack/.test(spec.name) && !FACTS.stacks.includes(value))
      problems.push(`${path}: no stack "${value}" (the app's: ${FACTS.stacks.join(", ")})`);
    if (/^<env(ironment)?>$/.test(spec.name) && !(FACTS.environments as string[]).includes(value))
      problems.push(`${path}: no environment "${value}"`);
  });
  return problems;
}

function checkScript(path: string, args: readonly string[]): string[] {
  const file = join(REPO_ROOT, path);
  if (!existsSync(file)) return [`${path} does not exist`];
  const problems: string[] = [];
  if (path.endsWith(".sh"))
    try {
      accessSync(file, constants.X_OK);
    } catch {
      problems.push(`${path} is not executable`);
    }
  return [...problems, ...checkArguments(path, args, parseUsage(readFileSync(file, "utf8"), path))];
}

/** Problems of one doc command line (empty when it holds). */
export function checkCommand(line: string): string[] {
  return [...checkOne(withoutRedirections(shellWords(line))), ...substitutions(line).flatMap(checkCommand)];
}

/** The words of a command without `> file` / `>> file` redirections. */
function withoutRedirections(words: string[]): string[] {
  return words.filter((w, i) => !/^\d?>>?$/.test(w) && !/^\d?>>?$/.test(words[i - 1] ?? ""));
}

/** The commands inside `$( ... )` of a line, outermost first. */
export function substitutions(line: string): string[] {
  const found: string[] = [];
  for (let i = line.indexOf("$("); i >= 0; i = line.indexOf("$(", i + 1)) {
    let depth = 0;
    for (let j = i + 1; j < line.length; j++) {
      if (line[j] === "(") depth++;
      else if (line[j] === ")" && --depth === 0) {
        found.push(line.slice(i + 2, j));
        break;
      }
    }
  }
  return found;
}

function checkOne(words: string[]): string[] {
  while (words[0] === "export" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? "")) words.shift();
  const [command, ...args] = words;
  if (!command) return [];
  if (command.startsWith("scripts/")) return checkScript(command, args);
  if (command === "npm") {
    if (args[0] === "ci") return [];
    if (args[0] !== "run") return [`npm ${args[0]}: only npm ci and npm run are documented commands`];
    const script = PACKAGE_SCRIPTS[args[1] as string];
    if (!script) return [`npm run ${args[1]}: no such script in package.json`];
    const passed = args.slice(2);
    if (passed.length > 0 && passed[0] !== "--") return [`npm run ${args[1]}: arguments must follow --`];
    const wrapped = /^bash (scripts\/\S+\.sh)((?: \S+)*)$/.exec(script);
    if (!wrapped) return passed.length > 0 ? [`npm run ${args[1]} takes no arguments`] : [];
    const fixed = (wrapped[2] ?? "").trim().split(" ").filter(Boolean);
    return checkScript(wrapped[1] as string, [...fixed, ...passed.slice(1)]);
  }
  if (command === "npx") {
    if (args[0] === "tsx") return checkScript(args[1] as string, args.slice(2));
    if (args[0] === "cdktf" && args[1] === "deploy")
      return args
        .slice(2)
        .filter((a) => !a.startsWith("-") && !FACTS.stacks.includes(a))
        .map((a) => `no stack ${a}`);
    return [`npx ${args[0]} ${args[1]}: not a documented command`];
  }
  if (command === "terraform") {
    const dir = /^-chdir=cdktf\.out\/stacks\/(\S+)$/.exec(args[0] ?? "");
    if (!dir) return [`terraform without -chdir=cdktf.out/stacks/<stack>: ${words.join(" ")}`];
    const problems = FACTS.stacks.includes(dir[1] as string) ? [] : [`terraform: no stack ${dir[1]}`];
    if (!TERRAFORM_SUBCOMMANDS.has(args[1] as string))
      problems.push(`terraform ${args[1]}: unexpected subcommand`);
    return problems;
  }
  if (EXTERNAL_TOOLS.has(command)) return [];
  return [`${command}: neither a repository script nor a tool docs/deploy.md lists as needed`];
}

describe("docs/deploy.md commands", () => {
  const commands = docCommands(DOC);

  it("has the shell blocks of the walk-through and the laptop section", () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const needed of [
      "npm run plan -- sml-dev",
      "npm run apply -- sml-dev",
      "scripts/delivery/github-variables.sh",
      "SML_ALARM_EMAIL_DEV=oncall@your-org.example scripts/delivery/laptop-deploy.sh dev",
    ])
      expect(commands.some((c) => c.startsWith(needed))).toBe(true);
  });

  it.each(commands)("%s", (line) => {
    expect(checkCommand(line)).toEqual([]);
  });

  it("walks a fork through new accounts, the site config, bootstrap, GitHub variables, first deploy and a laptop plan", () => {
    const walk = DOC.slice(DOC.indexOf("## Fork it"), DOC.indexOf("## From a laptop"));
    const steps = [...walk.matchAll(/^(\d+)\. \*\*([^*]+)\*\*/gm)].map((m) => (m[2] as string).toLowerCase());
    for (const topic of ["account", "site config", "bootstrap", "github variables", "deploy dev", "laptop"])
      expect([topic, steps.some((s) => s.includes(topic))]).toEqual([topic, true]);
    // The site's settings, each by its name in infra/src/config/site.ts.
    for (const setting of [
      "region",
      "accounts.dev",
      "state.bucket",
      "githubRepository",
      "githubOidcProviderArn",
      "databaseWindows",
    ])
      expect(walk).toContain(`\`${setting}`);
  });

  it("deploys from a laptop with laptop-deploy.sh, which gives the smoke test the workflow's 60 s and a token", () => {
    expect(commands.some((c) => c.includes("scripts/delivery/laptop-deploy.sh dev"))).toBe(true);
    const deployWorkflow = readFileSync(join(REPO_ROOT, ".github", "workflows", "deploy.yml"), "utf8");
    const timeout = /SMOKE_TIMEOUT: "(\d+)"/.exec(deployWorkflow)?.[1];
    const script = readFileSync(join(REPO_ROOT, "scripts", "delivery", "laptop-deploy.sh"), "utf8");
    expect(script).toContain(`SMOKE_TIMEOUT=${timeout}`);
    expect(script).toMatch(/SMOKE_TOKEN="\$token"/);
    expect(script.indexOf("docker login")).toBeLessThan(script.indexOf("push-image.sh"));
    expect(script.indexOf("shift-traffic.sh")).toBeLessThan(script.indexOf("smoke.sh"));
  });
});

describe("the command checker", () => {
  it("finds a wrong argument count, an unknown flag, an unknown stack and a missing script", () => {
    expect(checkCommand("scripts/delivery/push-image.sh a b")).toEqual([
      "scripts/delivery/push-image.sh: 2 argument(s), its usage takes 3..3",
    ]);
    expect(checkCommand("npm run plan -- sml-dev --force")).toContain(
      "scripts/delivery/plan-apply.sh: unknown flag --force",
    );
    expect(checkCommand("npm run plan -- sml-qa")).toContain(
      `scripts/delivery/plan-apply.sh: no stack "sml-qa" (the app's: ${FACTS.stacks.join(", ")})`,
    );
    expect(checkCommand("scripts/delivery/nothing.sh")).toEqual([
      "scripts/delivery/nothing.sh does not exist",
    ]);
    expect(checkCommand("scripts/delivery/smoke-user.sh login outputs.json")).toContain(
      'scripts/delivery/smoke-user.sh: "login" is not one of sign-in, delete',
    );
    expect(checkCommand("npx cdktf deploy sml-staging")).toEqual(["no stack sml-staging"]);
    expect(checkCommand("curl https://x")).toEqual([
      "curl: neither a repository script nor a tool docs/deploy.md lists as needed",
    ]);
  });

  it("keeps quoted command substitutions as one word and drops comments", () => {
    expect(shellWords(`X="$(jq -r .a f.json)" scripts/smoke.sh "$(jq -r '.b' o.json)"   # note`)).toEqual([
      'X="$(jq -r .a f.json)"',
      "scripts/smoke.sh",
      `"$(jq -r '.b' o.json)"`,
    ]);
  });
});

describe("command substitutions", () => {
  it("checks the commands inside $( ... ), nested ones included", () => {
    expect(checkCommand('x="$(scripts/delivery/push-image.sh "$(jq -r .a r.json)" tag)"')).toEqual([
      "scripts/delivery/push-image.sh: 2 argument(s), its usage takes 3..3",
    ]);
    expect(substitutions('a "$(b "$(c)")"')).toEqual(['b "$(c)"', "c"]);
  });
});

// "Five functions" stayed in the runbooks after a sixth got its deployment group (review of issue 24, finding 10):
// the lists are checked against the dev stack, one deployment group per rolled-out function. The stack is read from
// its committed snapshot, which `npm run generate -- --check` (scripts/tests/unit/stack-snapshots.test.ts) keeps equal to the synthesized one.
describe("the functions CodeDeploy rolls out, as the runbooks list them", () => {
  const NUMBERS: Record<string, number> = { four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
  const rolledOut = (() => {
    const json = JSON.parse(
      readFileSync(join(REPO_ROOT, SNAPSHOT_DIR, `${FACTS.stacks[2]}.json`), "utf8"),
    ) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const functions = json.resource.aws_lambda_function ?? {};
    return Object.values(json.resource.aws_codedeploy_deployment_group ?? {})
      .map((group) => {
        const id = /^\$\{aws_lambda_function\.([^.]+)\.function_name\}$/.exec(
          String(group.deployment_group_name),
        )?.[1];
        return String(functions[id ?? ""]?.function_name).replace(`${FACTS.namePrefix.dev}-`, "");
      })
      .sort();
  })();

  /** Every "<number> functions ...: a, b and c (" list of a doc, as [number, names]. */
  function lists(markdown: string): [number | undefined, string[]][] {
    const text = markdown.replace(/\s+/g, " ");
    return [
      ...text.matchAll(
        /\b([A-Za-z]+) functions [^.:]*?CodeDeploy: ((?:[a-z-]+, )*[a-z-]+) and ([a-z-]+) \(/g,
      ),
    ].map((m) => [
      NUMBERS[(m[1] as string).toLowerCase()],
      [...(m[2] as string).split(", "), m[3] as string].sort(),
    ]);
  }

  it("finds the rolled-out functions in the dev stack, migrate not among them", () => {
    expect(rolledOut.length).toBeGreaterThan(4);
    expect(rolledOut).not.toContain("migrate");
  });

  it.each(["docs/deploy.md", "docs/operations.md"])("%s names each of them and counts them right", (file) => {
    const found = lists(readFileSync(join(REPO_ROOT, file), "utf8"));
    expect(found.length).toBeGreaterThan(0);
    for (const [count, names] of found) expect([count, names]).toEqual([rolledOut.length, rolledOut]);
  });
});
