/**
 * The one place that builds the DataConverter: every Temporal client and
 * worker of the project (API, worker, healthcheck, tests, drills, benchmarks)
 * takes it from here, so none can store a payload in clear by forgetting it.
 */
import type { DataConverter } from '@temporalio/common';
import type { PayloadKey } from '../config/payload-keys';
import { EncryptionCodec } from './encryption-codec';

/** The module the workflow bundle and the clients load the failure converter from. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function dataConverter(keys: readonly PayloadKey[]): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
