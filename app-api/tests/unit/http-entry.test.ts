// Loads the real entry point in an isolated module registry with a controlled environment.
const loadEntry = (env: Record<string, string>) => {
  const saved = { ...process.env };
  for (const key of ["TOPIC_ARN", "DATABASE_URL", "DB_DRIVER", "DB_HOST", "DB_NAME", "DB_SECRET_ARN"]) {
    delete process.env[key];
  }
  Object.assign(process.env, env);
  try {
    let mod: typeof import("../../src/handlers/http") | undefined;
    jest.isolateModules(() => {
      mod = require("../../src/handlers/http");
    });
    return mod;
  } finally {
    process.env = saved;
  }
};

describe("handlers/http entry point", () => {
  it("fails at load naming TOPIC_ARN when it is missing", () => {
    expect(() => loadEntry({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/none" })).toThrow(/TOPIC_ARN/);
  });

  it("fails at load naming the missing database variable", () => {
    expect(() => loadEntry({ TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:users" })).toThrow(/DB_HOST/);
  });

  it("exports a handler and the createHandler factory without connecting anywhere", () => {
    const mod = loadEntry({
      TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:users",
      DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
    });
    expect(typeof mod?.handler).toBe("function");
    expect(typeof mod?.createHandler).toBe("function");
  });
});
