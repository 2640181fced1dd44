/** /v1/digests: trigger the monthly digest for a month, list the runs with their progress, read one month's run. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { digestRun, digestRuns, digestTriggered, listDigestsQuery, periodParam, triggerDigestBody } from '../schemas/digests';
import { createDigestService } from '../services/digests';
import type { Resource } from '.';

type Service = ReturnType<typeof createDigestService>;
const endpoint = endpointsFor<Service>();

export const digests: Resource<Service> = {
  service: createDigestService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/digests',
      operationId: 'triggerDigest',
      summary: "Send a month's digest now (idempotent: while the month runs, its run is returned; no company is mailed twice for a month)",
      body: triggerDigestBody,
      responses: {
        '202': { description: "The month's run (started, or already running)", content: json(digestTriggered, 'output') },
        '400': problemResponse('Malformed period'),
        '409': problemResponse("Outside the month's window: a month's digest runs from its first Wednesday 08:00 (Europe/Amsterdam) to the end of the month; `window` names it"),
      },
      handle: async ({ body }, res, service) => {
        const run = await service.trigger(body.period);
        res.status(202).location(`/v1/digests/${body.period}`).json(run);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/digests',
      operationId: 'listDigests',
      summary: 'Digest runs, most recent first, with status and progress',
      query: listDigestsQuery,
      responses: {
        '200': { description: 'The runs', content: json(digestRuns, 'output') },
        '400': problemResponse('Malformed query'),
      },
      handle: async ({ query }, res, service) => res.json(await service.list(query.limit)),
    }),
    endpoint({
      method: 'get',
      path: '/v1/digests/{period}',
      operationId: 'getDigest',
      summary: "The latest run of a month's digest, with its progress",
      params: periodParam,
      responses: {
        '200': { description: 'The run', content: json(digestRun, 'output') },
        '400': problemResponse('Malformed period'),
        '404': problemResponse('No run for that month'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.period)),
    }),
  ],
};
