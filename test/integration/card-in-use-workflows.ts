/**
 * The workflow bundle of the cards-in-use and licence-watch tests: the real
 * `cardInUse` and `licenceWatch`, and a stand-in for `cardApplication`
 * (section 2, another process) that completes at once with the input it was
 * started with, so a test can read what a renewal or a loss asked for.
 */
import type { CardApplicationInput } from '../../workflows/definitions';

export { cardInUse } from '../../workflows/card-in-use';
export { licenceWatch } from '../../workflows/licence-watch';

export async function cardApplication(input: CardApplicationInput): Promise<CardApplicationInput> {
  return input;
}
