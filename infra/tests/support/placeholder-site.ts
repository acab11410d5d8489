/**
 * The template's site as it ships (infra/src/config/site.ts in this repository, frozen here because a fork
 * replaces it): every placeholder `validateSite` must name. Tests of the refusals point `SML_SITE_FILE` here.
 */
import type { SiteConfig } from "../../src/config/site";
import { SITE as TEST_SITE } from "./test-site";

const ACCOUNT = "123456789012";

export const SITE: SiteConfig = Object.freeze({
  ...TEST_SITE,
  accounts: Object.freeze({ dev: ACCOUNT, prd: ACCOUNT }),
  state: Object.freeze({ bucket: "your-org-serverless-ml-api-tfstate", keyPrefix: "serverless-ml-api" }),
  githubRepository: "your-org/serverless-ml-api",
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
});
