/**
 * Card applications: the record, and the card-application workflow (with its
 * pickup-hold child) that carries the process. Routes stay thin; the rules
 * live here (what an application needs), in domain/card-delivery.ts (the
 * plan) and in the workflows (what may happen when).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { isDuplicateKey, type CardApplicationDoc } from '../../db/models';
import { loadPreconditionFacts } from '../../db/precondition-facts';
import { preconditionBreaches, type PreconditionRequest } from '../../domain/card-preconditions';
import type { cardApplication } from '../../workflows/card-application';
import {
  activateUpdate,
  applicationSearchAttributes,
  approveByBackofficeUpdate,
  approveByCardUserUpdate,
  cardApplicationStateQuery,
  cardApplicationWorkflowId,
  checkAtServicePointUpdate,
  convertToUrgentUpdate,
  issueNewPinUpdate,
  MAX_PIN_ATTEMPTS,
  MEMO,
  nameCollectorUpdate,
  pickupHoldWorkflowId,
  recordPickupUpdate,
  type CardApplicationInput,
  type CardApplicationState,
} from '../../workflows/definitions';
import { conflict, notFound, unprocessable, type FieldError } from '../errors';
import { publishedOrQueried } from './cases';
import { clearPending } from './creation';
import type { ApplyForCardBody } from '../schemas/cards';
import { newId } from './companies';
import type { ServiceDeps } from './deps';
import { updateCase } from './updates';

type ApplicationRecord = CardApplicationDoc & { _id: string };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

/** The PIN attempts, from the live state when there is one (else the record), once a card exists. */
function pinView(r: ApplicationRecord, state?: CardApplicationState | null) {
  if (!(state?.cardNumber ?? r.cardNumber)) return undefined;
  const failedAttempts = state ? state.failedPinAttempts : (r.pin?.failedAttempts ?? 0);
  const lockedAt = state ? state.pinLockedAt : iso(r.pin?.lockedAt);
  const reissued = state ? (state.pinsReissued ?? 0) : (r.pin?.reissued ?? 0);
  return { failedAttempts, maxAttempts: MAX_PIN_ATTEMPTS, locked: Boolean(lockedAt), ...(lockedAt ? { lockedAt } : {}), reissued };
}

/**
 * An application as the API shows it: its record, overlaid with the live state of its workflow when there
 * is one. The workflow is ahead of the record by the record's write (an activity after each change), so an
 * answer right after an Update already shows what the Update did (read your writes).
 */
export function applicationView(r: ApplicationRecord, state?: CardApplicationState | null) {
  const live = state ?? undefined;
  const optional = {
    submittedAt: live?.submittedAt ?? iso(r.submittedAt),
    collectorName: live?.collectorName ?? r.collectorName ?? undefined,
    cardNumber: live?.cardNumber ?? r.cardNumber ?? undefined,
    approvedAt: live?.approvedAt ?? iso(r.approvedAt),
    producedAt: live?.producedAt ?? iso(r.producedAt),
    shippedOn: live?.shippedOn ?? r.shippedOn ?? undefined,
    expectedDeliveryBy: live?.expectedDeliveryBy ?? r.expectedDeliveryBy ?? undefined,
    collectedAt: live?.collectedAt ?? iso(r.collectedAt),
    collectedBy: live?.collectedBy ?? r.collectedBy ?? undefined,
    activatedAt: live?.activatedAt ?? iso(r.activatedAt),
    expiresAt: live?.expiresAt ?? iso(r.expiresAt),
    plan: (live?.plan as Record<string, unknown> | undefined) ?? (r.plan as Record<string, unknown> | undefined) ?? undefined,
    pin: pinView(r, state),
    cancelledAt: live?.cancelledAt ?? iso(r.cancelledAt),
    cancellationReason: live?.cancellationReason ?? r.cancellationReason ?? undefined,
  };
  return {
    applicationId: r._id,
    workflowId: cardApplicationWorkflowId(r._id),
    companyId: r.companyId,
    xsId: r.xsId,
    cardType: r.cardType,
    deliveryMethod: live?.deliveryMethod ?? r.deliveryMethod,
    destination: r.destination,
    status: live?.phase ?? (r.status as CardApplicationState['phase']),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(state === undefined ? {} : { state }),
  };
}

/** The answer to a card request that breaks a precondition (a new application, a renewal, a replacement alike). */
export const PRECONDITIONS_BROKEN = 'the application breaks a rule of the card process';

