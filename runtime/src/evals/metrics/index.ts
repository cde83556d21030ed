export * from './bleu.js';
export * from './lcs.js';
export * from './rouge.js';
export * from './tokenizer-13a.js';
