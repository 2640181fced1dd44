/**
 * RFC 9457 problem details: every error the API returns, in one place.
 * Temporal failures of a known business type map to their HTTP status here;
 * anything unexpected is a 500 without internals (logged with the request ID).
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { FailureType } from '../workflows/definitions';
import type { Logger } from '../observability/logger';

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

export const notFoundHandler: RequestHandler = (req, _res, next) => next(notFound(`no route for ${req.method} ${req.path}`));

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: HttpProblem;
    if (err instanceof HttpProblem) problem = err;
    else if (err?.type === 'entity.parse.failed') problem = badRequest('the body is not valid JSON');
    else if (err?.type === 'entity.too.large') problem = new HttpProblem(413, 'Payload too large', 'the body exceeds the size limit');
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') problem = new HttpProblem(415, 'Unsupported media type', 'send UTF-8 JSON');
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) problem = new HttpProblem(err.status, 'Invalid request', 'the request could not be read');
    else {
      logger.error('unhandled error', { requestId: res.locals.requestId, path: req.path, error: String(err?.stack ?? err) });
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
