/**
 * The delivery scripts the deploy and integration workflows run, against the real local stack (`npm start`:
 * handlers, fauxqs SNS/SQS, PostgreSQL) with the real AWS CLI, curl and jq: the same commands a workflow runs,
 * pointed at local endpoints instead of AWS.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import {
  freshLocalDir,
  REPO_ROOT,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "@sml/local-stack/tests/support/local-stack-process";
import { Client } from "pg";

jest.setTimeout(120_000);

const run = promisify(execFile);
const credentials = {
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_DEFAULT_REGION: "us-east-1",
};

let db: ScratchDatabase;
let sql: Client;
let localDir: string;
let stack: StackProcess | undefined;
let outputsFile: string;

interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function script(path: string, args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, path), args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...credentials,
        AWS_ENDPOINT_URL: (stack as StackProcess).stack.awsEndpoint,
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(async () => {
  db = await createScratchDatabase("delivery_scripts");
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  localDir = freshLocalDir("delivery-scripts");
  stack = await startStackProcess({ port: await freePort(), localDir, env: { DATABASE_URL: db.url } });
  // The stack outputs the workflows read with scripts/delivery/stack-outputs.sh, for the local stack.
  outputsFile = join(localDir, "outputs.json");
  const { apiUrl, queueUrl, dlqUrl } = stack.stack;
  writeFileSync(outputsFile, JSON.stringify({ api_url: apiUrl, queue_url: queueUrl, dlq_url: dlqUrl }));
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  await sql?.end();
  await db?.drop();
  removeLocalDir(localDir);
});

describe("scripts/delivery/check-queues.sh", () => {
  it("passes when a burst of POSTs drains from the queue and nothing is dead-lettered", async () => {
    const result = await script("scripts/delivery/check-queues.sh", [outputsFile, "10"], {
      QUEUE_BOUND_SECONDS: "30",
      // Every route but /health needs a token, on the local stack too (npm run token).
      // An admin's: the users routes are the admins group's.
      SMOKE_TOKEN: (stack as StackProcess)
        .auth("queue-check", ["admins"])
        .authorization.slice("Bearer ".length),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ok    10 POST /users accepted");
    expect(result.stdout).toContain("ok    users queue drained within 30 s");
    expect(result.stdout).toContain("ok    dead-letter queue empty");
    const rows = await sql.query("SELECT count(*)::int AS n FROM users WHERE email LIKE 'queue-%'");
    expect(rows.rows[0].n).toBe(10);
  });

  it("fails and points at the runbook when the dead-letter queue holds a message", async () => {
    const sqs = new SQSClient({
      endpoint: (stack as StackProcess).stack.awsEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: (stack as StackProcess).stack.dlqUrl, MessageBody: "{}" }),
    );
    sqs.destroy();
    const result = await script("scripts/delivery/check-queues.sh", [outputsFile, "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "FAIL  dead-letter queue holds 1 message(s) before the test; see docs/operations.md",
    );
  });
});

describe("scripts/delivery/smoke-user.sh", () => {
  it("does nothing and prints no token for a stage without the JWT authorizer", async () => {
    const result = await script("scripts/delivery/smoke-user.sh", ["sign-in", outputsFile], {
      SMOKE_USERNAME: "smoke@example.com",
    });
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("rejects an unknown action", async () => {
    const result = await script("scripts/delivery/smoke-user.sh", ["login", outputsFile], {
      SMOKE_USERNAME: "smoke@example.com",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown action 'login' (sign-in or delete)");
  });
});

describe("scripts/delivery/validate-stacks.sh", () => {
  // Stacks without providers: terraform init and validate run offline, as they cannot here with the AWS provider.
  let stacksDir: string;
  /** A Terraform interpolation as written in cdk.tf.json: `tf("var.x")` is the text `${var.x}`. */
  const tf = (ref: string) => `\${${ref}}`;
  const writeStack = (name: string, json: unknown) => {
    mkdirSync(join(stacksDir, name), { recursive: true });
    writeFileSync(join(stacksDir, name, "cdk.tf.json"), JSON.stringify(json));
  };

  beforeEach(() => {
    stacksDir = mkdtempSync(join(tmpdir(), "sml-validate-stacks-"));
  });
  afterEach(() => rmSync(stacksDir, { recursive: true, force: true }));

  const valid = {
    terraform: { required_version: ">= 1.10" },
    variable: { digest: { type: "string" } },
    output: { digest: { value: tf("var.digest") } },
  };

  it("passes when every stack is valid", async () => {
    writeStack("sml-a", valid);
    writeStack("sml-b", valid);
    const result = await script("scripts/delivery/validate-stacks.sh", [stacksDir], {
      CHECKPOINT_DISABLE: "1",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("== sml-a");
    expect(result.stdout).toContain("== sml-b");
    expect(result.stdout).toContain("validate-stacks: 2 stack(s) valid");
  });

  it("checks every stack and names each invalid one", async () => {
    writeStack("sml-a", { output: { x: { value: tf("var.missing") } } });
    writeStack("sml-b", valid);
    writeStack("sml-c", { output: { y: { value: tf("aws_sqs_queue.gone.url") } } });
    const result = await script("scripts/delivery/validate-stacks.sh", [stacksDir], {
      CHECKPOINT_DISABLE: "1",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("== sml-b");
    expect(result.stderr).toContain("Reference to undeclared input variable");
    expect(result.stderr).toContain("validate-stacks: invalid: sml-a sml-c");
  });

  it("fails with a hint when nothing was synthesized", async () => {
    const result = await script("scripts/delivery/validate-stacks.sh", [stacksDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("run npm run synth");
  });
});
