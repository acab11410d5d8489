/**
 * Issue 25 review: a model folder that does not load (here a non-champion's weights.bin cut short) fails the
 * Lambda init of the prediction and batch functions, so GET /models, POST /predict and POST /batches would all
 * answer 500. The real `npm start` refuses to start instead of printing "is up": it exits non-zero naming the
 * model folder and the reason. Before, it printed "local stack is up" with prediction "NOT AVAILABLE".
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@sml/database/testing";
import { freshLocalDir, REPO_ROOT, removeLocalDir } from "../support/local-stack-process";

jest.setTimeout(120_000);

let localDir: string;

beforeAll(() => {
  localDir = freshLocalDir("local-stack-broken-model");
});

afterAll(() => removeLocalDir(localDir));

test("refuses to start, naming the model folder and the reason, when a non-champion model's weights are truncated", async () => {
  const modelDir = join(localDir, "model");
  cpSync(join(REPO_ROOT, "model-container/model"), modelDir, { recursive: true });
  const { champion } = JSON.parse(readFileSync(join(modelDir, "models.json"), "utf8")) as {
    champion: string;
  };
  const broken = readdirSync(modelDir).find((id) => id.includes("@") && id !== champion);
  if (!broken) throw new Error("the workspace registry needs a model besides the champion");
  truncateSync(join(modelDir, broken, "weights.bin"), 1000);

  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const run = spawnSync("npm", ["start", "--silent"], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      PORT: String(await freePort()),
      LOCAL_DIR: join(localDir, "state"),
      MODEL_DIR: modelDir,
    },
    encoding: "utf8",
    timeout: 100_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.signal).toBeNull();
  expect(run.status).not.toBe(0);
  expect(output).not.toContain("local stack is up");
  expect(output).toContain("npm start failed:");
  expect(output).toContain(join(modelDir, broken));
  expect(output).toMatch(/weights\.bin has 1000 bytes, model\.json expects \d+/);
});
