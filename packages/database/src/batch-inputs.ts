import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { ObjectExists } from "@sml/contracts/batches";

/**
 * Whether a key exists in the batch bucket, by listing it as a prefix (ListObjectsV2, one key at most). Listing
 * rather than HeadObject: the sweeper's role may list under `inputs/` (s3:ListBucket with an s3:prefix
 * condition) and read no object; and without s3:ListBucket S3 answers a HeadObject of a missing key 403, not 404
 * (S3 API reference, HeadObject), which would be indistinguishable from a denied call.
 */
export function s3ObjectExists(s3: S3Client, bucket: string): ObjectExists {
  return async (key) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    // The key itself sorts first among the keys it prefixes, so one key answers.
    return (listed.Contents ?? []).some((o) => o.Key === key);
  };
}
