/** What every API service gets: the models, the Temporal client, the calendar. */
import type { Client } from '@temporalio/client';
import type { BusinessCalendar } from '../../domain/calendar';
import type { Models } from '../../db/models';
import type { Logger } from '../../observability/logger';
import type { AccountLimits } from './account-limits';
import type { CreationFaults } from './creation';
import type { PortalSettings } from './sign-in';

export interface ServiceDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  calendar: BusinessCalendar;
  /** The current instant (injectable for tests of date rules). */
  now?: () => Date;
  /** Limits on password-reset mails and link guessing (default DEFAULT_ACCOUNT_LIMITS). */
  accountLimits?: AccountLimits;
  /** For work done after the answer went out (a password-reset request). */
  logger?: Logger;
  /** Terms and privacy versions, the human check of password resets (default DEFAULT_PORTAL_SETTINGS). */
  portal?: PortalSettings;
  /** Test- and drill-only fault points in the create paths (never set in production). */
  faults?: CreationFaults;
}
