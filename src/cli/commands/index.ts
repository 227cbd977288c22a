// Every command, registered in one list; the order is the order of `caravel --help`.
import type { Command } from '../command.ts';
import { validateCommand } from './validate.ts';
import { versionCommand } from './version.ts';

export const commands: readonly Command[] = [validateCommand, versionCommand];
