/**
 * The site every test runs on (jest's setup points `SML_SITE_FILE` here, infra/tests/support/use-test-site.ts),
 * whatever a fork writes in infra/src/config/site.ts: the snapshots, docs/cost.md and every assertion derive from
 * these values, so editing the site keeps the suites green. A valid, filled-in site (no placeholder), so the
 * tests synthesize and plan as a deploy would; its ids are made up and belong to nobody.
 */
import type { SiteConfig } from "../../src/config/site";

/** An account id outside AWS's documentation ids (validateSite refuses those as placeholders). */
const ACCOUNT = "314159265358";

export const SITE: SiteConfig = Object.freeze({
  project: "sml",
  region: "eu-west-1",
  accounts: Object.freeze({ dev: ACCOUNT, prd: ACCOUNT }),
  state: Object.freeze({ bucket: "sml-test-site-tfstate", keyPrefix: "serverless-ml-api" }),
  githubRepository: "sml-test-site/serverless-ml-api",
  githubOidcProviderArn: undefined,
  people: Object.freeze({
    dev: {
      readOnly: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlReadOnly_*`,
      ],
      operator: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlOperator_*`,
      ],
    },
    prd: {
      readOnly: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlReadOnly_*`,
      ],
      operator: [
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SmlOperator_*`,
      ],
    },
  }),
  databaseWindows: Object.freeze({
    dev: { backup: "02:00-03:00", maintenance: "sun:03:30-sun:04:30" },
    prd: { backup: "02:00-03:00", maintenance: "sun:03:30-sun:04:30" },
  }),
});
