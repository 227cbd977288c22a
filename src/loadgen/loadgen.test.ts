import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { main } from '../cli/index.ts';
import type { Io } from '../cli/index.ts';
import { parseFlags } from './flags.ts';
import { callsPerConnection, curlMain, loadMain, loadOptions, proxyFor, startEchoServer } from './index.ts';
import type { EchoServer, LoadIo } from './index.ts';
import { buckets, percentile } from './stats.ts';

const identity = { version: '0.0.0-test', userAgent: 'caravel-load/test' };

function capture(env: Record<string, string> = {}): LoadIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd: process.cwd() };
}

async function listening(server: Server | http2.Http2Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

describe('flags', () => {
  const specs = {
    c: { kind: 'int', help: '' },
    qps: { kind: 'float', help: '' },
    H: { kind: 'list', help: '' },
    h2: { kind: 'bool', help: '' },
    t: { kind: 'duration', help: '' },
    json: { kind: 'string', help: '', bareValue: '-' },
  } as const;

  it('reads fortio spellings: one or two dashes, =, repeated lists, booleans, durations', () => {
    const { values, positionals } = parseFlags(
      ['-c', '2', '--qps=0', '-H', 'a: 1', '-H', 'b: 2', '-h2', '-t', '1m30s', 'http://x/'],
      specs,
    );
    assert.equal(values.get('c'), 2);
    assert.equal(values.get('qps'), 0);
    assert.deepEqual(values.get('H'), ['a: 1', 'b: 2']);
    assert.equal(values.get('h2'), true);
    assert.equal(values.get('t'), 90_000);
    assert.deepEqual(positionals, ['http://x/']);
  });

  it('takes -json alone as standard output, -json FILE as a file', () => {
    assert.equal(parseFlags(['-json', 'http://x/'], specs).values.get('json'), '-');
    assert.equal(parseFlags(['-json', 'httpbin:8000/get'], specs).values.get('json'), '-');
    assert.equal(parseFlags(['-json', '-c', '1', 'u'], specs).values.get('json'), '-');
    assert.equal(parseFlags(['-json', '-', 'u'], specs).values.get('json'), '-');
    const toFile = parseFlags(['-json', 'out.json', 'httpbin:8000/get'], specs);
    assert.equal(toFile.values.get('json'), 'out.json');
    assert.deepEqual(toFile.positionals, ['httpbin:8000/get']);
  });

  it('refuses unknown flags, missing values and bad numbers with the flag’s name', () => {
    assert.throws(() => parseFlags(['-nope', 'u'], specs), /flag provided but not defined: -nope/);
    assert.throws(() => parseFlags(['-c'], specs), /flag needs an argument: -c/);
    assert.throws(() => parseFlags(['-c', 'two', 'u'], specs), /invalid value "two" for flag -c/);
    assert.throws(() => parseFlags(['-t', '5', 'u'], specs), /invalid value "5" for flag -t: not a duration/);
  });

  it('builds load options with fortio’s defaults and checks them', () => {
    const o = loadOptions(['httpbin:8000/get'], { cwd: '/' });
    assert.equal(o.request.url.href, 'http://httpbin:8000/get');
    assert.equal(o.connections, 4);
    assert.equal(o.qps, 8);
    assert.equal(o.durationMs, 5000);
    assert.equal(o.request.timeoutMs, 3000);
    assert.deepEqual(o.percentiles, [50, 75, 90, 99, 99.9]);
    const post = loadOptions(['-payload', 'hi', '-H', 'X-A: b', '-loglevel', 'Warning', 'http://h/'], {
      cwd: '/',
    });
    assert.equal(post.request.method, 'POST');
    assert.deepEqual(post.request.headers, [
      ['X-A', 'b'],
      ['Content-Type', 'application/octet-stream'],
    ]);
    assert.equal(post.logLevel, 'warning');
    assert.throws(() => loadOptions([], { cwd: '/' }), /load needs a URL/);
    assert.throws(
      () => loadOptions(['-H', 'nocolon', 'http://h/'], { cwd: '/' }),
      /invalid header "nocolon"/,
    );
    assert.throws(
      () => loadOptions(['-loglevel', 'Loud', 'http://h/'], { cwd: '/' }),
      /unknown log level "Loud"/,
    );
    assert.throws(() => loadOptions(['ftp://h/'], { cwd: '/' }), /unsupported URL scheme/);
    assert.deepEqual(callsPerConnection(20, 3), [7, 7, 6]);
    assert.equal(loadOptions(['-c', '8', '-n', '3', 'http://h/'], { cwd: '/' }).connections, 3);
  });

  it('follows HTTP_PROXY / NO_PROXY rules', () => {
    const env = { HTTP_PROXY: 'http://127.1.0.2:15001', NO_PROXY: 'localhost,.svc.local,10.0.0.1:8080' };
    assert.equal(proxyFor(new URL('http://httpbin:8000/'), env)?.href, 'http://127.1.0.2:15001/');
    assert.equal(proxyFor(new URL('http://localhost:8000/'), env), undefined);
    assert.equal(proxyFor(new URL('http://a.svc.local/'), env), undefined);
    assert.equal(proxyFor(new URL('http://10.0.0.1:8080/'), env), undefined);
    assert.ok(proxyFor(new URL('http://10.0.0.1:9090/'), env));
    assert.equal(proxyFor(new URL('https://httpbin/'), env), undefined, 'https needs HTTPS_PROXY');
    assert.equal(
      proxyFor(new URL('http://x/'), { http_proxy: '127.0.0.1:3128' })?.href,
      'http://127.0.0.1:3128/',
    );
  });
});

describe('stats', () => {
  it('interpolates percentiles and groups values into buckets', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(percentile(sorted, 50), 5.5);
    assert.equal(percentile(sorted, 100), 10);
    assert.equal(percentile(sorted, 90), 9.1);
    const b = buckets(Float64Array.from([0.5, 0.7, 1.5, 15, 15.5]));
    assert.deepEqual(
      b.map((x) => [x.start, x.end, x.count, x.percent]),
      [
        [0.5, 1, 2, 40],
        [1, 2, 1, 60],
        [14, 15.5, 2, 100],
      ],
    );
  });
});

