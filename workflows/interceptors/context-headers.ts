/**
 * Workflow interceptors (bundled into the sandbox: imports @temporalio/workflow only) that carry a request's
 * context headers through the workflow: the API's X-Request-Id and the OpenTelemetry trace context
 * (`_tracer-data`, written by the client's tracing interceptor, observability/tracing.ts). A start, Signal or
 * Update brings them; the code it runs passes them on to every activity and child workflow it schedules, so the
 * activities' spans join the API request's trace and their log lines name the request. The workflow's own log
 * lines name it too.
 *
 * Why not OpenTelemetry's workflow interceptors: their span IDs come from the workflow's seeded random, which
 * shifts every uuid4() after them, and the committed histories no longer replay (test/integration/replay.test.ts).
 * Headers are not commands: histories replay the same with or without these.
 */
import {
  AsyncLocalStorage,
  defaultPayloadConverter,
  type Headers,
  type Next,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The request ID's header, named as the API's HTTP header. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** The trace context's header (@temporalio/interceptors-opentelemetry's TRACE_HEADER). */
export const TRACE_HEADER = '_tracer-data';
const CARRIED = [REQUEST_ID_HEADER, TRACE_HEADER];

export function requestIdOf(headers: Headers | undefined): string | undefined {
  const payload = headers?.[REQUEST_ID_HEADER];
  if (!payload) return undefined;
  const value: unknown = defaultPayloadConverter.fromPayload(payload);
  return typeof value === 'string' ? value : undefined;
}

export function withRequestId(headers: Headers, requestId: string | undefined): Headers {
  return requestId && !headers[REQUEST_ID_HEADER] ? { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } : headers;
}

/** The carried headers of the start, Signal or Update whose code runs now. */
const current = new AsyncLocalStorage<Headers>();

/** Runs `fn` with the carried headers of `headers` (none: the surrounding ones, if any). */
function within<T>(headers: Headers, fn: () => T): T {
  const carried = Object.fromEntries(CARRIED.filter((name) => headers[name]).map((name) => [name, headers[name]!]));
  return Object.keys(carried).length ? current.run(carried, fn) : fn();
}

/** `headers` with the carried ones added (never overwriting what the caller set). */
function carry(headers: Headers): Headers {
  const carried = current.getStore();
  return carried ? { ...carried, ...headers } : headers;
}

class Inbound implements WorkflowInboundCallsInterceptor {
  execute: WorkflowInboundCallsInterceptor['execute'] = (input, next) => within(input.headers, () => next(input));
  handleSignal: WorkflowInboundCallsInterceptor['handleSignal'] = (input, next) => within(input.headers, () => next(input));
  handleUpdate: WorkflowInboundCallsInterceptor['handleUpdate'] = (input, next) => within(input.headers, () => next(input));
}

class Outbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity: WorkflowOutboundCallsInterceptor['scheduleActivity'] = (input, next) => next({ ...input, headers: carry(input.headers) });
  scheduleLocalActivity: WorkflowOutboundCallsInterceptor['scheduleLocalActivity'] = (input, next) => next({ ...input, headers: carry(input.headers) });
  startChildWorkflowExecution: WorkflowOutboundCallsInterceptor['startChildWorkflowExecution'] = (input, next) =>
    next({ ...input, headers: carry(input.headers) });
  getLogAttributes(input: Record<string, unknown>, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>): Record<string, unknown> {
    const requestId = requestIdOf(current.getStore());
    return next(requestId ? { ...input, requestId } : input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new Inbound()], outbound: [new Outbound()] });
