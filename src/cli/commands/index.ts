// Every command, registered in one list; the order is the order of `caravel --help`.
import type { Command } from '../command.ts';
import { analyzeCommand } from './analyze.ts';
import { completionCommand } from './completion.ts';
import { applyCommand } from './apply.ts';
import { deleteCommand } from './delete.ts';
import { demoCommand } from './demo.ts';
import { discoveryCommand } from './discovery.ts';
import { execCommand } from './exec.ts';
import { getCommand } from './get.ts';
import { labelCommand } from './label.ts';
import { loadCommand } from './load.ts';
import { logsCommand } from './logs.ts';
import { proxyCommand } from './proxy.ts';
import { proxyConfigCommand } from './proxy-config.ts';
import { proxyStatusCommand } from './proxy-status.ts';
import { upCommand } from './up.ts';
import { validateCommand } from './validate.ts';
import { versionCommand } from './version.ts';

export const commands: readonly Command[] = [
  demoCommand,
  upCommand,
  applyCommand,
  getCommand,
  deleteCommand,
  labelCommand,
  execCommand,
  logsCommand,
  analyzeCommand,
  proxyStatusCommand,
  proxyConfigCommand,
  loadCommand,
  discoveryCommand,
  proxyCommand,
  validateCommand,
  versionCommand,
  completionCommand(() => commands.map((c) => c.name)),
];