describe('load against a local server', () => {
  let url: string;
  let server: Server;
  let calls = 0;
  const seen: { method: string; body: string; ua: string; x: string }[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        calls++;
        seen.push({
          method: req.method ?? '',
          body: Buffer.concat(chunks).toString(),
          ua: String(req.headers['user-agent']),
          x: String(req.headers['x-test']),
        });
        // Every fifth call fails, whatever the interleaving of connections.
        const status = calls % 5 === 0 ? 503 : 200;
        res
          .writeHead(status, { 'content-type': 'text/plain' })
          .end(status === 200 ? 'ok\n' : 'unavailable\n');
      });
    });
    url = await listening(server);
  });
  after(() => closeServer(server));

  it('-c 2 -qps 0 -n 20 makes exactly 20 calls and prints fortio’s histogram', async () => {
    calls = 0;
    const io = capture();
    const code = await loadMain(
      ['-c', '2', '-qps', '0', '-n', '20', '-loglevel', 'Warning', `${url}/get`],
      io,
      identity,
    );
    assert.equal(code, 0);
    const out = io.stdout.join('\n');
    assert.equal(calls, 20);
    assert.match(out, /Starting at max qps with 2 thread\(s\) for exactly 20 calls \(10 per thread \+ 0\)/);
    assert.match(out, /^Code 200 : 16 \(80\.0 %\)$/m);
    assert.match(out, /^Code 503 : 4 \(20\.0 %\)$/m);
    assert.match(out, /Ended after [\d.]+(µs|ms|s) : 20 calls\. qps=[\d.]+/);
    for (const p of ['50', '75', '90', '99', '99.9'])
      assert.match(out, new RegExp(`^# target ${p.replace('.', '\\.')}% [\\d.e-]+$`, 'm'));
    assert.match(out, /^# range, mid point, percentile, count$/m);
    assert.match(out, /^Sockets used: 2 \(for perfect keepalive, would be 2\)$/m);
    assert.match(out, /^Error cases : count 4 /m);
    assert.match(out, /^All done 20 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps$/m);
    assert.equal(io.stderr.filter((l) => l.includes('Non ok http code 503')).length, 4);
  });

  it('-qps paces the calls (loosely bounded) and -t runs for a duration', async () => {
    const paced = capture();
    const started = performance.now();
    await loadMain(['-c', '1', '-qps', '40', '-n', '9', '-quiet', url], paced, identity);
    const took = performance.now() - started;
    // 9 calls at 40 qps: the last one is due 200 ms after the first.
    assert.ok(took >= 180, `9 calls at 40 qps took ${took} ms`);
    assert.match(paced.stdout.join('\n'), /Starting at 40 qps with 1 thread\(s\) for exactly 9 calls/);

    const timed = capture();
    const t0 = performance.now();
    await loadMain(['-c', '2', '-qps', '0', '-t', '250ms', '-quiet', url], timed, identity);
    const t = performance.now() - t0;
    assert.ok(t >= 240 && t < 10_000, `-t 250ms ran ${t} ms`);
    const ended = /Ended after .* : (\d+) calls/.exec(timed.stdout.join('\n'));
    assert.ok(ended && Number(ended[1]) > 2, 'made calls for the duration');
  });

  it('-json - prints fortio’s JSON shape on standard output, the text on standard error', async () => {
    calls = 0;
    const io = capture();
    await loadMain(['-c', '2', '-qps', '0', '-n', '10', '-json', '-', url], io, identity);
    const json = JSON.parse(io.stdout.join('\n'));
    assert.equal(json.RunType, 'HTTP');
    assert.equal(json.RequestedQPS, 'max');
    assert.equal(json.RequestedDuration, 'exactly 10 calls');
    assert.equal(json.NumThreads, 2);
    assert.equal(json.Exactly, 10);
    assert.deepEqual(json.RetCodes, { '200': 8, '503': 2 });
    assert.equal(json.DurationHistogram.Count, 10);
    assert.deepEqual(
      json.DurationHistogram.Percentiles.map((p: { Percentile: number }) => p.Percentile),
      [50, 75, 90, 99, 99.9],
    );
    assert.ok(json.DurationHistogram.Percentiles.every((p: { Value: number }) => p.Value > 0 && p.Value < 5));
    assert.equal(json.DurationHistogram.Data.at(-1).Percent, 100);
    assert.equal(json.SocketCount, 2);
    assert.equal(json.Sizes.Count, 10);
    assert.equal(json.URL, `${url}/`);
    assert.equal(json.Version, '0.0.0-test');
    assert.match(io.stderr.join('\n'), /Code 200 : 8 \(80\.0 %\)/);
  });

  it('-payload POSTs with the headers given and the client’s user agent', async () => {
    seen.length = 0;
    await loadMain(
      ['-c', '1', '-qps', '0', '-n', '2', '-quiet', '-payload', 'hello', '-H', 'X-Test: yes', url],
      capture(),
      identity,
    );
    assert.deepEqual(seen, [
      { method: 'POST', body: 'hello', ua: 'caravel-load/test', x: 'yes' },
      { method: 'POST', body: 'hello', ua: 'caravel-load/test', x: 'yes' },
    ]);
  });

  it('counts calls that get no answer as code -1 (refused, timed out)', async () => {
    const refused = capture();
    const closed = createServer();
    const closedUrl = await listening(closed);
    await closeServer(closed);
    await loadMain(['-c', '1', '-qps', '0', '-n', '3', closedUrl], refused, identity);
    assert.match(refused.stdout.join('\n'), /^Code -1 : 3 \(100\.0 %\)$/m);
    assert.match(refused.stderr.join('\n'), /ECONNREFUSED/);

    const silent = createServer(() => {});
    const silentUrl = await listening(silent);
    try {
      const io = capture();
      await loadMain(
        ['-c', '1', '-qps', '0', '-n', '1', '-timeout', '100ms', '-quiet', silentUrl],
        io,
        identity,
      );
      assert.match(io.stdout.join('\n'), /^Code -1 : 1 \(100\.0 %\)$/m);
    } finally {
      await closeServer(silent);
    }
  });

  it('curl prints the status line, headers and body; non-2xx exits 1', async () => {
    calls = 0;
    const io = capture();
    assert.equal(await curlMain([url], io, identity), 0);
    assert.match(io.stdout[0]!, /^HTTP\/1\.1 200 OK\ncontent-type: text\/plain\n[\s\S]*\n\nok$/i);
    calls = 4; // the next call is the fifth
    const failing = capture();
    assert.equal(await curlMain([url], failing, identity), 1);
    assert.match(failing.stdout[0]!, /^HTTP\/1\.1 503 Service Unavailable/);
    assert.match(failing.stderr.join('\n'), /Error status 503 : unavailable/);
  });
});

