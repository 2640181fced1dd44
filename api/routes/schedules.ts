/** /v1/schedules: the Temporal Schedules (monthly digest, nightly reconciliation): list, pause, unpause, trigger. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { scheduleIdParam, scheduleList, scheduleNoteBody, scheduleTriggered, scheduleView } from '../schemas/digests';
import { createScheduleService } from '../services/schedules';
import type { Resource } from '.';

type Service = ReturnType<typeof createScheduleService>;
const endpoint = endpointsFor<Service>();

const unknown = problemResponse('Unknown schedule');
const malformedId = problemResponse('Malformed schedule ID');
const malformed = problemResponse('Malformed schedule ID or note');

export const schedules: Resource<Service> = {
  service: createScheduleService,
  endpoints: [
    endpoint({
      method: 'get',
      path: '/v1/schedules',
      operationId: 'listSchedules',
      summary: 'Every schedule, with its calendar, state and next action times',
      responses: { '200': { description: 'The schedules', content: json(scheduleList, 'output') } },
      handle: async (_input, res, service) => res.json(await service.list()),
    }),
    endpoint({
      method: 'get',
      path: '/v1/schedules/{scheduleId}',
      operationId: 'getSchedule',
      summary: 'One schedule',
      params: scheduleIdParam,
      responses: { '200': { description: 'The schedule', content: json(scheduleView, 'output') }, '400': malformedId, '404': unknown },
      handle: async ({ params }, res, service) => res.json(await service.get(params.scheduleId)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/schedules/{scheduleId}/pause',
      operationId: 'pauseSchedule',
      summary: 'Pause: no scheduled actions until unpaused (a trigger still runs)',
      params: scheduleIdParam,
      body: scheduleNoteBody,
      bodyOptional: true,
      responses: { '200': { description: 'Paused', content: json(scheduleView, 'output') }, '400': malformed, '404': unknown },
      handle: async ({ params, body }, res, service) => res.json(await service.pause(params.scheduleId, body.note)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/schedules/{scheduleId}/unpause',
      operationId: 'unpauseSchedule',
      summary: 'Resume the scheduled actions',
      params: scheduleIdParam,
      body: scheduleNoteBody,
      bodyOptional: true,
      responses: { '200': { description: 'Running again', content: json(scheduleView, 'output') }, '400': malformed, '404': unknown },
      handle: async ({ params, body }, res, service) => res.json(await service.unpause(params.scheduleId, body.note)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/schedules/{scheduleId}/trigger',
      operationId: 'triggerSchedule',
      summary: "Take the schedule's action now (the digest then covers the current month)",
      params: scheduleIdParam,
      responses: {
        '202': { description: 'Triggered', content: json(scheduleTriggered, 'output') },
        '400': malformedId,
        '404': unknown,
        '409': problemResponse("The monthly digest outside the current month's window (from its first Wednesday 08:00 to the end of the month)"),
      },
      handle: async ({ params }, res, service) => res.status(202).json(await service.trigger(params.scheduleId)),
    }),
  ],
};
