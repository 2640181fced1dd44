/**
 * Drill slow-smtp (issue 11 point 8): the real worker and API mail through a
 * SLOW relay, the drill's own SMTP receiver, which answers a message's final
 * dot only after `--answer-ms` (1-2 s) and every `--stall-every`-th message
 * (about 3 %) only after `--stall-seconds` (40 s: longer than the client's
 * socket timeout and than an activity's 30 s attempt). The client gives up on
 * a stalled message without knowing whether it went out (an uncertain send);
 * the relay then finds the client gone and does not accept it (no 250), and
 * the activity's retry must send it again, once.
 *
 * Load: `--companies` companies registered through the API (their contracts
 * pending: one open item each, so each gets a digest), this month's digest
 * triggered through the API (inside its window; outside it, started through
 * the Temporal client as the API's trigger starts it), and at the same time
 * `--applications` card applications driven over the API to the pickup hold
 * or to completion (drills/workload.ts: 4 emails each, 1 per company).
 *
 * Checked with the receiver's log, an email's identity being its outbox key
 * (`X-XS-Outbox-Key`, from which the outbox derives the Message-ID):
 * 0 lost (every expected email accepted at least once; every outbox entry
 * `sent`, with its Message-ID accepted), 0 duplicates (no recipient accepted
 * the same outbox key twice, nor the same subject under two Message-IDs), and,
 * after convergence, 0 orphans or stuck workflows (a record without its
 * workflow or the reverse; a workflow failed, or running with an activity
 * still pending).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connectDatabase, type Database } from '../db/connection';
import { periodOf } from '../domain/digest';
import { outboxKey } from '../activities/email';
import { cardApplicationWorkflowId, contractWorkflowId, digestEmailKey, digestWorkflowId, type MonthlyDigestResult } from '../workflows/definitions';
import { DatasetCheck } from './dataset-check';
import { bearer, call, DRILL_KEYS, DrillStack, missingWorkflows, say, sleep, type Answer, type DrillResult, type Mail } from './stack';
import { calendar, CardWorkload } from './workload';

export interface SlowSmtpOptions {
  /** Companies with a pending contract, registered through the API, that the digest mails. */
  companies: number;
  /** Card applications driven at the same time (10 per company of their own). */
  applications: number;
  /** The relay's answer to a final dot, uniformly in [min, max] ms. */
  answerMs: { min: number; max: number };
  /** Every this-many-th message is answered only after `stallSeconds` (0: none). */
  stallEvery: number;
  stallSeconds: number;
  /** Minutes the applications may take, and the digest without a mail accepted (four times that in all). */
  timeoutMinutes: number;
  /** Seconds allowed after the load for the last retries to settle. */
  convergeSeconds: number;
  /** Company registrations sent at once. */
  registrationConcurrency?: number;
  concurrency?: number;
  keep?: boolean;
}

/**
 * Resolves when the digest should have ended: after `timeoutMinutes` in which the relay accepted no mail
 * (the digest is stuck), or after four times that in all. The digest's pace is the relay's (1-2 s a mail
 * over the worker's pool): on a data set it also mails the data set's companies with open items (2,318
 * for `realistic`), which a fixed bound sized for the drill's own companies would call a failure.
 */
async function whileMailFlows(stack: DrillStack, o: SlowSmtpOptions, ended: AbortSignal): Promise<string> {
  const quietLimitMs = o.timeoutMinutes * 60_000;
  const hardLimitAt = Date.now() + 4 * quietLimitMs;
  let seen = stack.mail.messages.length;
  let lastMailAt = Date.now();
  while (!ended.aborted) {
    await sleep(10_000);
    if (stack.mail.messages.length > seen) [seen, lastMailAt] = [stack.mail.messages.length, Date.now()];
    if (Date.now() - lastMailAt > quietLimitMs) return `no mail accepted by the relay for ${o.timeoutMinutes} minutes (${seen} in all)`;
    if (Date.now() > hardLimitAt) return `still mailing after ${4 * o.timeoutMinutes} minutes (${seen} accepted)`;
  }
  return 'ended';
}

const TRANSIENT = (a: Answer) => a.status === 0 || a.status === 429 || a.status >= 500 || (a.status === 202 && a.body?.status === 'pending') || (a.status === 409 && /still being processed/.test(String(a.body?.detail)));

