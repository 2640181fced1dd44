/** /v1/digests: trigger the monthly digest for a month, list the runs with their progress, read one month's run. */
import { Router } from 'express';
import { json, pathParams, problemResponse, queryParams } from '../openapi-helpers';
import { parse } from '../validation';
import { digestRun, digestRuns, digestTriggered, listDigestsQuery, periodParam, triggerDigestBody } from '../schemas/digests';
import type { createDigestService } from '../services/digests';

export function digestsRouter(service: ReturnType<typeof createDigestService>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const { period } = parse(triggerDigestBody, req.body);
    const run = await service.trigger(period);
    res.status(202).location(`/v1/digests/${period}`).json(run);
  });

  router.get('/', async (req, res) => {
    const { limit } = parse(listDigestsQuery, req.query, 'query');
    res.json(await service.list(limit));
  });

  router.get('/:period', async (req, res) => {
    const { period } = parse(periodParam, req.params, 'path');
    res.json(await service.get(period));
  });

  return router;
}

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const digestsPaths = {
  '/v1/digests': {
    post: {
      operationId: 'triggerDigest',
      summary: "Send a month's digest now (idempotent: while the month runs, its run is returned; no company is mailed twice for a month)",
      requestBody: { required: true, content: json(triggerDigestBody, 'input') },
      responses: {
        '202': { description: "The month's run (started, or already running)", content: json(digestTriggered, 'output') },
        '400': problemResponse('Malformed period'),
        '422': problemResponse('The month has not begun'),
      },
    },
    get: {
      operationId: 'listDigests',
      summary: 'Digest runs, most recent first, with status and progress',
      parameters: queryParams(listDigestsQuery),
      responses: {
        '200': { description: 'The runs', content: json(digestRuns, 'output') },
        '400': problemResponse('Malformed query'),
      },
    },
  },
  '/v1/digests/{period}': {
    get: {
      operationId: 'getDigest',
      summary: "The latest run of a month's digest, with its progress",
      parameters: pathParams(periodParam),
      responses: {
        '200': { description: 'The run', content: json(digestRun, 'output') },
        '400': problemResponse('Malformed period'),
        '404': problemResponse('No run for that month'),
      },
    },
  },
};
