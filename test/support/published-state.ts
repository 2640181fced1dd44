/**
 * A case's state, asked by its Query and held against the state it published in its memo (the copy the API
 * reads without waking the case, workflows/card-application.ts publish()). Every workflow test that reads
 * the state this way checks, at each read, that no state change was left unpublished at the end of a
 * workflow task: a memo that stays the same across the Query but differs from its answer is stale.
 */
import { isDeepStrictEqual } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

export async function publishedState<S>(handle: WorkflowHandle, query: QueryDefinition<S>, memoKey: string): Promise<S> {
  const memo = async () => (await handle.describe()).memo?.[memoKey];
  for (let attempt = 1; ; attempt++) {
    const before = await memo();
    const state = await handle.query(query);
    const after = await memo();
    // A workflow task completed between the reads: the case moved on; read again.
    if (!isDeepStrictEqual(before, after) && attempt < 20) continue;
    // Nothing published yet (a run before its first task, or a new run after a continue-as-new): the API asks the Query.
    if (after === undefined) return state;
    expect({ memoKey, published: after }).toEqual({ memoKey, published: state });
    return state;
  }
}
