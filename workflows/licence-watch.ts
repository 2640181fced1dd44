/**
 * The transport-licence watch (PROCESSES.md section 4), one per company with an
 * approved contract that requested, holds or applies for CargoCards.
 *
 * A licence valid through day E (or its NIWO bridging period's end): at 09:00
 * on the 5th working day before E the company contact is warned; unless a
 * renewal arrives, at 00:00 after E every CargoCard of the company is blocked,
 * the contract terminated and its open CargoCard applications cancelled, with an email. A renewal or a bridging period
 * is recorded on the company and the watch continues as new from the record,
 * so its history stays small however often the licence is renewed. After the
 * warning it continues as new too (carrying that it warned), so the block runs
 * on the code of the build that is current then (workflows/versioning.ts).
 */
import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { isIsoDay } from '../domain/calendar';
import {
  blockCardNowSignal, businessRule, cancelApplicationSignal, cardApplicationWorkflowId, cardInUseWorkflowId,
  conflict, effectiveExpiry, invalidInput, licenceStateQuery, MEMO, registerBridgingUpdate, renewLicenceUpdate, SA,
  type LicenceBridging, type LicencePlan, type LicenceRenewal, type LicenceWatchInput, type LicenceWatchResult,
  type LicenceWatchState, type TransportLicence
} from './definitions';
import { acts, calendarLoader, now, requireText, showStatus, updateAnswers, type Status } from './support';

/** After the termination, the company's open CargoCard applications are cancelled (runs recorded before did not). */
const CANCEL_APPLICATIONS_PATCH = 'licence-watch-cancels-applications';
/** Continue as new after the warning (runs recorded before it wait for the block in the same run). */
const CONTINUE_AFTER_WARNING = 'licence-watch-continue-after-warning';

