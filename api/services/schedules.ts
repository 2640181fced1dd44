/**
 * The Temporal Schedules of the namespace (schedules/definitions.ts creates
 * ours): list them with their next action times, pause, unpause, trigger now.
 */
import { ScheduleNotFoundError, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import { periodOf } from '../../domain/digest';
import { MONTHLY_DIGEST_SCHEDULE_ID, SCHEDULE_IDS } from '../../schedules/definitions';
import { HttpProblem, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { refuseOutsideDigestWindow } from './digests';

/** Next action times shown per schedule. */
const NEXT_ACTIONS = 5;

type Calendar = NonNullable<ScheduleDescription['spec']['calendars']>[number];
type Ranges = { start: string | number; end: string | number }[];

const ranges = (r: Ranges): string => r.map((x) => (x.start === x.end ? String(x.start) : `${x.start}-${x.end}`)).join(',');
const EVERY: Record<string, string> = { dayOfWeek: 'SUNDAY-SATURDAY', dayOfMonth: '1-31', month: 'JANUARY-DECEMBER' };

/** One calendar spec in words, e.g. "WEDNESDAY; day 1-7; 08:00". */
function describeCalendar(c: Calendar): string {
  const days = (['dayOfWeek', 'dayOfMonth', 'month'] as const).flatMap((field) => {
    const text = ranges(c[field] as Ranges);
    return text && text !== EVERY[field] ? [field === 'dayOfMonth' ? `day ${text}` : text] : [];
  });
  const single = c.hour.length === 1 && c.minute.length === 1 && c.hour[0]!.start === c.hour[0]!.end && c.minute[0]!.start === c.minute[0]!.end;
  const time = single
    ? `${String(c.hour[0]!.start).padStart(2, '0')}:${String(c.minute[0]!.start).padStart(2, '0')}`
    : `hour ${ranges(c.hour)}, minute ${ranges(c.minute)}`;
  return [...days, time].join('; ');
}

export function createScheduleService(deps: ServiceDeps) {
  const { schedule } = deps.temporal;
  const now = deps.now ?? (() => new Date());

  function view(d: ScheduleDescription) {
    return {
      scheduleId: d.scheduleId,
      workflowType: d.action.workflowType,
      paused: d.state.paused,
      note: d.state.note ?? null,
      timeZone: d.spec.timezone ?? null,
      calendars: (d.spec.calendars ?? []).map(describeCalendar),
      nextActionTimes: d.info.nextActionTimes.slice(0, NEXT_ACTIONS).map((t) => deps.calendar.toLocalIso(t)),
      recentActions: d.info.recentActions.map((a) => ({
        scheduledAt: a.scheduledAt.toISOString(),
        takenAt: a.takenAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
      })),
      numActionsTaken: d.info.numActionsTaken,
    };
  }

  /** Runs an operation on one schedule; an unknown ID is a 404. */
  async function on<T>(scheduleId: string, op: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await op(schedule.getHandle(scheduleId));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound(`no schedule ${scheduleId}`);
      throw err;
    }
  }

  const get = (scheduleId: string) => on(scheduleId, async (h) => view(await h.describe()));

  return {
    get,

    /**
     * The project's schedules (schedules/definitions.ts), each described by its ID: bounded by design, never a
     * visibility listing, which scans every workflow of the namespace on the embedded server's SQLite (2.4 s
     * with the realistic data set). One not created yet is left out.
     */
    async list() {
      const notCreated = (err: unknown) => {
        if (err instanceof HttpProblem && err.status === 404) return null;
        throw err;
      };
      const described = await Promise.all(SCHEDULE_IDS.map((id) => get(id).catch(notCreated)));
      return { schedules: described.filter((s) => s !== null) };
    },

    pause: (scheduleId: string, note?: string) =>
      on(scheduleId, async (h) => {
        await h.pause(note ?? 'Paused through the back-office API');
        return view(await h.describe());
      }),

    unpause: (scheduleId: string, note?: string) =>
      on(scheduleId, async (h) => {
        await h.unpause(note ?? 'Unpaused through the back-office API');
        return view(await h.describe());
      }),

    /**
     * Takes the schedule's action now (allowed even while paused). The monthly digest only inside the current
     * month's window (domain/digest.ts); its workflow refuses a firing outside it too.
     */
    trigger: (scheduleId: string) =>
      on(scheduleId, async (h) => {
        if (scheduleId === MONTHLY_DIGEST_SCHEDULE_ID) {
          const at = now();
          refuseOutsideDigestWindow(periodOf(at, deps.calendar), at, deps.calendar);
        }
        await h.trigger();
        return { scheduleId, triggered: true as const };
      }),
  };
}