describe('through an HTTP proxy, and over HTTP/2', () => {
  let proxyUrl: string;
  let proxy: Server;
  const targets: string[] = [];
  let h2Url: string;
  let h2Server: http2.Http2Server;
  let h2Sessions = 0;
  before(async () => {
    h2Server = http2.createServer();
    h2Server.on('session', () => h2Sessions++);
    h2Server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'x-path': String(headers[':path']) });
      stream.end('h2 ok');
    });
    h2Url = await listening(h2Server);
    proxy = createServer((req, res) => {
      targets.push(req.url ?? '');
      res.writeHead(200).end('via proxy');
    });
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      targets.push(`CONNECT ${req.url}`);
      // Every authority is tunnelled to the local h2c server.
      const upstream = connect(Number(new URL(h2Url).port), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxyUrl = await listening(proxy);
  });
  after(async () => {
    await closeServer(proxy);
    await closeServer(h2Server);
  });

  it('sends absolute-form requests to HTTP_PROXY, and bypasses it for NO_PROXY hosts', async () => {
    targets.length = 0;
    const io = capture({ HTTP_PROXY: proxyUrl });
    await loadMain(['-c', '2', '-qps', '0', '-n', '4', '-quiet', 'http://httpbin:8000/get'], io, identity);
    assert.deepEqual(targets, Array(4).fill('http://httpbin:8000/get'));
    assert.match(io.stdout.join('\n'), /^Code 200 : 4 \(100\.0 %\)$/m);

    targets.length = 0;
    const curl = capture({ http_proxy: proxyUrl });
    assert.equal(await curlMain(['http://httpbin:8000/get'], curl, identity), 0);
    assert.match(curl.stdout[0]!, /via proxy$/);
    assert.deepEqual(targets, ['http://httpbin:8000/get']);

    targets.length = 0;
    const plain = createServer((_req, res) => res.end('direct'));
    const plainUrl = await listening(plain);
    try {
      const bypass = capture({ HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' });
      assert.equal(await curlMain([plainUrl], bypass, identity), 0);
      assert.match(bypass.stdout[0]!, /direct$/);
      assert.deepEqual(targets, []);
    } finally {
      await closeServer(plain);
    }
  });

  it('-h2 speaks HTTP/2 on one session per connection, directly and through a CONNECT tunnel', async () => {
    h2Sessions = 0;
    const direct = capture();
    await loadMain(['-h2', '-c', '2', '-qps', '0', '-n', '10', '-quiet', `${h2Url}/x?y=1`], direct, identity);
    assert.match(direct.stdout.join('\n'), /^Code 200 : 10 \(100\.0 %\)$/m);
    assert.match(direct.stdout.join('\n'), /^Sockets used: 2 /m);
    assert.equal(h2Sessions, 2);

    targets.length = 0;
    const tunnelled = capture({ HTTP_PROXY: proxyUrl });
    assert.equal(
      await curlMain(['-h2', 'http://fortio-target:8080/x'], tunnelled, identity),
      0,
      tunnelled.stderr.join('\n'),
    );
    assert.deepEqual(targets, ['CONNECT fortio-target:8080']);
    assert.match(tunnelled.stdout[0]!, /^HTTP\/2\.0 200\nx-path: \/x\n/);
  });
});

