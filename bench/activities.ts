/** The baseline activity, registered next to the project's activities on the benchmark worker. */
export const benchActivities = {
  async benchNoop(): Promise<void> {
    // nothing: the baseline measures what Temporal and the worker cost around an activity
  },
};

export type BenchActivities = typeof benchActivities;
