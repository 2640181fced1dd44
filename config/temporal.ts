/** Connection options for the Temporal client and worker, from the validated configuration. */
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import type { TemporalConfig } from './index';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TemporalConfig['tls'];
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionOptions {
  return {
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/**
 * A deadline on every call that has none: a call inside an API request already
 * carries the request's (`Connection.withDeadline`, api/app.ts), which bounds
 * the SDK's own loops too (an Update re-sent until accepted); anything else
 * (the creation sweep, probes, workers' clients) gets `timeoutMs` per call.
 * The deadline is set outside the SDK's retry interceptor, so retries share it.
 */
export function deadlineInterceptor(timeoutMs: number): Interceptor {
  return (options, nextCall) => new InterceptingCall(nextCall(options.deadline === undefined ? { ...options, deadline: Date.now() + timeoutMs } : options));
}

/** For `Connection.connect` (the client): the connection options and the deadline on every call. */
export function clientConnectionOptions(config: TemporalConfig): ConnectionOptions {
  return {
    ...temporalConnectionOptions(config),
    interceptors: [deadlineInterceptor(config.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
  };
}
