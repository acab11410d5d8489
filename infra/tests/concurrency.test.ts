/**
 * The account's Lambda concurrency, counted from the synthesized stacks. Lambda refuses a reservation that would
 * leave fewer than 100 unreserved executions in the account and region (Lambda developer guide, "Lambda function
 * scaling": "Lambda keeps 100 units of concurrency unreserved"), and the provider sets it after CreateFunction, so
 * an undercount leaves a function created and tainted mid-apply. Provisioned concurrency on a function without a
 * reservation comes out of the unreserved pool too ("Configuring provisioned concurrency"). The preflight
 * (infra/src/preflight-facts.ts) and docs/deploy.md take their figure from `accountConcurrency`; this test holds it
 * to what the stacks actually reserve.
 */
import {
  accountConcurrency,
  LAMBDA_UNRESERVED_MINIMUM,
  PLANNED_OPEN_PREVIEWS,
  renderConcurrencyDoc,
  reservedConcurrency,
} from "../src/config";
import { resourcesOf, synthAllStacks, type TfJson } from "./support/synth";

const { stacks, synthesized } = synthAllStacks({ environments: ["dev", "prd"], preview: 4242 });

/** What one synthesized stack takes from the account's pool: reservations, and provisioned concurrency elsewhere. */
function reservedIn(json: TfJson): number {
  const functions = resourcesOf(json, "aws_lambda_function");
  let total = 0;
  const reservedFunctions = new Set<string>();
  for (const [name, body] of functions) {
    const reserved = Number(body.reserved_concurrent_executions ?? -1);
    // -1 (the provider's default) means no reservation.
    if (reserved >= 0) {
      total += reserved;
      reservedFunctions.add(name);
    }
  }
  for (const [, config] of resourcesOf(json, "aws_lambda_provisioned_concurrency_config")) {
    const fn = /\$\{aws_lambda_function\.([^.]+)\./.exec(JSON.stringify(config.function_name))?.[1];
    if (!fn || !reservedFunctions.has(fn)) total += Number(config.provisioned_concurrent_executions);
  }
  return total;
}

describe("Lambda concurrency reserved in the account", () => {
  const environmentStacks = [
    ...Object.values(stacks.environments),
    ...(stacks.preview ? [stacks.preview] : []),
  ];

  it.each(environmentStacks.map((s) => [s.node.id, s] as const))(
    "counts what %s reserves exactly as its synthesized functions do",
    (id, stack) => {
      const json = synthesized.find((s) => s.id === id)?.json as TfJson;
      expect(reservedIn(json)).toBe(reservedConcurrency(stack.config));
      // Every stack reserves something (at least the api), so a count of 0 would mean the walk found nothing.
      expect(reservedIn(json)).toBeGreaterThan(0);
    },
  );

  it("sizes the quota for dev, prd and the planned previews plus Lambda's unreserved minimum", () => {
    const byId = (prefix: string) =>
      reservedIn(synthesized.find((s) => s.id.startsWith(prefix))?.json as TfJson);
    const fromSynth = byId("sml-dev") + byId("sml-prd") + PLANNED_OPEN_PREVIEWS * byId("sml-pr-");
    const account = accountConcurrency();
    expect(account.reserved).toBe(fromSynth);
    expect(account.requiredQuota).toBe(fromSynth + LAMBDA_UNRESERVED_MINIMUM);
  });

  it("grows by one preview's reservation per further open preview", () => {
    expect(accountConcurrency(3).reserved - accountConcurrency(2).reserved).toBe(
      accountConcurrency().perStack.preview,
    );
  });
});

describe("docs/deploy.md's concurrency figure", () => {
  // `npm run generate` writes the paragraph (scripts/generate/concurrency-doc.ts) and
  // scripts/tests/unit/generated-files.test.ts checks it is current; this checks what it says.
  it("breaks each environment's figure down into parts that add up to it (issue 23: dev 16 listed 10 + 5)", () => {
    const rendered = renderConcurrencyDoc().replace(/\n/g, " ");
    const breakdowns = [...rendered.matchAll(/(dev|prd|each preview) (\d+): ([^;)]+)/g)];
    expect(breakdowns.map(([, env]) => env)).toEqual(["dev", "prd", "each preview"]);
    for (const [, env, total, parts] of breakdowns) {
      const sum = [...(parts as string).matchAll(/ (\d+)/g)].reduce((n, [, v]) => n + Number(v), 0);
      expect({ env, sum }).toEqual({ env, sum: Number(total) });
    }
  });
});
