/**
 * What the API knows about the request it is serving, for code far from express: the request ID (carried into
 * workflows and activities as a Temporal header), the caller and the Idempotency-Key (from which an Update's ID
 * is derived, api/services/updates.ts). Set once per request in api/app.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { withRequestId } from '../workflows/interceptors/context-headers';

export interface RequestContext {
  requestId: string;
  /** The API key's name, or `anonymous@<address>`: whose Idempotency-Keys these are. */
  caller: string;
  idempotencyKey?: string;
  /** The endpoint being served, and whether it declares that it sends Updates (api/operations.ts, `sendsUpdate`). */
  operationId?: string;
  sendsUpdate?: boolean;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

const requestId = () => requestContext.getStore()?.requestId;

/** Puts the current request's ID in the header of every start, Signal and Update the client sends. */
export class RequestIdClientInterceptor implements WorkflowClientInterceptor {
  start: NonNullable<WorkflowClientInterceptor['start']> = (input, next) => next({ ...input, headers: withRequestId(input.headers, requestId()) });
  startWithDetails: NonNullable<WorkflowClientInterceptor['startWithDetails']> = (input, next) =>
    next({ ...input, headers: withRequestId(input.headers, requestId()) });
  signal: NonNullable<WorkflowClientInterceptor['signal']> = (input, next) => next({ ...input, headers: withRequestId(input.headers, requestId()) });
  signalWithStart: NonNullable<WorkflowClientInterceptor['signalWithStart']> = (input, next) =>
    next({ ...input, headers: withRequestId(input.headers, requestId()) });
  startUpdate: NonNullable<WorkflowClientInterceptor['startUpdate']> = (input, next) =>
    next({ ...input, headers: withRequestId(input.headers, requestId()) });
  startUpdateWithStart: NonNullable<WorkflowClientInterceptor['startUpdateWithStart']> = (input, next) =>
    next({
      ...input,
      workflowStartHeaders: withRequestId(input.workflowStartHeaders, requestId()),
      updateHeaders: withRequestId(input.updateHeaders, requestId()),
    });
}
