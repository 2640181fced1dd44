/**
 * The workload the fault drills put in flight: card applications driven over
 * the API from the company's registration to the furthest point the
 * workflows' clock allows, then checked against the workflows, the records
 * and the mail the SMTP receiver accepted.
 *
 * One case: register a company (a contract approval workflow) and approve
 * it, which completes that workflow with one email; register a card user;
 * apply for an urgent-pickup PortKey (confirmation email); approve it as the
 * back-office and as the card user, so the card is produced at once (PIN
 * email to the company contact, next steps to the card user) and the pickup
 * hold starts (ready-for-pickup email); name a collector; then, when the
 * plan lets the card be collected now, record the pickup by that collector
 * and activate the card with the PIN read from the PIN email: the
 * application's workflow completes and the card's life workflow starts.
 *
 * The workflows' clock is the Temporal server's (the real time): an urgent
 * card approved on a working day before 16:30 (Europe/Amsterdam) can be
 * collected at once; approved later, or on a weekend or holiday, it can only
 * be collected from 08:00 on the next working day, and the process cannot be
 * pushed further than the hold before then (no time can be injected into the
 * dev server, and no path without a timer reaches the activation). Each
 * application's target is decided from its own plan and reported.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connectDatabase } from '../db/connection';
import { BusinessCalendar } from '../domain/calendar';
import { DEFAULT_RULES } from '../domain/rules';
import { cardApplicationStateQuery, cardApplicationWorkflowId, contractWorkflowId, pickupHoldWorkflowId } from '../workflows/definitions';
import { bearer, call, DRILL_KEYS, say, sleep, type Answer, type DrillStack, type Mail } from './stack';

export const calendar = new BusinessCalendar(DEFAULT_RULES);

export interface WorkloadOptions {
  applications: number;
  /** Applications per company (each company is one contract approval). */
  perCompany: number;
  /** Cases driven at the same time. */
  concurrency: number;
  /** How long one case may take, faults included. */
  caseTimeoutMs: number;
}

type Target = 'complete' | 'held-for-pickup';

interface Company {
  index: number;
  companyId?: string;
  contact: string;
  ready?: Promise<string>;
}

interface Case {
  index: number;
  applicationId: string;
  company: Company;
  xsId?: string;
  userEmail: string;
  collector: string;
  cardNumber?: string;
  pickupFrom?: string;
  target?: Target;
  reached?: 'applied' | 'approved' | 'held-for-pickup' | 'collected' | 'activated' | 'completed';
  error?: string;
  startedAt?: number;
  doneAt?: number;
}

const REACHED = ['applied', 'approved', 'held-for-pickup', 'collected', 'activated', 'completed'] as const;

/** Statuses that mean "try again": no answer, overload, a dependency down. */
const TRANSIENT = new Set([0, 429, 500, 502, 503, 504]);

class CaseError extends Error {}

/**
 * Around a worker SIGKILL, where the SMTP server's acceptance of a message can fall without the
 * worker having read it: from a little before the kill (the answer on its way back, the event loop
 * busy) to a second after it (the signal delivered, the server finishing the message it had).
 */
export const SMTP_WINDOW = { beforeKillMs: 250, afterKillMs: 1000 };

export class CardWorkload {
  readonly run_ = randomBytes(4).toString('hex');
  readonly cases: Case[] = [];
  readonly companies: Company[] = [];
  /** Answers that were retried, by step and status. */
  readonly retries: Record<string, number> = {};
  private started = 0;
  private finished = 0;

  constructor(
    private readonly stack: DrillStack,
    readonly options: WorkloadOptions,
  ) {
    const companies = Math.ceil(options.applications / options.perCompany);
    for (let i = 0; i < companies; i++) {
      this.companies.push({ index: i, contact: `contact.${this.run_}.${i}@drill-haulage.example` });
    }
    for (let i = 0; i < options.applications; i++) {
      this.cases.push({
        index: i,
        applicationId: `ca_drill${this.run_}${String(i).padStart(5, '0')}`,
        company: this.companies[Math.floor(i / options.perCompany)]!,
        userEmail: `user.${this.run_}.${i}@drill-haulage.example`,
        collector: `Drill Collector ${i}`,
      });
    }
  }