export async function licenceWatch(input: LicenceWatchInput): Promise<LicenceWatchResult> {
  // Handlers are set before the first await. Until the licence is loaded the validators check the request's
  // shape only, and the handlers wait for it (an update-with-start arrives before it is loaded) and check the rest.
  const { companyId } = input;
  const workflowId = workflowInfo().workflowId;
  const { loaded, calendar, ifLoaded } = calendarLoader();
  let state: LicenceWatchState | null = null;
  let changing = false; // an accepted renewal or bridging period is being recorded
  let changed = false; // recorded: the watch continues as new
  let blocking = false;
  let closedReason: string | undefined; // nothing to watch: the watch ends at once
  /** The answers of this run's changes and the previous runs', by Update ID, for retried Updates. */
  const answers = updateAnswers<LicencePlan>(input.answered);

  handlers(); // before the first await: an Update that comes with the start finds them

  // ---- The story: watched until renewed (the watch continues as new), or warned and then blocked ----
  await loaded;
  const company = await acts.loadLicenceWatch({ companyId });
  if (!company.licence) return closed(company.reason);
  const licence = company.licence;
  const plan = planFor(licence);
  state = { companyId, phase: 'watching', licence, ...plan };
  // The run before this one warned for this expiry already.
  const carried = input.warned?.effectiveExpiresOn === plan.effectiveExpiresOn ? input.warned : undefined;
  if (carried) Object.assign(state, { phase: 'warned', warnedAt: carried.at });
  showStatus({ ...status(), extra: [{ key: SA.companyId, value: companyId }, { key: SA.customerNumber, value: company.customerNumber }] });

  // ---- 1. Warned at 09:00 on the 5th working day before E (at once when the watch starts later) ----
  if (!(await until(plan.warnAt))) return carryOn();
  if (!carried && Date.now() < Date.parse(plan.blockAt)) {
    await warned();
    if (patched(CONTINUE_AFTER_WARNING)) return carryOn({ effectiveExpiresOn: plan.effectiveExpiresOn, at: state.warnedAt! });
  }

  // ---- 2. Not renewed by the end of E: every CargoCard blocked, the contract terminated ----------
  if (!(await until(plan.blockAt, () => (blocking = true)))) return carryOn();
  return blocked();

  // ---- The steps --------------------------------------------------------------------------------
  async function warned(): Promise<void> {
    Object.assign(state!, { phase: 'warned', warnedAt: now() });
    showStatus(status());
    await acts.sendEmail({
      // Keyed by the expiry day: a re-planned watch warns again for a new day, never twice for one.
      key: { workflowId, purpose: 'licence-warning', period: plan.effectiveExpiresOn },
      to: { kind: 'company-contact', companyId },
      template: 'licence-warning',
      data: { companyName: company.companyName, licenceNumber: licence.number, expiresOn: plan.effectiveExpiresOn, blockAt: local(plan.blockAt) },
    });
  }

  async function blocked(): Promise<LicenceWatchResult> {
    const blockedAt = now();
    const reason = `transport licence ${licence.number} expired on ${plan.effectiveExpiresOn}`;
    const cards = await acts.listCompanyCargoCards({ companyId });
    await Promise.all(cards.map((cardNumber) => signalBlock(cardNumber, reason)));
    await acts.blockCompanyCargoCards({ companyId, at: blockedAt, reason });
    await acts.terminateContractForExpiredLicence({ companyId, at: blockedAt, reason });
    if (patched(CANCEL_APPLICATIONS_PATCH)) {
      // No CargoCard of the company is produced, handed over or activated from now on (their cards are blocked above).
      const open = await acts.listOpenCargoCardApplications({ companyId });
      const why = `the company's contract was terminated because its ${reason}`;
      await Promise.all(open.map((applicationId) => signalCancel(applicationId, why)));
    }
    Object.assign(state!, { phase: 'blocked', blockedAt, blockedCards: cards });
    showStatus(status());
    await acts.sendEmail({
      key: { workflowId, purpose: 'licence-expired', period: plan.effectiveExpiresOn },
      to: { kind: 'company-contact', companyId },
      template: 'licence-expired',
      data: {
        companyName: company.companyName, licenceNumber: licence.number, expiresOn: plan.effectiveExpiresOn,
        terminatedAt: local(blockedAt), cardCount: String(cards.length), cardNumbers: cards.join(', '),
      },
    });
    await condition(allHandlersFinished);
    return { outcome: 'blocked', blockedAt, blockedCards: cards };
  }

  // ---- Nothing to watch: the watch ends at once -------------------------------------------------
  async function closed(reason: string): Promise<LicenceWatchResult> {
    closedReason = reason;
    if (!allHandlersFinished()) await condition(allHandlersFinished); // Updates waiting for the licence are refused first
    showStatus({ phase: 'closed', nextDueAt: null, details: `Nothing to watch: ${reason}`, extra: [{ key: SA.companyId, value: companyId }], memo: { [MEMO.licence]: null } });
    return { outcome: 'closed', reason };
  }

  // ---- Handlers -----------------------------------------------------------------------------
  function handlers(): void {
    setHandler(licenceStateQuery, () => state);
    setHandler(renewLicenceUpdate, renew, { validator: (renewal) => void (answers.earlier() ?? checkRenewal(renewal)) });
    setHandler(registerBridgingUpdate, bridge, { validator: (bridging) => void (answers.earlier() ?? checkBridging(bridging)) });
  }

  /** Waits for the licence to be loaded; no wait (no extra yield) once it is, so accepted Updates of existing histories replay unchanged. */
  async function initialized(): Promise<void> {
    if (state || closedReason !== undefined) return;
    await condition(() => state !== null || closedReason !== undefined);
    if (!state) throw conflict(`no licence is watched: ${closedReason}`);
  }

  async function renew(renewal: LicenceRenewal): Promise<LicencePlan> {
    const earlier = answers.earlier();
    if (earlier) return earlier;
    await initialized();
    const next = { number: renewal.number.trim(), expiresOn: renewal.expiresOn, documentRef: renewal.documentRef.trim() };
    return change(() => checkRenewal(renewal), next, (at) => acts.recordLicenceRenewal({ companyId, ...next, at }));
  }

  async function bridge(bridging: LicenceBridging): Promise<LicencePlan> {
    const earlier = answers.earlier();
    if (earlier) return earlier;
    await initialized();
    const proofRef = bridging.proofRef.trim();
    return change(() => checkBridging(bridging), { ...state!.licence, bridgingUntil: bridging.until, bridgingProofRef: proofRef }, (at) =>
      acts.recordLicenceBridging({ companyId, until: bridging.until, proofRef, at }));
  }

  // ---- Helpers ------------------------------------------------------------------------------
  /**
   * Waits until `at`; false when a licence change was recorded first (the watch
   * then continues as new). `commit` runs in the same instant the wait ends, so
   * no change is accepted after it.
   */
  async function until(at: string, commit?: () => void): Promise<boolean> {
    for (;;) {
      if (changed) return false;
      if (changing) {
        await condition(() => changed || !changing);
        continue;
      }
      const left = Date.parse(at) - Date.now();
      if (left <= 0) {
        commit?.();
        return true;
      }
      await condition(() => changing, left);
    }
  }

  async function carryOn(warned?: LicenceWatchInput['warned']): Promise<never> {
    await condition(allHandlersFinished);
    const answered = answers.carry();
    return continueAsNew<typeof licenceWatch>({ companyId, ...(warned ? { warned } : {}), ...(answered ? { answered } : {}) });
  }

  /** Records a renewal or bridging period; the watch then re-plans from the record. */
  async function change(check: () => void, next: TransportLicence, record: (at: string) => Promise<void>): Promise<LicencePlan> {
    check();
    changing = true;
    try {
      await record(now());
    } finally {
      changing = false;
    }
    changed = true;
    return answers.keep(planFor(next));
  }

  /** Blocks a card through its workflow; a card without one is blocked on its record (blockCompanyCargoCards). */
  async function signalBlock(cardNumber: string, reason: string): Promise<void> {
    try {
      await getExternalWorkflowHandle(cardInUseWorkflowId(cardNumber)).signal(blockCardNowSignal, { reason, by: 'licence-watch', notify: false });
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      log.info('card has no running workflow; its record is blocked directly', { cardNumber, error: err.message });
    }
  }

  /** Ends an open application through its workflow; one without a running workflow stops at its next rule check. */
  async function signalCancel(applicationId: string, reason: string): Promise<void> {
    try {
      await getExternalWorkflowHandle(cardApplicationWorkflowId(applicationId)).signal(cancelApplicationSignal, { reason, by: 'licence-watch' });
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      log.info('application has no running workflow; it stops at its next rule check', { applicationId, error: err.message });
    }
  }

  function planFor(l: Pick<TransportLicence, 'expiresOn' | 'bridgingUntil'>): LicencePlan {
    const effectiveExpiresOn = effectiveExpiry(l);
    const { warnAt, blockAt } = calendar().licencePlan(effectiveExpiresOn);
    return { effectiveExpiresOn, warnAt: warnAt.toISOString(), blockAt: blockAt.toISOString() };
  }

  /** Where the watch stands, and its state in the memo: the API reads a licence from there without waking the watch. */
  function status(): Status {
    return { ...statusLine(state!), memo: { [MEMO.licence]: { ...state } } };
  }

  function statusLine(s: LicenceWatchState): Status {
    const bridging = s.licence.bridgingUntil ? ` (bridging period until ${s.licence.bridgingUntil})` : '';
    const valid = `Licence ${s.licence.number} valid through ${s.effectiveExpiresOn}${bridging}`;
    switch (s.phase) {
      case 'watching':
        return { phase: 'watching', nextDueAt: new Date(s.warnAt), details: `${valid}: warning on ${local(s.warnAt)}, block at ${local(s.blockAt)}` };
      case 'warned':
        return { phase: 'warned', nextDueAt: new Date(s.blockAt), details: `${valid}: warned ${local(s.warnedAt!)}; block at ${local(s.blockAt)} unless renewed` };
      default:
        return { phase: s.phase, nextDueAt: null, details: `${valid}: expired; ${s.blockedCards?.length ?? 0} CargoCards blocked and the contract terminated ${local(s.blockedAt!)}` };
    }
  }

  function local(iso: string): string {
    return calendar().localDateTime(iso);
  }

  // ---- Why a change is refused (validators, and again in the handlers) -------------------------
  function checkChangeAllowed(): LicenceWatchState | undefined {
    if (blocking) throw conflict(`the licence expired on ${state?.effectiveExpiresOn}: the CargoCards are blocked and the contract terminated`);
    if (changing || changed) throw conflict('another licence change is being recorded; try again in a moment');
    return state ?? undefined;
  }

  function checkRenewal(renewal: LicenceRenewal): void {
    requireText(renewal?.number, 'number');
    requireText(renewal?.documentRef, 'documentRef');
    if (!isIsoDay(renewal.expiresOn)) throw invalidInput('expiresOn must be a day as YYYY-MM-DD', { field: 'expiresOn' });
    const s = checkChangeAllowed();
    if (!s || !ifLoaded()) return; // not loaded yet: the handler checks the rest once it is
    const today = calendar().dayOf(new Date());
    if (renewal.expiresOn < today) throw businessRule(`the renewed licence has expired (${renewal.expiresOn})`, { field: 'expiresOn' });
    if (renewal.expiresOn <= s.effectiveExpiresOn) {
      throw businessRule(`the renewed licence must be valid after the current expiry ${s.effectiveExpiresOn}`, { field: 'expiresOn' });
    }
  }

  function checkBridging(bridging: LicenceBridging): void {
    requireText(bridging?.proofRef, 'proofRef');
    if (!isIsoDay(bridging.until)) throw invalidInput('until must be a day as YYYY-MM-DD', { field: 'until' });
    const s = checkChangeAllowed();
    if (!s) return; // not loaded yet: the handler checks the rest once it is
    if (bridging.until <= s.licence.expiresOn) {
      throw businessRule(`a bridging period must end after the licence expiry ${s.licence.expiresOn}`, { field: 'until' });
    }
    if (bridging.until <= s.effectiveExpiresOn) {
      throw businessRule(`a bridging period must end after the current effective expiry ${s.effectiveExpiresOn}`, { field: 'until' });
    }
  }
}
