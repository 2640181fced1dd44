/**
 * Prometheus metrics of the API at /metrics (needs a back-office or system
 * key): requests and their duration by operation (the OpenAPI operationId, so
 * the label set stays small) and status, handler entries by operation and
 * role (the proof that no role reaches what it may not call: for such a pair
 * the count stays 0), and the Node process metrics. The
 * worker's metrics (the Temporal SDK's own) are served by the worker
 * (WORKER_METRICS_ADDRESS).
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  observe(sample: { operation: string; method: string; status: number; seconds: number; caller: string }): void;
  /** A handler was entered for this operation by a caller of this role ("none": without a key). */
  handlerEntered(operation: string, role: string): void;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'xs_api_requests_total',
    help: 'HTTP requests answered, by operation, method, status and caller (the API key name)',
    labelNames: ['operation', 'method', 'status', 'caller'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'xs_api_request_duration_seconds',
    help: 'Time to answer an HTTP request, by operation and status class',
    labelNames: ['operation', 'method', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const entries = new Counter({
    name: 'xs_api_handler_entries_total',
    help: 'Handlers entered, by operation and the role of the caller ("none": no key); a role the access policy refuses must never appear',
    labelNames: ['operation', 'role'] as const,
    registers: [registry],
  });
  return {
    registry,
    handlerEntered(operation, role) {
      entries.inc({ operation, role });
    },
    observe({ operation, method, status, seconds, caller }) {
      requests.inc({ operation, method, status: String(status), caller });
      duration.observe({ operation, method, status_class: `${Math.floor(status / 100)}xx` }, seconds);
    },
  };
}
