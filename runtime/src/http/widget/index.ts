import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '@flowloom/nodes';
import type { FastifyInstance } from 'fastify';

/** The built widget (`widget/dist/widget.js` at the repository root), from `runtime/{src,dist}/http/widget/`. */
export const WIDGET_FILE = fileURLToPath(new URL('../../../../widget/dist/widget.js', import.meta.url));

/**
 * `GET /widget.js`: the embeddable chat (a `<flowloom-chat>` custom element). Public and cross-origin (`*`): it is
 * loaded by other sites, as a classic or module script; the API key in the embedding page is what authorises calls.
 */
export async function widget(app: FastifyInstance, options: { file?: string } = {}): Promise<void> {
  const file = options.file ?? WIDGET_FILE;
  let cached: Buffer | undefined;
  app.get('/widget.js', { schema: { hide: true } }, async (_request, reply) => {
    if (!cached) {
      cached = await readFile(file).catch(() => undefined);
      if (!cached) {
        throw new AppError('NOT_FOUND', 'the chat widget is not built: run `npm run build` at the repository root');
      }
    }
    return reply
      .type('text/javascript; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'public, max-age=300')
      .send(cached);
  });
}
