/** docs/deploy.md's concurrency paragraph: the Lambda quota the stacks need, from infra/src/config. */
import { renderConcurrencyDoc } from "@sml/infra/config";
import { replaceSections, requiredDoc } from "./sections";
import type { Generator } from "./types";

export const DEPLOY_DOC = "docs/deploy.md";

export const concurrencyDoc: Generator = {
  describe: `${DEPLOY_DOC} (the reserved-concurrency paragraph)`,
  files: (tree) => [
    {
      path: DEPLOY_DOC,
      text: replaceSections(
        requiredDoc(tree, DEPLOY_DOC),
        { concurrency: renderConcurrencyDoc() },
        DEPLOY_DOC,
      ),
    },
  ],
};
