import { loadConfig } from "../../src/config";

describe("loadConfig", () => {
  test("uses DATABASE_URL for the pg driver when it is set", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }).db).toEqual({
      driver: "pg",
      databaseUrl: "postgres://u@h/db",
    });
  });

  test("reads host, port, name and secret for the pg driver in AWS", () => {
    expect(
      loadConfig({ DB_HOST: "cluster.local", DB_PORT: "6432", DB_NAME: "app", DB_SECRET_ARN: "arn:secret" })
        .db,
    ).toEqual({ driver: "pg", host: "cluster.local", port: 6432, database: "app", secretArn: "arn:secret" });
  });

  test("reads the database user for IAM database authentication, signed for the function's region", () => {
    expect(
      loadConfig({
        DB_HOST: "cluster.local",
        DB_NAME: "app",
        DB_USER: "sml_subscriber",
        AWS_REGION: "eu-west-1",
      }).db,
    ).toEqual({
      driver: "pg",
      host: "cluster.local",
      port: 5432,
      database: "app",
      user: "sml_subscriber",
      region: "eu-west-1",
    });
  });

  test("refuses both a database user and a secret: one way to log in", () => {
    expect(() =>
      loadConfig({
        DB_HOST: "h",
        DB_NAME: "app",
        DB_USER: "u",
        DB_SECRET_ARN: "arn:s",
        AWS_REGION: "eu-west-1",
      }),
    ).toThrow(/only one of DB_USER .* and DB_SECRET_ARN/);
  });

  test("reads how long to wait for a resuming database", () => {
    expect(
      loadConfig({ DB_HOST: "h", DB_NAME: "app", DB_SECRET_ARN: "arn:s", DB_CONNECT_DEADLINE_MS: "90000" })
        .db,
    ).toMatchObject({ secretArn: "arn:s", connectDeadlineMs: 90_000 });
  });

  test("reads the cluster, secret and database for the Data API driver", () => {
    expect(
      loadConfig({
        DB_DRIVER: "data-api",
        DB_CLUSTER_ARN: "arn:cluster",
        DB_SECRET_ARN: "arn:secret",
        DB_NAME: "app",
      }).db,
    ).toEqual({ driver: "data-api", clusterArn: "arn:cluster", secretArn: "arn:secret", database: "app" });
  });

  test.each([
    [{ DB_NAME: "app", DB_SECRET_ARN: "arn:s" }, "DB_HOST"],
    [{ DB_HOST: "h", DB_SECRET_ARN: "arn:s" }, "DB_NAME"],
    [{ DB_HOST: "h", DB_NAME: "app" }, "DB_SECRET_ARN"],
    [{ DB_DRIVER: "data-api", DB_SECRET_ARN: "arn:s", DB_NAME: "app" }, "DB_CLUSTER_ARN"],
    [{ DB_DRIVER: "mysql", DATABASE_URL: "x" }, "DB_DRIVER"],
    [{ DATABASE_URL: "x", DB_PORT: "99999" }, "DB_PORT"],
    [{ DB_HOST: "h", DB_NAME: "app", DB_USER: "u" }, "AWS_REGION"],
    [{ DATABASE_URL: "x", DB_CONNECT_DEADLINE_MS: "soon" }, "DB_CONNECT_DEADLINE_MS"],
  ])("throws naming the variable that is missing or invalid (%#)", (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`environment variable ${name}\\b`));
  });

  test("fails the subscriber's cold start when the database is not configured", () => {
    const saved = { ...process.env };
    for (const key of ["DATABASE_URL", "DB_HOST", "DB_NAME", "DB_SECRET_ARN", "DB_DRIVER"])
      delete process.env[key];
    try {
      jest.isolateModules(() => {
        expect(() => require("../../src/handlers/sqs")).toThrow(/Missing environment variable DB_HOST/);
      });
    } finally {
      process.env = saved;
    }
  });
});
