/**
 * /v1/digests and /v1/schedules over HTTP: the express app on a real port, the
 * shared Temporal dev server in a namespace of this file's own (the schedule
 * IDs are fixed), a real worker, a fresh FerretDB database, a real SMTP receiver.
 */
import type { Client } from '@temporalio/client';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { MONTHLY_DIGEST_SCHEDULE_ID, NIGHTLY_RECONCILIATION_SCHEDULE_ID } from '../../schedules/definitions';
import { applySchedules } from '../../schedules/apply';
import { startApiHarness, type Api, type ApiHarness, type ApiResponse } from '../support/api-harness';
import { eventually, uniqueName } from '../support/servers';
import type { SmtpReceiver } from '../../stack/smtp-receiver';

const calendar = new BusinessCalendar(DEFAULT_RULES);
/** Firing a Schedule by hand is the scheduler's (system) right alone. */
const AS_SCHEDULER = { authorization: `Bearer ${LOCAL_API_KEYS.system}` };
const CONTACT = 'contact@pier.example';

/** The API's clock: inside February 2026's digest window (first Wednesday 4 February 08:00) unless a test moves it. */
const IN_FEBRUARY = new Date('2026-02-10T12:00:00Z');
let clock = IN_FEBRUARY;

let h: ApiHarness;
let client: Client, db: Database, receiver: SmtpReceiver, taskQueue: string;
/** Calls the API; every error answer must be problem+json. */
let api: Api;

beforeAll(async () => {
  // Polling only once a test starts the worker: a digest triggered before then stays running.
  h = await startApiHarness({ namespace: uniqueName('api-digests'), runWorker: false, errorsWithoutInternals: false, now: () => clock });
  ({ client, db, receiver, taskQueue, api } = h);
  await db.models.Company.create({
    _id: 'co_pier00000001',
    name: 'Pier B.V.',
    kvkNumber: '30000001',
    vatId: 'NL300000001B01',
    registrationKey: '30000001:NL300000001B01',
    kvkExtract: { documentRef: 'doc', issuedOn: '2026-01-01' },
    signatory: { name: 'S', email: 's@pier.example' },
    contact: { name: 'C', email: CONTACT, language: 'en' },
    customerNumber: 'P0000001',
    contract: { status: 'pending', submittedAt: new Date(), dueAt: new Date() },
  });
});

afterAll(() => h?.close());

const fieldsOf = (res: ApiResponse): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field);
const digestMails = () => receiver.messages.filter((m) => m.to.includes(CONTACT));

