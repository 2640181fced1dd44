/**
 * The transport licence of a company with CargoCards and its watch: starting
 * the watch (idempotent), reading it, and the renewals and bridging periods it
 * records and re-plans from (Updates; api/errors.ts maps their refusals).
 */
import { WithStartWorkflowOperation, type WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { CompanyDoc } from '../../db/models';
import type { licenceWatch } from '../../workflows/licence-watch';
import {
  licenceStateQuery,
  licenceWatchWorkflowId,
  MEMO,
  registerBridgingUpdate,
  renewLicenceUpdate,
  SA,
  type LicenceBridging,
  type LicenceRenewal,
  type LicenceWatchState,
} from '../../workflows/definitions';
import { conflict, fromTemporal, notFound, unprocessable } from '../errors';
import type { ServiceDeps } from './deps';
import { publishedOrQueried } from './cases';
import { executeUpdateWithStart, updateCase } from './updates';

type Company = CompanyDoc & { _id: string };

/**
 * Starts the company's licence watch unless one runs (or ended with the
 * block). `started: false` when it was there already.
 */
export async function startLicenceWatch(deps: Pick<ServiceDeps, 'temporal' | 'taskQueue'>, company: Company): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = licenceWatchWorkflowId(company._id);
  try {
    await deps.temporal.workflow.start<typeof licenceWatch>('licenceWatch', watchStartOptions(deps, company));
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}

/** How a company's watch is started (by the API, the contract approval's activity, or with an Update). */
function watchStartOptions(deps: Pick<ServiceDeps, 'taskQueue'>, company: Company): WorkflowStartOptions<typeof licenceWatch> {
  const workflowId = licenceWatchWorkflowId(company._id);
  return {
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
  };
}

/** Whether the company should have a watch (an approved contract, CargoCards, a licence); else why not. */
function watchRefusal(company: Company) {
  if (!company.requestsCargoCards) return unprocessable('the company does not request CargoCards: there is no licence to watch');
  if (!company.transportLicence) return unprocessable('the company has no transport licence');
  if (company.contract?.status !== 'approved') return conflict(`the contract is ${company.contract?.status}, not approved`);
  return undefined;
}

export function createLicenceService(deps: ServiceDeps) {
  const { Company } = deps.models;

  async function load(companyId: string): Promise<Company> {
    const company = await Company.findById(companyId).lean();
    if (!company) throw notFound(`company ${companyId} not found`);
    return company as Company;
  }

  const noWatch = (companyId: string) => conflict(`no licence watch runs for company ${companyId}`);

  /** An Update to the company's licence watch; none runs: 409. */
  async function update<Ret, Args extends unknown[]>(companyId: string, def: UpdateDefinition<Ret, Args>, args: Args): Promise<Ret> {
    await load(companyId);
    return updateCase(deps.temporal, licenceWatchWorkflowId(companyId), def, args, () => noWatch(companyId));
  }

  return {
    /** Idempotent: for an approved company with CargoCards and a licence, makes sure its watch runs. */
    async ensureLicenceWatch(companyId: string) {
      const company = await load(companyId);
      const refusal = watchRefusal(company);
      if (refusal) throw refusal;
      return startLicenceWatch(deps, company);
    },

    async get(companyId: string) {
      await load(companyId);
      const workflowId = licenceWatchWorkflowId(companyId);
      let state: LicenceWatchState | null;
      try {
        state = await publishedOrQueried(deps.temporal.workflow.getHandle(workflowId), MEMO.licence, licenceStateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`no licence watch runs for company ${companyId}`);
        throw err;
      }
      if (!state) throw notFound(`no licence is watched for company ${companyId}`);
      return { ...state, workflowId };
    },

    /**
     * A renewal reaches the watch even when none runs yet (a company whose watch failed, or was never started
     * though it should run): update-with-start starts it and it takes the renewal once it has loaded the licence.
     * A watch that ended with the block is not restarted (its ID reuse policy): 409 as before.
     */
    async renew(companyId: string, renewal: LicenceRenewal) {
      const company = await load(companyId);
      if (watchRefusal(company)) return update(companyId, renewLicenceUpdate, [renewal]);
      const start = new WithStartWorkflowOperation<typeof licenceWatch>('licenceWatch', {
        ...watchStartOptions(deps, company),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      try {
        return await executeUpdateWithStart(deps.temporal, renewLicenceUpdate, [renewal], start);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) throw noWatch(companyId);
        throw fromTemporal(err);
      }
    },

    registerBridging(companyId: string, bridging: LicenceBridging) {
      return update(companyId, registerBridgingUpdate, [bridging]);
    },
  };
}
