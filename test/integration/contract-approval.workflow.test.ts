/**
 * The contract-approval workflow (PROCESSES.md section 1) end to end on the Java
 * time-skipping test server: a real Worker with the real activities, a fresh
 * database on the real FerretDB, and a real SMTP receiver.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { DateTime } from 'luxon';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import type { contractApproval } from '../../workflows';
import { contractStateQuery, contractWorkflowId, decideContractUpdate, FailureType } from '../../workflows/definitions';
import { insertCompany } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { eventually } from '../support/servers';
import { LEAD_EMAIL as LEAD, useWorkflowHarness, updateRefusal as updateFailure } from '../support/workflow-harness';

const ZONE = 'Europe/Amsterdam';
const calendar = new BusinessCalendar(DEFAULT_RULES);

const h = useWorkflowHarness();

/** A pending company as the registration API leaves it (no CargoCards); its contact address is unique to the test. */
async function createCompany(submittedAt: Date) {
  const { companyId, name, customerNumber, contact } = await insertCompany(h.db.models, {
    contract: 'pending', transportLicence: null, submittedAt, dueAt: calendar.contractDueAt(submittedAt),
  });
  return { _id: companyId, name, customerNumber, contact: { email: contact }, contract: { submittedAt } };
}

type Company = Awaited<ReturnType<typeof createCompany>>;

/**
 * Starts the workflow and waits until its first task is done (its state query answers). The decision's
 * handler exists from the start (an Update with the first task is taken); the query's only once the
 * rules are loaded, which is within that first task.
 */
async function startApproval(company: Company): Promise<WorkflowHandle<typeof contractApproval>> {
  const handle = await h.client.workflow.start<typeof contractApproval>('contractApproval', {
    taskQueue: h.taskQueue,
    workflowId: contractWorkflowId(company._id),
    args: [{ companyId: company._id, companyName: company.name, submittedAt: company.contract.submittedAt.toISOString() }],
  });
  await eventually(() => handle.query(contractStateQuery).catch(() => undefined));
  return handle;
}

const mailsTo = (address: string) => h.receiver.messages.filter((m) => m.to.includes(address));
const record = (company: Company) => h.db.models.Company.findById(company._id).lean();

test('an approval is recorded, returns the customer number and mails it to the contact', async () => {
  const company = await createCompany(new Date(await h.env.currentTimeMs()));
  const handle = await startApproval(company);

  const decided = await handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'approved', decidedBy: 'bo-1' }] });
  expect(decided).toMatchObject({ outcome: 'approved', customerNumber: company.customerNumber });
  expect(await handle.result()).toEqual(decided);

  expect((await record(company))?.contract).toMatchObject({ status: 'approved', decidedBy: 'bo-1', slaBreached: false });
  const mails = mailsTo(company.contact.email);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.subject).toContain(company.customerNumber);
  expect(mails[0]!.text).toContain(company.customerNumber);

  const state = await handle.query(contractStateQuery);
  expect(state).toMatchObject({ phase: 'approved', customerNumber: company.customerNumber, slaBreached: false });
  expect(state.decision).toMatchObject({ outcome: 'approved', decidedBy: 'bo-1', decidedAt: decided.decidedAt });
  // The Update answered once the decision was recorded, before the decision mail went out (it follows in the workflow).
  const events = (await handle.fetchHistory()).events ?? [];
  const mailScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail')!;
  const mailDone = events.findIndex((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(mailScheduled.eventId));
  const answered = events.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes);
  expect({ answered: answered >= 0, beforeTheMail: answered < mailDone }).toEqual({ answered: true, beforeTheMail: true });
  await recordHistory(handle, 'contract-approved');
});

test('a rejection needs a reason, closes the registration key and mails the reason', async () => {
  const company = await createCompany(new Date(await h.env.currentTimeMs()));
  const handle = await startApproval(company);

  const refused = await updateFailure(handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'rejected', decidedBy: 'bo-2' }] }));
  expect(refused.type).toBe(FailureType.InvalidInput);
  expect(refused.message).toMatch(/reason/);
  expect(await handle.query(contractStateQuery)).toMatchObject({ phase: 'awaiting-decision' });
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect((await record(company))?.contract?.status).toBe('pending');

  const reason = 'The Chamber of Commerce extract is older than six months.';
  const decided = await handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'rejected', decidedBy: 'bo-2', reason }] });
  expect(decided).toEqual({ outcome: 'rejected', decidedAt: expect.any(String) });
  expect(await handle.result()).toEqual(decided);

  const stored = await record(company);
  expect(stored?.contract).toMatchObject({ status: 'rejected', rejectionReason: reason, decidedBy: 'bo-2' });
  expect(stored?.registrationKey).toBe(`closed:${company._id}`);
  const mails = mailsTo(company.contact.email);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.subject).toMatch(/not approved/);
  expect(mails[0]!.text).toContain(reason);
  expect(await handle.query(contractStateQuery)).toMatchObject({ phase: 'rejected' });
});

