/**
 * Keeps the docs true to the tree: every relative link (and its anchor) and
 * every backticked repository path in README.md and docs/*.md exists, every
 * state of the state machine is in docs/architecture.md and docs/states.md,
 * every handler is in docs/architecture.md, and every fault is in
 * docs/simulation.md. A file moved or a state renamed fails here, naming the
 * document and what it points at.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RELEASE_STATE_NAMES, STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { FAULTS } from '../../sim/faults/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = join(ROOT, 'docs');
const DOCUMENTS = [
  join(ROOT, 'README.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];

/** Top-level folders of the repository: a backticked text starting with one of them is a path. */
const REPOSITORY_FOLDERS = ['bin', 'cli', 'docs', 'examples', 'lambdas', 'lib', 'scripts', 'sim', 'test'];
/** Placeholders and elisions: such a path names a family of files, not one. */
const PLACEHOLDER = /[<>*…]|\.\.\./;

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The text outside fenced code blocks: diagrams and shell examples are not checked. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  return new Set([...prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => slug(match[1] ?? '')));
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
}

function codeSpans(markdown: string): string[] {
  return [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? '');
}

function isRepositoryPath(text: string): boolean {
  const [folder] = text.split('/');
  return text.includes('/') && REPOSITORY_FOLDERS.includes(folder ?? '') && !/\s/.test(text) && !PLACEHOLDER.test(text);
}

const name = (path: string) => relative(ROOT, path);

describe('README.md and docs/', () => {
  it('finds the documents', () => {
    expect(DOCUMENTS.map(name)).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/architecture.md',
        'docs/cli.md',
        'docs/configuration.md',
        'docs/glossary.md',
        'docs/operations.md',
        'docs/simulation.md',
        'docs/states.md',
      ]),
    );
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const document of DOCUMENTS) {
      for (const link of links(read(document))) {
        if (/^[a-z]+:/i.test(link)) continue;
        const [target = '', anchor] = link.split('#');
        const file = target === '' ? document : resolve(dirname(document), target);
        if (!existsSync(file)) {
          broken.push(`${name(document)}: ${link} (no file ${name(file)})`);
          continue;
        }
        if (anchor && file.endsWith('.md') && !anchors(read(file)).has(anchor)) {
          broken.push(`${name(document)}: ${link} (no heading #${anchor} in ${name(file)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const missing: string[] = [];
    for (const document of DOCUMENTS) {
      for (const span of codeSpans(read(document))) {
        if (!isRepositoryPath(span)) continue;
        const path = join(ROOT, span);
        const exists = span.endsWith('/') ? existsSync(path) && statSync(path).isDirectory() : existsSync(path);
        if (!exists) missing.push(`${name(document)}: \`${span}\``);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names every state in docs/architecture.md and docs/states.md', () => {
    const states = [...Object.values(STATE_NAMES), ...Object.values(RELEASE_STATE_NAMES)];
    for (const document of ['docs/architecture.md', 'docs/states.md']) {
      const text = read(join(ROOT, document));
      expect(
        states.filter((state) => !text.includes(state)),
        `states missing from ${document}`,
      ).toEqual([]);
    }
  });

  it('names the handler of every function in docs/architecture.md', () => {
    const text = read(join(DOCS, 'architecture.md'));
    const handlers = readdirSync(join(ROOT, 'lambdas'))
      .filter((entry) => entry !== 'shared' && existsSync(join(ROOT, 'lambdas', entry, 'index.ts')))
      .map((entry) => `lambdas/${entry}/index.ts`);
    expect(handlers.length).toBeGreaterThan(0);
    expect(handlers.filter((handler) => !text.includes(`\`${handler}\``))).toEqual([]);
  });

  it('describes every fault in docs/simulation.md', () => {
    const text = read(join(DOCS, 'simulation.md'));
    const faults = Object.keys(FAULTS);
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.filter((fault) => !text.includes(`\`${fault}\``))).toEqual([]);
  });
});
