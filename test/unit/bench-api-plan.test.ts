/**
 * The API benchmark (bench/api-requests.ts) covers every endpoint the API declares: each GET is
 * measured, each other operation is a measured start or named as not measured with a reason; a new
 * endpoint stops the benchmark naming it.
 */
import { ENDPOINTS } from '../../api/routes';
import { API_PLAN, planRequests } from '../../bench/api-requests';

describe('the API benchmark plan', () => {
  it('measures every read of the API and names every other operation', () => {
    const { measured, notMeasured } = planRequests();
    expect(measured.length + notMeasured.length).toBe(ENDPOINTS.length);
    for (const e of ENDPOINTS.filter((x) => x.method === 'get' && x.operationId !== 'healthz')) {
      expect(measured.map((m) => m.operationId)).toContain(e.operationId);
    }
  });

  it('fails naming an endpoint it has no request for, and an entry without an endpoint', () => {
    const extra = { ...ENDPOINTS[0]!, method: 'get' as const, path: '/v1/new-things', operationId: 'listNewThings' };
    expect(() => planRequests([...ENDPOINTS, extra])).toThrow(/GET \/v1\/new-things \(listNewThings\)/);
    const without = ENDPOINTS.filter((x) => x.operationId !== 'getCard');
    expect(() => planRequests(without)).toThrow(/no endpoint for getCard/);
    expect(Object.keys(API_PLAN)).toContain('getCard');
  });
});
