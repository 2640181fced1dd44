/**
 * The creation sweep of the API process: at start and every interval, every
 * half-created case (see creation.ts) gets its workflow. Several API replicas
 * may sweep at once: each start is idempotent.
 */
import type { Logger } from '../../observability/logger';
import { createAccountService } from './accounts';
import { createCardApplicationService } from './card-applications';
import { createCompanyService } from './companies';
import { CREATION_GRACE_MS, CREATION_SWEEP_INTERVAL_MS, sweepHalfCreated, type Completer } from './creation';
import type { ServiceDeps } from './deps';

export function creationCompleters(deps: ServiceDeps): Completer[] {
  const { Company, PortalAccount, CardApplication } = deps.models;
  return [
    { kind: 'company', model: Company, complete: createCompanyService(deps).completeCreation },
    { kind: 'account', model: PortalAccount, complete: createAccountService(deps).completeCreation },
    { kind: 'card-application', model: CardApplication, complete: createCardApplicationService(deps).completeCreation },
  ];
}

/** Sweeps now and then every `intervalMs`; returns a stop function. */
export function startCreationSweep(deps: ServiceDeps & { logger: Logger }, opts: { intervalMs?: number; graceMs?: number } = {}) {
  const completers = creationCompleters(deps);
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    running = sweepHalfCreated(completers, { graceMs: opts.graceMs ?? CREATION_GRACE_MS, logger: deps.logger }).catch((err: unknown) =>
      deps.logger.warn({ error: String((err as Error)?.message ?? err) }, 'creation sweep failed; the next one retries'),
    );
  };
  sweep();
  const timer = setInterval(sweep, opts.intervalMs ?? CREATION_SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
