/**
 * A card in use (PROCESSES.md section 3), from activation to its end.
 *
 * Active until the renewal window opens (rules.renewalWindowWeeks before
 * expiry), then expiring: it can be renewed (a new card application, started
 * as an abandoned child) until it expires. The company blocks it at a chosen
 * day, cancellable until then; a lost card is replaced first, then blocked;
 * the licence watch blocks it at once (signal). Blocked or expired, the
 * workflow ends. Block schedules and cancellations can come any number of
 * times in five years: after `changesPerRun` of them the run continues as new
 * with its state, so the history stays bounded. It also continues as new when
 * the renewal window opens, so the last stretch of a card's life (renewal,
 * expiry) runs on the code of the build current then (workflows/versioning.ts).
 */
import { allHandlersFinished, condition, continueAsNew, ParentClosePolicy, patched, setHandler, startChild, uuid4, workflowInfo } from '@temporalio/workflow';
import { isIsoDay } from '../domain/calendar';
import {
  blockCardNowSignal, businessRule, cancelBlockUpdate, CARD_CHANGES_PER_RUN, cardApplicationWorkflowId,
  cardInUseStateQuery, conflict, applicationSearchAttributes, invalidInput, renewCardUpdate, reportLostUpdate,
  scheduleBlockUpdate, type BlockRequest, type BlockResult, type CardApplicationInput, type CardInUseAnswer,
  type CardBlock, type CardInUseInput, type CardInUseResult, type CardInUseState, type LossReport, type LossResult,
  type RenewalRequest, type Replacement, type ScheduledBlock,
} from './definitions';
import { acts, calendarLoader, now, requireText, showStatus, updateAnswers, type Status } from './support';
import { DELIVERY_METHODS, DESTINATIONS, isOneOf } from '../domain/vocabulary';

