#!/usr/bin/env node
// The `flowloom` command (docs/contracts.md §5): a shim over the built CLI.
try {
  const { main } = await import('../dist/cli.js');
  await main();
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('flowloom: the runtime is not built yet; run "npm run build" at the repository root.');
    process.exit(2);
  }
  throw err;
}
