/** /v1/schedules: the Temporal Schedules (monthly digest, nightly reconciliation): list, pause, unpause, trigger. */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import { scheduleIdParam, scheduleList, scheduleNoteBody, scheduleTriggered, scheduleView } from '../schemas/digests';
import type { createScheduleService } from '../services/schedules';

export function schedulesRouter(service: ReturnType<typeof createScheduleService>): Router {
  const router = Router();
  const scheduleId = (params: unknown) => parse(scheduleIdParam, params, 'path').scheduleId;

  router.get('/', async (_req, res) => {
    res.json(await service.list());
  });

  router.get('/:scheduleId', async (req, res) => {
    res.json(await service.get(scheduleId(req.params)));
  });

  router.post('/:scheduleId/pause', async (req, res) => {
    const id = scheduleId(req.params);
    res.json(await service.pause(id, parse(scheduleNoteBody, req.body ?? {}).note));
  });

  router.post('/:scheduleId/unpause', async (req, res) => {
    const id = scheduleId(req.params);
    res.json(await service.unpause(id, parse(scheduleNoteBody, req.body ?? {}).note));
  });

  router.post('/:scheduleId/trigger', async (req, res) => {
    res.status(202).json(await service.trigger(scheduleId(req.params)));
  });

  return router;
}

const params = pathParams(scheduleIdParam);
const unknown = problemResponse('Unknown schedule');
const malformedId = problemResponse('Malformed schedule ID');
const malformed = problemResponse('Malformed schedule ID or note');
const noteBody = { required: false, content: json(scheduleNoteBody, 'input') };

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const schedulesPaths = {
  '/v1/schedules': {
    get: {
      operationId: 'listSchedules',
      summary: 'Every schedule, with its calendar, state and next action times',
      responses: { '200': { description: 'The schedules', content: json(scheduleList, 'output') } },
    },
  },
  '/v1/schedules/{scheduleId}': {
    get: {
      operationId: 'getSchedule',
      summary: 'One schedule',
      parameters: params,
      responses: { '200': { description: 'The schedule', content: json(scheduleView, 'output') }, '400': malformedId, '404': unknown },
    },
  },
  '/v1/schedules/{scheduleId}/pause': {
    post: {
      operationId: 'pauseSchedule',
      summary: 'Pause: no scheduled actions until unpaused (a trigger still runs)',
      parameters: params,
      requestBody: noteBody,
      responses: { '200': { description: 'Paused', content: json(scheduleView, 'output') }, '400': malformed, '404': unknown },
    },
  },
  '/v1/schedules/{scheduleId}/unpause': {
    post: {
      operationId: 'unpauseSchedule',
      summary: 'Resume the scheduled actions',
      parameters: params,
      requestBody: noteBody,
      responses: { '200': { description: 'Running again', content: json(scheduleView, 'output') }, '400': malformed, '404': unknown },
    },
  },
  '/v1/schedules/{scheduleId}/trigger': {
    post: {
      operationId: 'triggerSchedule',
      summary: "Take the schedule's action now (the digest then covers the current month)",
      parameters: params,
      responses: { '202': { description: 'Triggered', content: json(scheduleTriggered, 'output') }, '400': malformedId, '404': unknown },
    },
  },
};
