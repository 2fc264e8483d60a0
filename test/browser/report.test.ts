/**
 * The report of a simulated rollback in headless Chromium: it renders both
 * colours' weights and the rollback marker, and loads nothing but itself.
 * Without Chromium (or puppeteer-core) the tests skip themselves with a note
 * that the run's last lines repeat (test/support/summary-reporter.ts): they
 * never pass without running. CI installs Debian's chromium (.ci/run);
 * CHROMIUM_PATH names another binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from '../../sim/cli-main.ts';
import { weightLevels } from '../support/report-page.ts';

/** The browser: CHROMIUM_PATH, else the first of Debian's and Chrome's names on the PATH. */
function findChromium(): string | undefined {
  const named = process.env.CHROMIUM_PATH;
  if (named) return existsSync(named) ? named : undefined;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return undefined;
}

const CHROMIUM = findChromium();
const NO_CHROMIUM = "browser test did not run: chromium not found (install Debian's chromium, or set CHROMIUM_PATH)";
if (!CHROMIUM) console.warn(NO_CHROMIUM);

/** Both runs fit in this, the simulation included. */
const TIMEOUT_MS = 30_000;
const dir = mkdtempSync(join(tmpdir(), 'baton-browser-'));
const file = join(dir, 'report.html');
const url = pathToFileURL(file).href;

beforeAll(async () => {
  if (!CHROMIUM) return;
  // The page `npm run simulate -- --report` writes for a canary at 25 % rolled back when an alarm fires.
  const input = { service: 'web', imageTag: 'v1.4.2', strategy: { type: 'canary', percent: 25, bakeSeconds: 300 } };
  const code = await runCli(['--fault', 'alarm-during-shift', '--input', JSON.stringify(input), '--report', file, '--json'], {
    out: () => undefined,
    err: () => undefined,
  });
  expect(code).toBe(0);
}, TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chromium(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM);
  const run = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--window-size=1200,900', ...args, url], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** What the test reads of the rendered page: each weight line and the rollback marker, with the boxes Chromium laid them out in. */
const RenderedSchema = z.object({
  lines: z.array(z.object({ colour: z.string(), stroke: z.string(), points: z.string(), width: z.number(), height: z.number() })),
  rollback: z.object({ text: z.string(), x: z.number(), width: z.number(), height: z.number() }).nullable(),
  viewportWidth: z.number(),
});

/** Runs in the page: plain JavaScript, as the page has no script of its own. */
const READ_PAGE = `(() => {
  const box = (element) => { const rect = element.getBoundingClientRect(); return { x: rect.x, width: rect.width, height: rect.height }; };
  const lines = [...document.querySelectorAll('polyline.weight')].map((line) => ({
    colour: line.dataset.colour, stroke: getComputedStyle(line).stroke, points: line.getAttribute('points'), ...box(line),
  }));
  const rollback = document.querySelector('g.marker.rollback text');
  return { lines, rollback: rollback ? { text: rollback.textContent, ...box(rollback) } : null, viewportWidth: window.innerWidth };
})()`;

describe('the report of a simulated rollback in headless Chromium', () => {
  it(
    'renders to a screenshot, with both weight lines and the rollback marker in its DOM',
    (ctx) => {
      if (!CHROMIUM) return ctx.skip(NO_CHROMIUM);
      // Act
      const screenshot = join(dir, 'report.png');
      const shot = chromium([`--screenshot=${screenshot}`]);
      const dom = chromium(['--dump-dom']);

      // Assert
      expect(shot.status).toBe(0);
      expect(statSync(screenshot).size).toBeGreaterThan(10_000);
      expect(dom.status).toBe(0);
      expect(dom.stdout).toMatch(/<polyline class="weight weight-blue" data-colour="blue"[^>]* points="[^"]+">/);
      expect(dom.stdout).toMatch(/<polyline class="weight weight-green" data-colour="green"[^>]* points="[^"]+">/);
      expect(dom.stdout).toMatch(/<g class="marker rollback">.*<text [^>]*>rollback<\/text><\/g>/);
    },
    TIMEOUT_MS,
  );

  it(
    "lays out both colours' weights and the rollback marker, and requests nothing but the page itself",
    async (ctx) => {
      if (!CHROMIUM) return ctx.skip(NO_CHROMIUM);
      const puppeteer = await import('puppeteer-core').catch(() => undefined);
      if (!puppeteer) return ctx.skip('browser test did not run: puppeteer-core is not installed (run npm ci)');
      // Arrange
      const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const page = await browser.newPage();
        // The page's Content-Security-Policy would block a load; bypassed, any reference to elsewhere would show as a request.
        await page.setBypassCSP(true);
        const requests: string[] = [];
        page.on('request', (request) => {
          requests.push(request.url());
        });
        await page.setViewport({ width: 1200, height: 900 });

        // Act
        await page.goto(url, { waitUntil: 'networkidle0' });
        const rendered = RenderedSchema.parse(await page.evaluate(READ_PAGE));

        // Assert
        expect(requests).toEqual([url]);
        expect(rendered.lines.map((line) => [line.colour, line.stroke])).toEqual([
          ['blue', 'rgb(31, 111, 235)'],
          ['green', 'rgb(26, 127, 55)'],
        ]);
        expect(rendered.lines.map((line) => weightLevels(line.points))).toEqual([
          [100, 75, 100],
          [0, 25, 0],
        ]);
        for (const line of rendered.lines) {
          expect(line.width).toBeGreaterThan(500);
          expect(line.height).toBeGreaterThan(20);
        }
        expect(rendered.rollback).not.toBeNull();
        expect(rendered.rollback?.text).toBe('rollback');
        expect(rendered.rollback?.height).toBeGreaterThan(0);
        expect((rendered.rollback?.x ?? 0) + (rendered.rollback?.width ?? 0)).toBeLessThanOrEqual(rendered.viewportWidth);
      } finally {
        await browser.close();
      }
    },
    TIMEOUT_MS,
  );
});
