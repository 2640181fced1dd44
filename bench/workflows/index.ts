/** The bundle of the benchmark worker: the project's workflows and the baselines. */
export * from '../../workflows';
export * from './baseline';
export * from './card-shape';
