// The pod table: what the running runtime has, written to the state directory on every change so
// other `caravel` commands (exec, logs, get pods) can read it without talking to the runtime. It
// also names the runtime's process, so a second runtime on the same state directory is refused and
// processes left by a runtime that was killed outright can be found and stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerPortPlan } from './pod-plan.ts';
import type { ContainerState } from './process.ts';
import { readJson, runtimeDir, writeJsonAtomic } from './state-file.ts';
import { RuntimeStateError } from './errors.ts';

export const POD_TABLE_FILE = 'pods.json';

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly state: ContainerState;
  /** Process group and its start time (clock ticks since boot), to recognise it later. */
  readonly pid?: number;
  readonly pidStart?: number;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPortPlan[];
  /** The catalogue entry of the image, for `exec` rewrites. */
  readonly catalogue?: string;
}

export interface PodRecord {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly hash: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly podIP: string;
  readonly appAddress: string;
  readonly sidecar: boolean;
  readonly gateway: boolean;
  readonly createdAt: number;
  readonly phase: string;
  readonly reason: string;
  readonly ready: boolean;
  readonly readyText: string;
  readonly restarts: number;
  readonly containers: readonly ContainerRecord[];
}

export interface DeploymentErrorRecord {
  readonly namespace: string;
  readonly deployment: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface PodTable {
  readonly runtime: { readonly pid: number; readonly pidStart?: number; readonly startedAt: number };
  readonly updatedAt: number;
  readonly pods: readonly PodRecord[];
  readonly errors: readonly DeploymentErrorRecord[];
}

export function podTablePath(stateDir: string): string {
  return join(runtimeDir(stateDir), POD_TABLE_FILE);
}

export function writePodTable(stateDir: string, table: PodTable): void {
  writeJsonAtomic(podTablePath(stateDir), table);
}

export function readPodTable(stateDir: string): PodTable | undefined {
  const file = podTablePath(stateDir);
  const data = readJson(file) as Partial<PodTable> | undefined;
  if (data === undefined) return undefined;
  if (!data.runtime || !Array.isArray(data.pods) || !Array.isArray(data.errors))
    throw new RuntimeStateError('RUNTIME_STATE_CORRUPT', `${file} does not hold a pod table`, {
      hint: `move it aside (mv ${file} ${file}.corrupt); the runtime rewrites it on the next start`,
    });
  return data as PodTable;
}

/** When the process started (clock ticks after boot, /proc/PID/stat field 22); undefined if gone. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True when `pid` is still the process that was recorded (not a later one with the same number). */
export function sameProcess(pid: number, start: number | undefined): boolean {
  const now = processStartTime(pid);
  return now !== undefined && (start === undefined || now === start);
}

/** True while the runtime that wrote the table is still running. */
export function runtimeAlive(table: PodTable): boolean {
  return sameProcess(table.runtime.pid, table.runtime.pidStart);
}

/** A duration as kubectl's AGE column shows it: 45s, 3m12s, 47m, 5h3m, 20h, 3d4h, 12d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (h < 3) return `${m}m`;
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  return `${d}d`;
}

/** kubectl's pod columns for each pod: NAME, READY, STATUS, RESTARTS, AGE (and IP with `wide`). */
export function podRows(pods: readonly PodRecord[], now: number, wide = false): string[][] {
  return pods.map((p) => [
    p.name,
    p.readyText,
    p.reason,
    String(p.restarts),
    formatAge(now - p.createdAt),
    ...(wide ? [p.podIP] : []),
  ]);
}
