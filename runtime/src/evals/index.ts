export { evaluate, evaluateOne, SCORERS } from './evaluate.js';
export { type FieldProblem, parseEvaluators } from './parse-evaluators.js';
export { DEFAULT_JUDGE_MODEL, JUDGE_FLOW_ID } from './scorers/llm-judge.js';
export { type EvalServicesOptions, evalServices } from './services.js';
export * from './types.js';
