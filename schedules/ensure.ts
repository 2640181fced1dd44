/**
 * Creates the system's Schedules, or brings existing ones up to date with
 * schedules/definitions.ts. Idempotent: run it at every worker start. An
 * existing Schedule keeps its state (paused or not, note) as operators left it.
 */
import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { scheduleDefinitions, type ScheduleConfig } from './definitions';

export interface EnsuredSchedule {
  scheduleId: string;
  outcome: 'created' | 'updated';
}

export async function ensureSchedules(client: Client, config: ScheduleConfig): Promise<EnsuredSchedule[]> {
  const results: EnsuredSchedule[] = [];
  for (const definition of scheduleDefinitions(config)) {
    try {
      await client.schedule.create(definition);
      results.push({ scheduleId: definition.scheduleId, outcome: 'created' });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(definition.scheduleId).update((previous) => ({
        spec: definition.spec,
        action: definition.action,
        policies: definition.policies,
        state: { paused: previous.state.paused, ...(previous.state.note ? { note: previous.state.note } : {}) },
      }));
      results.push({ scheduleId: definition.scheduleId, outcome: 'updated' });
    }
  }
  return results;
}
