/**
 * The cdktf app (run by `cdktf synth`/`deploy` through cdktf.json): bootstrap, registry and one stack per
 * environment. `SML_ENVIRONMENTS=dev` limits the environments; `SML_BOOTSTRAP_LOCAL_STATE=1` is for the
 * bootstrap stack's first apply only (infra/README.md).
 */
import { App } from "cdktf";
import { defineStacks } from "./stacks";

const app = new App();
const environments = process.env.SML_ENVIRONMENTS?.split(",")
  .map((e) => e.trim())
  .filter(Boolean);
defineStacks(app, {
  ...(environments && environments.length > 0 ? { environments } : {}),
  bootstrapLocalState: process.env.SML_BOOTSTRAP_LOCAL_STATE === "1",
});
app.synth();
