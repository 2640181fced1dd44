/**
 * The shape of a workflow's history: how many commands of each kind it issued
 * (activities, timers, child workflows, search-attribute upserts, markers,
 * signals, Updates), counted from its events. The throughput benchmark compares
 * a real card application's with its skeleton's (bench/workflows/card-shape.ts)
 * and fails when they differ, so the skeleton follows the workflow it stands for.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/** The events that stand for a command or an Update (workflow tasks and activity attempts vary with timing and load). */
const COUNTED: Record<number, string> = {
  [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]: 'activities',
  [EventType.EVENT_TYPE_TIMER_STARTED]: 'timers',
  [EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]: 'child workflows',
  [EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]: 'search-attribute upserts',
  [EventType.EVENT_TYPE_MARKER_RECORDED]: 'markers (local activities, patches)',
  [EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED]: 'signals sent',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]: 'signals received',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]: 'Updates',
  [EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED]: 'memo changes',
  [EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED]: 'cancellations sent',
};
const WORKFLOW_TASKS = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;

export interface HistoryShape {
  /** Commands by kind. */
  commands: Record<string, number>;
  /** Workflow tasks completed (informational: they depend on timing). */
  workflowTasks: number;
}

/**
 * The shape of a workflow's history from its last accepted Update on (`fromLastUpdate`), or all of it;
 * the patch markers of the project's workflows (and the TemporalChangeVersion upsert that goes with each)
 * are left out: a skeleton has none, and they are the project's cost, not Temporal's floor.
 */
export async function historyShape(client: Client, workflowId: string, { fromLastUpdate = false } = {}): Promise<HistoryShape> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let events = history.events ?? [];
  if (fromLastUpdate) {
    const at = events.map((e) => e.eventType).lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    if (at < 0) throw new Error(`${workflowId}: no accepted Update in its history`);
    events = events.slice(at);
  }
  const commands: Record<string, number> = {};
  let workflowTasks = 0;
  for (const e of events) {
    const type = e.eventType ?? 0;
    if (type === WORKFLOW_TASKS) workflowTasks++;
    if (type === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch') continue;
    // The SDK records a patch in the TemporalChangeVersion search attribute too: patch bookkeeping as well.
    const upserted = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
    if (type === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES && upserted.length > 0 && upserted.every((k) => k === 'TemporalChangeVersion')) continue;
    const kind = COUNTED[type];
    if (kind) commands[kind] = (commands[kind] ?? 0) + 1;
  }
  return { commands, workflowTasks };
}

/** Adds shapes (a workflow and its child). */
export function sumShapes(...shapes: HistoryShape[]): HistoryShape {
  const commands: Record<string, number> = {};
  for (const s of shapes) for (const [k, v] of Object.entries(s.commands)) commands[k] = (commands[k] ?? 0) + v;
  return { commands, workflowTasks: shapes.reduce((n, s) => n + s.workflowTasks, 0) };
}

/** The kinds whose counts differ, as "kind: a vs b"; empty when the shapes match. */
export function shapeDifferences(a: HistoryShape, b: HistoryShape): string[] {
  const kinds = [...new Set([...Object.keys(a.commands), ...Object.keys(b.commands)])].sort();
  return kinds.filter((k) => (a.commands[k] ?? 0) !== (b.commands[k] ?? 0)).map((k) => `${k}: ${a.commands[k] ?? 0} vs ${b.commands[k] ?? 0}`);
}
