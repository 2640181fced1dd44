/**
 * The Temporal SDK's logs (worker life cycle, workflow and activity log calls
 * with their workflow/activity IDs, the Rust core's warnings) routed into the
 * project's pino logger, so a process writes one kind of line.
 */
import { DefaultLogger, makeTelemetryFilterString, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import type { Level, Logger } from '../observability/logger';

const SDK_LEVEL: Record<Level, LogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };
const LEVEL_OF: Record<LogLevel, Level> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Runtime options that send every SDK and core log line at `level` or above into `logger`. */
export function sdkLogging(logger: Logger, level: Level): Pick<RuntimeOptions, 'logger'> & { telemetryOptions: { logging: { filter: string; forward: Record<string, never> } } } {
  return {
    logger: new DefaultLogger(SDK_LEVEL[level], ({ level: l, message, meta }) => logger[LEVEL_OF[l]]((meta ?? {}) as Record<string, unknown>, message)),
    // The core's own lines (e.g. its warnings about the server) go through the same logger instead of straight to stderr.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: SDK_LEVEL[level] }), forward: {} } },
  };
}