  /** Cases started and not yet finished (driven to their target or failed). */
  get inFlight(): number {
    return this.started - this.finished;
  }
  get done(): number {
    return this.finished;
  }

  /** Drives every case to its target; never throws (a failed case keeps its error). */
  async run(): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < this.cases.length) {
        const c = this.cases[next++]!;
        this.started += 1;
        c.startedAt = Date.now();
        try {
          await this.drive(c, Date.now() + this.options.caseTimeoutMs);
        } catch (err) {
          c.error = err instanceof Error ? err.message : String(err);
        }
        c.doneAt = Date.now();
        this.finished += 1;
        if (this.finished % Math.max(1, Math.floor(this.cases.length / 10)) === 0 || this.finished === this.cases.length) {
          say(`workload: ${this.finished}/${this.cases.length} cases finished (${this.cases.filter((x) => x.error).length} failed)`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, this.cases.length) }, lane));
  }

  // ---- One case ----------------------------------------------------------------------

  private async drive(c: Case, deadline: number): Promise<void> {
    const companyId = await this.companyReady(c.company, deadline);

    const user = await this.request('register card user', deadline, 'POST', '/v1/card-users', {
      companyId,
      firstName: 'Drill',
      lastName: `User ${c.index}`,
      email: c.userEmail,
      language: 'en',
      identityDocument: { kind: 'passport', number: `DR${String(c.index).padStart(7, '0')}`, expiresOn: calendar.addDays(calendar.dayOf(new Date()), 3650) },
    }, (a) => a.status === 201);
    c.xsId = user.body.xsId as string;

    const path = `/v1/card-applications/${c.applicationId}`;
    await this.request('apply', deadline, 'POST', '/v1/card-applications', {
      applicationId: c.applicationId,
      companyId,
      xsId: c.xsId,
      cardType: 'PortKey',
      deliveryMethod: 'urgent-pickup',
    }, (a) => a.status === 201 || a.status === 200);
    c.reached = 'applied';

    const approved = (party: 'backoffice' | 'cardUser') => async () => {
      const a = await call(this.stack.apiUrl, 'GET', path);
      return a.status === 200 && Boolean(a.body?.state?.approvals?.[party]);
    };
    await this.request('approve (back-office)', deadline, 'POST', `${path}/approvals`, { by: 'back-office', approvedBy: 'drill-bo' }, (a) => a.status === 200, approved('backoffice'));
    await this.request('approve (card user)', deadline, 'POST', `${path}/approvals`, { by: 'card-user', approvedBy: `Drill User ${c.index}` }, (a) => a.status === 200, approved('cardUser'));
    c.reached = 'approved';

    // The hold has started once its email reached the card user.
    const ready = await this.mail(deadline, (m) => m.to === c.userEmail && /can be collected on/.test(m.subject), 'the ready-for-pickup email');
    c.reached = 'held-for-pickup';
    c.cardNumber = /card (XK\d{10})/.exec(ready.subject)?.[1];
    const view = await this.request('read application', deadline, 'GET', path, undefined, (a) => a.status === 200 && a.body?.plan?.pickupFrom);
    c.pickupFrom = view.body.plan.pickupFrom as string;
    c.cardNumber ??= view.body.cardNumber as string;

    await this.request('name collector', deadline, 'POST', `${path}/collector`, { name: c.collector }, (a) => a.status === 200, async () => {
      const a = await call(this.stack.apiUrl, 'GET', path);
      return a.status === 200 && a.body?.state?.collectorName === c.collector;
    });

    c.target = Date.parse(c.pickupFrom) <= Date.now() ? 'complete' : 'held-for-pickup';
    if (c.target === 'held-for-pickup') return;

    await this.request('pickup', deadline, 'POST', `${path}/pickup`, { collectedBy: c.collector }, (a) => a.status === 200, async () => {
      const a = await call(this.stack.apiUrl, 'GET', path);
      return a.status === 200 && (a.body?.state?.phase === 'collected' || a.body?.status === 'collected');
    });
    c.reached = 'collected';

    const pinMail = await this.mail(deadline, (m) => m.to === c.company.contact && m.subject.startsWith(`PIN code for card ${c.cardNumber} `), 'the PIN email');
    const pin = /\n(\d{4})\n/.exec(`\n${pinMail.text}\n`)?.[1];
    if (!pin) throw new CaseError(`no PIN in the PIN email ${pinMail.messageId}`);
    await this.request('activate', deadline, 'POST', `${path}/activation`, { pin }, (a) => a.status === 200, async () => {
      const a = await call(this.stack.apiUrl, 'GET', path);
      return a.status === 200 && a.body?.state?.phase === 'active';
    });
    c.reached = 'activated';

    for (;;) {
      const status = await this.stack.client.workflow
        .getHandle(cardApplicationWorkflowId(c.applicationId))
        .describe()
        .then((d) => d.status.name)
        .catch(() => 'UNREACHABLE');
      if (status === 'COMPLETED') break;
      if (status !== 'RUNNING' && status !== 'UNREACHABLE') throw new CaseError(`the application's workflow ended ${status}`);
      if (Date.now() > deadline) throw new CaseError(`the application's workflow did not complete in time (${status})`);
      await sleep(500);
    }
    c.reached = 'completed';
  }

  /** The company of a case, registered and approved once for all its cases. */
  private companyReady(company: Company, deadline: number): Promise<string> {
    company.ready ??= (async () => {
      const registered = await this.request('register company', deadline, 'POST', '/v1/companies', {
        companyName: `Drill Haulage ${company.index} B.V.`,
        kvkNumber: String(10_000_000 + Math.floor(Math.random() * 89_999_999)),
        vatId: `NL${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}B01`,
        kvkExtract: { documentRef: `kvk-drill-${company.index}`, issuedOn: calendar.dayOf(new Date()) },
        signatory: { name: 'Drill Signatory', email: `signatory.${this.run_}.${company.index}@drill-haulage.example`, listedInKvkExtract: true },
        contact: { name: 'Drill Contact', email: company.contact, language: 'en' },
      }, (a) => a.status === 201 || (a.status === 409 && typeof a.body?.companyId === 'string'));
      company.companyId = registered.body.companyId as string;
      await this.request('approve contract', deadline, 'POST', `/v1/companies/${company.companyId}/decision`, { outcome: 'approved', decidedBy: 'drill-bo' }, (a) => a.status === 200, async () => {
        const a = await call(this.stack.apiUrl, 'GET', `/v1/companies/${company.companyId}`);
        return a.status === 200 && a.body?.contract?.status === 'approved';
      });
      return company.companyId;
    })();
    return company.ready;
  }

  /**
   * Calls the API until `ok` accepts the answer. Transient answers (no answer,
   * 429, 5xx) are retried; a 409 is settled by `settled` (the step was done by
   * an earlier call whose answer was lost); any other answer fails the case.
   */
  private async request(
    step: string,
    deadline: number,
    method: string,
    path: string,
    body: unknown,
    ok: (a: Answer) => unknown,
    settled?: () => Promise<boolean>,
  ): Promise<Answer> {
    let wait = 250;
    // A retried POST carries the same Idempotency-Key: the API replays the first answer instead of
    // doing the step again (a second Update would queue behind the first in a slow workflow).
    const headers: Record<string, string> = { authorization: bearer(DRILL_KEYS.backoffice) };
    if (method === 'POST') headers['idempotency-key'] = `drill-${createHash('sha256').update(`${this.run_} ${path} ${JSON.stringify(body)}`).digest('hex').slice(0, 32)}`;
    for (;;) {
      const a = await call(this.stack.apiUrl, method, path, body, headers, method === 'POST' ? 60_000 : 20_000);
      if (ok(a)) return a;
      // Still running at the API (409), or an Update whose outcome the API did not know in time (202): the
      // same request with the same Idempotency-Key waits for that same Update and gets its outcome.
      const pending = (a.status === 409 && /still being processed/.test(String(a.body?.detail))) || (a.status === 202 && a.body?.status === 'pending');
      // A 409 is retried only where it can pass (the state moves on) or be settled; a GET until `ok` accepts it.
      const retry = TRANSIENT.has(a.status) || pending || (a.status === 409 && settled !== undefined) || (a.status === 200 && method === 'GET');
      if (a.status === 409 && !pending && settled && (await settled())) return a;
      if (!retry) throw new CaseError(`${step}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
      const key = `${step} ${a.status}`;
      this.retries[key] = (this.retries[key] ?? 0) + 1;
      if (Date.now() > deadline) throw new CaseError(`${step}: still ${a.status} at the deadline ${JSON.stringify(a.body).slice(0, 300)}`);
      // The same request still running at the API: give it time rather than asking every second.
      await sleep(pending ? 5000 : wait);
      wait = Math.min(wait * 2, 2000);
    }
  }

  private async mail(deadline: number, match: (m: Mail) => boolean, what: string): Promise<Mail> {
    const m = await this.stack.mail.waitFor(match, Math.max(0, deadline - Date.now()));
    if (!m) throw new CaseError(`${what} never arrived`);
    return m;
  }

  // ---- Checking the outcome ------------------------------------------------------------

  /**
   * Every case at its target (its workflows in the state the target means), every
   * expected email received exactly once, nothing else mailed (but what `accountedFor` says
   * another workload of the drill expects); the records agree.
   */
  async verify(accountedFor: (m: Mail) => boolean = () => false): Promise<{ figures: Record<string, unknown>; problems: string[] }> {
    const problems: string[] = [];
    const client = this.stack.client;
    const status = (id: string) =>
      client.workflow
        .getHandle(id)
        .describe()
        .then((d) => d.status.name as string)
        .catch((err: Error) => `UNREACHABLE (${err.message})`);

    // Workflows.
    const byTarget: Record<string, number> = {};
    const failed: string[] = [];
    for (const c of this.cases) {
      const target = c.target ?? 'unknown';
      byTarget[target] = (byTarget[target] ?? 0) + 1;
      const app = await status(cardApplicationWorkflowId(c.applicationId));
      const hold = await status(pickupHoldWorkflowId(c.applicationId));
      const want = c.target === 'complete' ? ['COMPLETED', 'COMPLETED'] : ['RUNNING', 'RUNNING'];
      let phase = '';
      if (c.target === 'held-for-pickup' && app === 'RUNNING') {
        phase = await client.workflow
          .getHandle(cardApplicationWorkflowId(c.applicationId))
          .query(cardApplicationStateQuery)
          .then((s) => s.phase as string)
          .catch(() => 'unreadable');
      }
      if (c.error || app !== want[0] || hold !== want[1] || (phase && phase !== 'held-for-pickup')) {
        failed.push(
          `${c.applicationId}: target ${target}, reached ${c.reached ?? 'nothing'}, workflow ${app}, hold ${hold}${phase ? `, phase ${phase}` : ''}${c.error ? `; error: ${c.error}` : ''}`,
        );
      }
    }
    if (failed.length) problems.push(`${failed.length} case(s) lost or stuck:\n    ${failed.slice(0, 20).join('\n    ')}`);
    for (const co of this.companies) {
      if (!co.companyId) continue;
      const s = await status(contractWorkflowId(co.companyId));
      if (s !== 'COMPLETED') problems.push(`contract workflow of ${co.companyId} is ${s}, not COMPLETED`);
    }

    // Mail: what each case must have caused, exactly once.
    const expected: { what: string; match: (m: Mail) => boolean }[] = [];
    for (const co of this.companies) {
      expected.push({ what: `contract approved ${co.contact}`, match: (m) => m.to === co.contact && m.subject.startsWith('Your XS-Key contract is approved') });
    }
    const past = (c: Case, step: NonNullable<Case['reached']>) => c.reached !== undefined && REACHED.indexOf(c.reached) >= REACHED.indexOf(step);
    for (const c of this.cases) {
      if (!c.reached) continue;
      const contact = c.company.contact;
      const who = `Drill User ${c.index}`;
      expected.push({ what: `received ${c.applicationId}`, match: (m) => m.to === contact && m.subject.startsWith('We received your application') && m.subject.includes(`(${c.applicationId})`) });
      // Once both approvals are in, the card is produced and held: three more emails, whatever the drill saw.
      if (!past(c, 'approved')) continue;
      expected.push({ what: `PIN ${c.applicationId}`, match: (m) => m.to === contact && m.subject.startsWith('PIN code for card ') && m.subject.endsWith(`(${who})`) });
      expected.push({ what: `next steps ${c.applicationId}`, match: (m) => m.to === c.userEmail && /has been produced: next steps$/.test(m.subject) });
      expected.push({ what: `ready for pickup ${c.applicationId}`, match: (m) => m.to === c.userEmail && /can be collected on/.test(m.subject) });
    }
    const messages = this.stack.mail.messages;
    const matched = new Set<Mail>();
    const lost: string[] = [];
    let expectedTwice = 0;
    for (const e of expected) {
      const hits = messages.filter(e.match);
      hits.forEach((m) => matched.add(m));
      if (hits.length === 0) lost.push(e.what);
      if (hits.length > 1) expectedTwice += 1;
    }
    const unexpected = messages.filter((m) => !matched.has(m) && !accountedFor(m));
    const dups = this.stack.mail.duplicates();
    if (lost.length) problems.push(`${lost.length} expected email(s) never arrived: ${lost.slice(0, 10).join('; ')}`);
    if (unexpected.length) problems.push(`${unexpected.length} email(s) nobody expected: ${unexpected.slice(0, 5).map((m) => `${m.to} "${m.subject}"`).join('; ')}`);
    const describe = (g: Mail[]) =>
      `${g.length}x ${g[0]!.to} "${g[0]!.subject}" (Message-IDs ${[...new Set(g.map((m) => m.messageId))].join(', ')}; outbox key ${g[0]!.outboxKey}; accepted ${g.map((m) => new Date(m.acceptedAt).toISOString().slice(11, 23)).join(', ')})`;
    // SMTP's own window (RFC 1047): a worker SIGKILLed after it sent a message's final dot and
    // before it read the server's answer cannot record anything (activities/email.ts records the
    // acceptance as a heartbeat the moment it reads it); the retry re-sends the same Message-ID.
    // A duplicate counts as that only when it is one re-send whose first copy the server accepted
    // within SMTP_WINDOW around a worker kill; every other duplicate fails the drill.
    const workerKills = this.stack.kills.filter((k) => k.which === 'worker').map((k) => k.at);
    const inSmtpWindow = (g: Mail[]): boolean => {
      const [first, second, ...more] = [...g].sort((a, b) => a.acceptedAt - b.acceptedAt);
      return more.length === 0 && workerKills.some((t) => first!.acceptedAt >= t - SMTP_WINDOW.beforeKillMs && first!.acceptedAt <= t + SMTP_WINDOW.afterKillMs && second!.acceptedAt > t);
    };
    const atKill: Mail[][] = [];
    const otherDups: Mail[][] = [];
    for (const g of dups.byMessageId) (inSmtpWindow(g) ? atKill : otherDups).push(g);
    if (otherDups.length) problems.push(`${otherDups.length} email(s) delivered more than once with the same Message-ID:\n    ${otherDups.slice(0, 10).map(describe).join('\n    ')}`);
    const resentAtWorkerKill = atKill.map(describe);
    const differentIds = dups.byRecipientSubject.filter((g) => new Set(g.map((m) => m.messageId)).size > 1);
    if (differentIds.length) problems.push(`${differentIds.length} email(s) sent twice under different Message-IDs:\n    ${differentIds.slice(0, 10).map(describe).join('\n    ')}`);

    // Records: one card per application, every outbox entry marked sent.
    const db = await connectDatabase(this.stack.mongoUri);
    let cards = 0;
    let outboxNotSent = 0;
    try {
      const ids = this.cases.map((c) => c.applicationId);
      const perApplication = await db.models.Card.aggregate<{ _id: string; n: number }>([
        { $match: { applicationId: { $in: ids } } },
        { $group: { _id: '$applicationId', n: { $sum: 1 } } },
      ]);
      cards = perApplication.reduce((s, x) => s + x.n, 0);
      const twice = perApplication.filter((x) => x.n > 1);
      if (twice.length) problems.push(`${twice.length} application(s) with more than one card: ${twice.map((x) => x._id).join(', ')}`);
      const pending = await db.models.EmailOutbox.find({ status: { $ne: 'sent' } }, { _id: 1, status: 1, attempts: 1 }).lean();
      outboxNotSent = pending.length;
      if (pending.length) problems.push(`${pending.length} outbox entr(ies) not marked sent: ${pending.slice(0, 5).map((p) => `${p._id} (${p.status}, ${p.attempts} attempts)`).join('; ')}`);
    } finally {
      await db.close();
    }

    const durations = this.cases.filter((c) => c.startedAt && c.doneAt).map((c) => c.doneAt! - c.startedAt!);
    const figures = {
      applications: this.cases.length,
      companies: this.companies.length,
      targets: byTarget,
      reached: countBy(this.cases.map((c) => c.reached ?? 'nothing')),
      casesFailed: failed.length,
      emailsReceived: messages.length,
      emailsExpected: expected.length,
      emailsLost: lost.length,
      emailsUnexpected: unexpected.length,
      duplicatesSameMessageId: dups.byMessageId.length,
      /** Of those: re-sent because a worker kill fell inside SMTP's own window (listed, not failed). */
      resentInSmtpWindowAtKill: atKill.length,
      ...(resentAtWorkerKill.length ? { resentInSmtpWindowAtKillEvidence: resentAtWorkerKill } : {}),
      duplicatesRecipientSubject: dups.byRecipientSubject.length,
      expectedReceivedMoreThanOnce: expectedTwice,
      smtpSessionsAborted: this.stack.mail.aborted,
      cardsProduced: cards,
      outboxNotSent,
      caseSeconds: { p50: Math.round(median(durations) / 100) / 10, max: Math.round(Math.max(0, ...durations) / 100) / 10 },
      retriedAnswers: this.retries,
    };
    return { figures, problems };
  }
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Where the workflows' clock stands for an urgent card approved now: collectable at once, or from when. */
export function clockNote(now = new Date()): string {
  const plan = calendar.pickupPlan(now, true);
  return plan.pickupFrom.getTime() <= now.getTime()
    ? `an urgent card approved now (${calendar.toLocalIso(now)}) is ready at once: cases are driven to completion (pickup, activation)`
    : `an urgent card approved now (${calendar.toLocalIso(now)}) can be collected only from ${calendar.toLocalIso(plan.pickupFrom)}: ` +
        'cases are driven to the pickup hold (every step up to it, emails included) and checked there; the activation needs that clock';
}
