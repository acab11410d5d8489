/**
 * The batch bucket over the AWS SDK: ranged reads, a multipart writer that holds one part in memory, joins of
 * range results, and presigned URLs. Path-style addressing when an endpoint is configured (the local stack's
 * S3 emulator, fauxqs, serves path-style URLs only).
 */
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { InputPin } from "@sml/contracts/batches";
import { InputChangedError } from "./errors";
import type { BatchObjects, ObjectWriter } from "./ports";

/** S3's minimum part size is 5 MiB (all parts but the last); a bigger part means fewer requests. */
export const PART_BYTES = 8 * 1024 * 1024;

/**
 * Checksums only where S3 requires them. The SDK's default (since 3.729) adds a CRC32 to every PutObject, and a
 * presigned PUT would then carry the checksum of an empty body in its query, which S3 checks against the body the
 * client uploads (aws/aws-sdk-js-v3#6810); presigned GETs would ask for checksum mode. Multipart parts travel over
 * TLS, whose record MACs protect them in transit.
 */
export const BATCH_S3_CLIENT_CONFIG = Object.freeze({
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
} as const);

export function defaultS3Client(): S3Client {
  return new S3Client({ ...BATCH_S3_CLIENT_CONFIG, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
}

class MultipartWriter implements ObjectWriter {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes: number,
  ) {}

  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.length;
    if (this.bufferedBytes >= this.partBytes) await this.uploadPart();
  }

  private async uploadPart(): Promise<void> {
    const body = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    this.uploadId ??= (
      await this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          ContentType: this.contentType,
        }),
      )
    ).UploadId;
    const partNumber = this.parts.length + 1;
    const out = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    this.parts.push({ PartNumber: partNumber, ETag: out.ETag });
  }

  async complete(): Promise<void> {
    if (this.uploadId === undefined) {
      // Everything fits in one part: one PUT.
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          ContentType: this.contentType,
          Body: Buffer.concat(this.buffered, this.bufferedBytes),
        }),
      );
      this.buffered = [];
      return;
    }
    if (this.bufferedBytes > 0) await this.uploadPart();
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  async abort(): Promise<void> {
    this.buffered = [];
    if (this.uploadId === undefined) return;
    await this.s3.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }),
    );
  }
}

/** ETags compare without their quotes: S3 notifications send them bare, HEAD and GET quoted. */
const bareETag = (eTag: string) => eTag.replace(/^(W\/)?"|"$/g, "");
export const quotedETag = (eTag: string) => `"${bareETag(eTag)}"`;

/** S3 answers a failed If-Match with 412 PreconditionFailed (a HEAD's has no body, hence the status). */
const preconditionFailed = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412 ||
  (err as { name?: string }).name === "PreconditionFailed";

/**
 * Throws unless what S3 answered is the pinned upload. S3 itself refuses a stale If-Match; comparing the answer
 * as well keeps the guarantee where a store ignores If-Match (fauxqs's HeadObject does).
 */
function checkPin(key: string, pin: Partial<InputPin>, got: { ETag?: string; VersionId?: string }): void {
  if (pin.eTag !== undefined && got.ETag !== undefined && bareETag(got.ETag) !== bareETag(pin.eTag)) {
    throw new InputChangedError(`${key} was uploaded again: ETag ${quotedETag(pin.eTag)}, now ${got.ETag}`);
  }
  if (pin.versionId !== undefined && got.VersionId !== undefined && got.VersionId !== pin.versionId) {
    throw new InputChangedError(`${key} is version ${got.VersionId}, not ${pin.versionId}`);
  }
}

export function createS3BatchObjects(options: {
  readonly bucket: string;
  readonly s3?: S3Client;
  readonly partBytes?: number;
}): BatchObjects {
  const s3 = options.s3 ?? defaultS3Client();
  const { bucket } = options;
  const partBytes = options.partBytes ?? PART_BYTES;
  return {
    async head(key, pin = {}) {
      let head: HeadObjectCommandOutput;
      try {
        head = await s3.send(
          new HeadObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(pin.eTag === undefined ? {} : { IfMatch: quotedETag(pin.eTag) }),
            ...(pin.versionId === undefined ? {} : { VersionId: pin.versionId }),
          }),
        );
      } catch (err) {
        if (preconditionFailed(err)) throw new InputChangedError(`${key} was uploaded again`);
        throw err;
      }
      checkPin(key, pin, head);
      if (head.ETag === undefined) throw new Error(`S3 answered HEAD ${key} without an ETag`);
      return {
        size: head.ContentLength ?? 0,
        eTag: quotedETag(head.ETag),
        ...(head.VersionId === undefined ? {} : { versionId: head.VersionId }),
      };
    },
    async *read(key, start, end, pin) {
      if (end <= start) return;
      let out: GetObjectCommandOutput;
      try {
        out = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            Range: `bytes=${start}-${end - 1}`,
            ...(pin === undefined ? {} : { IfMatch: quotedETag(pin.eTag) }),
            ...(pin?.versionId === undefined ? {} : { VersionId: pin.versionId }),
          }),
        );
      } catch (err) {
        if (pin !== undefined && preconditionFailed(err)) {
          throw new InputChangedError(
            `${key} was uploaded again: it is no longer ETag ${quotedETag(pin.eTag)}`,
          );
        }
        throw err;
      }
      if (pin !== undefined) checkPin(key, pin, out);
      if (!out.Body) return;
      yield* out.Body as AsyncIterable<Uint8Array>;
    },
    writer: (key, contentType) => new MultipartWriter(s3, bucket, key, contentType, partBytes),
    // Content-Length signed: a presigned PUT otherwise takes any size up to S3's 5 GB. With it in
    // X-Amz-SignedHeaders, S3 answers SignatureDoesNotMatch to an upload of any other length (SigV4 signs the
    // header's value), so the declared size, checked against BATCH_MAX_BYTES, bounds what an upload stores.
    presignPut: (key, contentType, bytes, seconds) =>
      getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: bytes }),
        { expiresIn: seconds, signableHeaders: new Set(["content-length", "content-type"]) },
      ),
    presignGet: (key, seconds, downloadAs) =>
      getSignedUrl(
        s3,
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(downloadAs === undefined
            ? {}
            : {
                ResponseContentDisposition: `attachment; filename="${downloadAs.replace(/["\\\r\n]/g, "_")}"`,
              }),
        }),
        { expiresIn: seconds },
      ),
  };
}
