/**
 * The card-production adapter: who prints the card and its PIN. A real card
 * bureau sits behind the same interface; the local implementation records the
 * produced card in MongoDB.
 *
 * Idempotent per application: the card's `applicationId` is unique, so a
 * retried production returns the card (and the PIN) of the first attempt and
 * never makes a second card. The PIN is stored as a salted scrypt hash; the
 * plain PIN is kept on the card only until the PIN email went out (see the
 * Card model) and then removed.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { isDuplicateKey, type Models } from '../db/models';
import { conflict, type CardType } from '../workflows/definitions';

export interface ProductionOrder {
  applicationId: string;
  companyId: string;
  xsId: string;
  cardType: CardType;
  /** ISO instant of production (the workflow's clock). */
  producedAt: string;
}

export interface ProducedCard {
  cardNumber: string;
  pin: string;
}

export interface CardPrinter {
  produce(order: ProductionOrder): Promise<ProducedCard>;
}

const SCRYPT_KEY_LENGTH = 32;
/**
 * Asynchronous, on libuv's thread pool: a hash costs tens of milliseconds of CPU,
 * which the synchronous form spent on the worker's event loop, holding up every
 * other activity meanwhile (measured in docs/benchmarks.md, process throughput).
 */
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** 'scrypt$<salt>$<hash>', both base64url; a fresh salt every time. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await scryptAsync(pin, salt, SCRYPT_KEY_LENGTH)).toString('base64url')}`;
}

export async function pinMatches(pin: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(pin, Buffer.from(salt, 'base64url'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const newCardNumber = (): string => `XK${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`;
export const newPin = (): string => String(randomInt(0, 10_000)).padStart(4, '0');

/** Produces cards into the `cards` collection. */
export function createLocalCardPrinter(models: Pick<Models, 'Card'>): CardPrinter {
  const { Card } = models;

  async function existing(applicationId: string): Promise<ProducedCard | undefined> {
    const card = await Card.findOne({ applicationId }, { pinForDelivery: 1 }).lean();
    if (!card) return undefined;
    if (!card.pinForDelivery) {
      throw conflict(`the card for application ${applicationId} was produced and its PIN delivered already`, { cardNumber: card._id });
    }
    return { cardNumber: card._id, pin: card.pinForDelivery };
  }

  return {
    async produce(order) {
      const before = await existing(order.applicationId);
      if (before) return before;
      for (let attempt = 0; ; attempt++) {
        const produced = { cardNumber: newCardNumber(), pin: newPin() };
        try {
          await Card.create({
            _id: produced.cardNumber,
            applicationId: order.applicationId,
            companyId: order.companyId,
            xsId: order.xsId,
            cardType: order.cardType,
            pinHash: await hashPin(produced.pin),
            pinForDelivery: produced.pin,
            status: 'produced',
            producedAt: new Date(order.producedAt),
          });
          return produced;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // A concurrent attempt for the same application won: its card is the card.
          const raced = await existing(order.applicationId);
          if (raced) return raced;
          if (attempt >= 5) throw err; // card numbers collided repeatedly
        }
      }
    },
  };
}
