import type { EnvironmentConfig } from "../../src/config";

/**
 * An environment in prd's database shape: functions in the private subnets, the pg driver with IAM database
 * users, one NAT gateway, a customer-managed topic key. Dev runs outside the VPC on the Data API (docs/cost.md); tests of the in-VPC pg path
 * use this variant of dev's names and sizes so that they keep covering the shape prd deploys.
 */
export function prdShapedDev(config: EnvironmentConfig): EnvironmentConfig {
  return {
    ...config,
    network: { ...config.network, natMode: "single-gateway" },
    database: { ...config.database, driver: "pg" },
    functions: { ...config.functions, inVpc: true },
    usersTopicKey: "customer-managed",
  };
}
