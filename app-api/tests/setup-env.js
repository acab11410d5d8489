// Runs before every test file: no EMF or log lines on the test output, and the credentials and region the
// AWS SDK needs to sign requests to fauxqs (it accepts any).
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";
