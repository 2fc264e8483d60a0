/**
 * `npm run report:bundles`: synthesizes the example config with bundling, as
 * `cdk synth` does, and prints the size of each phase function's bundle and
 * the synth wall time. Exits 1 when a bundle reaches 1 MB: the handlers rely
 * on the runtime's AWS SDK, and a bundle that size means something heavy got
 * bundled.
 *
 * Usage: tsx scripts/bundle-report.ts [config path, default baton.config.json]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { buildApp } from '../lib/app.ts';
import { loadConfig } from '../lib/config/load.ts';

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
    const rows = Object.entries(stack.phases.functions).map(([phase, fn]) => {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
      const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
      const hash = key?.replace(/\.zip$/, '');
      const asset = hash ? manifest.files[hash] : undefined;
      if (!asset) throw new Error(`no bundled asset for the ${phase} function (${logicalId})`);
      return { phase, bytes: statSync(join(outdir, asset.source.path, 'index.js')).size };
    });

    const width = Math.max(...rows.map((row) => row.phase.length), 'phase'.length);
    const lines = [
      `${'phase'.padEnd(width)}  ${'index.js'.padStart(12)}`,
      `${'-'.repeat(width)}  ${'-'.repeat(12)}`,
      ...rows.map(
        (row) => `${row.phase.padEnd(width)}  ${formatBytes(row.bytes).padStart(12)}${row.bytes >= LIMIT_BYTES ? '  >= 1 MiB' : ''}`,
      ),
      `${'-'.repeat(width)}  ${'-'.repeat(12)}`,
      `${'total'.padEnd(width)}  ${formatBytes(rows.reduce((sum, row) => sum + row.bytes, 0)).padStart(12)}`,
      '',
      `synth with bundling: ${seconds.toFixed(1)} s (${rows.length} functions)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    const tooBig = rows.filter((row) => row.bytes >= LIMIT_BYTES);
    if (tooBig.length > 0) {
      process.stderr.write(`bundles of 1 MiB or more: ${tooBig.map((row) => row.phase).join(', ')}\n`);
      return 1;
    }
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main();
