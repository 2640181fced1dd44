/**
 * /v1/digests and /v1/schedules over HTTP: the express app on a real port, the
 * shared Temporal dev server in a namespace of this file's own (the schedule
 * IDs are fixed), a real worker, a fresh FerretDB database, a real SMTP receiver.
 */
import type { Client } from '@temporalio/client';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { MONTHLY_DIGEST_SCHEDULE_ID, NIGHTLY_RECONCILIATION_SCHEDULE_ID } from '../../schedules/definitions';
import { ensureSchedules } from '../../schedules/ensure';
import { startApiHarness, type Api, type ApiHarness, type ApiResponse } from '../support/api-harness';
import { eventually, uniqueName } from '../support/servers';
import type { SmtpReceiver } from '../support/smtp';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const CONTACT = 'contact@pier.example';

let h: ApiHarness;
let client: Client, db: Database, receiver: SmtpReceiver, taskQueue: string;
/** Calls the API; every error answer must be problem+json. */
let api: Api;

beforeAll(async () => {
  // Polling only once a test starts the worker: a digest triggered before then stays running.
  h = await startApiHarness({ namespace: uniqueName('api-digests'), runWorker: false, errorsWithoutInternals: false });
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
    const jan = await api('POST', '/v1/digests', { period: '2026-01' });
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

  test('malformed requests are 400 naming the field; a month not begun is 422; an unknown month 404', async () => {
    const bad = await api('POST', '/v1/digests', { period: '2026-13', extra: true });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['extra', 'period']);
    expect((await api('POST', '/v1/digests', {})).status).toBe(400);
    expect(fieldsOf(await api('GET', '/v1/digests?limit=0'))).toEqual(['limit']);

    const future = calendar.addDays(calendar.dayOf(new Date()), 70).slice(0, 7);
    const refused = await api('POST', '/v1/digests', { period: future });
    expect(refused.status).toBe(422);
    expect(fieldsOf(refused)).toEqual(['period']);

    expect((await api('GET', '/v1/digests/2019-01')).status).toBe(404);
    expect((await api('GET', '/v1/digests/2019-1')).status).toBe(400);
  });
});

describe('/v1/schedules', () => {
  beforeAll(async () => {
    await ensureSchedules(client, { temporal: { taskQueue }, rules: DEFAULT_RULES });
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
    const res = await api('POST', `/v1/schedules/${NIGHTLY_RECONCILIATION_SCHEDULE_ID}/trigger`);
    expect(res).toMatchObject({ status: 202, body: { scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID, triggered: true } });
    const action = await eventually(async () => (await api('GET', `/v1/schedules/${NIGHTLY_RECONCILIATION_SCHEDULE_ID}`)).body.recentActions[0]);
    expect(action.workflowId).toMatch(/^nightly-reconciliation-/);
    const result = await client.workflow.getHandle(action.workflowId).result();
    expect(result).toMatchObject({ counts: { 'licence-watches': { checked: 0 }, 'pickup-holds': { checked: 0 } } });
  });

  test('an unknown schedule is 404, a malformed ID or note 400', async () => {
    for (const [method, path] of [['GET', '/v1/schedules/nope'], ['POST', '/v1/schedules/nope/pause'], ['POST', '/v1/schedules/nope/trigger']] as const) {
      expect({ path, status: (await api(method, path)).status }).toEqual({ path, status: 404 });
    }
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
