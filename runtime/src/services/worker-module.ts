import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on one of the modules in this folder (`name` without extension): the built `.js`, or the
 * `.ts` source through tsx when running from the sources (tests).
 */
export function spawnServiceWorker(name: string, options: WorkerOptions): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const target = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSource) return new Worker(target, options);
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(target.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
