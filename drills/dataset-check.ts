/**
 * What a drill on a seeded data set (`npm run drill -- --data <size>`) checks
 * about the data set itself, besides its own cases: the data set's running
 * cases (card lives, licence watches, contract approvals, open applications)
 * were started when it was built and have never run a workflow task, so they
 * all wake on the drill's worker, under the drill's load and faults. None of
 * them may fail, each must have run its first task, and they may mail only
 * what their own state says they mailed, once.
 *
 * The data set's workflows are told from the drill's by their start time
 * (before the stack started: `DrillStack.ownWorkflowsQuery`). Their mail is
 * told by its outbox key (`<workflowId>:<purpose>[:<period>]`, header
 * X-XS-Outbox-Key): a mail is the data set's when the state of a data-set
 * workflow explains it (`accounts`); any other mail stays the drill's to
 * explain, so one the data set sent without reason fails the drill as
 * unexpected.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { CARD_LIFE_NOT_YET_RUN } from '../seed/dataset';
import { connectDatabase } from '../db/connection';
import { SA } from '../workflows/definitions';
import { say, sleep, type DrillStack, type Mail } from './stack';

/** Mails the data set's workflows must have sent (required) or may have sent (allowed), by outbox key prefix. */
interface Expected {
  prefix: string;
  /** The kind of mail, for the figures (the outbox key's purpose). */
  purpose: string;
  what: string;
  required: boolean;
}

/** The data set's companies and card users are at seed<company>.example (seed/data.ts). */
const SEEDED_ADDRESS = /@seed\d+\.example$/;

export class DatasetCheck {
  private expected: Expected[] = [];
  private figures: Record<string, unknown> = {};
  private readonly problems: string[] = [];

  constructor(private readonly stack: DrillStack) {}

  /** The check of the stack's data set; none when the stack runs on empty stores. */
  static of(stack: DrillStack): DatasetCheck | undefined {
    return stack.dataset ? new DatasetCheck(stack) : undefined;
  }

  private get before(): string {
    return `StartTime < "${this.stack.startedAt.toISOString()}"`;
  }

  private async count(query: string): Promise<number> {
    return (await this.stack.client.workflow.count(query)).count;
  }

  private async list(query: string): Promise<WorkflowExecutionInfo[]> {
    const out: WorkflowExecutionInfo[] = [];
    for await (const wf of this.stack.client.workflow.list({ query, pageSize: 1000 })) out.push(wf);
    return out;
  }

  /**
   * Waits (up to `timeoutMs`) until every running workflow of the data set has run its first
   * workflow task, every outbox entry is sent and every email the data set's state calls for has
   * arrived; then records what it found (`verify` reports it).
   */
  async settle(timeoutMs = this.stack.datasetSettleMs): Promise<void> {
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    const running = `ExecutionStatus = "Running" AND ${this.before}`;
    // Card lives (most of the data set) are started without a Phase and publish one in their first task:
    // those still without one have not run it.
    const asleep = () => this.count(`${running} AND ${CARD_LIFE_NOT_YET_RUN}`);
    // The others carry a Phase from their start: whether they ran their first task is in their history.
    let unstarted = (await this.list(`${running} AND WorkflowType != "cardInUse"`)).map((wf) => wf.workflowId);
    const others = unstarted.length;
    let sleeping = await asleep();
    let unsent = 0;
    let missing: Expected[] = [];
    let lastSaid = 0;
    for (;;) {
      if (sleeping > 0) sleeping = await asleep();
      if (sleeping === 0 && unstarted.length) unstarted = await this.firstTaskNotRun(unstarted);
      if (sleeping === 0 && unstarted.length === 0) {
        await this.expectMail();
        await this.readOutbox();
        unsent = this.outbox.filter((e) => e.status !== 'sent').length;
        missing = this.expected.filter((e) => e.required && !this.outbox.some((o) => o.status === 'sent' && o._id.startsWith(e.prefix)));
        if (unsent === 0 && missing.length === 0) break;
      }
      if (Date.now() > deadline) break;
      if (Date.now() - lastSaid > 30_000) {
        lastSaid = Date.now();
        say(`data set: ${sleeping} card lives still without their first task, ${unstarted.length} other cases; ${unsent} outbox entries unsent, ${missing.length} expected emails missing`);
      }
      await sleep(2000);
    }
    if (sleeping > 0) {
      // Not settled: still count what did happen (which of the others ran, which mail the state explains).
      unstarted = await this.firstTaskNotRun(unstarted);
      await this.expectMail();
      await this.readOutbox();
    }
    const seconds = Math.round((Date.now() - t0) / 1000);
    if (sleeping) this.problems.push(`data set: ${sleeping} card life workflow(s) never ran their first task (${seconds} s after the drill's own cases)`);
    if (unstarted.length) this.problems.push(`data set: ${unstarted.length} workflow(s) never completed their first task: ${unstarted.slice(0, 10).join(', ')}`);
    if (unsent) this.problems.push(`data set: ${unsent} outbox entr(ies) not sent after ${seconds} s`);
    for (const e of missing.slice(0, 10)) this.problems.push(`data set: ${e.what} never arrived`);
    if (missing.length > 10) this.problems.push(`data set: ${missing.length - 10} more expected emails never arrived`);
    this.figures = { settledAfterOwnCasesSeconds: seconds, otherCasesDescribed: others };
  }