describe('/v1/digests', () => {
  let first: { workflowId: string; runId: string };

  test('POST starts the month once: while it runs, the same run is returned', async () => {
    const a = await api('POST', '/v1/digests', { period: '2026-02' });
    expect(a.status).toBe(202);
    expect(a.headers.get('location')).toBe('/v1/digests/2026-02');
    expect(a.body).toEqual({ period: '2026-02', workflowId: 'digest:2026-02', runId: expect.any(String), started: true });
    first = a.body;

    const b = await api('POST', '/v1/digests', { period: '2026-02' });
    expect(b.status).toBe(202);
    expect(b.body).toEqual({ ...first, started: false });
  });

  test('GET /v1/digests/:period follows the run to the end, with its progress', async () => {
    h.runWorker();
    const done = await eventually(async () => {
      const res = await api('GET', '/v1/digests/2026-02');
      return res.body.status === 'COMPLETED' ? res : undefined;
    });
    expect(done.body).toMatchObject({
      period: '2026-02',
      workflowId: 'digest:2026-02',
      runId: first.runId,
      closeTime: expect.any(String),
      progress: { period: '2026-02', sent: 1, skippedEmpty: 0, alreadySent: 0, failed: 0, estimatedTotal: 1, finishedAt: expect.any(String) },
    });
    await receiver.waitFor(1);
    expect(digestMails().map((m) => m.subject)).toEqual(['XS-Key: your open items for February 2026 (1)']);
  });

  test('POST after the month ran starts a new run that mails nobody again', async () => {
    const again = await api('POST', '/v1/digests', { period: '2026-02' });
    expect(again.body).toMatchObject({ workflowId: 'digest:2026-02', started: true });
    expect(again.body.runId).not.toBe(first.runId);
    const done = await eventually(async () => {
      const res = await api('GET', '/v1/digests/2026-02');
      return res.body.status === 'COMPLETED' && res.body.runId === again.body.runId ? res : undefined;
    });
    expect(done.body.progress).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(digestMails()).toHaveLength(1);
  });

  test('GET /v1/digests lists the runs, most recent first, with status and progress', async () => {
    clock = new Date('2026-01-20T12:00:00Z'); // inside January's window
    const jan = await api('POST', '/v1/digests', { period: '2026-01' });
    clock = IN_FEBRUARY;
    expect(jan.status).toBe(202);
    const list = await eventually(async () => {
      const res = await api('GET', '/v1/digests?limit=10');
      const runs = res.body.runs as { runId: string; status: string }[];
      return runs.length === 3 && runs.every((r) => r.status === 'COMPLETED') ? runs : undefined;
    });
    expect(list.map((r) => (r as unknown as { period: string }).period)).toEqual(['2026-01', '2026-02', '2026-02']);
    expect(list[0]).toMatchObject({ workflowId: 'digest:2026-01', progress: { sent: 1 } });
    expect(list[2]).toMatchObject({ runId: first.runId, progress: { sent: 1 } });
    expect((await api('GET', '/v1/digests?limit=1')).body.runs).toHaveLength(1);
  });

  test('a month runs only from its first Wednesday 08:00 (Amsterdam) to its end: else 409 naming the window', async () => {
    // [API clock, month asked for, allowed]
    const cases: [string, string, boolean][] = [
      ['2026-02-04T06:59:59.999Z', '2026-02', false], // 07:59:59.999 in Amsterdam, first Wednesday of February
      ['2026-02-04T07:00:00.000Z', '2026-02', true],
      ['2026-02-28T22:59:59.999Z', '2026-02', true], // 23:59:59.999 on the last day
      ['2026-02-28T23:00:00.000Z', '2026-02', false], // midnight: March has begun
      ['2026-03-02T10:00:00.000Z', '2026-03', false], // March before its first Wednesday (4 March)
      ['2026-03-02T10:00:00.000Z', '2026-02', false], // a past month
      ['2026-02-10T12:00:00.000Z', '2025-12', false],
      ['2026-02-10T12:00:00.000Z', '2025-02', false],
      ['2026-02-10T12:00:00.000Z', '2026-04', false], // a month not begun
    ];
    try {
      for (const [at, period, allowed] of cases) {
        clock = new Date(at);
        const res = await api('POST', '/v1/digests', { period });
        if (allowed) {
          expect({ at, period, status: res.status }).toEqual({ at, period, status: 202 });
          continue;
        }
        const window = calendar.digestWindow(Number(period.slice(0, 4)), Number(period.slice(5)));
        expect({ at, period, status: res.status }).toEqual({ at, period, status: 409 });
        expect(res.body.detail).toContain(`runs only from ${calendar.toLocalIso(window.opensAt)} until ${calendar.toLocalIso(window.closesAt)}`);
        expect(res.body.window).toEqual({ opensAt: window.opensAt.toISOString(), closesAt: window.closesAt.toISOString() });
      }
      // Nothing was started outside a window.
      for (const period of ['2026-03', '2025-12', '2025-02', '2026-04']) {
        expect({ period, status: (await api('GET', `/v1/digests/${period}`)).status }).toEqual({ period, status: 404 });
      }
    } finally {
      clock = IN_FEBRUARY;
    }
  });

  test('malformed requests are 400 naming the field; an unknown month 404', async () => {
    const bad = await api('POST', '/v1/digests', { period: '2026-13', extra: true });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['extra', 'period']);
    expect((await api('POST', '/v1/digests', {})).status).toBe(400);
    expect(fieldsOf(await api('GET', '/v1/digests?limit=0'))).toEqual(['limit']);


    expect((await api('GET', '/v1/digests/2019-01')).status).toBe(404);
    expect((await api('GET', '/v1/digests/2019-1')).status).toBe(400);
  });
});

