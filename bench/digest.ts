/**
 * 3. Digest fan-out: one monthly digest run over `companies` companies with
 * open items, against a plain loop sending the same mails through nodemailer
 * to the same SMTP receiver.
 *
 * What is measured: the run is started as the API's trigger starts it (ID
 * `digest:<period>`, workflow `monthlyDigest` with a period), and the clock
 * stops when its result (after every continue-as-new) is back. Emails/s is
 * the mails received by the SMTP receiver over that wall time. Every mail's
 * Message-ID is counted at the receiver: the run must mail each company once,
 * none twice. The worker's RSS is sampled every 250 ms during the run (and
 * VmHWM, its peak since the process started, is reported too). The baseline
 * renders the same digest for each company with the project's templates and
 * sends it with email/mailer.ts' transport in a sequential loop (one mail at a
 * time, as a plain loop does), from the bench process, to the same receiver.
 *
 * The companies: each has a pending contract (one open item). Other kinds of
 * open items live in other collections (applications, cards), which the digest
 * queries by company; FerretDB pushes no such query down (only lookups by
 * `_id`), so each would scan the whole collection once per company: those
 * collections are left empty here, as MongoDB's indexes would make them cheap.
 *
 * On a data set (`--data`): every company the digest covers (pending and
 * approved contracts: 5,000 of the realistic set's companies less the terminated
 * ones) with the open items the data set really holds (pending contracts, open
 * applications, cards expiring or expired, licences to renew), read beforehand
 * with the digest's own readers (activities/digest.ts) so the baseline sends
 * the same mails; companies with none get no mail (skipped, as in production).
 * The worker polls the data set's task queue, so its sleeping cases stay
 * served; its other mails (reminders) are told apart by their outbox key.
 */
import { createHash } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { itemContext, readOpenItems } from '../activities/digest';
import type { CompanyDoc } from '../db/models';
import { BusinessCalendar } from '../domain/calendar';
import { countOpenItems, DIGEST_CONTRACT_STATUSES, NO_OPEN_ITEMS, type OpenItems } from '../domain/digest';
import { DEFAULT_RULES } from '../domain/rules';
import { createMailer, DEFAULT_SMTP_CONNECTIONS } from '../email/mailer';
import { renderEmail } from '../email/templates';
import { digestTemplateData } from '../email/templates/digest';
import { DEFAULT_DIGEST_BATCHING, SA, digestWorkflowId, type DigestBatching, type MonthlyDigestResult } from '../workflows/definitions';
import type { BenchContext, BenchResult } from './context';
import { untilDatasetAsleep } from './data';
import { companyDocs, insertCompanies, tag, type CompanyFixture } from './fixtures';
import { cpuMeter, inParallel, MiB, now, ratio, round, rssSampler, table, withRetries } from './measure';
import type { BenchStack } from './stack';
import { describeVariant } from './throughput';
import { MAIL_FROM } from './worker-process-constants';

const calendar = new BusinessCalendar(DEFAULT_RULES);

/** The previous `back` months of now, as YYYY-MM (the digest refuses future months). */
function period(back: number): string {
  const [y, m] = calendar.dayOf(new Date()).split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - back, 1));
  return d.toISOString().slice(0, 7);
}

interface Fixture {
  /** The companies that get a mail (open items). */
  companies: Array<Pick<CompanyFixture, '_id' | 'name' | 'contact'>>;
  /** companyId -> the open items the digest will list (for the baseline's identical mails). */
  items: Map<string, OpenItems>;
  /** Companies the digest goes through (with or without open items). */
  covered: number;
  /** How many of each kind of open item the mails list. */
  kinds?: Record<string, number>;
}

