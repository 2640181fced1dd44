/**
 * The Schedules on the shared Temporal dev server (the time-skipping server
 * has no Schedules), in a namespace of this file's own so the fixed schedule
 * IDs do not meet other test files: `schedules:apply` creates them with the
 * right calendars, changes only what differs, keeps operators' pauses, and
 * triggering or backfilling them runs the real workflows on a real worker
 * (FerretDB, SMTP receiver).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { periodOf } from '../../domain/digest';
import { DEFAULT_RULES } from '../../domain/rules';
import { MONTHLY_DIGEST_SCHEDULE_ID, NIGHTLY_RECONCILIATION_SCHEDULE_ID } from '../../schedules/definitions';
import { applySchedules } from '../../schedules/apply';
import { digestWorkflowId, type ReconciliationResult } from '../../workflows/definitions';
import { startDevServerHarness, type DevServerHarness } from '../support/api-harness';
import { devServerAddress, eventually, uniqueName } from '../support/servers';
import type { SmtpReceiver } from '../../stack/smtp-receiver';

const calendar = new BusinessCalendar(DEFAULT_RULES);

let h: DevServerHarness;
let client: Client, db: Database, receiver: SmtpReceiver, taskQueue: string;
let config: Parameters<typeof applySchedules>[1];
let namespace: string;

beforeAll(async () => {
  namespace = uniqueName('schedules');
  h = await startDevServerHarness({ namespace });
  ({ client, db, receiver, taskQueue } = h);
  config = { temporal: { taskQueue }, rules: DEFAULT_RULES };
});

afterAll(() => h?.close());

/** The first Wednesday 08:00 (Amsterdam) of each month from the one after `from`'s, `n` of them. */
function firstWednesdaysAfter(from: Date, n: number): string[] {
  const [y, m] = calendar.dayOf(from).slice(0, 7).split('-').map(Number) as [number, number];
  const dates = Array.from({ length: n + 1 }, (_, i) => calendar.digestAt(y + Math.floor((m - 1 + i) / 12), ((m - 1 + i) % 12) + 1));
  return dates.filter((d) => d.getTime() > from.getTime()).slice(0, n).map((d) => d.toISOString());
}

/** A company with one open item (its contract is pending) and one without. */
async function insertCompanies(): Promise<{ pendingContact: string }> {
  const base = (i: number, status: string) => ({
    _id: `co_sched${i}${Date.now()}`,
    name: `Kade ${i} B.V.`,
    kvkNumber: String(20_000_000 + i),
    vatId: `NL${200_000_000 + i}B01`,
    registrationKey: `${20_000_000 + i}:NL${200_000_000 + i}B01`,
    kvkExtract: { documentRef: 'doc', issuedOn: '2026-01-01' },
    signatory: { name: 'S', email: `s${i}@kade.example` },
    contact: { name: 'C', email: `contact${i}@kade.example`, language: 'en' },
    customerNumber: `K${i}`,
    contract: { status, submittedAt: new Date(), dueAt: new Date() },
  });
  await db.models.Company.insertMany([base(1, 'pending'), base(2, 'approved')]);
  return { pendingContact: 'contact1@kade.example' };
}

