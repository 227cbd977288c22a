// Top self-time functions of V8 CPU profiles (`node --cpu-prof`, as `npm run bench -- --cpu-prof DIR`
// writes them), summed over every profile found under the given folders.
// --last S keeps only each profile's last S seconds: the load window, without start-up (module
// loading, type stripping, protobuf code generation) when the proxy stops right after the load.
//   node bench/proxy/profile-summary.ts DIR... [--top 30] [--last 10]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly endTime: number;
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function profilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.cpuprofile') ? [path] : [];
  return readdirSync(path).flatMap((entry) => profilesUnder(join(path, entry)));
}

const root = new URL('../../', import.meta.url).pathname;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, last: { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: node bench/proxy/profile-summary.ts DIR... [--top N] [--last SECONDS]');
  process.exit(2);
}

const self = new Map<string, number>();
let total = 0;
for (const file of positionals.flatMap(profilesUnder)) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const from = values.last ? profile.endTime - Number(values.last) * 1e6 : profile.startTime;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (at < from) return;
    const name = frameName(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  });
}
const idle = self.get('(idle)') ?? 0;
const busy = total - idle;
console.log(
  `sampled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (idle excluded below)\n`,
);
console.log('| self ms | % of busy | function |\n| --- | --- | --- |');
for (const [name, us] of [...self]
  .filter(([n]) => n !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top)))
  console.log(`| ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} | \`${name}\` |`);
