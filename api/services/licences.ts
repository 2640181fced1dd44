/**
 * The transport licence of a company with CargoCards and its watch: starting
 * the watch (idempotent), reading it, and the renewals and bridging periods it
 * records and re-plans from (Updates; api/errors.ts maps their refusals).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { CompanyDoc } from '../../db/models';
import type { licenceWatch } from '../../workflows/licence-watch';
import {
  licenceStateQuery,
  licenceWatchWorkflowId,
  registerBridgingUpdate,
  renewLicenceUpdate,
  SA,
  type LicenceBridging,
  type LicenceRenewal,
} from '../../workflows/definitions';
import { conflict, fromTemporal, notFound, unprocessable } from '../errors';
import type { ServiceDeps } from './deps';

type Company = CompanyDoc & { _id: string };

/**
 * Starts the company's licence watch unless one runs (or ended with the
 * block). `started: false` when it was there already.
 */
export async function startLicenceWatch(deps: Pick<ServiceDeps, 'temporal' | 'taskQueue'>, company: Company): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = licenceWatchWorkflowId(company._id);
  try {
    await deps.temporal.workflow.start<typeof licenceWatch>('licenceWatch', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ companyId: company._id }],
      // A watch that failed or was terminated may be started again; one that blocked the cards may not.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: SA.companyId, value: company._id },
        { key: SA.customerNumber, value: company.customerNumber },
        { key: SA.phase, value: 'watching' },
      ],
      staticSummary: `Transport licence watch: ${company.name}`,
      staticDetails:
        `Company **${company.name}**, ID \`${company._id}\`, customer number ${company.customerNumber}.\n\n` +
        'Warns the contact at 09:00 on the 5th working day before the licence (or its NIWO bridging period) ends; ' +
        'unless renewed, blocks every CargoCard and terminates the contract at 00:00 after it. ' +
        'Renew with the `renewLicence` update, extend with `registerBridging`.',
    });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}

export function createLicenceService(deps: ServiceDeps) {
  const { Company } = deps.models;

  async function load(companyId: string): Promise<Company> {
    const company = await Company.findById(companyId).lean();
    if (!company) throw notFound(`company ${companyId} not found`);
    return company as Company;
  }

  /** Sends an Update to the company's licence watch. */
  async function update<Ret>(companyId: string, send: (watch: WorkflowHandle) => Promise<Ret>): Promise<Ret> {
    await load(companyId);
    try {
      return await send(deps.temporal.workflow.getHandle(licenceWatchWorkflowId(companyId)));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict(`no licence watch runs for company ${companyId}`);
      throw fromTemporal(err);
    }
  }

  return {
    /** Idempotent: for an approved company with CargoCards and a licence, makes sure its watch runs. */
    async ensureLicenceWatch(companyId: string) {
      const company = await load(companyId);
      if (!company.requestsCargoCards) throw unprocessable('the company does not request CargoCards: there is no licence to watch');
      if (!company.transportLicence) throw unprocessable('the company has no transport licence');
      if (company.contract?.status !== 'approved') throw conflict(`the contract is ${company.contract?.status}, not approved`);
      return startLicenceWatch(deps, company);
    },

    async get(companyId: string) {
      await load(companyId);
      const workflowId = licenceWatchWorkflowId(companyId);
      let state;
      try {
        state = await deps.temporal.workflow.getHandle(workflowId).query(licenceStateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`no licence watch runs for company ${companyId}`);
        throw err;
      }
      if (!state) throw notFound(`no licence is watched for company ${companyId}`);
      return { ...state, workflowId };
    },

    renew(companyId: string, renewal: LicenceRenewal) {
      return update(companyId, (watch) => watch.executeUpdate(renewLicenceUpdate, { args: [renewal] }));
    },

    registerBridging(companyId: string, bridging: LicenceBridging) {
      return update(companyId, (watch) => watch.executeUpdate(registerBridgingUpdate, { args: [bridging] }));
    },
  };
}
