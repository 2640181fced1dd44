/**
 * Companies and contracts: the registration record, and the contract-approval
 * workflow that decides it. Routes stay thin; the rules live here, in the
 * domain modules and in the workflow.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { isDuplicateKey, type CompanyDoc } from '../../db/models';
import type { ServiceDeps } from './deps';
import { executeUpdate } from './updates';
import type { contractApproval } from '../../workflows/contract-approval';
import {
  SA,
  contractWorkflowId,
  decideContractUpdate,
  type ContractDecision,
  type ContractDecisionResult,
} from '../../workflows/definitions';
import { conflict, fromTemporal, notFound, unprocessable, type FieldError } from '../errors';
import type { RegisterCompanyBody } from '../schemas/companies';
import { clearPending, startOnce } from './creation';


export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

export function companyView(c: CompanyDoc & { _id: string }) {
  return {
    companyId: c._id,
    companyName: c.name,
    customerNumber: c.customerNumber,
    kvkNumber: c.kvkNumber,
    vatId: c.vatId,
    requestsCargoCards: Boolean(c.requestsCargoCards),
    contract: {
      status: c.contract!.status,
      submittedAt: c.contract!.submittedAt.toISOString(),
      dueAt: c.contract!.dueAt.toISOString(),
      slaBreached: Boolean(c.contract!.slaBreached),
      ...(c.contract!.decidedAt ? { decidedAt: c.contract!.decidedAt.toISOString() } : {}),
      ...(c.contract!.decidedBy ? { decidedBy: c.contract!.decidedBy } : {}),
      ...(c.contract!.rejectionReason ? { rejectionReason: c.contract!.rejectionReason } : {}),
    },
    workflowId: contractWorkflowId(c._id),
  };
}

export function createCompanyService(deps: ServiceDeps) {
  const { Company } = deps.models;
  const now = deps.now ?? (() => new Date());

  /** Rules of PROCESSES.md section 1 the request shape cannot express. */
  function businessErrors(body: RegisterCompanyBody, today: string): FieldError[] {
    const errors: FieldError[] = [];
    if (body.kvkExtract.issuedOn > today) {
      errors.push({ field: 'kvkExtract.issuedOn', message: 'the extract cannot be issued in the future' });
    } else if (body.kvkExtract.issuedOn < deps.calendar.addDays(today, -deps.calendar.rules.kvkExtractMaxAgeDays)) {
      errors.push({ field: 'kvkExtract.issuedOn', message: `the extract is not current (older than ${deps.calendar.rules.kvkExtractMaxAgeDays} days)` });
    }
    if (body.requestsCargoCards && !body.transportLicence) {
      errors.push({ field: 'transportLicence', message: 'a valid transport licence is needed when CargoCards will be requested' });
    }
    if (body.transportLicence && body.transportLicence.expiresOn < today) {
      errors.push({ field: 'transportLicence.expiresOn', message: 'the transport licence has expired' });
    }
    return errors;
  }

  /**
   * Starts the company's contract workflow from its record (idempotent: the ID
   * is derived from the company's) and clears the record's pending mark; see
   * creation.ts. Used by registration, by a retried registration and by the sweep.
   */
  async function completeCreation(companyId: string): Promise<void> {
    const c = await Company.findById(companyId).lean();
    if (!c || !c.startPendingSince) return;
    const { submittedAt, dueAt } = c.contract!;
    await startOnce(() =>
      deps.temporal.workflow.start<typeof contractApproval>('contractApproval', {
        taskQueue: deps.taskQueue,
        workflowId: contractWorkflowId(companyId),
        args: [{ companyId, companyName: c.name, submittedAt: submittedAt.toISOString() }],
        typedSearchAttributes: [
          { key: SA.companyId, value: companyId },
          { key: SA.customerNumber, value: c.customerNumber },
          { key: SA.phase, value: 'awaiting-decision' },
          { key: SA.nextDueAt, value: dueAt },
          { key: SA.slaBreached, value: false },
        ],
        staticSummary: `Contract approval: ${c.name} (KvK ${c.kvkNumber})`,
        staticDetails:
          `Company **${c.name}**, ID \`${companyId}\`, customer number ${c.customerNumber}.\n\n` +
          `Registered ${deps.calendar.toLocalIso(submittedAt)}; decision due within 24 working hours, ` +
          `by ${deps.calendar.toLocalIso(dueAt)}. Decide with the \`decideContract\` update.`,
      }),
    );
    await clearPending(Company, companyId);
  }

  async function insertWithCustomerNumber(doc: Omit<CompanyDoc, 'customerNumber' | 'createdAt' | 'updatedAt'> & { _id: string }) {
    for (let attempt = 0; ; attempt++) {
      const customerNumber = String(randomInt(1_000_000, 10_000_000));
      try {
        return await Company.create({ ...doc, customerNumber });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await Company.findOne({ registrationKey: doc.registrationKey }, { _id: 1 }).lean();
        if (existing) {
          await completeCreation(existing._id as string); // a retry finishes a half-created case
          throw conflict('a registration with this Chamber of Commerce number and VAT ID already exists', {
            companyId: existing._id,
          });
        }
        if (attempt >= 5) throw err; // customer numbers collided repeatedly: not a client problem
      }
    }
  }

  return {
    async register(body: RegisterCompanyBody) {
      const submittedAt = now();
      const today = deps.calendar.dayOf(submittedAt);
      const errors = businessErrors(body, today);
      if (errors.length) throw unprocessable('the registration breaks a rule of the contract process', errors);

      const companyId = newId('co');
      const dueAt = deps.calendar.contractDueAt(submittedAt);
      const created = await insertWithCustomerNumber({
        _id: companyId,
        name: body.companyName,
        kvkNumber: body.kvkNumber,
        vatId: body.vatId,
        registrationKey: `${body.kvkNumber}:${body.vatId}`,
        kvkExtract: body.kvkExtract,
        signatory: { name: body.signatory.name, email: body.signatory.email },
        contact: body.contact,
        requestsCargoCards: body.requestsCargoCards,
        ...(body.transportLicence ? { transportLicence: body.transportLicence } : {}),
        contract: { status: 'pending', submittedAt, dueAt, slaBreached: false },
        startPendingSince: submittedAt,
      } as never);

      await deps.faults?.afterRecord?.('company', companyId);
      await completeCreation(companyId);
      return companyView(created.toObject() as CompanyDoc & { _id: string });
    },

    completeCreation,

    async get(companyId: string) {
      const company = await Company.findById(companyId).lean();
      if (!company) throw notFound(`company ${companyId} not found`);
      return companyView(company as CompanyDoc & { _id: string });
    },

    /** PROCESSES.md section 1: a changed name is an update of the existing company (audited). */
    async rename(companyId: string, change: { companyName: string; changedBy: string }) {
      const company = await Company.findById(companyId, { name: 1 }).lean();
      if (!company) throw notFound(`company ${companyId} not found`);
      if (company.name !== change.companyName) {
        const at = now();
        await Company.updateOne({ _id: companyId }, { $set: { name: change.companyName } });
        await deps.models.AuditEvent.create({
          _id: `company-renamed:${companyId}:${at.getTime()}`,
          at,
          subject: companyId,
          event: 'company-renamed',
          actor: change.changedBy,
          data: { from: company.name, to: change.companyName },
        });
      }
      return this.get(companyId);
    },

    async decide(companyId: string, decision: ContractDecision): Promise<ContractDecisionResult> {
      const company = await Company.findById(companyId, { contract: 1 }).lean();
      if (!company) throw notFound(`company ${companyId} not found`);
      if (company.contract?.status !== 'pending') {
        throw conflict(`the contract was already ${company.contract?.status}; a second decision is refused`, {
          outcome: company.contract?.status,
        });
      }
      try {
        return await executeUpdate(deps.temporal.workflow.getHandle(contractWorkflowId(companyId)), decideContractUpdate, [decision]);
      } catch (err) {
        throw fromTemporal(err);
      }
    },
  };
}
