export type { Directives } from './directives.js';
export { countTokens, parseDirectives, stripDirectives } from './directives.js';
export { fakeEmbedding } from './embeddings.js';
export {
  checkTrainingFile,
  type TrainingFormat,
  type TrainingProblem,
  type TrainingSummary,
} from './fine-tune-format.js';
export { GARBAGE_KINDS, type GarbageKind } from './garbage.js';
export { type JsonSchema, sampleFromSchema } from './json-schema-sample.js';
export { startFakeOpenAI } from './server.js';
export type {
  ChatBody,
  FakeError,
  FakeOpenAI,
  FakeOpenAIOptions,
  FakeReply,
  FakeToolCall,
  FineTuningSettings,
  RecordedRequest,
} from './types.js';
