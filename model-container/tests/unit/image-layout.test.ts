/**
 * Docker cannot run here, so this builds the image context exactly as `npm run build` does and loads the handler
 * from that folder in a fresh Node process, outside the repository (no node_modules to fall back on).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGE_FUNCTION_NAMES, imageBundleFile, LAMBDA_NODE_MAJOR } from "@sml/contracts/functions";
import { modelFolders } from "@sml/flight-model/model-registry";
import { MODEL_FILES, REGISTRY_FILE } from "@sml/flight-model/model-spec";
import { buildModelImageContext } from "../../src/packaging/image-context";
import { apiEvent, workspaceModelDir, workspaceRegistryDir } from "../support/events";

let context: string;

beforeAll(async () => {
  context = join(mkdtempSync(join(tmpdir(), "sml-model-image-")), "model-image");
  await buildModelImageContext({ outDir: context });
}, 60_000);

afterAll(() => {
  rmSync(join(context, ".."), { recursive: true, force: true });
});

/** Sources of the Dockerfile's COPY lines that read from the build context (not from another stage). */
function copiedFromContext(dockerfile: string): string[] {
  return dockerfile
    .split("\n")
    .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
}

describe("the prediction image's build context", () => {
  it("holds every file the Dockerfile copies, and the Dockerfile itself", () => {
    const dockerfile = readFileSync(join(context, "Dockerfile"), "utf8");
    const sources = copiedFromContext(dockerfile);
    // One bundle per image function of the registry, under the name its handler string uses.
    const bundles = IMAGE_FUNCTION_NAMES.map(imageBundleFile);
    expect(sources).toEqual([...bundles, "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm", "model/"]);
    expect(bundles).toEqual(["index.js", "batches.js", "batch-worker.js"]);
    for (const source of sources) expect(existsSync(join(context, source))).toBe(true);
    expect(existsSync(join(context, ".dockerignore"))).toBe(true);
  });

  it("builds on the Lambda Node.js base image of LAMBDA_NODE_MAJOR for arm64 and runs index.handler", () => {
    const dockerfile = readFileSync(join(context, "Dockerfile"), "utf8");
    // AWS's Node.js base images are public.ecr.aws/lambda/nodejs:<major>[.<release>][@sha256:<digest>]
    // (AWS Lambda developer guide, "Deploy Node.js Lambda functions with container images").
    const base = dockerfile.match(
      /^ARG BASE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:(\d+)(?:\.[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/m,
    );
    expect(Number(base?.[1])).toBe(LAMBDA_NODE_MAJOR);
    expect(dockerfile.match(/^FROM --platform=linux\/arm64 \$\{BASE_IMAGE\}/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m);
  });

  it("ships every model of the registry and the champion file, with only the files the server reads", () => {
    const folders = modelFolders(workspaceRegistryDir);
    expect(folders.length).toBeGreaterThanOrEqual(2);
    expect(modelFolders(join(context, "model"))).toEqual(folders);
    expect(readFileSync(join(context, "model", REGISTRY_FILE))).toEqual(
      readFileSync(join(workspaceRegistryDir, REGISTRY_FILE)),
    );
    for (const folder of folders) {
      for (const file of [
        MODEL_FILES.topology,
        MODEL_FILES.weights,
        MODEL_FILES.features,
        MODEL_FILES.airports,
        MODEL_FILES.metrics,
      ]) {
        expect(readFileSync(join(context, "model", folder, file))).toEqual(
          readFileSync(join(workspaceRegistryDir, folder, file)),
        );
      }
      // rates.bin exactly when the model has one (feature set 3).
      const rates = join(workspaceRegistryDir, folder, MODEL_FILES.rates);
      if (existsSync(rates)) {
        expect(readFileSync(join(context, "model", folder, MODEL_FILES.rates))).toEqual(readFileSync(rates));
      } else expect(existsSync(join(context, "model", folder, MODEL_FILES.rates))).toBe(false);
      expect(existsSync(join(context, "model", folder, MODEL_FILES.golden))).toBe(false);
    }
  });

  it("bundles tfjs-core and the backends but not tfjs-layers", () => {
    const bundle = readFileSync(join(context, "index.js"), "utf8");
    expect(bundle).not.toMatch(/LayersModel|tfjs-layers/);
    expect(bundle).toContain('require("@tensorflow/tfjs-node")');
  });

  // Issue 29: the bundle was 1,243 KB, of which 300 KB node-fetch's URL stack (tr46, whatwg-url) that tfjs-core
  // reaches only without a global fetch (Node < 18), and 444 KB all of zod's classic API (a named `{ z }` import
  // keeps the whole namespace in esbuild). Every cold start parses what the bundle holds.
  it("leaves node-fetch out (the runtime has fetch) and keeps the bundle under 700 KB", () => {
    const bundle = readFileSync(join(context, "index.js"), "utf8");
    expect(bundle).toContain('require("node-fetch")');
    expect(bundle).not.toContain("FetchError"); // node-fetch's own error class
    expect(Buffer.byteLength(bundle)).toBeLessThan(700 * 1024);
  });

  const golden = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.golden), "utf8"));

  /** Requires `<dir>/index.js` in a fresh process outside the repository and sends the golden request. */
  function serveFrom(dir: string) {
    const script = `
      const { handler } = require(${JSON.stringify(join(dir, "index.js"))});
      handler(${JSON.stringify(apiEvent({ instances: golden.instances }))})
        .then((r) => console.log("RESPONSE " + JSON.stringify(r)));
    `;
    const { MODEL_DIR: _unset, ...env } = process.env;
    const run = spawnSync(process.execPath, ["-e", script], {
      cwd: tmpdir(),
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    const lines = run.stdout.trim().split("\n");
    const loaded = lines
      .map((l) => JSON.parse(l.startsWith("RESPONSE ") ? "{}" : l))
      .find((l) => l.message === "models loaded");
    const responseLine = lines.find((l) => l.startsWith("RESPONSE "));
    return {
      run,
      loaded,
      response: responseLine ? JSON.parse(responseLine.slice("RESPONSE ".length)) : undefined,
    };
  }

  function expectGoldenPredictions(response: { statusCode: number; body: string }) {
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.predictions).toHaveLength(golden.probabilities.length);
    body.predictions.forEach((p: { delayProbability: number }, i: number) => {
      expect(Math.abs(p.delayProbability - golden.probabilities[i])).toBeLessThan(1e-4);
    });
  }

  // The Node.js 24 runtime no longer supports callback-style handlers (AWS Lambda developer guide, "Define Lambda
  // function handler in Node.js"; aws-lambda-nodejs-runtime-interface-client#137): the image's handler is async.
  it("exports an async handler of at most two parameters from the image's bundle", () => {
    const script = `const { handler } = require(${JSON.stringify(join(context, "index.js"))});
      console.log("HANDLER " + JSON.stringify({ kind: handler.constructor.name, parameters: handler.length }));`;
    const run = spawnSync(process.execPath, ["-e", script], {
      cwd: tmpdir(),
      encoding: "utf8",
      timeout: 60_000,
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("HANDLER "));
    const handler = JSON.parse(line?.slice("HANDLER ".length) ?? "{}");
    expect(handler.kind).toBe("AsyncFunction");
    expect(handler.parameters).toBeLessThan(3);
  });

  it.each(["batches", "batch-worker"] as const)(
    "loads the %s bundle from the image in a fresh process, which refuses to start without its bucket",
    (name) => {
      // Lambda loads `<file>.handler` (imageHandler); without BATCH_BUCKET the init must fail naming it.
      const script = `require(${JSON.stringify(join(context, imageBundleFile(name)))});`;
      const run = spawnSync(process.execPath, ["-e", script], {
        cwd: tmpdir(),
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? "" },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(
        /ConfigError: Invalid batch configuration: environment variable BATCH_BUCKET/,
      );
    },
  );

  it("serves POST /predict from a fresh process with the wasm backend and the model beside the bundle", () => {
    const { run, loaded, response } = serveFrom(context);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(loaded).toEqual(
      expect.objectContaining({ backend: "wasm", champion: `flight-delay@${golden.version}` }),
    );
    expectGoldenPredictions(response);
  });

  it("falls back to the cpu backend when the wasm binaries are missing", () => {
    const withoutWasm = join(context, "..", "without-wasm");
    cpSync(context, withoutWasm, { recursive: true });
    for (const file of readdirSync(withoutWasm).filter((f) => f.endsWith(".wasm")))
      rmSync(join(withoutWasm, file));
    const { run, loaded, response } = serveFrom(withoutWasm);
    expect(run.status).toBe(0);
    expect(loaded).toEqual(
      expect.objectContaining({ backend: "cpu", champion: `flight-delay@${golden.version}` }),
    );
    expectGoldenPredictions(response);
  });
});
