/**
 * The monthly digest (PROCESSES.md section 5): on the first Wednesday of each
 * month at 08:00 the Schedule 'monthly-digest' (schedules/definitions.ts) fires
 * this workflow; no workflow sleeps a month.
 *
 * A run given a `period` mails that month; the API starts such runs under the
 * ID `digest:<period>`. A run without one is a scheduled firing: it takes the
 * month of its scheduled time (so a backfill of March mails the March digest)
 * and starts the month's run under that same ID as a child. So however often
 * a month is triggered, at most one run mails it at a time, and each email's
 * outbox key (`digest:<companyId>:<period>`) makes a later run skip what was
 * sent.
 *
 * The run pages through the companies in ID order, mails each page with a
 * bounded number of activities in flight, and continues as new every few pages
 * with its cursor and counts, so 10,000 companies keep the history small.
 */
import {
  ActivityFailure,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { BusinessCalendar } from '../domain/calendar';
import { isFuturePeriod, isPeriod, outsideDigestWindow, periodOf } from '../domain/digest';
import {
  businessRule,
  DEFAULT_DIGEST_BATCHING,
  digestProgressQuery,
  digestWorkflowId,
  invalidInput,
  type DigestBatching,
  type DigestProgress,
  type MonthlyDigestInput,
  type MonthlyDigestResult,
} from './definitions';
import { acts, loadRules, now, showStatus } from './support';

/** Set by the server on every run a Schedule starts (backfills included). */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
/** Scheduled firings refuse a month outside its window (runs recorded before it started the month's run anyway). */
const DIGEST_WINDOW_PATCH = 'digest-window';
/** Company IDs that failed for good, kept in the progress for operators. */
const MAX_FAILED_IDS = 50;

export async function monthlyDigest(input: MonthlyDigestInput = {}): Promise<MonthlyDigestResult> {
  const calendar = new BusinessCalendar(await loadRules());
  const info = workflowInfo();
  const period = input.period ?? periodOf(info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime, calendar);
  if (!isPeriod(period)) throw invalidInput(`period must be YYYY-MM, got "${period}"`, { field: 'period' });
  if (isFuturePeriod(period, new Date(), calendar)) throw businessRule(`the digest for ${period} cannot be sent before that month`);

  // Without a period, this is a scheduled firing: the month's run does the work, under its own ID. A firing
  // outside the month's window (a manual trigger before the first Wednesday, a late backfill) mails nothing.
  if (input.period === undefined) {
    const outside = outsideDigestWindow(period, new Date(), calendar);
    if (outside && patched(DIGEST_WINDOW_PATCH)) throw businessRule(outside);
    return startMonth(period, input);
  }
  return { period, workflowId: info.workflowId, outcome: 'done', progress: await mailCompanies(period, input) };
}

/** Starts the month's run `digest:<period>` as a child and waits for it; when it is running already, leaves it be. */
async function startMonth(period: string, input: MonthlyDigestInput): Promise<MonthlyDigestResult> {
  const workflowId = digestWorkflowId(period);
  showStatus({ phase: 'running', nextDueAt: null, details: `Digest ${period}: mailing in run ${workflowId}` });
  try {
    const child = await startChild(monthlyDigest, {
      workflowId,
      args: [{ period, ...(input.batching ? { batching: input.batching } : {}) }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Monthly digest ${period}`,
    });
    const result = await child.result();
    showStatus({ phase: 'done', nextDueAt: null, details: `Digest ${period}: done in run ${workflowId}` });
    return result;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    showStatus({ phase: 'done', nextDueAt: null, details: `Digest ${period}: ${workflowId} was already running; left to it` });
    return { period, workflowId, outcome: 'already-running', progress: null };
  }
}

async function mailCompanies(period: string, input: MonthlyDigestInput): Promise<DigestProgress> {
  const batching: DigestBatching = { ...DEFAULT_DIGEST_BATCHING, ...input.batching };
  const progress: DigestProgress = input.progress ?? {
    period,
    sent: 0,
    skippedEmpty: 0,
    alreadySent: 0,
    failed: 0,
    failedCompanyIds: [],
    estimatedTotal: null,
    cursor: null,
    pages: 0,
    runs: 0,
    startedAt: now(),
    finishedAt: null,
  };
  progress.runs += 1;
  setHandler(digestProgressQuery, () => progress);
  progress.estimatedTotal ??= await acts.countDigestCompanies();
  showProgress(progress, 'running');

  for (let page = 0; page < batching.pagesPerRun; page++) {
    const companyIds = await acts.listDigestCompanies({ after: progress.cursor, limit: batching.pageSize });
    await inParallel(companyIds, batching.maxInFlight, (companyId) => mailCompany(companyId, progress));
    if (companyIds.length > 0) {
      progress.cursor = companyIds[companyIds.length - 1]!;
      progress.pages += 1;
    }
    if (companyIds.length < batching.pageSize) {
      progress.finishedAt = now();
      showProgress(progress, 'done');
      return progress;
    }
    showProgress(progress, 'running');
    if (workflowInfo().continueAsNewSuggested) break;
  }
  return continueAsNew<typeof monthlyDigest>({ period, ...(input.batching ? { batching: input.batching } : {}), progress });
}

async function mailCompany(companyId: string, progress: DigestProgress): Promise<void> {
  try {
    const outcome = await acts.sendCompanyDigest({ companyId, period: progress.period });
    if (outcome === 'sent') progress.sent += 1;
    else if (outcome === 'already-sent') progress.alreadySent += 1;
    else progress.skippedEmpty += 1;
  } catch (err) {
    // Retryable errors are retried until they pass; what arrives here failed for good (e.g. the company is gone).
    if (!(err instanceof ActivityFailure)) throw err;
    progress.failed += 1;
    if (progress.failedCompanyIds.length < MAX_FAILED_IDS) progress.failedCompanyIds.push(companyId);
    log.warn('digest failed for a company', { companyId, period: progress.period, error: err.cause?.message });
  }
}

/** Runs `fn` over the items with at most `limit` in flight at once. */
async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function showProgress(p: DigestProgress, phase: 'running' | 'done'): void {
  const done = p.sent + p.skippedEmpty + p.alreadySent + p.failed;
  const counts = `${grouped(p.sent)} mailed, ${grouped(p.skippedEmpty)} without open items, ${grouped(p.alreadySent)} mailed before, ${grouped(p.failed)} failed`;
  showStatus({
    phase,
    nextDueAt: null,
    details:
      phase === 'done'
        ? `Digest ${p.period} done: ${grouped(done)} companies (${counts}); ${p.pages} pages in ${p.runs} runs`
        : `Digest ${p.period}: ${grouped(done)} of ~${grouped(p.estimatedTotal ?? 0)} companies (${counts}); page ${p.pages + 1}, run ${p.runs}`,
  });
}
