/**
 * The packed CLI as a user installs it: `npm pack` (prepack bundles the CLI),
 * then `npm install <tarball>` in an empty directory outside the repository,
 * offline, and `npx baton`. The package must hold built JavaScript only and
 * need no dependency, so nothing from the registry and no dev tooling.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/config.ts';

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies?: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'baton-pack-'));
const app = join(work, 'app');
let tarball = '';

/** npm with the project's own node on PATH, as `npm test` has it; output captured. */
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

beforeAll(() => {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(work, packed[0]?.filename ?? 'missing.tgz');
  execFileSync('mkdir', [app]);
  run('npm', ['init', '-y'], app);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed baton CLI', () => {
  it('declares no dependency: the bundle carries what it uses', () => {
    // Assert
    expect(PACKAGE.dependencies ?? {}).toEqual({});
  });

  it('holds the launcher, the bundle, the README and the licence, and no TypeScript', () => {
    // Act
    const listed = run('tar', ['-tzf', tarball], work).trim().split('\n').sort();

    // Assert
    expect(listed).toEqual([
      'package/LICENSE',
      'package/README.md',
      'package/bin/baton.mjs',
      'package/dist/cli/baton.mjs',
      'package/dist/cli/baton.mjs.LEGAL.txt',
      'package/package.json',
    ]);
  });

  it('installs nothing but itself', () => {
    // Assert
    expect(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['baton']);
  });

  it('prints its version with npx baton --version', () => {
    // Act / Assert
    expect(run('npx', ['--no-install', 'baton', '--version'], app)).toBe(`${PACKAGE.version}\n`);
  });

  it('prints its help with npx baton --help', () => {
    // Act
    const help = run('npx', ['--no-install', 'baton', '--help'], app);

    // Assert
    expect(help).toContain('Usage: baton <command> [arguments] [options]');
    expect(help).toContain('  deploy ');
  });
});
