// Checks that package-lock.json installs on a machine with an empty npm cache and that the app and cdktf share one
// `constructs`. Run by `npm run lock` after it rewrites the lock, and by .ci/run before `npm ci`.
// Two failures seen in this project: lock entries without a `version` (npm ci: "Invalid Version:" on a new machine),
// and a second copy of `constructs` (cdktf synth: "scope.node._scopes is not iterable").
import { readFileSync } from "node:fs";

const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"));
const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const problems = [];

for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === "" || entry.link) continue;
  if (typeof entry.version !== "string" || entry.version === "") {
    problems.push(`${path} has no version (delete the entry, then run \`npm run lock\`)`);
  }
}

const constructsCopies = Object.entries(lock.packages ?? {})
  .filter(([path]) => path === "node_modules/constructs" || path.endsWith("/node_modules/constructs"))
  .map(([path, entry]) => `${path}@${entry.version}`);
if (constructsCopies.length !== 1) {
  problems.push(
    `constructs must have exactly one copy, found ${constructsCopies.length}: ${constructsCopies.join(", ")} ` +
      `(keep the root devDependency and the "constructs": "$constructs" override in package.json)`,
  );
}
const wanted = root.devDependencies?.constructs;
if (wanted && constructsCopies.length === 1 && !constructsCopies[0].endsWith(`@${wanted}`)) {
  problems.push(`the one copy of constructs is ${constructsCopies[0]}, package.json pins ${wanted}`);
}

if (problems.length > 0) {
  console.error(`package-lock.json: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `package-lock.json: ${Object.keys(lock.packages).length - 1} entries, all versioned; one constructs`,
);
