/**
 * The operations of the OpenAPI document, and which one a request is for.
 * Access control, rate limits and metrics all key on the operation, so the
 * document stays the one list of what the API offers.
 */
export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path template, e.g. /v1/cards/{cardNumber}. */
  path: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export function listOperations(paths: Record<string, Record<string, { operationId?: string } | undefined>>): Operation[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      if (!op) return [];
      if (!op.operationId) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} has no operationId`);
      return [{ operationId: op.operationId, method, path }];
    }),
  );
}

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
const paramCount = (template: string) => (template.match(/\{/g) ?? []).length;
const templateRegex = (template: string) => new RegExp(`^${template.split(/\{[^}]+\}/).map(escape).join('[^/]+')}/?$`);

/** Finds the operation of a request; literal path segments win over parameters (/accounts/activation before /accounts/{id}). */
export function operationMatcher(operations: Operation[]): (method: string, path: string) => Operation | undefined {
  const compiled = operations
    .map((op) => ({ op, params: paramCount(op.path), regex: templateRegex(op.path) }))
    .sort((a, b) => a.params - b.params);
  return (method, path) => {
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    return compiled.find((c) => c.op.method === m && c.regex.test(path))?.op;
  };
}

/** The methods the API offers on a path (for 405 and its Allow header); empty for an unknown path. */
export function methodsOf(operations: Operation[]): (path: string) => string[] {
  const templates = [...new Set(operations.map((op) => op.path))].map((path) => ({ path, regex: templateRegex(path), params: paramCount(path) }));
  return (path) => {
    // The most literal template that matches: /accounts/activate, not /accounts/{accountId}.
    const best = templates.filter((t) => t.regex.test(path)).sort((a, b) => a.params - b.params)[0];
    if (!best) return [];
    return METHODS.filter((m) => operations.some((op) => op.path === best.path && op.method === m)).map((m) => m.toUpperCase());
  };
}
