/**
 * The nightly reconciliation's side effects: for every record that should have
 * a long-lived workflow (a licence watch per company with CargoCards and an
 * approved contract; a pickup hold per application whose card is held at the
 * service point), make sure one runs. Paged by record ID; starting is idempotent (one workflow ID per
 * record, `WorkflowExecutionAlreadyStartedError` = already there).
 *
 * How a missing workflow is started (type, ID, input) is decided by the two
 * builders below, `licenceWatchStart` and `pickupHoldStart`: the one place to
 * adapt when those processes change their input.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import type { CardApplicationDoc, CompanyDoc, Models } from '../db/models';
import type { PickupPlan } from '../domain/card-delivery';
import {
  emptyReconcileCounts,
  licenceWatchWorkflowId,
  pickupHoldWorkflowId,
  SA,
  type LicenceWatchInput,
  type PickupHoldInput,
  type ReconciledKind,
  type ReconcilePage,
} from '../workflows/definitions';
import { cargoCardCompanyIds } from './licences';

export interface WorkflowStart {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
}

/** The licence watch of PROCESSES.md section 4 (workflows/licence-watch.ts): it reads the licence from the company record. */
export function licenceWatchStart(company: CompanyDoc & { _id: string }): WorkflowStart {
  const input: LicenceWatchInput = { companyId: company._id };
  return {
    workflowType: 'licenceWatch',
    workflowId: licenceWatchWorkflowId(company._id),
    args: [input],
    typedSearchAttributes: [
      { key: SA.companyId, value: company._id },
      { key: SA.customerNumber, value: company.customerNumber },
      { key: SA.phase, value: 'watching' },
    ],
    staticSummary: `Transport licence watch: ${company.name} (started by the nightly reconciliation)`,
  };
}

type Application = CardApplicationDoc & { _id: string };

/**
 * The pickup hold of PROCESSES.md section 2 (workflows/pickup-hold.ts), from
 * the application record: it carries the card number, the pickup plan the
 * card-application workflow computed and the collector named in advance.
 * Started on its own (its parent application workflow is gone), it ends
 * without signalling a parent.
 */
export function pickupHoldStart(app: Application, names: { cardUserName: string; companyName: string }): WorkflowStart {
  const input: PickupHoldInput = {
    applicationId: app._id,
    companyId: app.companyId,
    xsId: app.xsId,
    ...names,
    cardNumber: app.cardNumber!,
    cardType: app.cardType,
    destination: app.destination,
    plan: app.plan as PickupPlan,
    ...(app.collectorName ? { collectorName: app.collectorName } : {}),
  };
  return {
    workflowType: 'pickupHold',
    workflowId: pickupHoldWorkflowId(app._id),
    args: [input],
    typedSearchAttributes: [
      { key: SA.companyId, value: app.companyId },
      { key: SA.xsId, value: app.xsId },
      { key: SA.cardNumber, value: app.cardNumber! },
      { key: SA.cardType, value: app.cardType },
      { key: SA.deliveryMethod, value: app.deliveryMethod },
    ],
    staticSummary: `Pickup hold: card ${app.cardNumber} (started by the nightly reconciliation)`,
  };
}

type Outcome = 'running' | 'started' | 'restarted' | 'completed';

