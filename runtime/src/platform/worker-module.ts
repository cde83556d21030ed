import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) beside the caller, whose `import.meta.url` is
 * `base`: the built `.js`, or the `.ts` source through tsx when running from the sources (tests).
 */
export function spawnServiceWorker(base: string, name: string, options: WorkerOptions): Worker {
  const fromSource = base.endsWith('.ts');
  const target = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base);
  if (!fromSource) return new Worker(target, options);
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(target.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
