/**
 * The workflow bundle of the card tests: the real card application and pickup
 * hold, the real licence watch (a CargoCard application makes sure its company's
 * runs), and a stand-in for `cardInUse` (another process, section 3) that
 * completes at once with the input it was started with, so a test can read it.
 */
import type { CardInUseInput } from '../../workflows/definitions';

export { cardApplication } from '../../workflows/card-application';
export { pickupHold } from '../../workflows/pickup-hold';
export { licenceWatch } from '../../workflows/licence-watch';

export async function cardInUse(input: CardInUseInput): Promise<CardInUseInput> {
  return input;
}
