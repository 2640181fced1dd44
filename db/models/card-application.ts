import { Schema, type InferSchemaType } from 'mongoose';

export const cardApplicationSchema = new Schema(
  {
    _id: { type: String, required: true },
    companyId: { type: String, required: true, index: true },
    xsId: { type: String, required: true, index: true },
    cardType: { type: String, enum: ['CargoCard', 'DigitalSafetyPassport', 'PortKey'], required: true },
    deliveryMethod: { type: String, enum: ['post', 'pickup', 'urgent-pickup'], required: true },
    destination: { type: String, enum: ['NL', 'abroad'], required: true },
    collectorName: { type: String },
    status: { type: String, required: true },
    cardUserApprovedAt: { type: Date },
    backofficeApprovedAt: { type: Date },
    approvedAt: { type: Date },
    producedAt: { type: Date },
    cardNumber: { type: String },
  },
  { timestamps: true, versionKey: false },
);

export type CardApplicationDoc = InferSchemaType<typeof cardApplicationSchema>;
export const cardApplicationCollection = 'card_applications';
