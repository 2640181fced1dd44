/** The schedules the API lists by ID are exactly the ones the project defines (a new one cannot be left out). */
import { DEFAULT_RULES } from '../../domain/rules';
import { SCHEDULE_IDS, scheduleDefinitions } from '../../schedules/definitions';

test('SCHEDULE_IDS names every schedule scheduleDefinitions defines, in its order', () => {
  const defined = scheduleDefinitions({ temporal: { taskQueue: 'any' }, rules: DEFAULT_RULES }).map((d) => d.scheduleId);
  expect([...SCHEDULE_IDS]).toEqual(defined);
});