/** Running: nothing to do. Never started: start. Failed, timed out, terminated: start again. Completed: leave it to an operator. */
export async function ensureRunning(client: Client, taskQueue: string, start: WorkflowStart): Promise<Outcome> {
  let status: string | undefined;
  try {
    status = (await client.workflow.getHandle(start.workflowId).describe()).status.name;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (status === 'RUNNING') return 'running';
  if (status === 'COMPLETED') return 'completed';
  try {
    await client.workflow.start(start.workflowType, {
      taskQueue,
      workflowId: start.workflowId,
      args: start.args,
      typedSearchAttributes: start.typedSearchAttributes,
      staticSummary: start.staticSummary,
      // Never over a run that completed (a watch that blocked the cards, a hold that ended).
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    return status === undefined ? 'started' : 'restarted';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
    throw err;
  }
}

interface Page {
  records: { id: string; start: WorkflowStart }[];
  /** The last ID scanned when the page was full; null at the end. */
  nextCursor: string | null;
}

const page = (scanned: string[], records: Page['records'], limit: number): Page => ({
  records,
  nextCursor: scanned.length === limit ? scanned[scanned.length - 1]! : null,
});

/** At most this many record IDs per page are reported for an operator. */
const ATTENTION_PER_PAGE = 10;

export function createReconciliationActivities(deps: { models: Models; temporal?: Client }) {
  const { Company, CardApplication, CardUser } = deps.models;

  /** Each record's workflow start, one page of records in ID order after the cursor. */
  const pages: Record<ReconciledKind, (after: string | null, limit: number) => Promise<Page>> = {
    async 'licence-watches'(after, limit) {
      const companies = await Company.find({
        'contract.status': 'approved',
        'transportLicence.expiresOn': { $exists: true },
        ...(after ? { _id: { $gt: after } } : {}),
      })
        .sort({ _id: 1 })
        .limit(limit)
        .lean();
      // Whatever the registration said: a company holding or applying for a CargoCard is watched too
      // (asked for this page's companies only, not the whole card collection on every page).
      const ids = companies.map((c) => String(c._id));
      const cargoCards = await cargoCardCompanyIds(deps.models, ids.filter((_, i) => !companies[i]!.requestsCargoCards));
      const watched = companies.filter((c) => c.requestsCargoCards || cargoCards.has(String(c._id)));
      return page(
        ids,
        watched.map((c) => ({ id: String(c._id), start: licenceWatchStart(c as CompanyDoc & { _id: string }) })),
        limit,
      );
    },

    async 'pickup-holds'(after, limit) {
      const apps = (await CardApplication.find({ status: 'held-for-pickup', ...(after ? { _id: { $gt: after } } : {}) })
        .sort({ _id: 1 })
        .limit(limit)
        .lean()) as Application[];
      const [users, companies] = await Promise.all([
        CardUser.find({ _id: { $in: apps.map((a) => a.xsId) } }, { firstName: 1, lastName: 1 }).lean(),
        Company.find({ _id: { $in: apps.map((a) => a.companyId) } }, { name: 1 }).lean(),
      ]);
      const userName = new Map(users.map((u) => [String(u._id), `${u.firstName} ${u.lastName}`]));
      const companyName = new Map(companies.map((c) => [String(c._id), c.name]));
      return page(
        apps.map((a) => a._id),
        apps
          .filter((a) => a.cardNumber && a.plan)
          .map((a) => ({
            id: a._id,
            start: pickupHoldStart(a, { cardUserName: userName.get(a.xsId) ?? a.xsId, companyName: companyName.get(a.companyId) ?? a.companyId }),
          })),
        limit,
      );
    },
  };

  return {
    /** Checks one page of records of a kind and starts what is missing. */
    async reconcilePage(input: { kind: ReconciledKind; after: string | null; limit: number }): Promise<ReconcilePage> {
      if (!deps.temporal) throw new Error('the reconciliation needs a Temporal client (ActivityDeps.temporal)');
      const { info } = Context.current();
      const { records, nextCursor } = await pages[input.kind](input.after, input.limit);
      const result: ReconcilePage = { ...emptyReconcileCounts(), nextCursor, completedIds: [] };
      for (const record of records) {
        const outcome = await ensureRunning(deps.temporal, info.taskQueue, record.start);
        result.checked += 1;
        result[outcome] += 1;
        if (outcome === 'completed' && result.completedIds.length < ATTENTION_PER_PAGE) result.completedIds.push(record.id);
        Context.current().heartbeat(record.id);
      }
      return result;
    },
  };
}
