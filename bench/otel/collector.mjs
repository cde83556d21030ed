// A stand-in OTLP/HTTP collector for bench/otel, in its own process: answers 200 to every POST /v1/traces and
// counts the requests and bytes it got. `node collector.mjs` prints its base URL; SIGTERM prints the counts as JSON
// on stderr and exits.
import { createServer } from 'node:http';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => {
  console.error(JSON.stringify({ requests, bytes }));
  server.close(() => process.exit(0));
});
