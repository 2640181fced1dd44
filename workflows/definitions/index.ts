/**
 * The contract between the API, the workers and the workflows: IDs, messages,
 * inputs, states, search attributes and failure types, one file per process.
 * Imports nothing from Node, so every side can use it.
 */
export * from './accounts';
export * from './card-application';
export * from './card-in-use';
export * from './contract';
export * from './digest';
export * from './failures';
export * from './licence';
export * from './search-attributes';
