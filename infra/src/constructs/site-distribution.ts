import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { DataAwsCloudfrontCachePolicy } from "@cdktf/provider-aws/lib/data-aws-cloudfront-cache-policy";
import { DataAwsCloudfrontOriginRequestPolicy } from "@cdktf/provider-aws/lib/data-aws-cloudfront-origin-request-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketCorsConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-cors-configuration";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { BATCH_BUCKET_CORS } from "@sml/contracts/batches";
import { ROUTES } from "@sml/contracts/routes";
import {
  apiPathPatterns,
  HSTS_MAX_AGE_SECONDS,
  SITE_ENTRY,
  siteContentSecurityPolicy,
} from "@sml/contracts/site";
import { Construct } from "constructs";
import { denyPlainHttp, policyDocument } from "./iam";

/** AWS's managed policies the behaviours use (CloudFront developer guide, "Use managed cache policies"). */
export const MANAGED_POLICIES = Object.freeze({
  /** Assets: cached by URL, compressed; the site's hashed names make every change a new URL. */
  assets: "Managed-CachingOptimized",
  /** The API: nothing cached (every answer depends on the caller's token). */
  api: "Managed-CachingDisabled",
  /**
   * Every viewer header but Host (API Gateway answers 403 to a Host that is not its own). With caching off it
   * forwards Authorization too (AWS re:Post, "How can I configure CloudFront to forward the Authorization header
   * to the origin?").
   */
  apiOriginRequest: "Managed-AllViewerExceptHostHeader",
});

/** TLS the distribution accepts from viewers when it has a certificate of its own (AWS's current recommendation). */
export const VIEWER_MIN_PROTOCOL = "TLSv1.2_2021";
/** Days the access logs are kept. */
export const SITE_LOG_EXPIRY_DAYS = 30;

export interface SiteDistributionProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly region: string;
  /** `<api id>.execute-api.<region>.amazonaws.com`: the HTTP API's own host, the API paths' origin. */
  readonly apiDomainName: string;
  /** Origins the page calls besides its own (the sign-in's token endpoint, the batch bucket): its CSP allows them. */
  readonly connectOrigins: readonly string[];
  /** CloudFront price class: `PriceClass_100` (North America, Europe) is the cheapest. */
  readonly priceClass: string;
  /** A domain of the site's own and its ACM certificate (us-east-1); without, CloudFront's default certificate. */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  readonly preventDestroy: boolean;
  /** Buckets the page PUTs to and reads from with presigned URLs (the batch bucket): CORS for the site's origin. */
  readonly presignedBuckets: readonly S3Bucket[];
}

/**
 * The one entry point of an environment: a CloudFront distribution serving the site from a private bucket (origin
 * access control; the bucket policy lets only this distribution read) and forwarding the API's paths (from the
 * route table, as the local stack's front door does) to API Gateway on the same domain, so the page needs no CORS.
 * HTTPS only, security headers on every answer (CSP, HSTS, nosniff, frame-ancestors none), assets cached by the
 * managed CachingOptimized policy, the API never cached, access logs in a bucket of their own.
 */
