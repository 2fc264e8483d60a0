/**
 * Running the baton CLI in process, as the CLI tests do: runBaton with a
 * config and captured output; and the temporary release files `baton release`
 * reads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Io } from '../../cli/context.ts';
import { runBaton } from '../../cli/main.ts';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { type CommandName, operatorScope, policyDocument } from '../../lib/constructs/operator-policy.ts';
import type { PolicyDocument } from '../../sim/iam/authorizer.ts';
import { asOperator, type OperatorPolicy } from '../../sim/iam/calls.ts';

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** What the command slept for, in ms, in order. */
  readonly sleeps: number[];
}

export interface RunOptions {
  /**
   * Sleep for real, at most 5 ms, so that a simulation behind the clients
   * moves on between polls. By default sleeping returns at once.
   */
  readonly pause?: boolean;
  /** Stdout is a terminal (colour, redrawing); by default it is a pipe. `terminalColumns` implies it. */
  readonly tty?: boolean;
  /** Run as on a terminal this many columns wide (default: no terminal). */
  readonly terminalColumns?: number;
  /** Called with each sleep's ms (a test with a fake clock moves it on). */
  readonly onSleep?: (ms: number) => void;
  /**
   * Against a simulation: run as an operator whose only permissions are the
   * stack's operator or viewer managed policy, or the policy given (each call
   * is authorized as IAM would); by default the simulation does not check the CLI's calls.
   */
  readonly as?: OperatorPolicy;
}

/** Runs baton with `args` and the given config, its output captured. */
export async function runCli(config: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  let out = '';
  let err = '';
  const sleeps: number[] = [];
  const io: Io = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    isTty: options.tty ?? options.terminalColumns !== undefined,
    columns: () => options.terminalColumns,
    sleep: async (ms) => {
      sleeps.push(ms);
      options.onSleep?.(ms);
      if (options.pause) await new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
  };
  const run = () => runBaton([...args, '--config', config], io);
  const code = await (options.as ? asOperator(options.as, run) : run());
  return { code, out, err, sleeps };
}

/** An identity policy with only what `command` needs (its row of OPERATOR_PERMISSIONS), for `as`. */
export function grantsOf(command: CommandName, config: BatonConfig): PolicyDocument {
  return policyDocument([command], operatorScope(config));
}

export interface ReleaseFiles {
  /** Writes a release file (a value as JSON, a string as it is) and returns its path. */
  readonly write: (content: unknown, name?: string) => string;
  /** The path a file of that name has in the directory, written or not. */
  readonly path: (name: string) => string;
}

/** A temporary directory for the test file's release files, removed after its tests. */
export function releaseFiles(prefix: string): ReleaseFiles {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = (name: string) => join(dir, name);
  return {
    write: (content, name = 'release.json') => {
      writeFileSync(path(name), typeof content === 'string' ? content : JSON.stringify(content));
      return path(name);
    },
    path,
  };
}
