/**
 * Card applications: the record, and the card-application workflow (with its
 * pickup-hold child) that carries the process. Routes stay thin; the rules
 * live here (what an application needs), in domain/card-delivery.ts (the
 * plan) and in the workflows (what may happen when).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { isDuplicateKey, type CardApplicationDoc } from '../../db/models';
import type { cardApplication } from '../../workflows/card-application';
import {
  activateUpdate,
  approveByBackofficeUpdate,
  approveByCardUserUpdate,
  cardApplicationStateQuery,
  cardApplicationWorkflowId,
  checkAtServicePointUpdate,
  convertToUrgentUpdate,
  nameCollectorUpdate,
  pickupHoldWorkflowId,
  recordPickupUpdate,
  SA,
  type CardApplicationInput,
  type CardApplicationState,
} from '../../workflows/definitions';
import { conflict, fromTemporal, notFound, unprocessable, type FieldError } from '../errors';
import { clearPending } from './creation';
import type { ApplyForCardBody } from '../schemas/cards';
import { companyErrors } from './card-users';
import { newId } from './companies';
import type { ServiceDeps } from './deps';

type ApplicationRecord = CardApplicationDoc & { _id: string };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

export function applicationView(r: ApplicationRecord, state?: CardApplicationState | null) {
  const optional = {
    submittedAt: iso(r.submittedAt),
    collectorName: r.collectorName ?? undefined,
    cardNumber: r.cardNumber ?? undefined,
    approvedAt: iso(r.approvedAt),
    producedAt: iso(r.producedAt),
    shippedOn: r.shippedOn ?? undefined,
    expectedDeliveryBy: r.expectedDeliveryBy ?? undefined,
    collectedAt: iso(r.collectedAt),
    collectedBy: r.collectedBy ?? undefined,
    activatedAt: iso(r.activatedAt),
    expiresAt: iso(r.expiresAt),
    plan: (r.plan as Record<string, unknown> | undefined) ?? undefined,
  };
  return {
    applicationId: r._id,
    workflowId: cardApplicationWorkflowId(r._id),
    companyId: r.companyId,
    xsId: r.xsId,
    cardType: r.cardType,
    deliveryMethod: r.deliveryMethod,
    destination: r.destination,
    status: r.status as CardApplicationState['phase'],
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(state === undefined ? {} : { state }),
  };
}

export function createCardApplicationService(deps: ServiceDeps) {
  const { Company, CardUser, CardApplication } = deps.models;
  const now = deps.now ?? (() => new Date());
  const workflow = (id: string) => deps.temporal.workflow.getHandle(cardApplicationWorkflowId(id));

  /** What an application needs (section 2): an approved contract, a valid card user, a licence for a CargoCard. */
  async function businessErrors(body: ApplyForCardBody, today: string): Promise<FieldError[]> {
    const errors = await companyErrors(deps, body.companyId);
    const user = await CardUser.findById(body.xsId, { companyId: 1, identityDocument: 1 }).lean();
    if (!user) errors.push({ field: 'xsId', message: 'no card user with this XS-ID' });
    else if (user.companyId !== body.companyId) errors.push({ field: 'xsId', message: 'the card user is registered for another company' });
    else if (user.identityDocument!.expiresOn < today) {
      errors.push({ field: 'xsId', message: `the card user's identity document expired on ${user.identityDocument!.expiresOn}` });
    }
    if (body.cardType === 'CargoCard') {
      const licence = (await Company.findById(body.companyId, { transportLicence: 1 }).lean())?.transportLicence;
      const validThrough = [licence?.expiresOn, licence?.bridgingUntil].filter((d): d is string => Boolean(d)).sort().pop();
      if (!validThrough) errors.push({ field: 'cardType', message: 'a CargoCard needs the company\'s valid transport licence; none is on record' });
      else if (validThrough < today) errors.push({ field: 'cardType', message: `a CargoCard needs a valid transport licence; the company's expired on ${validThrough}` });
    }
    return errors;
  }

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
        typedSearchAttributes: [
          { key: SA.companyId, value: input.companyId },
          { key: SA.customerNumber, value: input.customerNumber },
          { key: SA.xsId, value: input.xsId },
          { key: SA.cardType, value: input.cardType },
          { key: SA.deliveryMethod, value: input.deliveryMethod },
          { key: SA.phase, value: 'awaiting-approvals' },
        ],
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

  /** An Update on a workflow of the application; a closed workflow takes none. */
  async function update<R, A>(workflowId: string, def: UpdateDefinition<R, [A]>, args: [A], closed: string): Promise<R> {
    try {
      return await deps.temporal.workflow.getHandle(workflowId).executeUpdate(def, { args });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict(closed);
      throw fromTemporal(err);
    }
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
      const errors = await businessErrors(body, deps.calendar.dayOf(submittedAt));
      if (errors.length) throw unprocessable('the application breaks a rule of the card process', errors);
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
      const state = await workflow(applicationId)
        .query(cardApplicationStateQuery)
        .catch(() => null);
      return applicationView(record, state);
    },

    async approve(applicationId: string, body: { by: 'card-user' | 'back-office' | 'service-point'; approvedBy: string }) {
      await load(applicationId);
      const closed = 'the application is closed: approvals are no longer taken';
      const id = cardApplicationWorkflowId(applicationId);
      if (body.by === 'card-user') return update(id, approveByCardUserUpdate, [{ approvedBy: body.approvedBy }], closed);
      if (body.by === 'back-office') return update(id, approveByBackofficeUpdate, [{ approvedBy: body.approvedBy }], closed);
      return update(id, checkAtServicePointUpdate, [{ checkedBy: body.approvedBy }], closed);
    },

    async convertToUrgent(applicationId: string, body: { requestedBy?: string | undefined }) {
      await load(applicationId);
      const args = [body.requestedBy ? { requestedBy: body.requestedBy } : {}] as [{ requestedBy?: string }];
      return update(cardApplicationWorkflowId(applicationId), convertToUrgentUpdate, args, 'the card was already produced');
    },

    async nameCollector(applicationId: string, body: { name: string }) {
      await load(applicationId);
      return update(cardApplicationWorkflowId(applicationId), nameCollectorUpdate, [{ name: body.name }], 'the card was already delivered');
    },

    async recordPickup(applicationId: string, body: { collectedBy: string }) {
      const record = await load(applicationId);
      const notHeld = `the card is not held for pickup (the application is ${record.status})`;
      return update(pickupHoldWorkflowId(applicationId), recordPickupUpdate, [{ collectedBy: body.collectedBy }], notHeld);
    },

    async activate(applicationId: string, body: { pin: string }) {
      await load(applicationId);
      return update(cardApplicationWorkflowId(applicationId), activateUpdate, [{ pin: body.pin }], 'the card was already activated');
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
