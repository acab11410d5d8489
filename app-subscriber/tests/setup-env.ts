// Powertools writes through the global console under POWERTOOLS_DEV, so tests can capture logs and EMF lines;
// POWERTOOLS_METRICS_DISABLED=false keeps metrics on, which dev mode would otherwise switch off.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
process.env.AWS_REGION ??= "us-east-1";
