/**
 * Tracing: OpenTelemetry spans for the API's requests, its Temporal client calls (start, Signal, Update: they
 * stand for the workflow's part) and the activities, linked into one trace through Temporal headers
 * (@temporalio/interceptors-opentelemetry on the client and the activities; the workflow passes the trace
 * context on, workflows/interceptors/context-headers.ts), and the X-Request-Id carried the same way into every
 * activity's log lines.
 *
 * Spans are always made, so the interceptors (and the workflow bundle) are the same whatever the configuration;
 * they are exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (config/), else dropped.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInboundCallsInterceptor, ActivityOutboundCallsInterceptor, WorkerOptions } from '@temporalio/worker';
import { requestIdOf } from '../workflows/interceptors/context-headers';
import { RequestIdClientInterceptor } from './request-context';

/** The workflow interceptor modules every worker bundles (and the prebuilt bundle, workers/bundle.ts). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors/context-headers')];

export interface TracingOptions {
  /** OpenTelemetry's service.name, e.g. xs-backoffice-api. */
  serviceName: string;
  /** OTLP/HTTP base URL; spans go to <url>/v1/traces. None: spans are dropped. */
  otlpEndpoint?: string;
}

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends what is buffered (tests; before exit). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let globalsSet = false;
/** The active span follows async code (AsyncLocalStorage) and travels in W3C trace-context headers; once per process. */
function setGlobals(): void {
  if (globalsSet) return;
  globalsSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export function createTracing(options: TracingOptions): Tracing {
  setGlobals();
  const resource = new Resource({ 'service.name': options.serviceName });
  const spanProcessor: SpanProcessor = options.otlpEndpoint
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlpEndpoint}/v1/traces` }), { scheduledDelayMillis: 1_000 })
    : new NoopSpanProcessor();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  return {
    tracer: provider.getTracer('xs-backoffice'),
    resource,
    spanProcessor,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** The API's (and any other) Temporal client: spans around its calls, and the request ID in the headers. */
export function clientInterceptors(tracing: Tracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer }), new RequestIdClientInterceptor()] };
}

/** The request ID of an activity's headers, added to each of its log lines and to its span. */
class RequestIdActivityInterceptor implements ActivityInboundCallsInterceptor, ActivityOutboundCallsInterceptor {
  private requestId: string | undefined;
  execute: NonNullable<ActivityInboundCallsInterceptor['execute']> = (input, next) => {
    this.requestId = requestIdOf(input.headers);
    // The activity's span (OpenTelemetry's interceptor runs first) names the request too.
    if (this.requestId) trace.getActiveSpan()?.setAttribute('xs.request_id', this.requestId);
    return next(input);
  };
  getLogAttributes: NonNullable<ActivityOutboundCallsInterceptor['getLogAttributes']> = (input, next) =>
    next(this.requestId ? { ...input, requestId: this.requestId } : input);
}

/** A worker's interceptors: the workflows carry the headers on, the activities make spans and log the request ID. */
export function workerTracingOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors'> {
  return {
    interceptors: {
      workflowModules: WORKFLOW_INTERCEPTOR_MODULES,
      activity: [
        (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
        () => {
          const requestId = new RequestIdActivityInterceptor();
          return { inbound: requestId, outbound: requestId };
        },
      ],
    },
  };
}