/** The data set's companies with the open items they really hold, read as the digest reads them. */
async function datasetFixture(ctx: BenchContext, models: Parameters<typeof insertCompanies>[0]): Promise<Fixture> {
  const companies = (await models.Company.find({ 'contract.status': { $in: [...DIGEST_CONTRACT_STATUSES] } }).sort({ _id: 1 }).lean()) as Array<CompanyDoc & { _id: string }>;
  ctx.log(`  reading the open items of the data set's ${companies.length} companies the digest covers (as the digest reads them)`);
  const now = new Date();
  const items = new Map<string, OpenItems>();
  const kinds: Record<string, number> = {};
  await inParallel(companies.length, 20, async (i) => {
    const c = companies[i]!;
    const open = await readOpenItems(itemContext(models, calendar, c, now));
    if (countOpenItems(open) === 0) return;
    items.set(c._id, open);
    for (const [k, v] of Object.entries(open)) if (Array.isArray(v) ? v.length : v) kinds[k] = (kinds[k] ?? 0) + (Array.isArray(v) ? v.length : 1);
  });
  const mailed = companies.filter((c) => items.has(c._id)).map((c) => ({ _id: c._id, name: c.name, contact: c.contact as CompanyFixture['contact'] }));
  return { companies: mailed, items, covered: companies.length, kinds };
}

async function prepare(ctx: BenchContext, models: Parameters<typeof insertCompanies>[0], count: number): Promise<Fixture> {
  const companies = companyDocs(tag(), count, { contract: () => 'pending' });
  ctx.log(`  inserting ${count} companies with a pending contract (one open item each)`);
  await insertCompanies(models, companies);
  const items = new Map<string, OpenItems>();
  for (const c of companies) {
    items.set(c._id, { ...NO_OPEN_ITEMS, contractPending: { submittedOn: calendar.dayOf(c.contract.submittedAt), dueOn: calendar.dayOf(c.contract.dueAt) } });
  }
  return { companies, items, covered: companies.length };
}

/** A lookup of a company by `_id`, the digest's most frequent query (an index search: tools/ferretdb/patches). */
async function probeIdLookups(models: Parameters<typeof insertCompanies>[0], ids: string[]) {
  const t0 = now();
  for (let i = 0; i < 20; i++) await models.Company.findById(ids[(i * 7919) % ids.length]).lean();
  return round((now() - t0) / 20, 2);
}

/**
 * The baseline: the same mails, rendered by the project's templates, sent by a
 * plain loop through nodemailer with email/mailer.ts' transport (its default
 * pool of connections, as the default worker's), from the
 * bench process to the same receiver, with as many in flight as the digest
 * keeps (its batching's maxInFlight): the mails alone, without Temporal, the
 * database or the outbox.
 */
async function plainLoop(stack: BenchStack, fixture: Fixture, month: string, inFlight: number) {
  const mailer = createMailer({ smtpUrl: stack.smtp.url, from: MAIL_FROM });
  stack.smtp.reset();
  const asOf = calendar.dayOf(new Date());
  const companies = fixture.companies;
  // A send that fails (e.g. no greeting within email/mailer.ts' 10 s under load) is sent again, as
  // the digest's activity would be retried; the retries are counted.
  const counter = { retries: 0 };
  const t0 = now();
  await inParallel(companies.length, inFlight, async (i) => {
    const c = companies[i]!;
    const key = `loop:${c._id}:${month}`;
    const message = renderEmail('monthly-digest', c.contact.language, digestTemplateData({ companyName: c.name, period: month, asOf, items: fixture.items.get(c._id)! }));
    const send = () => mailer.transport.sendMail({
      messageId: `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@xs-key.example>`,
      from: MAIL_FROM,
      to: c.contact.email,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: { 'X-XS-Outbox-Key': key },
    });
    await withRetries(send, async () => stack.smtp.arrivals.has(key), counter);
  });
  const wallMs = now() - t0;
  mailer.close();
  const mail = stack.smtp.stats();
  return { inFlight, retries: counter.retries, wallS: round(wallMs / 1000, 1), mails: mail.count, perSecond: round(mail.count / (wallMs / 1000), 1), duplicates: mail.duplicates, avgBytes: round(mail.bytes / Math.max(1, mail.count), 0) };
}

