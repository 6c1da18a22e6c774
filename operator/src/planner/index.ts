/** The partition planner: pure, deterministic; see README.md. */
export { planRebalance, validate } from './plan.js';
export { summarize, type AssignedPartition } from './summary.js';
export { countBand } from './state.js';
export * from './types.js';
