// Runs before every test file.
// Powertools writes through the global console under POWERTOOLS_DEV, so tests can capture logs and EMF lines;
// POWERTOOLS_METRICS_DISABLED=false keeps metrics on, which dev mode would otherwise switch off.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
// fauxqs and data-api-local accept any credentials, but the SDK must have some to sign requests.
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";
