import { RDSDataClient } from "@aws-sdk/client-rds-data";
import { type ClosableSqlExecutor, createDataApiExecutor } from "../../src";
import {
  createScratchDatabase,
  type LocalDataApi,
  type ScratchDatabase,
  startLocalDataApi,
} from "../../src/testing";
import { userRepositoryContract } from "../support/contract";

let scratch: ScratchDatabase;
let dataApi: LocalDataApi;
let client: RDSDataClient;
let sql: ClosableSqlExecutor;

beforeAll(async () => {
  scratch = await createScratchDatabase("common_data_api");
  dataApi = await startLocalDataApi(scratch.url);
  client = new RDSDataClient({
    endpoint: dataApi.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  sql = createDataApiExecutor(
    { resourceArn: dataApi.resourceArn, secretArn: dataApi.secretArn, database: scratch.name },
    { client },
  );
});

afterAll(async () => {
  await sql?.close();
  client?.destroy();
  await dataApi?.stop();
  await scratch?.drop();
});

userRepositoryContract("RDS Data API via data-api-local", () => ({ sql, secondSql: sql }));
