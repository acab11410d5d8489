/**
 * Bundle entry of the prediction image (CMD index.handler). Importing it starts loading the backend and the
 * model, so that work happens in Lambda's init phase rather than inside the first request.
 */
import { handler, warmUp } from "../prediction-function";

warmUp().catch((err: unknown) => {
  // The handler awaits the same promise and fails every request with this error; log it once at init.
  console.error("prediction init failed", err);
});

export { handler };
