import { Schema, type InferSchemaType } from 'mongoose';
import { CARD_APPLICATION_PHASES, CARD_TYPES, DELIVERY_METHODS } from '../../workflows/definitions/card-application';
import { DESTINATIONS } from '../../domain/vocabulary';

/**
 * A card application. Created by the API when the application is received;
 * from then on its `status` follows the card-application workflow's phase
 * (one write per activity), so lists and the digest need no workflow query.
 */
export const cardApplicationSchema = new Schema(
  {
    _id: { type: String, required: true },
    companyId: { type: String, required: true, index: true },
    customerNumber: { type: String },
    xsId: { type: String, required: true, index: true },
    cardType: { type: String, enum: CARD_TYPES, required: true },
    deliveryMethod: { type: String, enum: DELIVERY_METHODS, required: true },
    destination: { type: String, enum: DESTINATIONS, required: true },
    submittedAt: { type: Date },
    /**
     * Set by the API when it writes the record, before it starts the record's
     * workflow; removed once the start is known to have happened. A record that
     * keeps it past the grace period is a half-created case: the creation sweep
     * (api/services/creation.ts) starts its workflow under the same ID.
     */
    startPendingSince: { type: Date, index: { sparse: true } },
    replaces: { cardNumber: { type: String }, reason: { type: String } },
    collectorName: { type: String },
    status: { type: String, enum: CARD_APPLICATION_PHASES, required: true },
    cardUserApprovedAt: { type: Date },
    cardUserApprovedBy: { type: String },
    checkedAtServicePoint: { type: Boolean },
    backofficeApprovedAt: { type: Date },
    backofficeApprovedBy: { type: String },
    /** The moment A: both parties approved. */
    approvedAt: { type: Date },
    convertedToUrgentAt: { type: Date },
    /** The delivery plan (DeliveryPlan in workflows/definitions), as the workflow computed it. */
    plan: { type: Schema.Types.Mixed },
    producedAt: { type: Date },
    cardNumber: { type: String },
    shippedOn: { type: String },
    expectedDeliveryBy: { type: String },
    collectedAt: { type: Date },
    collectedBy: { type: String },
    activatedAt: { type: Date },
    expiresAt: { type: Date },
    /** PIN attempts at activation (MAX_PIN_ATTEMPTS): wrong ones since the last PIN, when activation locked, new PINs issued. */
    pin: { failedAttempts: { type: Number }, lockedAt: { type: Date }, reissued: { type: Number } },
    /** Ended without an active card (status `cancelled`): when and why. */
    cancelledAt: { type: Date },
    cancellationReason: { type: String },
  },
  { timestamps: true, versionKey: false },
);
cardApplicationSchema.index({ companyId: 1, status: 1 });
// The nightly reconciliation lists the applications of one phase (held for pickup) across companies.
cardApplicationSchema.index({ status: 1 });

export type CardApplicationDoc = InferSchemaType<typeof cardApplicationSchema>;
export const cardApplicationCollection = 'card_applications';
