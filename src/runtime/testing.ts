// Helpers for the runtime's tests: Deployments and Namespaces built through the real loader, the
// fixture programs, fresh state directories, and a look into /proc for process-group members.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTexts } from '../api/index.ts';
import type { Deployment, Namespace } from '../api/index.ts';

export const FIXTURE_APP = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
export const FIXTURE_PROXY = fileURLToPath(new URL('./fixtures/proxy.ts', import.meta.url));

export interface DeploymentSpecOptions {
  readonly name: string;
  readonly namespace?: string;
  readonly replicas?: number;
  readonly image?: string;
  /** argv for the caravel.io/command annotation; null leaves the annotation out. */
  readonly command?: readonly string[] | null;
  readonly env?: Readonly<Record<string, string>>;
  readonly envFrom?: readonly unknown[];
  readonly ports?: readonly number[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly strategy?: unknown;
  readonly containers?: readonly unknown[];
}

function loadOne<T>(doc: unknown): T {
  const { resources, issues } = loadTexts([{ file: 'test.yaml', text: JSON.stringify(doc) }]);
  assert.deepEqual(issues, []);
  return resources[0] as T;
}

export function deployment(o: DeploymentSpecOptions): Deployment {
  const labels = { app: o.name, ...o.labels };
  const annotations = {
    ...(o.command === null
      ? {}
      : { 'caravel.io/command': JSON.stringify(o.command ?? [process.execPath, FIXTURE_APP]) }),
    ...o.annotations,
  };
  const env = [
    ...Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })),
    ...(o.envFrom ?? []),
  ];
  return loadOne<Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace: o.namespace ?? 'default' },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: o.name } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      template: {
        metadata: { labels, annotations },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: o.containers ?? [
            {
              name: o.name,
              image: o.image ?? 'example.com/fixture:1',
              env,
              ports: (o.ports ?? []).map((containerPort) => ({ containerPort })),
            },
          ],
        },
      },
    },
  });
}

export function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return loadOne<Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

export function tempStateDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'caravel-runtime-'));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Live (non-zombie) processes whose process group is `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the name: state, ppid, pgrp …
    if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
