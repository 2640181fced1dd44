/**
 * The rules of every card application (domain/card-preconditions.ts): each
 * fact broken on its own breaks exactly its rule, for every card type, and
 * the valid case breaks none.
 */
import { preconditionBreaches, type PreconditionFacts } from '../../domain/card-preconditions';
import { CARD_TYPES } from '../../workflows/definitions';

const TODAY = '2026-12-09';
const request = (cardType: string) => ({ companyId: 'co_1', xsId: 'xs_1', cardType });
const valid = (): PreconditionFacts => ({
  company: { contractStatus: 'approved', requestsCargoCards: true, licence: { expiresOn: TODAY } },
  user: { companyId: 'co_1', identityDocumentExpiresOn: TODAY },
});

/** Each broken fact, the field it is reported on, and whether it matters for every card type or only a CargoCard. */
const BROKEN: [string, (f: PreconditionFacts) => PreconditionFacts, string, 'all' | 'CargoCard'][] = [
  ['no company', (f) => ({ ...f, company: null }), 'companyId', 'all'],
  ['contract pending', (f) => ({ ...f, company: { ...f.company!, contractStatus: 'pending' } }), 'companyId', 'all'],
  ['contract terminated', (f) => ({ ...f, company: { ...f.company!, contractStatus: 'terminated' } }), 'companyId', 'all'],
  ['no card user', (f) => ({ ...f, user: null }), 'xsId', 'all'],
  ['card user of another company', (f) => ({ ...f, user: { ...f.user!, companyId: 'co_2' } }), 'xsId', 'all'],
  ['identity document expired yesterday', (f) => ({ ...f, user: { ...f.user!, identityDocumentExpiresOn: '2026-12-08' } }), 'xsId', 'all'],
  ['CargoCards not requested', (f) => ({ ...f, company: { ...f.company!, requestsCargoCards: false } }), 'cardType', 'CargoCard'],
  ['no licence', (f) => ({ ...f, company: { ...f.company!, licence: undefined } }), 'cardType', 'CargoCard'],
  ['licence expired yesterday', (f) => ({ ...f, company: { ...f.company!, licence: { expiresOn: '2026-12-08' } } }), 'cardType', 'CargoCard'],
];

test.each(CARD_TYPES)('%s: valid facts break no rule, also on the last valid day and within a bridging period', (cardType) => {
  expect(preconditionBreaches(request(cardType), valid(), TODAY)).toEqual([]);
  const bridged = valid();
  bridged.company!.licence = { expiresOn: '2026-11-30', bridgingUntil: TODAY };
  expect(preconditionBreaches(request(cardType), bridged, TODAY)).toEqual([]);
});

describe.each(CARD_TYPES)('%s', (cardType) => {
  test.each(BROKEN)('%s', (_name, breakIt, field, applies) => {
    const breaches = preconditionBreaches(request(cardType), breakIt(valid()), TODAY);
    if (applies === 'all' || cardType === 'CargoCard') {
      expect(breaches).toHaveLength(1);
      expect(breaches[0]!.field).toBe(field);
    } else {
      expect(breaches).toEqual([]);
    }
  });
});
