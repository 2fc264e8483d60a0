/**
 * The interpreter of one execution, with the definition validated by
 * aws-local-stepfunctions (asl-validator) unless that exact definition passed
 * before. Validation compiles asl-validator's JSON schemas on every call
 * (about 400 ms of CPU); its verdict depends only on the definition and the
 * installed validator, so a pass is remembered on disk, keyed by both.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { CACHE_DIR, ROOT } from '../artifact/build.ts';

const VALIDATION = { checkArn: false, checkPaths: true } as const;
const PASSED_DIR = join(CACHE_DIR, 'valid-definitions');

let lockfile: Buffer | undefined;

/** The definition and what judges it: the options and every installed package version (package-lock.json). */
function validationKey(definition: object): string {
  lockfile ??= readFileSync(join(ROOT, 'package-lock.json'));
  return createHash('sha256')
    .update(lockfile)
    .update(JSON.stringify(VALIDATION))
    .update(JSON.stringify(definition))
    .digest('hex')
    .slice(0, 32);
}

/** A state machine for the definition; `validate` asks for validation, which a remembered pass makes unnecessary. */
export function stateMachineFor(definition: object, validate: boolean): StateMachine {
  const marker = validate ? join(PASSED_DIR, validationKey(definition)) : undefined;
  if (!marker || existsSync(marker)) return new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  // Throws on an invalid definition: only a pass is remembered.
  const machine = new StateMachine(definition as never, { validationOptions: VALIDATION });
  mkdirSync(PASSED_DIR, { recursive: true });
  writeFileSync(marker, '');
  return machine;
}
