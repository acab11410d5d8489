/**
 * Every response the prediction function's handler gives in this project's tests is checked against the OpenAPI
 * document (status documented for the operation, body valid for that status): createPredictionHandler's handler
 * is wrapped, not replaced, so it answers exactly as before and a response the document does not describe fails
 * the test that produced it. See @sml/lambda-http/testing. The batches handler likewise (below).
 */
jest.mock("../src/prediction-function", () => {
  const actual = jest.requireActual("../src/prediction-function");
  const { observeContract } = jest.requireActual("@sml/lambda-http/testing");
  return {
    ...actual,
    createPredictionHandler: async (...args: unknown[]) => {
      const app = await actual.createPredictionHandler(...args);
      return { ...app, handler: observeContract("prediction", app.handler) };
    },
  };
});

// The batches function (POST /batches, GET /batches/{id}) the same way.
jest.mock("../src/batch-function", () => {
  const actual = jest.requireActual("../src/batch-function");
  const { observeContract } = jest.requireActual("@sml/lambda-http/testing");
  return {
    ...actual,
    createBatchesHandler: async (...args: unknown[]) =>
      observeContract("batches", await actual.createBatchesHandler(...args)),
  };
});
