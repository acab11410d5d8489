import { RDSDataClient } from "@aws-sdk/client-rds-data";
import { createDatabase } from "@sml/database";
import { createScratchDatabase, startLocalDataApi } from "@sml/database/testing";
import { describeUsersApi } from "../support/users-api-suite";

// The RDS Data API adapter against data-api-local (an emulator of the Data API) over the real PostgreSQL server.
describeUsersApi("the RDS Data API (data-api-local)", async () => {
  const scratch = await createScratchDatabase("app_api_data_api");
  const dataApi = await startLocalDataApi(scratch.url);
  const client = new RDSDataClient({
    endpoint: dataApi.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const database = createDatabase(
    {
      driver: "data-api",
      clusterArn: dataApi.resourceArn,
      secretArn: dataApi.secretArn,
      database: scratch.name,
    },
    { client },
  );
  return {
    database,
    dispose: async () => {
      await database.close();
      client.destroy();
      await dataApi.stop();
      await scratch.drop();
    },
  };
});
