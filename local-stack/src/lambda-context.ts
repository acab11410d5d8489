import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

export interface FunctionIdentity {
  readonly functionName: string;
  readonly region: string;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
}

/** A Lambda invocation context as the runtime passes it (Powertools reads the request id and function name). */
export function lambdaContext(fn: FunctionIdentity, awsRequestId = randomUUID()): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error("The callback-style context methods are not supported; return a promise");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:000000000000:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMB),
    awsRequestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Runs one invocation under the function's timeout, as Lambda does (the handler keeps running, its result is lost). */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutSeconds: number,
  functionName: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LambdaTimeoutError(`${functionName} timed out after ${timeoutSeconds} s`)),
      timeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class LambdaTimeoutError extends Error {
  override readonly name = "LambdaTimeoutError";
}
