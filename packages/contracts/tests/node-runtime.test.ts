/**
 * The project runs its code on the Node.js major that Lambda runs it on, whatever Node the machine has: the
 * exact root devDependency on the `node` package puts that Node first on the PATH of every npm script (`npm test`,
 * `npm start`, build, synth, bench, train). A machine Node of another major must not leak into a run.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LAMBDA_NODE_MAJOR } from "../src/functions";

const repoRoot = resolve(__dirname, "../../..");
const rootPackage = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const majorOf = (version: string): number => Number(version.replace(/^v/, "").split(".")[0]);

describe("the Node.js the project runs on", () => {
  it("runs the tests on the Lambda's Node.js major", () => {
    expect(majorOf(process.versions.node)).toBe(LAMBDA_NODE_MAJOR);
  });

  it("pins the `node` devDependency to one exact release of the Lambda's major", () => {
    const pinned: string = rootPackage.devDependencies.node;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(majorOf(pinned)).toBe(LAMBDA_NODE_MAJOR);
  });

  it("declares the Lambda's major in engines", () => {
    expect(rootPackage.engines.node).toBe(`${LAMBDA_NODE_MAJOR}.x`);
  });

  it("allows the `node` package's install script, which installs the Node binary", () => {
    expect(rootPackage.allowScripts.node).toBe(true);
  });
});