test('schedules:apply creates the monthly digest on the first Wednesday, 08:00 Amsterdam; its next actions are those days', async () => {
  expect(await applySchedules(client, config, { dryRun: true })).toEqual([
    { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, outcome: 'created', paused: false },
    { scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, outcome: 'created', paused: false },
  ]);
  expect(await applySchedules(client, config)).toEqual([
    { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, outcome: 'created', paused: false },
    { scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, outcome: 'created', paused: false },
  ]);
  const digest = await client.schedule.getHandle(MONTHLY_DIGEST_SCHEDULE_ID).describe();
  expect(digest.spec.timezone).toBe('Europe/Amsterdam');
  expect(digest.spec.calendars).toEqual([
    expect.objectContaining({
      dayOfWeek: [{ start: 'WEDNESDAY', end: 'WEDNESDAY', step: 1 }],
      dayOfMonth: [{ start: 1, end: 7, step: 1 }],
      hour: [{ start: 8, end: 8, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
    }),
  ]);
  expect(digest.action).toMatchObject({ type: 'startWorkflow', workflowType: 'monthlyDigest', taskQueue, args: [{}] });
  expect(digest.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: 3 * 86_400_000 });
  expect(digest.info.nextActionTimes.map((d) => d.toISOString())).toEqual(firstWednesdaysAfter(new Date(), digest.info.nextActionTimes.length));
  expect(digest.info.nextActionTimes.length).toBeGreaterThanOrEqual(5);
});

test('the nightly reconciliation runs at 03:30 Amsterdam every night, across the DST changes', async () => {
  const nightly = await client.schedule.getHandle(NIGHTLY_RECONCILIATION_SCHEDULE_ID).describe();
  expect(nightly.action).toMatchObject({ workflowType: 'reconciliation', taskQueue });
  const next = nightly.info.nextActionTimes;
  expect(next.length).toBeGreaterThanOrEqual(5);
  const firstDay = calendar.dayOf(next[0]!);
  expect(next.map((d) => d.toISOString())).toEqual(next.map((_, i) => calendar.atLocalTime(calendar.addDays(firstDay, i), '03:30').toISOString()));
});

test('schedules:apply twice changes nothing; an operator\'s pause and note are kept, an edited calendar is put back and named', async () => {
  const handle = client.schedule.getHandle(MONTHLY_DIGEST_SCHEDULE_ID);
  const before = await handle.describe();
  const unchanged = [
    { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, outcome: 'unchanged', paused: false },
    { scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, outcome: 'unchanged', paused: false },
  ];
  expect(await applySchedules(client, config)).toEqual(unchanged);
  expect((await handle.describe()).info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);

  // An operator pauses the digest with a note, and moves it to 09:00 in the Web UI.
  await handle.pause('closed for the audit');
  await handle.update((s) => ({ ...s, spec: { ...s.spec, calendars: [{ ...s.spec.calendars![0]!, hour: 9 }] } }));
  expect(await applySchedules(client, config, { dryRun: true })).toEqual([
    { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, outcome: 'updated', changed: ['spec'], paused: true },
    unchanged[1],
  ]);
  expect((await handle.describe()).spec.calendars![0]!.hour).toEqual([{ start: 9, end: 9, step: 1 }]);

  expect(await applySchedules(client, config)).toEqual([
    { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, outcome: 'updated', changed: ['spec'], paused: true },
    unchanged[1],
  ]);
  const after = await handle.describe();
  expect(after.spec).toEqual(before.spec);
  expect(after.action).toEqual(before.action);
  expect(after.policies).toEqual(before.policies);
  expect(after.state).toMatchObject({ paused: true, note: 'closed for the audit' });
  expect(await applySchedules(client, config)).toEqual([{ ...unchanged[0], paused: true }, unchanged[1]]);

  const ids = await eventually(async () => {
    const listed: string[] = [];
    for await (const s of client.schedule.list()) listed.push(s.scheduleId);
    return listed.length === 2 ? listed.sort() : undefined;
  });
  expect(ids).toEqual([MONTHLY_DIGEST_SCHEDULE_ID, NIGHTLY_RECONCILIATION_SCHEDULE_ID]);
  await handle.unpause();
});

test('`npm run schedules:apply` (dist/schedules/main.js) prints, one line per Schedule, what it changed or would change', () => {
  const run = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'schedules', 'main.js'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: taskQueue, ...env },
    });
  const ok = run({});
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  expect(ok.stdout.trim().split('\n')).toEqual([`schedules: ${MONTHLY_DIGEST_SCHEDULE_ID}: unchanged`, `schedules: ${NIGHTLY_RECONCILIATION_SCHEDULE_ID}: unchanged`]);
  // Another task queue in the configuration: both actions differ.
  const dry = run({ TEMPORAL_TASK_QUEUE: `${taskQueue}-other` }, '--dry-run');
  expect(dry.status).toBe(0);
  expect(dry.stdout).toContain(`schedules: ${MONTHLY_DIGEST_SCHEDULE_ID}: would be updated (action differed from schedules/definitions.ts)`);
});

test('a firing inside the month\'s window mails the month as digest:<period>; a firing outside it (a late backfill, a trigger before the first Wednesday) mails nothing', async () => {
  const { pendingContact } = await insertCompanies();
  const handle = client.schedule.getHandle(MONTHLY_DIGEST_SCHEDULE_ID);
  const runOf = async (scheduledAt: (t: Date) => boolean) => {
    const action = await eventually(async () => (await handle.describe()).info.recentActions.find((a) => scheduledAt(a.scheduledAt)));
    return client.workflow.getHandle(action.action.workflow.workflowId);
  };

  // A backfill of March 2026 (first Wednesday 4 March 08:00 Amsterdam), run months later: outside March's window.
  await handle.backfill({ start: new Date('2026-03-04T06:59:00Z'), end: new Date('2026-03-04T07:01:00Z') });
  const backfilled = await runOf((t) => t.toISOString() === '2026-03-04T07:00:00.000Z');
  await expect(backfilled.result()).rejects.toMatchObject({
    cause: { type: 'BusinessRuleViolation', message: expect.stringContaining('the digest for 2026-03 runs only from 2026-03-04T08:00:00+01:00') },
  });

  // A trigger now: the current month, if its window is open today (the real clock decides which branch this run takes).
  const triggeredAt = new Date();
  await handle.trigger();
  const triggered = await runOf((t) => t.getTime() >= triggeredAt.getTime() - 1000);
  const period = periodOf(triggeredAt, calendar);
  const { opensAt, closesAt } = calendar.digestWindow(Number(period.slice(0, 4)), Number(period.slice(5)));
  if (triggeredAt >= opensAt && triggeredAt < closesAt) {
    expect(await triggered.result()).toMatchObject({ period, workflowId: digestWorkflowId(period), outcome: 'done', progress: { sent: 1, skippedEmpty: 1 } });
    const mails = await receiver.waitFor(1);
    expect(mails.map((m) => [m.to[0], m.subject])).toEqual([[pendingContact, expect.stringContaining(`(1)`)]]);
  } else {
    await expect(triggered.result()).rejects.toMatchObject({ cause: { type: 'BusinessRuleViolation' } });
  }
  await new Promise((r) => setTimeout(r, 1000));
  expect(receiver.messages.filter((m) => m.subject.includes('March 2026'))).toHaveLength(0);
  await expect(client.workflow.getHandle('digest:2026-03').describe()).rejects.toThrow();
});

test('a trigger of the nightly reconciliation runs it to the end', async () => {
  const handle = client.schedule.getHandle(NIGHTLY_RECONCILIATION_SCHEDULE_ID);
  await handle.trigger();
  const action = await eventually(async () => (await handle.describe()).info.recentActions[0]);
  const result = (await client.workflow.getHandle(action.action.workflow.workflowId).result()) as ReconciliationResult;
  // No company has CargoCards with an approved contract and a licence; no card is held.
  expect(result.counts['licence-watches'].checked).toBe(0);
  expect(result.counts['pickup-holds'].checked).toBe(0);
});
