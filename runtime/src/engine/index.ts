export * from './pins.js';
export * from './plan.js';
export * from './run-flow.js';
export * from './run-trace.js';
