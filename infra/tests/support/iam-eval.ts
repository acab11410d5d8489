/**
 * A small IAM evaluator for synthesized policy documents, so tests can ask "is this request denied / allowed?"
 * instead of comparing JSON. It implements what the app's policies use: Action/Resource wildcards (`*`, `?`),
 * explicit Deny over Allow, and the condition operators StringEquals, StringLike, ArnLike, ArnEquals (a missing
 * key never matches, as in IAM) and NotResource. Not a full IAM simulator: no NotAction, no policy variables.
 */
import type { TfJson } from "./synth";

export interface EvalStatement {
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** NotResource: the statement applies to every resource except these. */
  readonly notResources?: readonly string[];
  readonly condition?: readonly { test: string; variable: string; values: readonly string[] }[];
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`aws:ResourceTag/Environment`, `iam:PermissionsBoundary`, ...). */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = "allow" | "deny" | "implicit-deny";

const glob = (pattern: string, flags = "") =>
  new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    flags,
  );

const conditionHolds = (
  c: { test: string; variable: string; values: readonly string[] },
  context: Readonly<Record<string, string>>,
): boolean => {
  const value = context[c.variable];
  if (value === undefined) return false;
  switch (c.test) {
    case "StringEquals":
    case "ArnEquals":
      return c.values.includes(value);
    case "StringLike":
    case "ArnLike":
      return c.values.some((v) => glob(v).test(value));
    default:
      throw new Error(`iam-eval does not implement condition operator ${c.test}`);
  }
};

/** Does the statement apply to the request (action, resource and every condition)? */
export function matches(statement: EvalStatement, request: Request): boolean {
  const context = request.context ?? {};
  return (
    statement.actions.some((a) => glob(a, "i").test(request.action)) &&
    (statement.notResources && statement.notResources.length > 0
      ? !statement.notResources.some((r) => glob(r).test(request.resource))
      : statement.resources.some((r) => glob(r).test(request.resource))) &&
    (statement.condition ?? []).every((c) => conditionHolds(c, context))
  );
}

/** IAM's decision for one policy set: an explicit Deny wins, then any Allow, else the implicit deny. */
export function decide(statements: readonly EvalStatement[], request: Request): Decision {
  const applying = statements.filter((s) => matches(s, request));
  if (applying.some((s) => s.effect === "Deny")) return "deny";
  if (applying.some((s) => s.effect === "Allow")) return "allow";
  return "implicit-deny";
}

/**
 * Statements of a synthesized aws_iam_policy_document, with Terraform references replaced by literals through
 * `resolve`; a reference it leaves in place throws, so a test never matches against `${...}` text.
 */
export function resolveStatements(
  statements: readonly TfJson[],
  resolve: (text: string) => string,
): EvalStatement[] {
  const literal = (text: string) => {
    const out = resolve(text);
    const leftover = out.match(/\$\{[^}]+\}/g);
    if (leftover) throw new Error(`unresolved references ${leftover.join(", ")}`);
    return out;
  };
  return statements.map((s) => ({
    sid: s.sid,
    effect: s.effect ?? "Allow",
    actions: (s.actions ?? []).map(literal),
    resources: (s.resources ?? []).map(literal),
    notResources: (s.not_resources ?? []).map(literal),
    condition: (s.condition ?? []).map((c: TfJson) => ({
      test: c.test,
      variable: c.variable,
      values: (c.values ?? []).map(literal),
    })),
  }));
}
