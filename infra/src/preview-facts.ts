/**
 * What the preview workflow (docs/deploy.md, "Previews") needs to know about the per-pull-request stacks,
 * derived from the config so that no name is written twice: `tsx infra/src/preview-facts.ts [<pull request>]`
 * prints one JSON object, with the stack id and state key of that pull request's preview when a number is given.
 */
import { ENVIRONMENTS, previewConfig, SHARED_CONFIG } from "./config";
import { stateKey } from "./stacks/base";

const pullRequest = process.argv[2];
const stackPrefix = `${ENVIRONMENTS.preview.namePrefix}-`;

function facts() {
  return {
    stackPrefix,
    stateBucket: SHARED_CONFIG.state.bucket,
    stateRegion: SHARED_CONFIG.state.region,
    // Every preview's state key starts with this; `stateKey` puts each stack's state under `<prefix>/<stack id>/`.
    stateKeyPrefix: `${SHARED_CONFIG.state.keyPrefix}/${stackPrefix}`,
    // Where the preview workflow pushes images: the previews' own repository, never dev's and prd's.
    repository: SHARED_CONFIG.previewRepositoryName,
    ...(pullRequest
      ? (() => {
          const stack = previewConfig(pullRequest).namePrefix;
          return { stack, stateKey: stateKey(SHARED_CONFIG.state, stack) };
        })()
      : {}),
  };
}

try {
  process.stdout.write(`${JSON.stringify(facts())}\n`);
} catch (err) {
  process.stderr.write(`preview-facts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