  /**
   * The outbox entries written since the data set was built (by this run, or by the run that woke a
   * woken copy, drills/awake.ts): an email the data set's state calls for is sent when its entry is.
   */
  private outbox: { _id: string; status: string; sentAt?: Date | null }[] = [];
  private async readOutbox(): Promise<void> {
    const db = await connectDatabase(this.stack.mongoUri);
    try {
      const since = new Date(this.stack.dataset!.asOf);
      this.outbox = (await db.models.EmailOutbox.find({ createdAt: { $gte: since } }, { _id: 1, status: 1, sentAt: 1 }).lean()).map((e) => ({ _id: String(e._id), status: e.status, sentAt: e.sentAt }));
      // An entry left pending from before (seeded or woken) would be older: count those too.
      const olderUnsent = await db.models.EmailOutbox.find({ createdAt: { $lt: since }, status: { $ne: 'sent' } }, { _id: 1, status: 1 }).lean();
      this.outbox.push(...olderUnsent.map((e) => ({ _id: String(e._id), status: e.status })));
    } finally {
      await db.close();
    }
  }

  /** Those of the workflows whose first workflow task has not completed yet (history: started, task scheduled, maybe started). */
  private async firstTaskNotRun(ids: string[]): Promise<string[]> {
    const left: string[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const described = await Promise.all(ids.slice(i, i + 50).map((id) => this.stack.client.workflow.getHandle(id).describe().catch(() => undefined)));
      described.forEach((d, j) => {
        if (!d || (d.status.name === 'RUNNING' && d.historyLength <= 3)) left.push(ids[i + j]!);
      });
    }
    return left;
  }

  /** The data set's mail its workflows' state calls for, from visibility (their Phase and SlaBreached, as they published them). */
  private async expectMail(): Promise<void> {
    const expected: Expected[] = [];
    // Open applications confirm their receipt in their first task; a cancelled one says so.
    for (const wf of await this.list(`WorkflowType = "cardApplication" AND ${this.before}`)) {
      expected.push({ prefix: `${wf.workflowId}:received`, purpose: 'received', what: `the receipt of data-set application ${wf.workflowId}`, required: true });
      const phase = wf.typedSearchAttributes.get(SA.phase);
      expected.push({ prefix: `${wf.workflowId}:cancelled`, purpose: 'cancelled', what: `the cancellation of ${wf.workflowId}`, required: phase === 'cancelled' });
    }
    // A licence watch warns once its warning day came (phase warned; a later run carries it), and mails the block.
    const watches = new Map<string, Set<string>>();
    for (const wf of await this.list(`WorkflowType = "licenceWatch" AND Phase IN ("warned", "blocked")`)) {
      const phases = watches.get(wf.workflowId) ?? new Set<string>();
      phases.add(String(wf.typedSearchAttributes.get(SA.phase)));
      watches.set(wf.workflowId, phases);
    }
    for (const [id, phases] of watches) {
      expected.push({ prefix: `${id}:licence-warning:`, purpose: 'licence-warning', what: `the licence warning of ${id}`, required: true });
      expected.push({ prefix: `${id}:licence-expired:`, purpose: 'licence-expired', what: `the licence block of ${id}`, required: phases.has('blocked') });
    }
    // A contract approval past its due time escalates to the back-office lead, once.
    for (const wf of await this.list(`WorkflowType = "contractApproval" AND SlaBreached = true AND ${this.before}`)) {
      expected.push({ prefix: `${wf.workflowId}:sla-escalation`, purpose: 'sla-escalation', what: `the SLA escalation of ${wf.workflowId}`, required: true });
    }
    // A card blocked (its licence expired) may tell the company.
    for (const wf of await this.list(`WorkflowType = "cardInUse" AND Phase = "blocked"`)) {
      expected.push({ prefix: `${wf.workflowId}:card-blocked`, purpose: 'card-blocked', what: `the block of ${wf.workflowId}`, required: false });
    }
    this.expected = expected;
  }