/** A POST retried with its Idempotency-Key until it is answered for good. */
async function post(stack: DrillStack, path: string, body: unknown, key = DRILL_KEYS.backoffice, deadline = Date.now() + 5 * 60_000): Promise<Answer> {
  const idempotencyKey = `slow-${createHash('sha256').update(`${path} ${JSON.stringify(body)}`).digest('hex').slice(0, 32)}`;
  for (;;) {
    const a = await call(stack.apiUrl, 'POST', path, body, { authorization: bearer(key), 'idempotency-key': idempotencyKey }, 60_000);
    if (!TRANSIENT(a) || Date.now() > deadline) return a;
    await sleep(500 + Math.random() * 1000);
  }
}

interface DigestCompany {
  companyId: string;
  contact: string;
}

export async function slowSmtpDrill(o: SlowSmtpOptions): Promise<DrillResult> {
  const stallPct = o.stallEvery ? `${(100 / o.stallEvery).toFixed(1)} %` : 'none';
  say(`drill slow-smtp: a relay answering in ${o.answerMs.min}-${o.answerMs.max} ms, ${stallPct} after ${o.stallSeconds} s; a digest for ${o.companies} companies and ${o.applications} card applications`);
  const stack = new DrillStack({ name: 'slow-smtp', keep: o.keep });
  const stalled = new Set<number>();
  stack.mail.answerDelayMs = (n) => {
    if (o.stallEvery > 0 && (n + 1) % o.stallEvery === 0) {
      stalled.add(n);
      return o.stallSeconds * 1000;
    }
    return o.answerMs.min + Math.random() * (o.answerMs.max - o.answerMs.min);
  };
  const started = Date.now();
  const second = () => Math.round((Date.now() - started) / 1000);
  const problems: string[] = [];
  let passed = false;
  let db: Database | undefined;
  try {
    await stack.start();
    db = await connectDatabase(stack.mongoUri); // every collection exists now (the worker and the API created them)
    const models = db.models;

    // 1. The digest's companies, through the API (each one a contract approval workflow, waiting for a decision).
    const run = randomBytes(3).toString('hex');
    const kvkBase = 10_000_000 + Math.floor(Math.random() * 80_000_000);
    const companies: DigestCompany[] = [];
    let nextCompany = 0;
    const registerLane = async () => {
      while (nextCompany < o.companies) {
        const i = nextCompany++;
        const contact = `digest.${run}.${i}@slow-smtp.example`;
        const a = await post(stack, '/v1/companies', {
          companyName: `Slow Relay Haulage ${i} B.V.`,
          kvkNumber: String(kvkBase + i),
          vatId: `NL${String(kvkBase + i).padStart(9, '0')}B01`,
          kvkExtract: { documentRef: `kvk-slow-${run}-${i}`, issuedOn: calendar.dayOf(new Date()) },
          signatory: { name: 'Slow Signatory', email: `signatory.${run}.${i}@slow-smtp.example`, listedInKvkExtract: true },
          contact: { name: 'Slow Contact', email: contact, language: i % 3 === 0 ? 'de' : 'en' },
        });
        if (a.status !== 201 && !(a.status === 409 && typeof a.body?.companyId === 'string')) {
          throw new Error(`registering company ${i} failed: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
        }
        companies.push({ companyId: a.body.companyId as string, contact });
        if (companies.length % Math.max(1, Math.floor(o.companies / 5)) === 0) say(`${companies.length}/${o.companies} companies registered`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.registrationConcurrency ?? 20, o.companies) }, registerLane));
    say(`${companies.length} companies registered through the API (+${second()} s)`);

    // 2. The card applications, and this month's digest at the same time.
    const workload = new CardWorkload(stack, {
      applications: o.applications,
      perCompany: 10,
      concurrency: o.concurrency ?? o.applications,
      caseTimeoutMs: o.timeoutMinutes * 60_000,
    });
    const loadStarted = Date.now();
    const applications = workload.run().then(() => say(`card applications done (+${second()} s)`));
    const period = periodOf(new Date(), calendar);
    const trigger = await post(stack, '/v1/digests', { period }, DRILL_KEYS.system);
    let digestStartedThrough: string;
    if (trigger.status === 202) {
      digestStartedThrough = 'the API (POST /v1/digests)';
    } else if (trigger.status === 409 && trigger.body?.window) {
      // Before this month's first Wednesday 08:00 no month is inside its window: start the month's run as the trigger would.
      await stack.client.workflow.start('monthlyDigest', { taskQueue: stack.taskQueue, workflowId: digestWorkflowId(period), args: [{ period }] });
      digestStartedThrough = `the Temporal client (the API answered 409: ${String(trigger.body.detail)})`;
    } else {
      throw new Error(`triggering the digest for ${period} failed: ${trigger.status} ${JSON.stringify(trigger.body).slice(0, 300)}`);
    }
    say(`digest ${period} started through ${digestStartedThrough}`);
    const digestHandle = stack.client.workflow.getHandle(digestWorkflowId(period));
    let notDone = '';
    const digestEnded = new AbortController();
    const digest = await Promise.race([
      (digestHandle.result() as Promise<MonthlyDigestResult>).finally(() => digestEnded.abort()),
      whileMailFlows(stack, o, digestEnded.signal).then((why) => {
        notDone = why;
        return undefined;
      }),
    ]).catch((err: Error) => {
      problems.push(`the digest run failed: ${err.message}`);
      return undefined;
    });
    const digestSeconds = Math.round((Date.now() - loadStarted) / 1000);
    say(`digest ${period} ${digest ? `done in ${digestSeconds} s: ${JSON.stringify(digest.progress)}` : `NOT done: ${notDone}`}`);
    if (!digest && !problems.length) problems.push(`the digest run did not finish: ${notDone}`);
    await applications;
    const loadSeconds = Math.round((Date.now() - loadStarted) / 1000);

    // 3. Convergence: no outbox entry left unsent, no workflow with an activity still pending.
    const convergeBy = Date.now() + o.convergeSeconds * 1000;
    const unsent = () => models.EmailOutbox.countDocuments({ status: { $ne: 'sent' } });
    while ((await unsent()) > 0 && Date.now() < convergeBy) await sleep(1000);
    const workflows = await scanWorkflows(stack, models);
    while (workflows.pendingActivity.length && Date.now() < convergeBy) {
      await sleep(2000);
      workflows.pendingActivity = await stillPending(stack, workflows.pendingActivity);
    }

    // On a data set: its cases woke during the load; their mail is theirs to explain (the digest's is the digest's).
    const dataset = DatasetCheck.of(stack);
    await dataset?.settle();

    // 4. The count. An email's identity: its outbox key; the receiver's accepted messages are its log.
    const accepted = stack.mail.messages;
    const { figures: cardFigures, problems: cardProblems } = await workload.verify((m) => m.outboxKey.startsWith('digest:') || (dataset?.accounts(m) ?? false));
    problems.push(...cardProblems.map((p) => `card applications: ${p}`));

    const byIdentity = new Map<string, Mail[]>();
    for (const m of accepted) byIdentity.set(`${m.to}|${m.outboxKey}`, [...(byIdentity.get(`${m.to}|${m.outboxKey}`) ?? []), m]);
    const withoutKey = accepted.filter((m) => !m.outboxKey);
    const duplicates = [...byIdentity.values()].filter((g) => g.length > 1);
    const sameSubjectTwoIds = stack.mail.duplicates().byRecipientSubject.filter((g) => new Set(g.map((m) => m.outboxKey)).size > 1);
    const describe = (g: Mail[]) => `${g.length}x ${g[0]!.to} "${g[0]!.subject}" (${g[0]!.outboxKey}; accepted ${g.map((m) => new Date(m.acceptedAt).toISOString().slice(11, 23)).join(', ')})`;
    if (withoutKey.length) problems.push(`${withoutKey.length} accepted message(s) without an outbox key: ${withoutKey.slice(0, 5).map((m) => `${m.to} "${m.subject}"`).join('; ')}`);
    if (duplicates.length) problems.push(`${duplicates.length} email(s) accepted more than once:\n    ${duplicates.slice(0, 10).map(describe).join('\n    ')}`);
    if (sameSubjectTwoIds.length) problems.push(`${sameSubjectTwoIds.length} email(s) sent twice under different outbox keys:\n    ${sameSubjectTwoIds.slice(0, 10).map(describe).join('\n    ')}`);

    // The digest: each company mailed, once, at its contact, under its key.
    const digestLost: string[] = [];
    for (const c of companies) {
      const key = outboxKey(digestEmailKey(c.companyId, period));
      if (!byIdentity.get(`${c.contact}|${key}`)?.length) digestLost.push(key);
    }
    if (digestLost.length) problems.push(`${digestLost.length} digest email(s) never accepted: ${digestLost.slice(0, 10).join(', ')}`);
    if (digest && digest.progress && digest.progress.failed > 0) problems.push(`the digest failed ${digest.progress.failed} companies for good: ${digest.progress.failedCompanyIds.join(', ')}`);

    // The outbox against the receiver: what the system holds as sent was accepted, under the same Message-ID.
    // Entries written during the drill (a data set's older ones were never sent to this relay).
    const outbox = await models.EmailOutbox.find(stack.ownRecords, { _id: 1, status: 1, messageId: 1, to: 1, attempts: 1 }).lean();
    const acceptedIds = new Set(accepted.map((m) => `${m.to}|${m.messageId}`));
    const outboxUnsent = outbox.filter((e) => e.status !== 'sent');
    const outboxNotAccepted = outbox.filter((e) => e.status === 'sent' && !acceptedIds.has(`${String(e.to).toLowerCase()}|${e.messageId}`));
    const outboxById = new Map(outbox.map((e) => [String(e._id), e]));
    const foreign = accepted.filter((m) => m.outboxKey && outboxById.get(m.outboxKey)?.messageId !== m.messageId);
    if (outboxUnsent.length) problems.push(`${outboxUnsent.length} outbox entr(ies) not sent: ${outboxUnsent.slice(0, 5).map((e) => `${e._id} (${e.status}, ${e.attempts} attempts)`).join('; ')}`);
    if (outboxNotAccepted.length) problems.push(`${outboxNotAccepted.length} outbox entr(ies) marked sent that the relay never accepted: ${outboxNotAccepted.slice(0, 10).map((e) => e._id).join(', ')}`);
    if (foreign.length) problems.push(`${foreign.length} accepted message(s) whose Message-ID is not their outbox entry's: ${foreign.slice(0, 5).map((m) => `${m.outboxKey} ${m.messageId}`).join('; ')}`);

    // The uncertain sends: a stalled message the client gave up on must have been accepted later, once.
    const unanswered = stack.mail.unanswered;
    const resentOnce = unanswered.filter((u) => byIdentity.get(`${u.to}|${u.outboxKey}`)?.length === 1);
    const acceptedBeforeStall = unanswered.filter((u) => (byIdentity.get(`${u.to}|${u.outboxKey}`) ?? []).some((m) => m.acceptedAt < u.receivedAt));
    if (o.stallEvery > 0 && stalled.size > 0 && unanswered.length === 0) problems.push('no stalled message was given up by its client: no uncertain send happened, the drill proved nothing');
    if (o.stallEvery > 0 && stalled.size === 0) problems.push('no message was stalled: the drill proved nothing');
    if (acceptedBeforeStall.length) problems.push(`${acceptedBeforeStall.length} message(s) sent again while an earlier copy had been accepted: ${acceptedBeforeStall.map((u) => u.outboxKey).join(', ')}`);

    const datasetReport = await dataset?.verify((m) => m.outboxKey.startsWith('digest:'));
    problems.push(...(datasetReport?.problems ?? []));

    // Orphans and stuck workflows.
    problems.push(...workflows.problems);
    if (workflows.pendingActivity.length) problems.push(`${workflows.pendingActivity.length} running workflow(s) with an activity still pending after ${o.convergeSeconds} s: ${workflows.pendingActivity.slice(0, 10).join(', ')}`);

    const attempts = outbox.map((e) => Number(e.attempts ?? 0));
    passed = problems.length === 0;
    return {
      drill: 'slow-smtp',
      passed,
      figures: {
        relay: { answerMs: o.answerMs, stallEvery: o.stallEvery, stallSeconds: o.stallSeconds, messagesReceived: accepted.length + unanswered.length, stalled: stalled.size },
        companies: companies.length,
        digest: { period, startedThrough: digestStartedThrough, seconds: digestSeconds, progress: digest?.progress ?? null },
        applications: o.applications,
        cards: cardFigures,
        emailsAccepted: accepted.length,
        emailsLost: digestLost.length + Number(cardFigures.emailsLost ?? 0) + outboxNotAccepted.length,
        duplicates: duplicates.length + sameSubjectTwoIds.length,
        uncertainSends: unanswered.length,
        uncertainResentAndAcceptedOnce: resentOnce.length,
        /** Had the relay delivered the copies it never answered (RFC 1047), these Message-IDs would have arrived twice. */
        twiceIfTheRelayDeliveredUnanswered: unanswered.filter((u) => byIdentity.has(`${u.to}|${u.outboxKey}`)).length,
        outbox: {
          entries: outbox.length,
          notSent: outboxUnsent.length,
          sentButNotAccepted: outboxNotAccepted.length,
          sentAtFirstAttempt: attempts.filter((n) => n === 1).length,
          attemptsMax: Math.max(0, ...attempts),
          attemptsTotal: attempts.reduce((a, b) => a + b, 0),
        },
        workflows: workflows.counts,
        recordsWithoutWorkflow: workflows.recordsWithoutWorkflow,
        workflowsWithoutRecord: workflows.workflowsWithoutRecord,
        stuck: workflows.pendingActivity.length,
        ...(datasetReport ? { dataset: datasetReport.figures } : {}),
        exitedOnTheirOwn: stack.unexpectedExits,
        loadSeconds,
        seconds: second(),
      },
      problems,
    };
  } finally {
    await db?.close().catch(() => undefined);
    await stack.stop(o.keep || !passed);
  }
}

interface WorkflowScan {
  counts: Record<string, number>;
  recordsWithoutWorkflow: number;
  workflowsWithoutRecord: number;
  /** Running workflows with an activity pending (still retrying): not converged. */
  pendingActivity: string[];
  problems: string[];
}

/** Every workflow of the namespace against the records: none failed, none without its record or the reverse. */
async function scanWorkflows(stack: DrillStack, models: Database['models']): Promise<WorkflowScan> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const running: string[] = [];
  const seen = new Set<string>();
  // The drill's own (on a data set, its workflows and records are DatasetCheck's; none of them has failed either).
  for await (const wf of stack.client.workflow.list({ query: `ExecutionStatus != 'ContinuedAsNew' AND ${stack.ownWorkflowsQuery}` })) {
    seen.add(wf.workflowId);
    const key = `${wf.type} ${wf.status.name}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (wf.status.name === 'RUNNING') running.push(wf.workflowId);
    else if (wf.status.name !== 'COMPLETED') problems.push(`workflow ${wf.workflowId} (${wf.type}) ended ${wf.status.name}`);
  }
  const records = [
    ...(await models.Company.find(stack.ownRecords, { _id: 1 }).lean()).map((r) => contractWorkflowId(r._id as string)),
    ...(await models.CardApplication.find(stack.ownRecords, { _id: 1 }).lean()).map((r) => cardApplicationWorkflowId(r._id as string)),
  ];
  const recordIds = new Set(records);
  const orphans = await missingWorkflows(stack.client, records.filter((id) => !seen.has(id)));
  const recordsWithoutWorkflow = orphans.length;
  for (const id of orphans) problems.push(`record without its workflow: ${id}`);
  let workflowsWithoutRecord = 0;
  for (const id of seen) {
    if ((id.startsWith(contractWorkflowId('')) || id.startsWith(cardApplicationWorkflowId(''))) && !recordIds.has(id)) {
      workflowsWithoutRecord++;
      problems.push(`workflow without its record: ${id}`);
    }
  }
  return { counts, recordsWithoutWorkflow, workflowsWithoutRecord, pendingActivity: await stillPending(stack, running), problems };
}

/** Those of the workflows that run with an activity pending. */
async function stillPending(stack: DrillStack, ids: string[]): Promise<string[]> {
  const pending: string[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const described = await Promise.all(ids.slice(i, i + 50).map((id) => stack.client.workflow.getHandle(id).describe().catch(() => undefined)));
    described.forEach((d, j) => {
      if (d && d.status.name === 'RUNNING' && (d.raw.pendingActivities?.length ?? 0) > 0) pending.push(ids[i + j]!);
    });
  }
  return pending;
}
