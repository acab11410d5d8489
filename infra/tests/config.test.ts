import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BATCH_QUEUE_SETTINGS, BATCHES_RESERVED_CONCURRENCY } from "@sml/contracts/batches";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";
import { Testing } from "cdktf";
import {
  ConfigError,
  connectionBudget,
  ENVIRONMENTS,
  type EnvironmentConfig,
  getEnvironmentConfig,
  requireAlarmEmails,
  SHARED_CONFIG,
  validateConfig,
} from "../src/config";
import { auroraMaxConnections } from "../src/config/slo";
import { readMigrationSet } from "../src/constructs/migrations";
import { defineStacks } from "../src/stacks";
import { EnvironmentStack } from "../src/stacks/environment-stack";
import { testBundleRoot } from "./support/paths";

const dev = getEnvironmentConfig("dev");
const prd = getEnvironmentConfig("prd");

function withChange(
  base: EnvironmentConfig,
  change: (c: EnvironmentConfig) => EnvironmentConfig,
): EnvironmentConfig {
  return change(structuredClone(base));
}

describe("environment configs", () => {
  it("throws for an unknown environment, listing the known ones and where to add one", () => {
    expect(() => getEnvironmentConfig("staging")).toThrow(ConfigError);
    expect(() => getEnvironmentConfig("staging")).toThrow(
      /Unknown environment "staging".*dev, prd.*environments\.ts/,
    );
  });

  it("refuses to synthesize an app with an unknown environment", () => {
    expect(() =>
      defineStacks(Testing.app(), {
        environments: ["qa"],
        bundleRoot: testBundleRoot(),
      }),
    ).toThrow(/Unknown environment "qa"/);
  });

  it("does not accept inherited object keys as environment names", () => {
    expect(() => getEnvironmentConfig("toString")).toThrow(ConfigError);
  });

  it("gives dev the lean settings: no NAT, functions outside the VPC on the Data API, pausing Aurora, no endpoints", () => {
    expect(dev.network).toMatchObject({ natMode: "none", vpcEndpoints: false, flowLogs: false });
    expect(dev.functions.inVpc).toBe(false);
    expect(dev.database.driver).toBe("data-api");
    expect(dev.database).toMatchObject({
      minAcu: 0,
      reader: false,
      deletionProtection: false,
      finalSnapshot: false,
    });
    expect(dev.database.secondsUntilAutoPause).toBeGreaterThanOrEqual(300);
    expect(dev.api.jwtAuthorizer).toBe(true);
    expect(dev.prediction.provisionedConcurrency).toBeUndefined();
  });

  it("gives prd NAT per AZ, endpoints, flow logs, a capacity floor, a reader and protection", () => {
    expect(prd.network).toMatchObject({ natMode: "gateway-per-az", vpcEndpoints: true, flowLogs: true });
    expect(prd.database.minAcu).toBeGreaterThan(0);
    expect(prd.database).toMatchObject({ reader: true, deletionProtection: true, finalSnapshot: true });
    expect(prd.database.secondsUntilAutoPause).toBeUndefined();
    expect(prd.database.backupRetentionDays).toBeGreaterThanOrEqual(7);
    expect(prd.api.jwtAuthorizer).toBe(true);
    expect(prd.prediction.reservedConcurrency).toBeGreaterThan(0);
    expect(prd.prediction.provisionedConcurrency).toBeGreaterThan(0);
  });

  it("takes the messaging settings from @sml/contracts/messaging, overriding only prd's concurrency", () => {
    expect(dev.messaging).toEqual(DEFAULT_MESSAGING_SETTINGS);
    expect({ ...prd.messaging, maximumConcurrency: DEFAULT_MESSAGING_SETTINGS.maximumConcurrency }).toEqual(
      DEFAULT_MESSAGING_SETTINGS,
    );
  });

  it.each<[string, (c: EnvironmentConfig) => EnvironmentConfig, RegExp]>([
    [
      "no NAT and no endpoints for functions in the VPC",
      (c) => ({
        ...c,
        network: { ...c.network, natMode: "none", vpcEndpoints: false },
        functions: { ...c.functions, inVpc: true },
      }),
      /natMode "none" with functions.inVpc needs network.vpcEndpoints/,
    ],
    [
      // Outside the VPC a function has no route to 5432: only the Data API (HTTPS, IAM) reaches Aurora.
      "functions outside the VPC on the pg driver",
      (c) => ({
        ...c,
        functions: { ...c.functions, inVpc: false },
        database: { ...c.database, driver: "pg" },
      }),
      /functions.inVpc: false needs database.driver "data-api"/,
    ],
    [
      "endpoints with no function in the VPC to call them",
      (c) => ({
        ...c,
        functions: { ...c.functions, inVpc: false },
        network: { ...c.network, vpcEndpoints: true },
      }),
      /network.vpcEndpoints needs functions.inVpc/,
    ],
    [
      // The per-route latency and 5xx alarms read API Gateway's detailed metrics (API Gateway developer guide,
      // "Monitor CloudWatch metrics for HTTP APIs"): without them those alarms watch nothing.
      "every alarm without per-route metrics",
      (c) => ({
        ...c,
        observability: { ...c.observability, alarms: "all" },
        api: { ...c.api, detailedMetrics: false },
      }),
      /observability.alarms "all" needs api.detailedMetrics/,
    ],
    [
      "auto-pause with a capacity floor",
      (c) => ({ ...c, database: { ...c.database, minAcu: 1, secondsUntilAutoPause: 600 } }),
      /secondsUntilAutoPause only applies with minAcu: 0/,
    ],
    [
      "min ACU above max ACU",
      (c) => ({ ...c, database: { ...c.database, minAcu: 8, maxAcu: 4, secondsUntilAutoPause: undefined } }),
      /ACU range 8..4/,
    ],
    [
      "a PostgreSQL 15 engine",
      (c) => ({ ...c, database: { ...c.database, engineVersion: "15.10" } }),
      /PostgreSQL 16 minor/,
    ],
    [
      "a visibility timeout under 6x the subscriber timeout",
      (c) => ({ ...c, messaging: { ...c.messaging, visibilityTimeoutSeconds: 60 } }),
      /at least 6x subscriberTimeoutSeconds/,
    ],
    [
      "more provisioned than reserved prediction concurrency",
      (c) => ({ ...c, prediction: { ...c.prediction, reservedConcurrency: 1, provisionedConcurrency: 2 } }),
      /cannot exceed prediction.reservedConcurrency/,
    ],
    [
      "an API reserved concurrency of 0",
      (c) => ({ ...c, functions: { ...c.functions, apiReservedConcurrency: 0 } }),
      /functions.apiReservedConcurrency must be a whole number >= 1/,
    ],
    [
      "more function connections than max_connections for the capacity range",
      (c) => ({ ...c, functions: { ...c.functions, apiReservedConcurrency: 804 } }),
      // dev runs 0..4 ACU: the memory formula's 823 connections (below 16 ACU; see the auroraMaxConnections tests);
      // the batch functions hold 5 (batches) + 10 (the worker's event source mapping) + 1 (the sweeper).
      /apiReservedConcurrency \(804\) \+ messaging.maximumConcurrency \(2\) \+ migration \(1\) \+ batch functions \(16\) = 823 database connections, not below max_connections 823 at database.minAcu..maxAcu 0..4/,
    ],
    [
      "a 0.5..16 ACU range whose functions reach AWS's 2,000-connection cap for minimums below 1 ACU",
      (c) => ({
        ...c,
        database: { ...c.database, minAcu: 0.5, maxAcu: 16, secondsUntilAutoPause: undefined },
        functions: { ...c.functions, apiReservedConcurrency: 1981 },
      }),
      /= 2000 database connections, not below max_connections 2000 at database.minAcu..maxAcu 0.5..16/,
    ],
    [
      "an API timeout over API Gateway's limit",
      (c) => ({ ...c, functions: { ...c.functions, api: { memoryMb: 512, timeoutSeconds: 60 } } }),
      /<= 29/,
    ],
  ])("rejects %s with a message naming the setting", (_what, change, message) => {
    expect(() => validateConfig(withChange(dev, change))).toThrow(message);
  });

  it("lets a stack share another's VPC only with every function outside it and nothing of its own in it", () => {
    const preview = ENVIRONMENTS.preview;
    expect(preview.network.shareFrom).toBe("dev");
    expect(() => validateConfig(preview)).not.toThrow();
    const inVpc = withChange(preview, (c) => ({
      ...c,
      functions: { ...c.functions, inVpc: true },
      network: { ...c.network, vpcEndpoints: true },
      database: { ...c.database, driver: "pg" },
    }));
    expect(() => validateConfig(inVpc)).toThrow(/network.shareFrom "dev" needs functions.inVpc/);
    const itself = withChange(ENVIRONMENTS.dev, (c) => ({
      ...c,
      network: { ...c.network, shareFrom: "dev" },
    }));
    expect(() => validateConfig(itself)).toThrow(/shareFrom names the environment itself/);
  });

  it("rejects a prd config without deletion protection", () => {
    const unprotected = withChange(prd, (c) => ({
      ...c,
      database: { ...c.database, deletionProtection: false },
    }));
    expect(() => validateConfig(unprotected)).toThrow(/prd needs database.deletionProtection/);
  });

  it("rejects a prd config whose user pool has no deletion protection", () => {
    const unprotected = withChange(prd, (c) => ({
      ...c,
      api: { ...c.api, userPoolDeletionProtection: false },
    }));
    expect(() => validateConfig(unprotected)).toThrow(/prd needs api.userPoolDeletionProtection/);
  });

  it.each([
    ["dev", dev],
    ["prd", prd],
  ])(
    "keeps %s's api reserved concurrency + subscriber concurrency + migration + batch functions below max_connections at max ACU",
    (_name, config) => {
      const budget = connectionBudget(config);
      expect(budget).toEqual({
        api: config.functions.apiReservedConcurrency,
        subscriber: config.messaging.maximumConcurrency,
        migrate: 1,
        // The batches function, the worker's mapping and the sweeper (reserved concurrency 1).
        batch: BATCHES_RESERVED_CONCURRENCY + BATCH_QUEUE_SETTINGS.maximumConcurrency + 1,
        total:
          config.functions.apiReservedConcurrency +
          config.messaging.maximumConcurrency +
          1 +
          BATCHES_RESERVED_CONCURRENCY +
          BATCH_QUEUE_SETTINGS.maximumConcurrency +
          1,
        limit: auroraMaxConnections(config.database),
      });
      expect(budget.total).toBeLessThan(budget.limit);
    },
  );

  it("documents every config setting with a doc comment", () => {
    const source = readFileSync(join(__dirname, "../src/config/types.ts"), "utf8");
    const lines = source.split("\n");
    const undocumented = lines
      .map((line, i) => ({ line: line.trim(), previous: (lines[i - 1] ?? "").trim() }))
      .filter(({ line }) => /^readonly \w+\??:/.test(line))
      .filter(({ previous }) => !previous.endsWith("*/"))
      .map(({ line }) => line);
    expect(undocumented).toEqual([]);
  });

  describe("alarm e-mail (a required setting, SML_ALARM_EMAIL_<ENV>)", () => {
    it.each([
      ["unset", undefined, /SML_ALARM_EMAIL_PRD is not set: set SML_ALARM_EMAIL_PRD/],
      ["empty", "  ", /SML_ALARM_EMAIL_PRD is not set: set SML_ALARM_EMAIL_PRD/],
      ["the old placeholder", "oncall@example.com", /SML_ALARM_EMAIL_PRD\) is not a deliverable address/],
      ["a reserved test domain", "alarms@sml.test", /is not a deliverable address/],
      ["not an address", "on-call team", /is not a deliverable address/],
    ])("refuses an %s address, naming the variable to set", (_what, alarmEmail, message) => {
      expect(() => requireAlarmEmails({ ...prd, alarmEmail })).toThrow(message);
    });

    it("accepts a deliverable address", () => {
      expect(requireAlarmEmails({ ...prd, alarmEmail: " oncall@ops.acme.io " })).toEqual([
        "oncall@ops.acme.io",
      ]);
    });

    it("accepts a comma-separated list of targets and refuses it when one of them is a placeholder", () => {
      expect(requireAlarmEmails({ ...prd, alarmEmail: "oncall@ops.acme.io, db-team@acme.io" })).toEqual([
        "oncall@ops.acme.io",
        "db-team@acme.io",
      ]);
      expect(() => requireAlarmEmails({ ...prd, alarmEmail: "oncall@ops.acme.io,me@example.org" })).toThrow(
        /"me@example.org", from SML_ALARM_EMAIL_PRD\) is not a deliverable address/,
      );
      expect(() => requireAlarmEmails({ ...prd, alarmEmail: "a@acme.io,a@acme.io" })).toThrow(/twice/);
    });

    it("fails the synth of an environment stack without it, with the variable's name", () => {
      const app = Testing.app();
      const unset = { ...dev, alarmEmail: undefined };
      expect(
        () =>
          new EnvironmentStack(app, "sml-dev", {
            config: unset,
            shared: SHARED_CONFIG,
            bundleRoot: testBundleRoot(),
            migrations: readMigrationSet(join(__dirname, "..", "..")),
          }),
      ).toThrow(/SML_ALARM_EMAIL_DEV/);
    });

    it("keeps no address in the environment configs' source", () => {
      const source = readFileSync(join(__dirname, "../src/config/environments.ts"), "utf8");
      expect(source).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/);
    });
  });

  it("defines exactly the dev and prd environments, and the preview environment of the per-pull-request stacks", () => {
    expect(Object.keys(ENVIRONMENTS).sort()).toEqual(["dev", "prd", "preview"]);
  });
});
