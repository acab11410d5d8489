import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ENVIRONMENTS, type ImageRetention, type SharedConfig } from "../config";
import { policyDocument } from "../constructs/iam";
import { BaseStack, siteAccounts } from "./base";

/**
 * The lifecycle rules of the prediction repository, by tag prefix only (SharedConfig.images). ECR evaluates rules
 * by priority and never lets a lower-priority rule expire an image whose tags a higher-priority rule matches (ECR
 * user guide, "Lifecycle policy evaluation rules"), so prd's rule comes first: an image promoted to prd (tagged
 * `prd-...` as well as `dev-...`) is expired only once `keep.prd` newer promoted images exist. No rule selects
 * `tagStatus: any`, which would count every dev and preview push against the image prd runs. Images tagged
 * otherwise (commit-SHA tags from before the prefixes) are never expired by a rule.
 */
export function imageLifecycleRules(images: ImageRetention) {
  const { tagPrefixes, keep, previewDays } = images;
  return [
    {
      rulePriority: 1,
      description: `Keep the ${keep.prd} newest images promoted to prd (its rollback window)`,
      selection: {
        tagStatus: "tagged",
        tagPrefixList: [tagPrefixes.prd],
        countType: "imageCountMoreThan",
        countNumber: keep.prd,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      description: `Keep the ${keep.dev} newest dev images (never one promoted to prd: rule 1 matches it)`,
      selection: {
        tagStatus: "tagged",
        tagPrefixList: [tagPrefixes.dev],
        countType: "imageCountMoreThan",
        countNumber: keep.dev,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 3,
      description: `Preview images expire ${previewDays} days after their push`,
      selection: {
        tagStatus: "tagged",
        tagPrefixList: [tagPrefixes.preview],
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: previewDays,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 4,
      description: "Untagged layers of interrupted or replaced pushes",
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
      action: { type: "expire" },
    },
  ];
}

/**
 * The preview repository's rules: the `pr-` and untagged rules of the main repository, then a last rule for any
 * tag. The preview deploy role can push any tag here (ECR has no IAM condition key on the image tag), so an image
 * tagged otherwise would never expire; nothing deployed by dev or prd runs from this repository, so counting every
 * image is safe here (and only here). ECR requires a `tagStatus: any` rule to come last, with the highest
 * rulePriority (ECR user guide, "Lifecycle policy properties", tagStatus).
 */
function previewLifecycleRules(images: SharedConfig["images"]) {
  const own = imageLifecycleRules(images).filter(
    (rule) =>
      rule.selection.tagStatus === "untagged" ||
      rule.selection.tagPrefixList?.includes(images.tagPrefixes.preview),
  );
  return [
    ...own,
    {
      rulePriority: Math.max(...own.map((r) => r.rulePriority)) + 1,
      description: `Any other preview image expires ${images.previewDays} days after its push, like the pr- ones`,
      selection: {
        tagStatus: "any",
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: images.previewDays,
      },
      action: { type: "expire" },
    },
  ];
}

/**
 * The prediction image registry, deployed before any environment stack (an image function cannot be created
 * before its image exists). Tags are immutable (a tag always means one image; environments deploy by digest),
 * images are scanned on push, and a lifecycle policy bounds storage without ever counting one environment's
 * images against another's (`imageLifecycleRules`). Applied only by the dev deploy of main's head (deploy.yml).
 */
export class RegistryStack extends BaseStack {
  readonly repository: EcrRepository;
  /**
   * The previews' own repository: pull request code (the preview deploy role) pushes here and is denied the
   * main repository entirely, so no preview can delete or overwrite an image dev or prd runs.
   */
  readonly previewRepository: EcrRepository;

  constructor(scope: Construct, id: string, shared: SharedConfig) {
    super(scope, id, {
      region: shared.region,
      allowedAccountIds: siteAccounts(shared),
      state: shared.state,
      tags: { Project: shared.project },
    });
    const account = new DataAwsCallerIdentity(this, "account");

    this.repository = new EcrRepository(this, "prediction", {
      name: shared.predictionRepositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
      // Every environment runs an image from here by digest: a replaced repository (new name or encryption)
      // would drop them all, so no plan may destroy it.
      lifecycle: { preventDestroy: true },
    });

    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({ rules: imageLifecycleRules(shared.images) }),
    });

    // Lambda pulls the image with its service principal; only this project's functions in this account may.
    new EcrRepositoryPolicy(this, "lambda-pull", {
      repository: this.repository.name,
      policy: policyDocument(this, "lambda-pull-policy", [
        {
          sid: "LambdaPullsProjectFunctions",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          condition: [
            {
              test: "StringLike",
              variable: "aws:sourceArn",
              values: [`arn:aws:lambda:${shared.region}:${account.accountId}:function:${shared.project}-*`],
            },
          ],
        },
      ]).json,
    });

    this.previewRepository = new EcrRepository(this, "preview", {
      name: shared.previewRepositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
      // Open previews run from it: like the main repository, no plan may destroy it (a rename included).
      lifecycle: { preventDestroy: true },
    });
    new EcrLifecyclePolicy(this, "preview-lifecycle", {
      repository: this.previewRepository.name,
      policy: JSON.stringify({
        rules: previewLifecycleRules(shared.images),
      }),
    });
    const previewFunctions = `arn:aws:lambda:${shared.region}:${account.accountId}:function:${ENVIRONMENTS.preview.namePrefix}-*`;
    new EcrRepositoryPolicy(this, "preview-lambda-pull", {
      repository: this.previewRepository.name,
      policy: policyDocument(this, "preview-lambda-pull-policy", [
        {
          sid: "LambdaPullsPreviewFunctions",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          condition: [{ test: "StringLike", variable: "aws:sourceArn", values: [previewFunctions] }],
        },
      ]).json,
    });

    new TerraformOutput(this, "ecr_repository_url", { value: this.repository.repositoryUrl });
    new TerraformOutput(this, "preview_repository_url", { value: this.previewRepository.repositoryUrl });
    new TerraformOutput(this, "ecr_repository_arn", { value: this.repository.arn });
  }
}