export class SiteDistribution extends Construct {
  readonly bucket: S3Bucket;
  readonly logBucket: S3Bucket;
  readonly originAccessControl: CloudfrontOriginAccessControl;
  readonly headersPolicy: CloudfrontResponseHeadersPolicy;
  readonly distribution: CloudfrontDistribution;
  /** `https://<distribution domain>` (or the configured domain): the site's origin, the sign-in's callback. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SiteDistributionProps) {
    super(scope, id);
    const lifecycle = { preventDestroy: props.preventDestroy };
    const privateBucket = (key: string, name: string, ownership: string, guard: boolean) => {
      const bucket = new S3Bucket(this, key, {
        bucket: name,
        forceDestroy: !guard,
        lifecycle: { preventDestroy: guard },
      });
      new S3BucketPublicAccessBlock(this, `${key}-public-access`, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      new S3BucketOwnershipControls(this, `${key}-ownership`, {
        bucket: bucket.id,
        rule: { objectOwnership: ownership },
      });
      new S3BucketServerSideEncryptionConfigurationA(this, `${key}-encryption`, {
        bucket: bucket.id,
        rule: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
            blockedEncryptionTypes: ["SSE-C"],
          },
        ],
      });
      return bucket;
    };
    // Bucket names are global: the account id keeps two accounts' environments apart.
    // Guarded like every bucket of a protected stack, although its files are build output the deploy publishes.
    this.bucket = privateBucket(
      "bucket",
      `${props.namePrefix}-site-${props.accountId}`,
      "BucketOwnerEnforced",
      props.preventDestroy,
    );
    // CloudFront's standard logs are written with an ACL granting the bucket owner full control, which a bucket
    // with ACLs disabled refuses (CloudFront developer guide, "Configure standard logging (legacy)").
    this.logBucket = privateBucket(
      "logs",
      `${props.namePrefix}-site-logs-${props.accountId}`,
      "BucketOwnerPreferred",
      props.preventDestroy,
    );
    new S3BucketLifecycleConfiguration(this, "logs-lifecycle", {
      bucket: this.logBucket.id,
      rule: [
        {
          id: "expire-logs",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: SITE_LOG_EXPIRY_DAYS }],
        },
      ],
    });

    this.originAccessControl = new CloudfrontOriginAccessControl(this, "oac", {
      name: `${props.namePrefix}-site`,
      description: "The site distribution reads the site bucket (SigV4)",
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });

    this.headersPolicy = new CloudfrontResponseHeadersPolicy(this, "headers", {
      name: `${props.namePrefix}-site-headers`,
      comment: "Security headers of the site and the API behind it",
      securityHeadersConfig: {
        contentSecurityPolicy: {
          contentSecurityPolicy: siteContentSecurityPolicy(props.connectOrigins),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS,
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
      },
    });

    const managed = (key: keyof typeof MANAGED_POLICIES) =>
      key === "apiOriginRequest"
        ? new DataAwsCloudfrontOriginRequestPolicy(this, "policy-api-origin-request", {
            name: MANAGED_POLICIES[key],
          }).id
        : new DataAwsCloudfrontCachePolicy(this, `policy-${key}`, { name: MANAGED_POLICIES[key] }).id;
    const assetsCache = managed("assets");
    const apiCache = managed("api");
    const apiOriginRequest = managed("apiOriginRequest");

    const siteOrigin = "site";
    const apiOrigin = "api";
    this.distribution = new CloudfrontDistribution(this, "distribution", {
      enabled: true,
      comment: `${props.namePrefix}: the site and the API on one domain`,
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: props.priceClass,
      defaultRootObject: SITE_ENTRY,
      ...(props.domain ? { aliases: [props.domain.name] } : {}),
      origin: [
        {
          originId: siteOrigin,
          domainName: this.bucket.bucketRegionalDomainName,
          originAccessControlId: this.originAccessControl.id,
        },
        {
          originId: apiOrigin,
          domainName: props.apiDomainName,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: "https-only",
            originSslProtocols: ["TLSv1.2"],
          },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: siteOrigin,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: assetsCache,
        responseHeadersPolicyId: this.headersPolicy.id,
      },
      // One behaviour per path pattern of the route table; everything else is the site.
      orderedCacheBehavior: apiPathPatterns(ROUTES).map((pathPattern) => ({
        pathPattern,
        targetOriginId: apiOrigin,
        viewerProtocolPolicy: "https-only",
        allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: apiCache,
        originRequestPolicyId: apiOriginRequest,
        responseHeadersPolicyId: this.headersPolicy.id,
      })),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: props.domain
        ? {
            acmCertificateArn: props.domain.certificateArn,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: VIEWER_MIN_PROTOCOL,
          }
        : { cloudfrontDefaultCertificate: true },
      loggingConfig: {
        bucket: this.logBucket.bucketDomainName,
        prefix: "cloudfront/",
        includeCookies: false,
      },
      lifecycle,
    });
    this.url = `https://${props.domain ? props.domain.name : this.distribution.domainName}`;
    props.presignedBuckets.forEach((bucket, i) => {
      new S3BucketCorsConfiguration(this, `cors-${i}`, {
        bucket: bucket.id,
        corsRule: [
          {
            allowedOrigins: [this.url],
            allowedMethods: [...BATCH_BUCKET_CORS.allowedMethods],
            allowedHeaders: [...BATCH_BUCKET_CORS.allowedHeaders],
            exposeHeaders: [...BATCH_BUCKET_CORS.exposeHeaders],
            maxAgeSeconds: BATCH_BUCKET_CORS.maxAgeSeconds,
          },
        ],
      });
    });

    const bucketArn = this.bucket.arn;
    new S3BucketPolicy(this, "logs-policy", {
      bucket: this.logBucket.id,
      policy: policyDocument(this, "logs-policy-document", [
        denyPlainHttp(["s3:*"], [this.logBucket.arn, `${this.logBucket.arn}/*`]),
      ]).json,
    });
    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: policyDocument(this, "policy-document", [
        denyPlainHttp(["s3:*"], [bucketArn, `${bucketArn}/*`]),
        {
          // Only this distribution, through its origin access control (CloudFront developer guide, "Restrict
          // access to an Amazon S3 origin").
          sid: "DistributionReads",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
          actions: ["s3:GetObject"],
          resources: [`${bucketArn}/*`],
          condition: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [this.distribution.arn] }],
        },
      ]).json,
    });
  }
}
