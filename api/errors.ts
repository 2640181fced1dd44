/**
 * RFC 9457 problem details: every error the API returns, in one place.
 * Temporal failures of a known business type map to their HTTP status here;
 * a dependency briefly out of reach (MongoDB, the Temporal server) is a 503
 * with Retry-After; anything else unexpected is a 500 without internals
 * (logged with the request ID).
 */
import type { ErrorRequestHandler } from 'express';
import { ApplicationFailure, TimeoutFailure, WorkflowNotFoundError } from '@temporalio/common';
import { isGrpcServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { FailureType } from '../workflows/definitions';
import { requestLog, type Logger } from '../observability/logger';
import { UpdateOutcomePending } from './services/updates';

export interface FieldError {
  field: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; [k: string]: unknown } = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new HttpProblem(400, 'Invalid request', detail, errors ? { errors } : {});
export const notFound = (detail: string) => new HttpProblem(404, 'Not found', detail);
export const conflict = (detail: string, extra: Record<string, unknown> = {}) => new HttpProblem(409, 'Conflict', detail, extra);
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new HttpProblem(422, 'Business rule violated', detail, errors ? { errors } : {});

const STATUS_BY_FAILURE: Record<string, number> = {
  [FailureType.InvalidInput]: 400,
  [FailureType.NotFound]: 404,
  [FailureType.Gone]: 410,
  [FailureType.Conflict]: 409,
  [FailureType.BusinessRule]: 422,
};

/** Turns an error from the Temporal client (an Update refused, a missing workflow) into a problem. */
export function fromTemporal(err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) return notFound('no such case');
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const status = STATUS_BY_FAILURE[err.cause.type ?? ''];
    if (status) {
      const details = err.cause.details?.[0];
      const field = (details as { field?: string } | undefined)?.field;
      return new HttpProblem(status, titleFor(status), err.cause.message, {
        ...(field ? { errors: [{ field, message: err.cause.message }] } : {}),
      });
    }
  }
  return err;
}

function titleFor(status: number): string {
  return { 400: 'Invalid request', 404: 'Not found', 409: 'Conflict', 410: 'Gone', 422: 'Business rule violated' }[status] ?? 'Error';
}

/** Seconds a client is told to wait before it retries a request a dependency outage refused. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The MongoDB driver's and mongoose's errors for a server it cannot reach or lost on the way. */
const MONGO_UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);
/** gRPC UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED: the Temporal server down, slow or shedding load. */
const GRPC_TRANSIENT = new Set([14, 4, 8]);

/** Whether an error (or one of its causes) says a dependency is out of reach for now, not that the request is wrong. */
export function isTransient(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { name?: string; message?: string; code?: unknown; cause?: unknown; hasErrorLabel?: (label: string) => boolean };
  if (e.name && MONGO_UNREACHABLE.has(e.name)) return true;
  if (typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('TransientTransactionError'))) return true;
  if (e.name === 'MongooseError' && /buffering timed out/.test(e.message ?? '')) return true;
  if (isGrpcServiceError(err) && GRPC_TRANSIENT.has(err.code)) return true;
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  // A check inside an Update ran out of its bounded time (workflows/activity-profiles.ts, insideUpdate): nothing changed.
  if (err instanceof TimeoutFailure) return true;
  // FerretDB on SQLite, briefly busy with another writer (MongoDB has no such answer).
  if (e.name === 'MongoServerError' && /SQLITE_BUSY|database is locked/.test(e.message ?? '')) return true;
  return isTransient(e.cause, depth + 1);
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof UpdateOutcomePending) {
      // Not a failure: the Update may be running or done; its outcome is read at Location (api/services/updates.ts).
      res.locals.outcomePending = true;
      return void res
        .status(202)
        .location(err.location)
        .json({
          status: 'pending',
          detail: 'the request was taken but its outcome was not known within the deadline; read it at outcomeUrl, or send the request again with the same Idempotency-Key',
          workflowId: err.workflowId,
          updateId: err.updateId,
          outcomeUrl: err.location,
          requestId: res.locals.requestId,
        });
    }
    let problem: HttpProblem;
    if (err instanceof HttpProblem) problem = err;
    else if (err?.type === 'entity.parse.failed') problem = badRequest('the body is not valid JSON');
    else if (err?.type === 'entity.too.large') problem = new HttpProblem(413, 'Payload too large', 'the body exceeds the size limit');
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') problem = new HttpProblem(415, 'Unsupported media type', 'send UTF-8 JSON');
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) problem = new HttpProblem(err.status, 'Invalid request', 'the request could not be read');
    else if (isTransient(err)) {
      requestLog(res, logger).warn({ path: req.path, error: String(err?.message ?? err) }, 'dependency unreachable');
      res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      problem = new HttpProblem(503, 'Service unavailable', 'a service the API depends on is briefly unreachable; nothing was lost, retry after Retry-After seconds');
    } else {
      requestLog(res, logger).error({ path: req.path, error: String(err?.stack ?? err) }, 'unhandled error');
      problem = new HttpProblem(500, 'Internal error', 'an unexpected error occurred; quote the request ID when reporting it');
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        ...(problem.detail ? { detail: problem.detail } : {}),
        instance: req.originalUrl,
        requestId: res.locals.requestId,
        ...problem.extra,
      });
  };
}
