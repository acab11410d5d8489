import { createdObject } from "../../src/batches";

// The requests the AWS SDK and a presigned URL send to a path-style S3 endpoint (S3 API reference: PutObject,
// UploadPart, CompleteMultipartUpload), as fauxqs's HTTP server sees them.
describe("createdObject (the local stand-in for S3's ObjectCreated notification)", () => {
  test.each([
    [
      "a PutObject",
      "PUT",
      "/sml-batches-local/inputs/a.csv?x-id=PutObject",
      { bucket: "sml-batches-local", key: "inputs/a.csv" },
    ],
    [
      "a presigned PUT",
      "PUT",
      "/sml-batches-local/inputs/a%20b.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&x-id=PutObject",
      { bucket: "sml-batches-local", key: "inputs/a b.csv" },
    ],
    [
      "a CompleteMultipartUpload",
      "POST",
      "/b/inputs/big.csv?uploadId=abc",
      { bucket: "b", key: "inputs/big.csv" },
    ],
  ])("names the object %s created", (_what, method, url, expected) => {
    expect(createdObject({ method, url, statusCode: 200 })).toEqual(expected);
  });

  test.each([
    [
      "an UploadPart (the object does not exist yet)",
      "PUT",
      "/b/inputs/big.csv?partNumber=1&uploadId=abc",
      200,
    ],
    ["a CreateMultipartUpload", "POST", "/b/inputs/big.csv?uploads", 200],
    ["a refused PUT", "PUT", "/b/inputs/a.csv", 403],
    ["an SQS call", "POST", "/", 200],
    ["a CreateBucket", "PUT", "/b", 200],
    ["a GetObject", "GET", "/b/inputs/a.csv", 200],
  ])("ignores %s", (_what, method, url, statusCode) => {
    expect(createdObject({ method, url, statusCode })).toBeUndefined();
  });
});
