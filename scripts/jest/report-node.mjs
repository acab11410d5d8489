// Root jest globalSetup: says which Node.js runs the tests, before any project starts. `npm test` runs on the
// Node of the root `node` devDependency (the Lambda's major), not the machine's; packages/contracts/tests/node-runtime.test.ts
// fails when they differ.
export default function reportNode() {
  process.stdout.write(
    `\nnpm test runs on Node.js ${process.version} (major ${process.versions.node.split(".")[0]}): ${process.execPath}\n`,
  );
}
