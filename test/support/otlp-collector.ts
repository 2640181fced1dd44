/**
 * A tiny OTLP/HTTP (JSON) trace receiver on a free loopback port: what a collector would get from the API and
 * the workers when OTEL_EXPORTER_OTLP_ENDPOINT points at it (observability/tracing.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

export interface Collector {
  server: Server;
  url: string;
  spans: ExportedSpan[];
  close(): void;
}

export async function startCollector(): Promise<Collector> {
  const spans: ExportedSpan[] = [];
  type KeyValue = { key: string; value: Record<string, unknown> };
  const attrs = (list: KeyValue[] = []) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, attributes: attrs(s.attributes) });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => server.close() };
}

/** The names from the trace's root down to `span`, following parent span IDs within `spans`. */
export function chainOf(spans: ExportedSpan[], span: ExportedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names = [span.name];
  for (let s = span; s.parentSpanId && byId.has(s.parentSpanId); ) {
    s = byId.get(s.parentSpanId)!;
    names.unshift(s.name);
  }
  return names;
}
