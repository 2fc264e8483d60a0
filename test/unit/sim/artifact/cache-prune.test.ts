import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, markUsed, pruneAssemblies } from '../../../../sim/artifact/cache-prune.ts';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const MINUTE = 60_000;
const dirs: string[] = [];

function cache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cache-'));
  dirs.push(dir);
  return dir;
}

/** An assembly directory whose manifest was last used `minutesAgo` before NOW. */
function assembly(root: string, key: string, minutesAgo: number): void {
  mkdirSync(join(root, key));
  writeFileSync(join(root, key, MANIFEST_FILE), '{}');
  writeFileSync(join(root, key, 'template.json'), '{}');
  const at = new Date(NOW - minutesAgo * MINUTE);
  utimesSync(join(root, key, MANIFEST_FILE), at, at);
}

function building(root: string, name: string, minutesAgo: number): void {
  mkdirSync(join(root, name));
  const at = new Date(NOW - minutesAgo * MINUTE);
  utimesSync(join(root, name), at, at);
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('pruneAssemblies', () => {
  it('keeps the assemblies used last and removes the rest, the oldest first', () => {
    // Arrange
    const root = cache();
    assembly(root, 'aaaaaaaaaaaaaaaaaaaaaaaa', 5);
    assembly(root, 'bbbbbbbbbbbbbbbbbbbbbbbb', 60);
    assembly(root, 'cccccccccccccccccccccccc', 1);
    assembly(root, 'dddddddddddddddddddddddd', 3000);

    // Act
    const removed = pruneAssemblies(root, 2, NOW);

    // Assert
    expect(removed).toEqual(['bbbbbbbbbbbbbbbbbbbbbbbb', 'dddddddddddddddddddddddd']);
    expect(readdirSync(root).sort()).toEqual(['aaaaaaaaaaaaaaaaaaaaaaaa', 'cccccccccccccccccccccccc']);
  });

  it('removes a build abandoned over an hour ago and one that never wrote its manifest, keeping a build under way', () => {
    // Arrange
    const root = cache();
    assembly(root, 'aaaaaaaaaaaaaaaaaaaaaaaa', 5);
    building(root, 'bbbbbbbbbbbbbbbbbbbbbbbb.building-4242-1796480307448', 61);
    building(root, 'cccccccccccccccccccccccc.building-4243-1796480307449', 2);
    mkdirSync(join(root, 'dddddddddddddddddddddddd'));

    // Act
    const removed = pruneAssemblies(root, 10, NOW);

    // Assert
    expect(removed).toEqual(['bbbbbbbbbbbbbbbbbbbbbbbb.building-4242-1796480307448', 'dddddddddddddddddddddddd']);
    expect(readdirSync(root).sort()).toEqual(['aaaaaaaaaaaaaaaaaaaaaaaa', 'cccccccccccccccccccccccc.building-4243-1796480307449']);
  });

  it('leaves what else the cache holds (the validated definitions) alone', () => {
    // Arrange
    const root = cache();
    mkdirSync(join(root, 'valid-definitions'));
    writeFileSync(join(root, 'valid-definitions', '0123abcd'), '');
    assembly(root, 'aaaaaaaaaaaaaaaaaaaaaaaa', 5);

    // Act
    const removed = pruneAssemblies(root, 0, NOW);

    // Assert
    expect(removed).toEqual(['aaaaaaaaaaaaaaaaaaaaaaaa']);
    expect(readdirSync(root)).toEqual(['valid-definitions']);
    expect(existsSync(join(root, 'valid-definitions', '0123abcd'))).toBe(true);
  });
});

describe('markUsed', () => {
  it('moves the time of last use to now, so pruning keeps the assembly', () => {
    // Arrange
    const root = cache();
    assembly(root, 'aaaaaaaaaaaaaaaaaaaaaaaa', 10);
    assembly(root, 'bbbbbbbbbbbbbbbbbbbbbbbb', 5);

    // Act
    const marked = markUsed(join(root, 'aaaaaaaaaaaaaaaaaaaaaaaa'), new Date(NOW));
    const removed = pruneAssemblies(root, 1, NOW);

    // Assert
    expect(marked).toBe(true);
    expect(statSync(join(root, 'aaaaaaaaaaaaaaaaaaaaaaaa', MANIFEST_FILE)).mtimeMs).toBe(NOW);
    expect(removed).toEqual(['bbbbbbbbbbbbbbbbbbbbbbbb']);
  });

  it('says false for an assembly another process removed meanwhile', () => {
    // Act / Assert
    expect(markUsed(join(cache(), 'aaaaaaaaaaaaaaaaaaaaaaaa'))).toBe(false);
  });
});
