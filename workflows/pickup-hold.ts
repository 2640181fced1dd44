/**
 * Pickup hold (PROCESSES.md section 2): a card ready for pickup is held on the
 * ready day and the 5 working days after it. Collected by the card user or by
 * the collector the company named in advance (`recordPickup`), the hold ends;
 * not collected by 17:00 on the last day, the card is handed to the post when
 * the service point opens on the next working day, and the company contact is
 * told when to expect it (the post rule, from that day).
 *
 * A child of `cardApplication`: it signals its parent (`holdEnded`) before it
 * completes, and learns of a collector named later by `collectorNamed`.
 */
import { allHandlersFinished, condition, getExternalWorkflowHandle, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { holdToPost } from '../domain/card-delivery';
import {
  collectorNamedSignal,
  holdEndedSignal,
  pickupHoldStateQuery,
  recordPickupUpdate,
  type PickupHoldInput,
  type PickupHoldResult,
  type PickupHoldState,
} from './definitions';
import { deliveryEmailData, pickupHoldStatus, validatePickup } from './card-application-support';
import { acts, calendarLoader, now, showStatus } from './support';

export async function pickupHold(input: PickupHoldInput): Promise<PickupHoldResult> {
  // Handlers are set before the first await: an Update sent right after the start finds them.
  const { loaded, calendar, ifLoaded } = calendarLoader();
  const { plan, cardNumber } = input;
  const workflowId = workflowInfo().workflowId;
  const state: PickupHoldState = {
    applicationId: input.applicationId,
    cardNumber,
    phase: 'held',
    plan,
    ...(input.collectorName ? { collectorName: input.collectorName } : {}),
  };
  let pickup: { collectedBy: string; at: string } | undefined;
  let result: PickupHoldResult | undefined = undefined;
  const publish = (): void => {
    const cal = ifLoaded();
    if (cal) showStatus(pickupHoldStatus(state, cal));
  };
  const mailData = { cardUserName: input.cardUserName, companyName: input.companyName, cardNumber, cardType: input.cardType };

  setHandler(pickupHoldStateQuery, () => state);
  setHandler(collectorNamedSignal, ({ name }) => {
    state.collectorName = name;
    publish();
  });
  setHandler(
    recordPickupUpdate,
    async ({ collectedBy }) => {
      pickup = { collectedBy: collectedBy.trim().replace(/\s+/g, ' '), at: now() };
      await condition(() => result !== undefined);
      return result!;
    },
    { validator: (r) => validatePickup(state, input, ifLoaded(), pickup !== undefined, r?.collectedBy) },
  );

  // ---- Held from the ready day; the card user hears when and until when -----------
  await loaded;
  const cal = calendar();
  publish();
  await acts.recordCardHandover({ cardNumber, status: 'held', at: now() });
  await acts.sendEmail({
    key: { workflowId, purpose: 'ready-for-pickup' },
    to: { kind: 'card-user', xsId: input.xsId },
    template: 'card-ready-for-pickup',
    data: { ...mailData, ...deliveryEmailData(plan, cal), ...(state.collectorName ? { collectorName: state.collectorName } : {}) },
  });

  // ---- Collected during the hold, or handed to the post after it -----------------------
  const untilHoldEnds = Date.parse(plan.holdUntil) - Date.now();
  const collected = untilHoldEnds > 0 ? await condition(() => pickup !== undefined, untilHoldEnds) : pickup !== undefined;
  let ended: PickupHoldResult;
  if (collected) {
    const { collectedBy, at } = pickup!;
    Object.assign(state, { phase: 'collected', collectedAt: at, collectedBy });
    publish();
    await acts.recordCardHandover({ cardNumber, status: 'collected', at, collectedBy });
    ended = { outcome: 'collected', at, collectedBy };
  } else {
    const post = holdToPost(cal, plan.toPostOn, input.destination);
    state.phase = 'awaiting-post';
    publish();
    const untilPost = post.handToPostAt.getTime() - Date.now();
    if (untilPost > 0) await sleep(untilPost);
    const at = now();
    Object.assign(state, { phase: 'to-post', shippedOn: post.shipOn, expectedDeliveryBy: post.expectedDeliveryBy });
    publish();
    await acts.recordCardHandover({ cardNumber, status: 'shipped', at, shippedOn: post.shipOn });
    await acts.sendEmail({
      key: { workflowId, purpose: 'hold-expired-posted' },
      to: { kind: 'company-contact', companyId: input.companyId },
      template: 'card-hold-expired-posted',
      data: {
        ...mailData,
        holdUntil: cal.localDateTime(plan.holdUntil),
        shippedOn: post.shipOn,
        expectedDeliveryBy: post.expectedDeliveryBy,
      },
    });
    ended = { outcome: 'to-post', at, shippedOn: post.shipOn, expectedDeliveryBy: post.expectedDeliveryBy };
  }

  // The parent hears of it before the pickup is confirmed to the caller.
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(holdEndedSignal, { outcome: ended.outcome, at: ended.at });
  result = ended;
  await condition(allHandlersFinished);
  return result;
}
