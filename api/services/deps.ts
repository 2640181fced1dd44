/** What every API service gets: the models, the Temporal client, the calendar. */
import type { Client } from '@temporalio/client';
import type { BusinessCalendar } from '../../domain/calendar';
import type { Models } from '../../db/models';

export interface ServiceDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  calendar: BusinessCalendar;
  /** The current instant (injectable for tests of date rules). */
  now?: () => Date;
}