test('of two concurrent decisions exactly one is accepted; a decision on a completed case is refused', async () => {
  const company = await createCompany(new Date(await h.env.currentTimeMs()));
  const handle = await startApproval(company);

  const outcomes = await Promise.allSettled([
    handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'approved', decidedBy: 'bo-1' }] }),
    handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'rejected', decidedBy: 'bo-2', reason: 'Duplicate' }] }),
  ]);
  const accepted = outcomes.filter((o) => o.status === 'fulfilled');
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  expect(accepted).toHaveLength(1);
  expect(refused).toHaveLength(1);
  const conflict = await updateFailure(Promise.reject(refused[0]!.reason));
  expect(conflict.type).toBe(FailureType.Conflict);

  const winner = (accepted[0] as PromiseFulfilledResult<{ outcome: string }>).value;
  expect(await handle.result()).toMatchObject({ outcome: winner.outcome });
  expect((await record(company))?.contract?.status).toBe(winner.outcome);
  expect(mailsTo(company.contact.email)).toHaveLength(1);

  // The workflow has completed: nothing is left to take a decision (the API answers 409 from the record first).
  await expect(
    handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'approved', decidedBy: 'bo-3' }] }),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect((await record(company))?.contract?.status).toBe(winner.outcome);
  expect(mailsTo(company.contact.email)).toHaveLength(1);
});

/** The first Friday at least 2 days after `now` whose Monday is Easter Monday or Whit Monday. */
function fridayBeforeHolidayMonday(now: number): string {
  let day = calendar.dayOf(new Date(now + 2 * 86_400_000));
  for (;;) {
    const weekday = DateTime.fromISO(day, { zone: ZONE }).weekday;
    const monday = calendar.addDays(day, 3);
    if (weekday === 5 && /^(Easter|Whit) Monday$/.test(calendar.holidayName(monday) ?? '')) return day;
    day = calendar.addDays(day, 1);
  }
}

test('undecided after 24 working hours across a weekend and a holiday Monday, the lead is alerted; a late decision still counts', async () => {
  const friday = fridayBeforeHolidayMonday(await h.env.currentTimeMs());
  const submittedAt = calendar.atLocalTime(friday, '15:00');
  const company = await createCompany(submittedAt);
  const handle = await startApproval(company);

  // Due: Tuesday 15:00 local, four calendar days later (whatever DST did in between).
  const dueAt = new Date((await handle.query(contractStateQuery)).dueAt);
  const due = DateTime.fromJSDate(dueAt, { zone: ZONE });
  const submitted = DateTime.fromJSDate(submittedAt, { zone: ZONE });
  expect(due.toISODate()).toBe(submitted.plus({ days: 4 }).toISODate());
  expect([due.weekday, due.hour, due.minute, due.second, due.millisecond]).toEqual([2, 15, 0, 0, 0]);

  const leadMails = () => mailsTo(LEAD).filter((m) => m.subject.includes(company._id));
  await h.env.sleep(dueAt.getTime() - (await h.env.currentTimeMs()) - 60_000);
  expect(await handle.query(contractStateQuery)).toMatchObject({ phase: 'awaiting-decision', slaBreached: false });
  expect(leadMails()).toHaveLength(0);
  expect((await record(company))?.contract?.slaBreached).toBe(false);

  await h.env.sleep(120_000);
  const breached = await handle.query(contractStateQuery);
  expect(breached).toMatchObject({ phase: 'awaiting-decision', slaBreached: true });
  // The timer fires at dueAt plus the latency of the workflow task that started it (see the report).
  const escalatedAt = new Date(breached.escalatedAt!);
  expect(escalatedAt.getTime() - dueAt.getTime()).toBeGreaterThanOrEqual(0);
  expect(escalatedAt.getTime() - dueAt.getTime()).toBeLessThan(5_000);
  const stored = await eventually(async () => {
    const r = await record(company);
    return r?.contract?.slaBreached && leadMails().length > 0 ? r : undefined;
  });
  expect(stored.contract?.escalatedAt?.toISOString()).toBe(escalatedAt.toISOString());
  expect(stored.contract?.status).toBe('pending');
  expect(leadMails()).toHaveLength(1);
  expect(leadMails()[0]!.subject).toMatch(/^Overdue/);
  expect(mailsTo(company.contact.email)).toHaveLength(0);

  const decided = await handle.executeUpdate(decideContractUpdate, { args: [{ outcome: 'approved', decidedBy: 'bo-1' }] });
  expect(decided).toMatchObject({ outcome: 'approved', customerNumber: company.customerNumber });
  expect(await handle.result()).toEqual(decided);
  expect((await record(company))?.contract).toMatchObject({ status: 'approved', slaBreached: true });
  expect(mailsTo(company.contact.email)).toHaveLength(1);
  expect(mailsTo(company.contact.email)[0]!.subject).toContain(company.customerNumber);
  expect([...leadMails(), ...mailsTo(company.contact.email)]).toHaveLength(2);
  expect(await handle.query(contractStateQuery)).toMatchObject({ phase: 'approved', slaBreached: true });
  await recordHistory(handle, 'contract-escalated-then-approved');
});