/** The rules of every card application (domain/card-preconditions.ts), read from the records as of `today`. */
export async function applicationPreconditions(deps: ServiceDeps, request: PreconditionRequest, today: string): Promise<FieldError[]> {
  return preconditionBreaches(request, await loadPreconditionFacts(deps.models, request), today);
}

export function createCardApplicationService(deps: ServiceDeps) {
  const { Company, CardUser, CardApplication } = deps.models;
  const now = deps.now ?? (() => new Date());
  const workflow = (id: string) => deps.temporal.workflow.getHandle(cardApplicationWorkflowId(id));

  async function load(applicationId: string): Promise<ApplicationRecord> {
    const record = await CardApplication.findById(applicationId).lean();
    if (!record) throw notFound(`card application ${applicationId} not found`);
    return record as ApplicationRecord;
  }

  /** One workflow per application ID: a second start finds the first (REJECT_DUPLICATE, even once it completed). */
  async function startWorkflow(record: ApplicationRecord): Promise<void> {
    const input: CardApplicationInput = {
      applicationId: record._id,
      companyId: record.companyId,
      customerNumber: record.customerNumber ?? '',
      xsId: record.xsId,
      cardType: record.cardType as CardApplicationInput['cardType'],
      deliveryMethod: record.deliveryMethod as CardApplicationInput['deliveryMethod'],
      destination: record.destination as CardApplicationInput['destination'],
      submittedAt: (record.submittedAt ?? now()).toISOString(),
    };
    const [user, company] = await Promise.all([
      CardUser.findById(record.xsId, { firstName: 1, lastName: 1 }).lean(),
      Company.findById(record.companyId, { name: 1 }).lean(),
    ]);
    const who = `${user?.firstName} ${user?.lastName}`;
    try {
      await deps.temporal.workflow.start<typeof cardApplication>('cardApplication', {
        taskQueue: deps.taskQueue,
        workflowId: cardApplicationWorkflowId(record._id),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [input],
        typedSearchAttributes: applicationSearchAttributes(input, { deliveryMethod: input.deliveryMethod, phase: 'awaiting-approvals' }),
        staticSummary: `Card application: ${input.cardType} for ${who} (${input.xsId}), ${company?.name}`,
        staticDetails:
          `Application \`${record._id}\`: a **${input.cardType}** for ${who} (XS-ID \`${input.xsId}\`) of ${company?.name} ` +
          `(\`${input.companyId}\`, customer number ${input.customerNumber}); delivery ${input.deliveryMethod}` +
          `${input.deliveryMethod === 'post' ? ` (${input.destination})` : ''}.\n\n` +
          `Received ${deps.calendar.toLocalIso(new Date(input.submittedAt))}. Approve with \`approveByCardUser\` and ` +
          `\`approveByBackoffice\` (urgent: \`checkAtServicePoint\`); \`convertToUrgent\` until production; ` +
          `\`nameCollector\`, then \`activate\` with the PIN.`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Starts the application's workflow if its record is still marked pending, then clears the mark (creation.ts). */
  async function completeCreation(applicationId: string): Promise<void> {
    const record = (await CardApplication.findById(applicationId).lean()) as (ApplicationRecord & { startPendingSince?: Date }) | null;
    if (!record?.startPendingSince) return;
    await startWorkflow(record);
    await clearPending(CardApplication, applicationId);
  }

  /**
   * An Update on a workflow of the application; a closed workflow takes none: `closed` says why, unless the
   * application was cancelled (then when and why it was).
   */
  function update<R, A>(applicationId: string, workflowId: string, def: UpdateDefinition<R, [A]>, args: [A], closed: string): Promise<R> {
    return updateCase(deps.temporal, workflowId, def, args, async () => {
      const record = await load(applicationId);
      if (record.status !== 'cancelled') return conflict(closed);
      return conflict(`the application was cancelled on ${iso(record.cancelledAt)}: ${record.cancellationReason}`, {
        cancelledAt: iso(record.cancelledAt),
        reason: record.cancellationReason,
      });
    });
  }


  return {
    /** Returns `created: false` with the existing application when `applicationId` was used before. */
    async apply(body: ApplyForCardBody): Promise<{ created: boolean; application: ReturnType<typeof applicationView> }> {
      if (body.applicationId) {
        const existing = (await CardApplication.findById(body.applicationId).lean()) as ApplicationRecord | null;
        if (existing) {
          const same = await sameApplication(existing, body);
          await completeCreation(same._id); // a retry finishes a half-created case (creation.ts)
          return { created: false, application: applicationView(await load(same._id)) };
        }
      }
      const submittedAt = now();
      const errors = await applicationPreconditions(deps, body, deps.calendar.dayOf(submittedAt));
      if (errors.length) throw unprocessable(PRECONDITIONS_BROKEN, errors);
      const company = await Company.findById(body.companyId, { customerNumber: 1 }).lean();
      const doc = {
        _id: body.applicationId ?? newId('ca'),
        companyId: body.companyId,
        customerNumber: company!.customerNumber,
        xsId: body.xsId,
        cardType: body.cardType,
        deliveryMethod: body.deliveryMethod,
        destination: body.destination,
        submittedAt,
        status: 'awaiting-approvals',
        startPendingSince: submittedAt,
      };
      try {
        await CardApplication.create(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // The same applicationId sent twice at once: the first one is the application.
        return { created: false, application: applicationView(await sameApplication(await load(doc._id), body)) };
      }
      // Never deleted on a failed start (it may have been accepted): a retry or the sweep completes it.
      await deps.faults?.afterRecord?.('card-application', doc._id);
      await completeCreation(doc._id);
      return { created: true, application: applicationView(await load(doc._id)) };
    },

    completeCreation,

    async get(applicationId: string) {
      const record = await load(applicationId);
      // From its memo (its Query for a run recorded before the memo); no workflow (a half-created application,
      // or one past its retention): the record alone.
      const state = await publishedOrQueried(workflow(applicationId), MEMO.application, cardApplicationStateQuery).catch(() => null);
      return applicationView(record, state);
    },

    async approve(applicationId: string, body: { by: 'card-user' | 'back-office' | 'service-point'; approvedBy: string }) {
      await load(applicationId);
      const closed = 'the application is closed: approvals are no longer taken';
      const id = cardApplicationWorkflowId(applicationId);
      if (body.by === 'card-user') return update(applicationId, id, approveByCardUserUpdate, [{ approvedBy: body.approvedBy }], closed);
      if (body.by === 'back-office') return update(applicationId, id, approveByBackofficeUpdate, [{ approvedBy: body.approvedBy }], closed);
      return update(applicationId, id, checkAtServicePointUpdate, [{ checkedBy: body.approvedBy }], closed);
    },

    async convertToUrgent(applicationId: string, body: { requestedBy?: string | undefined }) {
      await load(applicationId);
      const args = [body.requestedBy ? { requestedBy: body.requestedBy } : {}] as [{ requestedBy?: string }];
      return update(applicationId, cardApplicationWorkflowId(applicationId), convertToUrgentUpdate, args, 'the card was already produced');
    },

    async nameCollector(applicationId: string, body: { name: string }) {
      await load(applicationId);
      return update(applicationId, cardApplicationWorkflowId(applicationId), nameCollectorUpdate, [{ name: body.name }], 'the card was already delivered');
    },

    async recordPickup(applicationId: string, body: { collectedBy: string }) {
      const record = await load(applicationId);
      const notHeld = `the card is not held for pickup (the application is ${record.status})`;
      return update(applicationId, pickupHoldWorkflowId(applicationId), recordPickupUpdate, [{ collectedBy: body.collectedBy }], notHeld);
    },

    async activate(applicationId: string, body: { pin: string }) {
      await load(applicationId);
      return update(applicationId, cardApplicationWorkflowId(applicationId), activateUpdate, [{ pin: body.pin }], 'the card was already activated');
    },

    /** Customer service: a new PIN to the company contact; unlocks an activation locked by wrong PINs. */
    async issueNewPin(applicationId: string, body: { requestedBy: string }) {
      await load(applicationId);
      return update(applicationId, cardApplicationWorkflowId(applicationId), issueNewPinUpdate, [{ requestedBy: body.requestedBy }], 'the card was already activated');
    },
  };

  /** A repeated applicationId must name the same application; the workflow is (re)started if it is missing. */
  async function sameApplication(existing: ApplicationRecord, body: ApplyForCardBody): Promise<ApplicationRecord> {
    if (existing.companyId !== body.companyId || existing.xsId !== body.xsId || existing.cardType !== body.cardType) {
      throw conflict('this applicationId belongs to a different application', { applicationId: existing._id });
    }
    await startWorkflow(existing);
    return existing;
  }
}
