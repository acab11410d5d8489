import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ENVIRONMENTS, type SharedConfig } from "../config";
import { policyDocument } from "../constructs/iam";
import { BaseStack, siteAccounts } from "./base";

/** Days a preview image is kept after its push: over three times the preview sweep's 4 days without a deploy. */
export const PREVIEW_IMAGE_DAYS = 14;

/**
 * The prediction image registry, deployed before any environment stack (an image function cannot be created
 * before its image exists). Tags are immutable (a tag always means one image; environments deploy by digest),
 * images are scanned on push, and a lifecycle policy bounds storage.
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
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "Untagged layers of interrupted or replaced pushes",
            selection: {
              tagStatus: "untagged",
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: 1,
            },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `Keep the ${shared.keepImages} newest images (rollback window of both environments)`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: shared.keepImages },
            action: { type: "expire" },
          },
        ],
      }),
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
        rules: [
          {
            rulePriority: 1,
            description: `Preview images ${PREVIEW_IMAGE_DAYS} days after their push (previews idle 4 days are swept)`,
            selection: {
              tagStatus: "any",
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: PREVIEW_IMAGE_DAYS,
            },
            action: { type: "expire" },
          },
        ],
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
