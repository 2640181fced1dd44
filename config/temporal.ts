/** Connection options for the Temporal client and worker, from the validated configuration. */
import type { TemporalConfig } from './index';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TemporalConfig['tls'];
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionOptions {
  return {
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}