export async function cardInUse(input: CardInUseInput): Promise<CardInUseResult> {
  // Until the rules are loaded the validators check the request's shape and the handlers the rest.
  const { loaded, calendar, ifLoaded } = calendarLoader();
  const { cardNumber } = input;
  const expiresAt = Date.parse(input.expiresAt);
  const { carried, changesPerRun = CARD_CHANGES_PER_RUN, answered, ...card } = input;
  /** This run's and the previous runs' answers by Update ID: a retried Update gets its first answer (support.ts). */
  const answers = updateAnswers<CardInUseAnswer>(answered);
  const state: CardInUseState = carried ?? {
    cardNumber, companyId: input.companyId, xsId: input.xsId, cardType: input.cardType,
    phase: 'active', activatedAt: input.activatedAt, expiresAt: input.expiresAt, renewalWindowOpensAt: '',
  };
  let order: BlockOrder | undefined; // block at once
  let revision = 0; // changes when the scheduled block does: this run's block schedules and cancellations
  let windowOpened = false; // a natural point to continue as new
  let windowOpensAt = 0;

  handlers(); // before the first await: an Update sent right after the start finds them

  // ---- The story: in use until blocked or expired ----------------------------------------
  await shown();
  return (await inUseUntilBlockedOrExpired()) === 'expired' ? expired() : blocked(order!);

  // ---- 1. In use: the renewal window opens, a scheduled block takes effect, or the card expires ----
  async function shown(): Promise<void> {
    await loaded;
    windowOpensAt = calendar().renewalWindowOpensAt(new Date(expiresAt)).getTime();
    state.renewalWindowOpensAt = new Date(windowOpensAt).toISOString();
    showStatus({ ...status(), extra: applicationSearchAttributes(input, { cardNumber }) });
  }

  async function inUseUntilBlockedOrExpired(): Promise<'blocked' | 'expired'> {
    while (!order) {
      if (timeToContinueAsNew()) {
        await continueWithState();
        continue;
      }
      const step = nextStep();
      if (await changedBefore(step)) continue;
      if (step.kind === 'window') await renewalWindowOpens(step.at);
      else if (step.kind === 'block') order = { reason: state.scheduledBlock!.reason, by: state.scheduledBlock!.requestedBy, notify: true };
      else return 'expired';
    }
    return 'blocked';
  }

  /** At the renewal window (a natural point), after `changesPerRun` changes, or when the server suggests it. */
  function timeToContinueAsNew(): boolean {
    return windowOpened || revision >= changesPerRun || workflowInfo().continueAsNewSuggested;
  }

  async function continueWithState(): Promise<void> {
    await condition(allHandlersFinished);
    const retriable = answers.carry();
    if (!order) await continueAsNew<typeof cardInUse>({ ...card, carried: state, changesPerRun, ...(retriable ? { answered: retriable } : {}) });
  }

  /** Waits for the step; true when a block order or a change of the scheduled block comes first. */
  async function changedBefore(step: Step): Promise<boolean> {
    const seen = revision;
    return step.at > Date.now() && (await condition(() => order !== undefined || revision !== seen, step.at - Date.now()));
  }

  async function renewalWindowOpens(at: number): Promise<void> {
    state.phase = 'expiring';
    await acts.markCardExpiring({ cardNumber, at: new Date(at).toISOString() });
    publish();
    windowOpened = patched(CONTINUE_AT_RENEWAL_WINDOW);
  }

  // ---- 2. Blocked (at the chosen day, lost, or the licence expired) -----------------------
  async function blocked(blockOrder: BlockOrder): Promise<CardInUseResult> {
    state.scheduledBlock = undefined;
    const block: CardBlock = await acts.blockCardRecord({ cardNumber, at: now(), reason: blockOrder.reason, by: blockOrder.by });
    Object.assign(state, { phase: 'blocked', blocked: block });
    publish();
    if (blockOrder.notify) {
      await acts.sendEmail({
        key: { workflowId: workflowInfo().workflowId, purpose: 'card-blocked' },
        to: { kind: 'company-contact', companyId: input.companyId },
        template: 'card-blocked',
        data: { cardNumber, cardType: input.cardType, xsId: input.xsId, blockedAt: local(Date.parse(block.at)), reason: block.reason },
      });
    }
    await condition(allHandlersFinished);
    return { outcome: 'blocked', block };
  }

  // ---- 3. Expired: it cannot be renewed any more; a new card must be requested ----------
  async function expired(): Promise<CardInUseResult> {
    state.phase = 'expired';
    state.expiredAt = input.expiresAt;
    await acts.expireCardRecord({ cardNumber, at: input.expiresAt });
    publish();
    await condition(allHandlersFinished);
    return { outcome: 'expired', at: input.expiresAt };
  }

  // ---- What the company, the licence watch and operators can do: one line each ------------
  function handlers(): void {
    /** A retried Update (same ID) passes: its first answer is given again (support.ts updateAnswers). */
    const unlessAnswered = <A extends unknown[]>(check: (...request: A) => void) => (...request: A) => void (answers.earlier() ?? check(...request));
    setHandler(cardInUseStateQuery, () => state);
    setHandler(blockCardNowSignal, ({ reason, by, notify }) => void (order ??= { reason, by, notify: notify !== false }));
    setHandler(scheduleBlockUpdate, scheduleBlock, { validator: unlessAnswered(checkBlock) });
    setHandler(cancelBlockUpdate, cancelBlock, { validator: unlessAnswered(checkCancel) });
    setHandler(renewCardUpdate, renew, { validator: unlessAnswered(checkRenewal) });
    setHandler(reportLostUpdate, reportLost, { validator: unlessAnswered(checkLoss) });
  }

  async function scheduleBlock(request: BlockRequest): Promise<BlockResult> {
    const earlier = answers.earlier();
    if (earlier) return earlier as BlockResult;
    await loaded;
    checkBlock(request);
    const on = request.on;
    const block = { on, reason: request.reason.trim(), requestedBy: request.requestedBy.trim(), takesEffectAt: calendar().startOfDay(on).toISOString(), scheduledAt: now() };
    if (Date.parse(block.takesEffectAt) <= Date.now()) {
      order = { reason: block.reason, by: block.requestedBy, notify: true };
      await ended();
      return answers.keep<BlockResult>({ status: 'blocked', block });
    }
    state.scheduledBlock = block;
    revision++;
    await acts.recordCardBlockSchedule({ cardNumber, block });
    publish();
    return answers.keep<BlockResult>({ status: 'scheduled', block });
  }

  async function cancelBlock(): Promise<ScheduledBlock> {
    const earlier = answers.earlier();
    if (earlier) return earlier as ScheduledBlock;
    const cancelled = state.scheduledBlock!;
    state.scheduledBlock = undefined;
    revision++;
    await acts.recordCardBlockSchedule({ cardNumber, block: null, cancelled });
    publish();
    return answers.keep(cancelled);
  }

  async function renew(request: RenewalRequest): Promise<Replacement> {
    const earlier = answers.earlier();
    if (earlier) return earlier as Replacement;
    await loaded;
    checkRenewal(request);
    return answers.keep(await replace('renewal', request));
  }

  async function reportLost(report: LossReport): Promise<LossResult> {
    const earlier = answers.earlier();
    if (earlier) return earlier as LossResult;
    await loaded;
    checkLoss(report);
    // A renewal (or a loss report) under way already replaces the card: no second new card.
    const replacement = state.replacement ?? (await replace('lost', report));
    order ??= { reason: `lost: ${report.reason.trim()}`, by: report.requestedBy.trim(), notify: true };
    await ended();
    if (!state.blocked) throw businessRule(`card ${cardNumber} expired before it could be blocked`);
    return answers.keep<LossResult>({ replacement, blockedAt: state.blocked.at });
  }

  // ---- Helpers ------------------------------------------------------------------------------
  function nextStep(): Step {
    const steps: Step[] = [{ kind: 'expiry', at: expiresAt }];
    if (state.phase === 'active') steps.push({ kind: 'window', at: windowOpensAt });
    if (state.scheduledBlock) steps.push({ kind: 'block', at: Date.parse(state.scheduledBlock.takesEffectAt) });
    return steps.reduce((a, b) => (b.at < a.at ? b : a));
  }

  function ended(): Promise<void> {
    return condition(() => state.phase === 'blocked' || state.phase === 'expired');
  }

  /** Starts the application of the card that replaces this one: its record first, then its workflow. */
  async function replace(reason: Replacement['reason'], request: RenewalRequest): Promise<Replacement> {
    const applicationId = `ca_${uuid4().replace(/-/g, '')}`;
    const replacement: Replacement = {
      applicationId, workflowId: cardApplicationWorkflowId(applicationId), reason, requestedBy: request.requestedBy.trim(), requestedAt: now(),
    };
    state.replacement = replacement;
    try {
      const application = await acts.createReplacementApplication({
        applicationId, card, reason, requestedBy: replacement.requestedBy, submittedAt: replacement.requestedAt,
        ...(request.deliveryMethod ? { deliveryMethod: request.deliveryMethod } : {}),
        ...(request.destination ? { destination: request.destination } : {}),
      });
      await startChild<(application: CardApplicationInput) => Promise<unknown>>('cardApplication', {
        workflowId: replacement.workflowId,
        args: [application],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      state.replacement = undefined;
      throw err;
    }
    publish();
    return replacement;
  }

  function publish(): void {
    showStatus(status());
  }

  function status(): Status {
    const block = state.scheduledBlock ? `; blocked from ${state.scheduledBlock.on} 00:00 (${state.scheduledBlock.reason}) unless cancelled` : '';
    const renewal = state.replacement ? `; replaced by application ${state.replacement.applicationId} (${state.replacement.reason})` : '';
    const card = `Card ${cardNumber} (${input.cardType})`;
    switch (state.phase) {
      case 'active':
        return { phase: 'active', nextDueAt: new Date(nextStep().at), details: `${card} valid until ${local(expiresAt)}; renewal opens ${local(Date.parse(state.renewalWindowOpensAt))}${block}` };
      case 'expiring':
        return { phase: 'expiring', nextDueAt: new Date(nextStep().at), details: `${card} expiring ${local(expiresAt)}: can be renewed until then${renewal}${block}` };
      case 'blocked':
        return { phase: 'blocked', nextDueAt: null, details: `${card} blocked since ${local(Date.parse(state.blocked!.at))}: ${state.blocked!.reason}${renewal}` };
      case 'expired':
        return { phase: 'expired', nextDueAt: null, details: `${card} expired ${local(expiresAt)}${renewal}` };
    }
  }

  function local(ms: number): string {
    return ifLoaded()?.localDateTime(ms) ?? new Date(ms).toISOString();
  }

  // ---- Why a request is refused (validators, and again in the handlers once the rules are loaded) ----
  function checkOpen(): void {
    if (state.phase === 'blocked' || order) throw conflict(`card ${cardNumber} is blocked`);
    if (state.phase === 'expired') throw conflict(`card ${cardNumber} has expired`);
  }

  function checkCancel(): void {
    checkOpen();
    if (!state.scheduledBlock) throw conflict(`no block is scheduled for card ${cardNumber}`);
  }

  function checkBlock(request: BlockRequest): void {
    requireText(request?.reason, 'reason');
    requireText(request?.requestedBy, 'requestedBy');
    if (!isIsoDay(request.on)) throw invalidInput('on must be a day as YYYY-MM-DD', { field: 'on' });
    checkOpen();
    if (state.scheduledBlock) throw conflict(`a block is already scheduled for ${state.scheduledBlock.on}; cancel it first`, { scheduledBlock: state.scheduledBlock });
    const cal = ifLoaded();
    if (!cal) return;
    const today = cal.dayOf(new Date());
    if (request.on < today) throw businessRule(`a block takes effect today (${today}) or on a later day`, { field: 'on' });
    if (cal.startOfDay(request.on).getTime() >= expiresAt) {
      throw businessRule(`the card expires ${local(expiresAt)}, before ${request.on}`, { field: 'on' });
    }
  }

  function checkRenewal(request: RenewalRequest): void {
    requireText(request?.requestedBy, 'requestedBy');
    checkDelivery(request, false);
    if (Date.now() >= expiresAt) throw businessRule('expired cards cannot be renewed; request a new card');
    checkOpen();
    if (state.replacement) throw conflict(`card ${cardNumber} is already replaced by application ${state.replacement.applicationId}`, { applicationId: state.replacement.applicationId });
    if (state.scheduledBlock) throw conflict(`card ${cardNumber} is to be blocked on ${state.scheduledBlock.on}; cancel the block before renewing`);
    const cal = ifLoaded();
    if (!cal) return;
    const opensAt = cal.renewalWindowOpensAt(new Date(expiresAt));
    if (Date.now() < opensAt.getTime()) throw businessRule(`renewal opens on ${local(opensAt.getTime())}`, { renewalWindowOpensAt: opensAt.toISOString() });
  }

  function checkLoss(report: LossReport): void {
    requireText(report?.reason, 'reason');
    requireText(report?.requestedBy, 'requestedBy');
    checkDelivery(report, true);
    if (Date.now() >= expiresAt) throw businessRule('the card has expired; request a new card');
    checkOpen();
  }
}

function checkDelivery(request: { deliveryMethod?: unknown; destination?: unknown }, required: boolean): void {
  if ((required || request.deliveryMethod !== undefined) && !isOneOf(DELIVERY_METHODS, request.deliveryMethod)) {
    throw invalidInput(`deliveryMethod must be one of ${DELIVERY_METHODS.join(', ')}`, { field: 'deliveryMethod' });
  }
  if ((required || request.destination !== undefined) && !isOneOf(DESTINATIONS, request.destination)) {
    throw invalidInput(`destination must be one of ${DESTINATIONS.join(', ')}`, { field: 'destination' });
  }
}

// ---- The patches this workflow asks for (workflows/patches.json) ----------------------------

/** Continue as new when the renewal window opens (runs recorded before it carry on in the same run). */
const CONTINUE_AT_RENEWAL_WINDOW = 'card-in-use-continue-at-renewal-window';

interface BlockOrder { reason: string; by: string; notify: boolean }
type Step = { kind: 'window' | 'block' | 'expiry'; at: number };