describe('echo server (fortio server)', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer('127.0.0.1', 0);
  });
  after(() => echo.close());

  it('echoes the body, with the status and delay asked for, and dumps requests at /debug', async () => {
    const res = await fetch(`${echo.url}/anything`, { method: 'POST', body: 'ping' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ping');
    assert.equal((await fetch(`${echo.url}/?status=503`)).status, 503);
    assert.equal((await fetch(`${echo.url}/?status=abc`)).status, 400);
    const t0 = performance.now();
    await (await fetch(`${echo.url}/?delay=100ms`)).text();
    assert.ok(performance.now() - t0 >= 90);
    const debug = await (await fetch(`${echo.url}/debug?x=1`, { headers: { 'x-b3-traceid': 'abc' } })).text();
    assert.match(debug, /GET \/debug\?x=1 HTTP\/1\.1/);
    assert.match(debug, /x-b3-traceid: abc/);
  });
});

describe('caravel load (CLI)', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer('127.0.0.1', 0);
  });
  after(() => echo.close());

  function cliIo(): Io & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return {
      stdout,
      stderr,
      out: (t) => stdout.push(t),
      err: (t) => stderr.push(t),
      stdin: () => '',
      env: {},
      cwd: process.cwd(),
    };
  }

  it('runs the seed’s command line and `load curl`; bad flags exit 2 with the flag named', async () => {
    const io = cliIo();
    assert.equal(
      await main(['load', '-c', '2', '-qps', '0', '-n', '20', '-loglevel', 'Warning', `${echo.url}/get`], io),
      0,
    );
    assert.match(io.stdout.join('\n'), /^Code 200 : 20 \(100\.0 %\)$/m);
    const curl = cliIo();
    assert.equal(await main(['load', 'curl', `${echo.url}/get?status=200`], curl), 0);
    assert.match(curl.stdout[0]!, /^HTTP\/1\.1 200 OK/);
    const bad = cliIo();
    assert.equal(await main(['load', '-bogus', echo.url], bad), 2);
    assert.match(bad.stderr.join('\n'), /flag provided but not defined: -bogus/);
    const help = cliIo();
    assert.equal(await main(['load', '--help'], help), 0);
    assert.match(help.stdout.join('\n'), /-qps float/);
  });
});
