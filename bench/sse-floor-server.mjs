// The floor for idle streams: a bare node:http server that holds event streams and does nothing else.
import http from 'node:http';

const held = new Set();
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write('retry: 3000\n\n');
    held.add(res);
    req.on('close', () => held.delete(res));
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
