// Preloaded by `npm run synth:cdktn` (`node -r ./infra/cdktn/alias.cjs --import tsx infra/src/main.ts`): resolves
// every `cdktf` and `@cdktf/provider-aws` import to CDK Terrain (`cdktn`, `@cdktn/provider-aws`), which keeps the
// same API, so the unchanged app synthesizes with CDK Terrain. Only resolution changes; the source stays cdktf.
// A CommonJS hook because tsx loads infra as CommonJS (an ESM `register()` resolve hook never sees these
// requires). docs/upgrade-cdktn.md explains the switch and infra/tests/cdktn-equivalence.test.ts checks it.
const Module = require("node:module");

/** [import pattern, replacement]: the package and every deep path under it (`@cdktf/provider-aws/lib/x`). */
const ALIASES = [
  [/^cdktf(\/.*)?$/, "cdktn$1"],
  [/^@cdktf\/provider-aws(\/.*)?$/, "@cdktn/provider-aws$1"],
];

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveCdktn(request, ...rest) {
  for (const [pattern, replacement] of ALIASES) {
    if (pattern.test(request))
      return resolveFilename.call(this, request.replace(pattern, replacement), ...rest);
  }
  return resolveFilename.call(this, request, ...rest);
};

// infra/locks/ pins hashicorp/aws 6.25.0, the cdktf bindings' provider; CDK Terrain's bindings target 6.66 and have
// no committed lock yet, so the app skips installing locks under it (infra/src/provider-locks.ts).
process.env.SML_PROVIDER_LOCKS ??= "off";
