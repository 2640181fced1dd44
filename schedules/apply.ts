/**
 * Brings the Temporal Schedules to schedules/definitions.ts: a deploy step
 * (`npm run schedules:apply`, run by `make up` and by the compose job
 * `schedules`), never done by workers. It compares each definition with the
 * server's Schedule and changes only what differs, so running it twice, or
 * from two deploys at once, changes nothing the second time.
 *
 * What it owns: the calendar (spec), the workflow it starts (action) and the
 * overlap and catch-up policies. What operators own and it keeps: whether a
 * Schedule is paused, and its note. An operator's edit of the calendar in the
 * Web UI is reverted at the next apply, and the output names it: change
 * definitions.ts (or DIGEST_AT, CLOSURE_DATES...) instead. A Schedule on the
 * server that no definition names is reported and left alone.
 */
import { isDeepStrictEqual } from 'node:util';
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { decodeScheduleSpec, encodeScheduleSpec } from '@temporalio/client/lib/schedule-helpers';
import { scheduleDefinitions, type ScheduleConfig } from './definitions';

type Definition = ReturnType<typeof scheduleDefinitions>[number];
type Part = 'spec' | 'action' | 'policies';

export interface AppliedSchedule {
  scheduleId: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'not-in-definitions';
  /** For 'updated': the parts that differed from the definition. */
  changed?: Part[];
  /** Kept as operators left it. */
  paused?: boolean;
}

/** JSON-equal: drops undefined fields, the way the server drops unset ones. */
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));

/** The parts of the definition, in the form `describe()` returns them. */
function desired(d: Definition): Record<Part, unknown> {
  return {
    spec: decodeScheduleSpec(encodeScheduleSpec(d.spec)),
    action: {
      type: 'startWorkflow',
      workflowType: d.action.workflowType,
      workflowId: d.action.workflowId,
      taskQueue: d.action.taskQueue,
      args: d.action.args,
      staticSummary: d.action.staticSummary,
    },
    policies: { overlap: d.policies?.overlap, catchupWindow: msOptionalToNumber(d.policies?.catchupWindow), pauseOnFailure: d.policies?.pauseOnFailure ?? false },
  };
}

function current(s: ScheduleDescription): Record<Part, unknown> {
  const a = s.action as Partial<Extract<ScheduleDescription['action'], { type: 'startWorkflow' }>>;
  return {
    spec: s.spec,
    action: { type: a.type, workflowType: a.workflowType, workflowId: a.workflowId, taskQueue: a.taskQueue, args: a.args, staticSummary: a.staticSummary },
    policies: s.policies,
  };
}

/** Applies every definition; with `dryRun`, only says what it would change. */
export async function applySchedules(client: Client, config: ScheduleConfig, options: { dryRun?: boolean } = {}): Promise<AppliedSchedule[]> {
  const results: AppliedSchedule[] = [];
  const definitions = scheduleDefinitions(config);
  for (const definition of definitions) {
    const handle = client.schedule.getHandle(definition.scheduleId);
    const described = await handle.describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    if (!described) {
      if (!options.dryRun) await client.schedule.create(definition);
      results.push({ scheduleId: definition.scheduleId, outcome: 'created', paused: false });
      continue;
    }
    const want = desired(definition);
    const have = current(described);
    const changed = (Object.keys(want) as Part[]).filter((part) => !same(want[part], have[part]));
    if (changed.length && !options.dryRun) {
      await handle.update((previous) => ({
        spec: definition.spec,
        action: definition.action,
        policies: definition.policies,
        // Operators' part, as they left it (read again inside the update).
        state: { paused: previous.state.paused, ...(previous.state.note ? { note: previous.state.note } : {}) },
      }));
    }
    results.push({ scheduleId: definition.scheduleId, outcome: changed.length ? 'updated' : 'unchanged', ...(changed.length ? { changed } : {}), paused: described.state.paused });
  }
  const known = new Set(definitions.map((d) => d.scheduleId));
  for await (const listed of client.schedule.list()) {
    if (!known.has(listed.scheduleId)) results.push({ scheduleId: listed.scheduleId, outcome: 'not-in-definitions' });
  }
  return results;
}

/** One line per Schedule, for the deploy log. */
export function describeResult(r: AppliedSchedule, dryRun = false): string {
  const would = dryRun ? 'would be ' : '';
  switch (r.outcome) {
    case 'created':
      return `${r.scheduleId}: ${would}created`;
    case 'updated':
      return `${r.scheduleId}: ${would}updated (${r.changed!.join(', ')} differed from schedules/definitions.ts)${r.paused ? '; stays paused' : ''}`;
    case 'unchanged':
      return `${r.scheduleId}: unchanged${r.paused ? ' (paused by an operator; stays paused)' : ''}`;
    case 'not-in-definitions':
      return `${r.scheduleId}: not in schedules/definitions.ts; left alone`;
  }
}