export async function runDigest(ctx: BenchContext): Promise<BenchResult> {
  const { stack, sizes, log } = ctx;
  const startedAt = new Date();
  const data = stack.data;
  const database = data ? data.database : `dg_${tag()}`;
  const db = await stack.database(database);
  const results: Array<Record<string, unknown>> = [];
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  let ok = true;
  try {
    const fixture = data ? await datasetFixture(ctx, db.models) : await prepare(ctx, db.models, sizes.companies);
    const expected = fixture.companies.length;
    if (data) notes.push(`${data.size} data set: the digest covers ${fixture.covered} companies, ${expected} of them with open items (${JSON.stringify(fixture.kinds)}), the others get no mail`);
    const lookupMs = await probeIdLookups(db.models, fixture.companies.map((c) => c._id));
    notes.push(`FerretDB lookup of a company by _id among ${expected}: ${lookupMs} ms (the _id index, tools/ferretdb/patches)`);
    const loopInFlight = DEFAULT_DIGEST_BATCHING.maxInFlight;
    log(`digest: plain nodemailer loop over the same ${expected} mails, ${loopInFlight} in flight (baseline)`);
    const loop = await plainLoop(stack, fixture, period(0), loopInFlight);
    rows.push({ run: `plain nodemailer loop, ${loopInFlight} in flight (baseline)`, 'wall s': loop.wallS, mails: loop.mails, 'mails/s': loop.perSecond, duplicates: loop.duplicates, 'vs baseline': 1, 'RSS peak MiB': '', retries: loop.retries, cpu: '' });

    let back = 0;
    for (const v of ctx.variants) {
      const variant = v;
      const batching: Partial<DigestBatching> | undefined = variant.digestBatching;
      const month = period(back++);
      log(`digest [${variant.name}]: starting the worker`);
      const worker = await stack.startWorker(variant, data ? data.taskQueue : `dg-${variant.name}-${tag()}`, database);
      try {
        if (data) await untilDatasetAsleep(stack, log);
        await worker.idle(1000, 1_800_000);
        stack.smtp.reset();
        const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
        const sampler = rssSampler(worker.pid);
        log(`digest [${variant.name}]: monthly digest ${month} over ${expected} companies`);
        const t0 = now();
        const handle = await stack.client.workflow.start('monthlyDigest', {
          taskQueue: worker.taskQueue,
          workflowId: digestWorkflowId(month),
          args: [{ period: month, ...(batching ? { batching } : {}) }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [{ key: SA.phase, value: 'running' }],
          staticSummary: `Monthly digest ${month} (benchmark)`,
        });
        // The digest's mails by their outbox key (digest:<companyId>:<period>); other mails of the worker apart.
        const digestMails = () => {
          let mails = 0;
          let unique = 0;
          for (const [key, n] of stack.smtp.received) {
            if (!key.startsWith('digest:') || !key.endsWith(`:${month}`)) continue;
            mails += n;
            unique += 1;
          }
          return { mails, unique, duplicates: mails - unique };
        };
        const timer = setInterval(() => log(`  ${digestMails().mails}/${expected} mails after ${Math.round((now() - t0) / 1000)} s`), 15_000);
        const result = (await handle.result().finally(() => clearInterval(timer))) as MonthlyDigestResult;
        const wallMs = now() - t0;
        const rssPeak = sampler.stop();
        const cpuS = cpu.read();
        const all = stack.smtp.stats();
        const dm = digestMails();
        const mail = { count: dm.mails, uniqueMessageIds: dm.unique, duplicates: dm.duplicates, otherMails: all.count - dm.mails, firstAt: all.firstAt, lastAt: all.lastAt };
        const progress = result.progress!;
        const memory = worker.memory();
        const checks = {
          mailedEveryCompanyOnce: mail.count === expected && mail.uniqueMessageIds === expected,
          zeroDuplicates: mail.duplicates === 0 && all.duplicates === 0,
          progressSentMatches: progress.sent === expected && progress.failed === 0,
          everyCompanyCovered: progress.sent + progress.skippedEmpty + progress.alreadySent === fixture.covered,
        };
        if (!Object.values(checks).every(Boolean)) {
          ok = false;
          notes.push(`[${variant.name}] FAILED checks ${JSON.stringify(checks)}: received ${mail.count} (${mail.uniqueMessageIds} unique, ${mail.duplicates} duplicates), progress ${JSON.stringify(progress)}`);
        }
        if (mail.otherMails) notes.push(`[${variant.name}] the worker sent ${mail.otherMails} other mails during the run (the data set's cases: reminders, warnings); not counted as digest mails`);
        const perSecond = round(mail.count / (wallMs / 1000), 1);
        results.push({
          variant: variant.name,
          ...(batching ? { batching } : {}),
          period: month,
          resolved: worker.info.resolved,
          workerStartMs: round(worker.startMs, 0),
          wallS: round(wallMs / 1000, 1),
          mails: mail.count,
          uniqueMessageIds: mail.uniqueMessageIds,
          duplicates: mail.duplicates,
          emailsPerSecond: perSecond,
          receiverWindowPerSecond: mail.firstAt !== null && mail.lastAt !== null ? round((mail.count - 1) / ((mail.lastAt - mail.firstAt) / 1000), 1) : null,
          ratio: ratio(perSecond, loop.perSecond),
          workerRssPeakDuringRunMiB: round(rssPeak / MiB, 1),
          workerVmHwmMiB: round(memory.peakRssBytes / MiB, 1),
          progress: { sent: progress.sent, skippedEmpty: progress.skippedEmpty, alreadySent: progress.alreadySent, failed: progress.failed, pages: progress.pages, runs: progress.runs },
          cpuSeconds: cpuS,
          worker: describeVariant(variant),
          retriedActivityAttempts: worker.logCounts().activityFailures,
          checks,
        });
        rows.push({
          run: `digest [${variant.name}]`,
          'wall s': round(wallMs / 1000, 1),
          mails: mail.count,
          'mails/s': perSecond,
          duplicates: mail.duplicates,
          'vs baseline': ratio(perSecond, loop.perSecond),
          'RSS peak MiB': round(rssPeak / MiB, 0),
          retries: worker.logCounts().activityFailures,
          cpu: Object.entries(cpuS).map(([k, s]) => `${k} ${s}s`).join(', '),
        });
      } finally {
        await worker.stop();
      }
    }
    const def = results[0]!;
    const tunings = results.slice(1).map(
      (r) =>
        `${r.variant} (${r.worker}${r.batching ? `, batching ${JSON.stringify(r.batching)}` : ''}): ${round((r.emailsPerSecond as number) / (def.emailsPerSecond as number), 2)}x the default's mails/s ` +
        `(ratio vs the plain loop ${def.ratio} -> ${r.ratio}), worker RSS peak ${def.workerRssPeakDuringRunMiB} -> ${r.workerRssPeakDuringRunMiB} MiB`,
    );
    return {
      benchmark: 'digest',
      title: data ? `Digest fan-out (${data.size} data set)` : 'Digest fan-out',
      measured: [
        data
          ? `one monthlyDigest run (ID digest:<period>, as the API triggers it) over the ${data.size} data set's ${fixture.covered} companies with pending or approved contracts, with the open items they hold (${expected} of them have some and get a mail); clock from the start to the result after every continue-as-new;`
          : `one monthlyDigest run (ID digest:<period>, as the API triggers it) over ${expected} companies with open items (a pending contract each); clock from the start to the result after every continue-as-new;`,
        'mails/s = mails received at the SMTP receiver / that wall time; every Message-ID counted at the receiver (duplicates must be 0, every company mailed once);',
        'worker RSS: sampled every 250 ms during the run (VmHWM, the peak since the worker process started, in the JSON);',
        `baseline: the same mails (same templates, sizes, recipients) sent by a plain loop through nodemailer with email/mailer.ts' transport (${DEFAULT_SMTP_CONNECTIONS} pooled connections, as the worker's by default), ${DEFAULT_DIGEST_BATCHING.maxInFlight} in flight like the digest, from the bench process to the same receiver: the mails without Temporal, database or outbox.`,
      ],
      sizes: { companies: data ? fixture.covered : sizes.companies },
      startedAt: startedAt.toISOString(),
      durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
      ratios: Object.fromEntries(results.map((r) => [`digest mails/s / plain loop [${r.variant}]`, r.ratio as number])),
      results: [{ variant: 'plain loop (baseline)', ...loop }, ...results, { ferretdbIdLookupMs: lookupMs }],
      tunings,
      notes,
      tables: [table(`Digest fan-out: one monthly digest over ${expected} companies vs a plain nodemailer loop (CPU: seconds used by each process during the run)`, rows)],
      ...(ok ? {} : { failed: true }),
    };
  } finally {
    if (!data) await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
}