describe('/v1/schedules', () => {
  beforeAll(async () => {
    await applySchedules(client, { temporal: { taskQueue }, rules: DEFAULT_RULES });
  });

  test('GET lists both schedules with their calendars and next action times in Amsterdam time', async () => {
    const schedules = await eventually(async () => {
      const res = await api('GET', '/v1/schedules');
      return res.body.schedules.length === 2 ? res.body.schedules : undefined;
    });
    const [digest, nightly] = schedules;
    expect(digest).toMatchObject({
      scheduleId: MONTHLY_DIGEST_SCHEDULE_ID,
      workflowType: 'monthlyDigest',
      paused: false,
      timeZone: 'Europe/Amsterdam',
      calendars: ['WEDNESDAY; day 1-7; 08:00'],
    });
    expect(digest.nextActionTimes).toHaveLength(5);
    for (const t of digest.nextActionTimes as string[]) {
      expect(t).toMatch(/^\d{4}-\d{2}-0[1-7]T08:00:00\+0[12]:00$/);
      const day = t.slice(0, 10);
      expect(calendar.firstWednesday(Number(day.slice(0, 4)), Number(day.slice(5, 7)))).toBe(day);
    }
    expect(nightly).toMatchObject({ scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, workflowType: 'reconciliation', calendars: ['03:30'] });
    expect(nightly.nextActionTimes.every((t: string) => t.includes('T03:30:00+0'))).toBe(true);
  });

  test('pause and unpause, with a note', async () => {
    const paused = await api('POST', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}/pause`, { note: 'audit week' });
    expect(paused).toMatchObject({ status: 200, body: { scheduleId: MONTHLY_DIGEST_SCHEDULE_ID, paused: true, note: 'audit week' } });
    expect((await api('GET', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}`)).body.paused).toBe(true);

    const resumed = await api('POST', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}/unpause`);
    expect(resumed).toMatchObject({ status: 200, body: { paused: false, note: 'Unpaused through the back-office API' } });
  });

  test('trigger takes the action now: the reconciliation runs', async () => {
    const res = await api('POST', `/v1/schedules/${NIGHTLY_RECONCILIATION_SCHEDULE_ID}/trigger`, undefined, AS_SCHEDULER);
    expect(res).toMatchObject({ status: 202, body: { scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, triggered: true } });
    const action = await eventually(async () => (await api('GET', `/v1/schedules/${NIGHTLY_RECONCILIATION_SCHEDULE_ID}`)).body.recentActions[0]);
    expect(action.workflowId).toMatch(/^nightly-reconciliation-/);
    const result = await client.workflow.getHandle(action.workflowId).result();
    expect(result).toMatchObject({ counts: { 'licence-watches': { checked: 0 }, 'pickup-holds': { checked: 0 } } });
  });

  test('triggering the digest Schedule outside the current month\'s window is 409 and fires nothing', async () => {
    const before = (await api('GET', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}`)).body.recentActions.length;
    try {
      clock = new Date('2026-03-02T10:00:00Z'); // Monday 2 March: March's window opens on Wednesday 4 March 08:00
      const res = await api('POST', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}/trigger`, undefined, AS_SCHEDULER);
      expect(res.status).toBe(409);
      expect(res.body.detail).toContain('the digest for 2026-03 runs only from 2026-03-04T08:00:00+01:00');
    } finally {
      clock = IN_FEBRUARY;
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect((await api('GET', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}`)).body.recentActions).toHaveLength(before);
  });

  test('only the scheduler (system) may fire a Schedule by hand: back-office and customer service get 403', async () => {
    for (const role of ['backoffice', 'customer-service'] as const) {
      const res = await api('POST', `/v1/schedules/${NIGHTLY_RECONCILIATION_SCHEDULE_ID}/trigger`, undefined, { authorization: `Bearer ${LOCAL_API_KEYS[role]}` });
      expect({ role, status: res.status, allowedRoles: res.body.allowedRoles }).toEqual({ role, status: 403, allowedRoles: ['system'] });
    }
  });

  test('an unknown schedule is 404, a malformed ID or note 400', async () => {
    for (const [method, path] of [['GET', '/v1/schedules/nope'], ['POST', '/v1/schedules/nope/pause']] as const) {
      expect({ path, status: (await api(method, path)).status }).toEqual({ path, status: 404 });
    }
    expect((await api('POST', '/v1/schedules/nope/trigger', undefined, AS_SCHEDULER)).status).toBe(404);
    expect((await api('GET', '/v1/schedules/bad%20id')).status).toBe(400);
    const badNote = await api('POST', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}/pause`, { note: '', other: 1 });
    expect(badNote.status).toBe(400);
    expect(fieldsOf(badNote).sort()).toEqual(['note', 'other']);
    expect((await api('GET', `/v1/schedules/${MONTHLY_DIGEST_SCHEDULE_ID}`)).body.paused).toBe(false);
  });

  test('the OpenAPI document has the digest and schedule paths', async () => {
    const { body } = await api('GET', '/openapi.json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/v1/digests', '/v1/digests/{period}', '/v1/schedules', '/v1/schedules/{scheduleId}/pause', '/v1/schedules/{scheduleId}/trigger']),
    );
  });
});
