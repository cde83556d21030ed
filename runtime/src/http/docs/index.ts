import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const UI = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flowloom API</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem}code{background:#f3f3f3;padding:0 .3em}
.m{display:inline-block;width:4.5rem;font-weight:600}.r{margin:.3rem 0}.d{color:#555;margin-left:4.5rem}</style></head>
<body><h1>Flowloom API</h1><p>OpenAPI document: <a href="../docs">/api/docs</a></p><div id="routes">Loading…</div>
<script>
fetch('../docs').then(r => r.json()).then(doc => {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    const esc = (s) => String(s ?? '').replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
    out.push('<div class="r"><span class="m">' + method.toUpperCase() + '</span><code>' + esc(path) + '</code> ' +
      esc(op.summary) + (op.description ? '<div class="d">' + esc(op.description) + '</div>' : '') + '</div>');
  }
  document.getElementById('routes').innerHTML = out.join('');
});
</script></body></html>`;

/** `GET /api/docs`: the OpenAPI document; `GET /api/docs/ui`: a small page listing the routes. */
export const docs: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs/ui', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(UI),
  );
};
