/**
 * `npm run report:bundles`: synthesizes the example config with bundling, as
 * `cdk synth` does, and prints the size of each phase function's bundle, the
 * AWS SDK packages it requires at load, and the synth wall time. Exits 1 when
 * a bundle reaches 1 MB (the handlers rely on the runtime's AWS SDK, and a
 * bundle that size means something heavy got bundled) or carries a zod
 * locale other than English.
 *
 * Usage: tsx scripts/bundle-report.ts [config path, default baton.config.json]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { buildApp } from '../lib/app.ts';
import { bundleContents, ZOD_DEFAULT_LOCALE } from '../lib/bundling/bundle-contents.ts';
import { BUNDLE_FILE, configDefine, phaseBundles } from '../lib/bundling/phase-bundles.ts';
import { loadConfig } from '../lib/config/load.ts';
import type { PhaseName } from '../lib/constructs/phases.ts';

const LIMIT_BYTES = 1024 * 1024;
const ROOT = join(import.meta.dirname, '..');

interface AssetsManifest {
  readonly files: Record<string, { readonly source: { readonly path: string; readonly packaging?: string } }>;
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const { config: _path, ...context } = cdkJson.context ?? {};
  return context;
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function main(): number {
  const config = loadConfig(process.argv[2] ?? join(ROOT, 'baton.config.json'));
  const outdir = mkdtempSync(join(tmpdir(), 'baton-bundles-'));
  try {
    const started = performance.now();
    const { app, stack } = buildApp(config, { outdir, context: cdkJsonContext() });
    app.synth();
    const seconds = (performance.now() - started) / 1000;

    // Function -> Code.S3Key ("<asset hash>.zip") -> the assets manifest entry -> the asset directory.
    const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as {
      Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
    };
    const manifest = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as AssetsManifest;
    // The build the synthesis bundled from, cached in this process: its metafile says what each bundle carries.
    const bundles = phaseBundles(configDefine(config));
    const rows = (Object.entries(stack.phases.functions) as Array<[PhaseName, LambdaFunction]>).map(([phase, fn]) => {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
      const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
      const hash = key?.replace(/\.zip$/, '');
      const asset = hash ? manifest.files[hash] : undefined;
      if (!asset) throw new Error(`no bundled asset for the ${phase} function (${logicalId})`);
      return { phase, bytes: statSync(join(outdir, asset.source.path, BUNDLE_FILE)).size, ...bundleContents(bundles, phase) };
    });

    const width = Math.max(...rows.map((row) => row.phase.length), 'phase'.length);
    const lines = [
      `${'phase'.padEnd(width)}  ${'index.js'.padStart(12)}  AWS SDK packages required at load`,
      `${'-'.repeat(width)}  ${'-'.repeat(12)}  ${'-'.repeat(33)}`,
      ...rows.map(
        (row) =>
          `${row.phase.padEnd(width)}  ${formatBytes(row.bytes).padStart(12)}  ${row.sdkPackages.join(' ')}${row.bytes >= LIMIT_BYTES ? '  >= 1 MiB' : ''}`,
      ),
      `${'-'.repeat(width)}  ${'-'.repeat(12)}`,
      `${'total'.padEnd(width)}  ${formatBytes(rows.reduce((sum, row) => sum + row.bytes, 0)).padStart(12)}`,
      '',
      `synth with bundling: ${seconds.toFixed(1)} s (${rows.length} functions)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    const tooBig = rows.filter((row) => row.bytes >= LIMIT_BYTES);
    if (tooBig.length > 0) process.stderr.write(`bundles of 1 MiB or more: ${tooBig.map((row) => row.phase).join(', ')}\n`);
    const locales = rows.filter((row) => row.zodLocales.some((locale) => locale !== ZOD_DEFAULT_LOCALE));
    if (locales.length > 0) {
      process.stderr.write(
        `bundles with zod locales besides English: ${locales.map((row) => `${row.phase} (${row.zodLocales.join(', ')})`).join('; ')}\n`,
      );
    }
    return tooBig.length > 0 || locales.length > 0 ? 1 : 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main();