  /** Whether the mail is one the data set's workflows were expected (or allowed) to send. */
  accounts(m: Mail): boolean {
    return this.explaining(m) !== undefined;
  }
  private explaining(m: Mail): Expected | undefined {
    return this.expected.find((e) => m.outboxKey.startsWith(e.prefix));
  }

  /**
   * No workflow failed (the data set's, and the drill's), no data-set mail twice, none to a data-set
   * address that neither the data set's state nor the drill (`explainedByDrill`) explains; what `settle` found.
   */
  async verify(explainedByDrill: (m: Mail) => boolean = () => false): Promise<{ figures: Record<string, unknown>; problems: string[] }> {
    const problems = [...this.problems];
    const unexplained = this.stack.mail.messages.filter((m) => SEEDED_ADDRESS.test(m.to) && !this.accounts(m) && !explainedByDrill(m));
    if (unexplained.length) problems.push(`data set: ${unexplained.length} email(s) to its addresses that nothing explains: ${unexplained.slice(0, 5).map((m) => `${m.to} "${m.subject}" (${m.outboxKey})`).join('; ')}`);
    const ended = `ExecutionStatus IN ("Failed", "Terminated", "Canceled", "TimedOut")`;
    const failed = await this.list(ended);
    if (failed.length) problems.push(`${failed.length} workflow(s) failed, were terminated, cancelled or timed out: ${failed.slice(0, 10).map((wf) => `${wf.workflowId} (${wf.type}) ${wf.status.name}`).join(', ')}`);
    const mails = this.stack.mail.messages.filter((m) => this.accounts(m));
    const byKey = new Map<string, number>();
    for (const m of mails) byKey.set(`${m.to}|${m.outboxKey}`, (byKey.get(`${m.to}|${m.outboxKey}`) ?? 0) + 1);
    const twice = [...byKey].filter(([, n]) => n > 1).map(([k]) => k);
    if (twice.length) problems.push(`data set: ${twice.length} email(s) accepted more than once: ${twice.slice(0, 10).join(', ')}`);
    // The outbox against this run's relay: an entry sent during the run was accepted here; one sent before it
    // (a woken copy's) was not sent again.
    const started = this.stack.startedAt.getTime();
    const acceptedKeys = new Set(mails.map((m) => m.outboxKey));
    const explained = this.outbox.filter((o) => this.expected.some((e) => o._id.startsWith(e.prefix)));
    const notAccepted = explained.filter((o) => o.status === 'sent' && o.sentAt && o.sentAt.getTime() >= started && !acceptedKeys.has(o._id));
    const resent = explained.filter((o) => o.sentAt && o.sentAt.getTime() < started && acceptedKeys.has(o._id));
    if (notAccepted.length) problems.push(`data set: ${notAccepted.length} outbox entr(ies) marked sent that the relay never accepted: ${notAccepted.slice(0, 10).map((o) => o._id).join(', ')}`);
    if (resent.length) problems.push(`data set: ${resent.length} email(s) sent before this run were sent again: ${resent.slice(0, 10).map((o) => o._id).join(', ')}`);
    const statuses: Record<string, number> = {};
    for (const s of ['Running', 'Completed', 'ContinuedAsNew']) statuses[s] = await this.count(`ExecutionStatus = "${s}" AND ${this.before}`);
    const byPurpose: Record<string, number> = {};
    for (const m of mails) {
      const purpose = this.explaining(m)!.purpose;
      byPurpose[purpose] = (byPurpose[purpose] ?? 0) + 1;
    }
    return {
      figures: {
        size: this.stack.dataset?.size,
        ...this.figures,
        dataSetWorkflowsNow: statuses,
        workflowsFailed: failed.length,
        dataSetEmails: mails.length,
        dataSetEmailsByPurpose: byPurpose,
        dataSetEmailsRequired: this.expected.filter((e) => e.required).length,
        dataSetEmailsSentBeforeThisRun: explained.filter((o) => o.sentAt && o.sentAt.getTime() < started).length,
        dataSetEmailsUnexplained: unexplained.length,
      },
      problems,
    };
  }
}
